// Catalog sync and media from real nginx on loopback (started by the suite script), async/await
// on every network call, plus a stalled loopback server for cancellation (a fake, because nginx
// cannot be told to stall).
import Foundation
import Microlearn
import XCTest

final class Recorder: ProgressListener, @unchecked Sendable {
    let events = Locked<WorkProgress>()
    let onDeinit: @Sendable () -> Void
    init(onDeinit: @escaping @Sendable () -> Void = {}) { self.onDeinit = onDeinit }
    deinit { onDeinit() }
    func onProgress(progress: WorkProgress) { events.append(progress) }
}

struct AppBug: Error {}

/// A listener whose every call throws (the app's UI is gone, a bug…).
final class Thrower: ProgressListener, @unchecked Sendable {
    let calls = Counter()
    let error: Error
    init(_ error: Error) { self.error = error }
    func onProgress(progress: WorkProgress) throws {
        calls.add()
        throw error
    }
}

final class Switchable: ConnectivityProvider, @unchecked Sendable {
    private let lock = NSLock()
    private var current: NetworkState = .offline
    var state: NetworkState {
        get { lock.lock(); defer { lock.unlock() }; return current }
        set { lock.lock(); current = newValue; lock.unlock() }
    }
    func networkState() throws -> NetworkState { state }
}

final class FailingConnectivity: ConnectivityProvider, @unchecked Sendable {
    let error: Error
    init(_ error: Error) { self.error = error }
    func networkState() throws -> NetworkState { throw error }
}

final class SyncTests: XCTestCase {
    var url = ""
    var mediaSha = ""
    var www = ""
    var core: Microlearn!

    override func setUpWithError() throws {
        url = try requireEnv("MICROLEARN_TEST_CATALOG_URL")
        mediaSha = try requireEnv("MICROLEARN_TEST_MEDIA_SHA256")
        www = try requireEnv("MICROLEARN_TEST_WWW")
        core = try openTemp(self).0
    }

    func testSyncFromNginxReportsProgress() async throws {
        let listener = Recorder()
        let report = try await core.syncCatalog(url: url, progress: listener)
        XCTAssertEqual(report.cardsTotal, 300)
        XCTAssertEqual(report.cardsAdded, 300)
        XCTAssertFalse(report.notModified)
        XCTAssertEqual(try core.card(id: "card-7").title, "Refund policy step 7")
        let events = listener.events.all
        XCTAssertTrue(events.contains { $0.phase == .index }, "index progress reported: \(events)")
        XCTAssertTrue(events.contains { $0.phase == .shards && $0.bytes > 0 }, "\(events)")
        XCTAssertEqual(try core.status().cards, 300)
    }

    func testASecondSyncIsNotModifiedAndTheStateIsKept() async throws {
        _ = try await core.syncCatalog(url: url)
        let again = try await core.syncCatalog(url: url)
        XCTAssertTrue(again.notModified, "second sync is a 304")
        let state = try XCTUnwrap(core.lastSync())
        XCTAssertEqual(state.url, url)
        XCTAssertNotNil(state.etag)
        XCTAssertEqual(try core.mediaStatus().catalogUrl, url)
    }

    func testTheProgressListenerIsReleasedAfterTheSync() async throws {
        let released = Counter()
        do {
            let listener = Recorder(onDeinit: { released.add() })
            _ = try await core.syncCatalog(url: url, progress: listener)
            XCTAssertFalse(listener.events.all.isEmpty)
        }
        XCTAssertEqual(released.value, 1, "the core let go of the listener")
    }

    func testAThrowingProgressListenerDoesNotBreakTheSync() async throws {
        let bug = Thrower(AppBug())
        let report = try await core.syncCatalog(url: url, progress: bug)
        XCTAssertEqual(report.cardsTotal, 300)
        XCTAssertGreaterThan(bug.calls.value, 0, "it was called, and its errors were dropped")
        let failing = Thrower(ProviderError.Failed(reason: "ui gone"))
        _ = try await core.pinCards(ids: ["media-1"], progress: failing)
        XCTAssertEqual(try core.mediaStatus().pinnedCards, 1)
    }

    func testSearchFindsSyncedCards() async throws {
        _ = try await core.syncCatalog(url: url)
        XCTAssertEqual(try core.search(query: "refund polcy step").hits.isEmpty, false)
    }

    func testPinDownloadsVerifiedMedia() async throws {
        _ = try await core.syncCatalog(url: url)
        let pin = try await core.pinCards(ids: ["media-1"])
        XCTAssertEqual(pin.pinnedCards, 1)
        XCTAssertEqual(pin.downloaded, 1)
        XCTAssertEqual(pin.bytesDownloaded, 262_144)
        let path = try XCTUnwrap(core.mediaPath(sha256: mediaSha))
        XCTAssertTrue(path.hasSuffix(mediaSha) || path.contains(mediaSha), path)
        let cached = try Data(contentsOf: URL(fileURLWithPath: path))
        let published = try Data(contentsOf: URL(fileURLWithPath: www + "/catalog/media/clip.bin"))
        XCTAssertEqual(cached, published, "the cached file is the published one")
        XCTAssertEqual(try core.mediaStatus().pinnedCards, 1)
    }

    func testFetchMediaIsAwaitableAndUnpinReleases() async throws {
        _ = try await core.syncCatalog(url: url)
        _ = try await core.pinCards(ids: ["media-1"])
        let path = try await core.fetchMedia(sha256: mediaSha)
        XCTAssertEqual(path, try core.mediaPath(sha256: mediaSha))
        XCTAssertEqual(try core.unpinCards(ids: ["media-1"]), 1)
        XCTAssertEqual(try core.mediaStatus().pinnedCards, 0)
    }

    func testTheNetworkPolicyIsEnforced() async throws {
        _ = try await core.syncCatalog(url: url)
        try core.setNetworkPolicy(policy: .never)
        XCTAssertEqual(try core.mediaStatus().policy, .never)
        let never = await assertThrowsAsync { try await self.core.pinCards(ids: ["media-1"]) }
        XCTAssertEqual(kind(never), "Network", "\(String(describing: never))")
        try core.setNetworkPolicy(policy: .wifiOnly)
        try core.setNetworkMetered(metered: true)
        let metered = await assertThrowsAsync { try await self.core.pinCards(ids: ["media-1"]) }
        XCTAssertEqual(kind(metered), "Network")
        try core.setNetworkMetered(metered: false)
        let pinned = try await core.pinCards(ids: ["media-1"])
        XCTAssertEqual(pinned.downloaded, 1)
    }

    func testAMediaBudgetIsKept() async throws {
        _ = try await core.syncCatalog(url: url)
        try core.setMediaBudget(bytes: 1_000_000)
        XCTAssertEqual(try core.mediaStatus().budgetBytes, 1_000_000)
        _ = try await core.pinCards(ids: ["media-1"])
        XCTAssertLessThanOrEqual(try core.mediaStatus().bytes, 1_000_000)
    }

    func testNetworkFailuresAreTyped() async throws {
        let port = closedPort()
        let refused = await assertThrowsAsync { try await self.core.syncCatalog(url: "http://127.0.0.1:\(port)/index.json") }
        XCTAssertEqual(kind(refused), "Network")
        XCTAssertTrue(coreMessage(refused).contains("127.0.0.1:\(port)"), coreMessage(refused))
        let missing = url.replacingOccurrences(of: "index.json", with: "missing.json")
        let notFound = await assertThrowsAsync { try await self.core.syncCatalog(url: missing) }
        XCTAssertEqual(kind(notFound), "Network")
        XCTAssertTrue(coreMessage(notFound).contains("404"), coreMessage(notFound))
        let notUrl = await assertThrowsAsync { try await self.core.syncCatalog(url: "not a url") }
        XCTAssertEqual(kind(notUrl), "Content")
        let malformed = await assertThrowsAsync { try await self.core.fetchMedia(sha256: "00") }
        XCTAssertEqual(kind(malformed), "InvalidArgument")
        let unknown = await assertThrowsAsync { try await self.core.fetchMedia(sha256: String(repeating: "ab", count: 32)) }
        XCTAssertEqual(kind(unknown), "NotFound", "\(String(describing: unknown))")
        XCTAssertEqual(try core.status().cards, 0)
    }

    func testTheConnectivityProviderGatesNetworkWork() async throws {
        let provider = Switchable()
        core.setConnectivityProvider(provider: provider)
        let offline = await assertThrowsAsync { try await self.core.syncCatalog(url: self.url) }
        XCTAssertEqual(kind(offline), "Network")
        XCTAssertTrue(coreMessage(offline).contains("offline"), coreMessage(offline))
        provider.state = .metered
        _ = try await core.syncCatalog(url: url)
        XCTAssertTrue(try core.mediaStatus().metered, "the metered state reached the core")
        provider.state = .unmetered
        _ = try await core.syncCatalog(url: url)
        XCTAssertFalse(try core.mediaStatus().metered)
    }

    func testAThrowingProviderIsATypedProviderError() async throws {
        core.setConnectivityProvider(provider: FailingConnectivity(ProviderError.Failed(reason: "no permission")))
        let failed = await assertThrowsAsync { try await self.core.syncCatalog(url: self.url) }
        XCTAssertEqual(kind(failed), "Provider")
        XCTAssertTrue(coreMessage(failed).contains("no permission"), coreMessage(failed))
        core.setConnectivityProvider(provider: FailingConnectivity(AppBug()))
        let bug = await assertThrowsAsync { try await self.core.syncCatalog(url: self.url) }
        XCTAssertEqual(kind(bug), "Provider")
        XCTAssertTrue(coreMessage(bug).contains("unexpected"), coreMessage(bug))
        core.setConnectivityProvider(provider: nil)
        let report = try await core.syncCatalog(url: url)
        XCTAssertEqual(report.cardsTotal, 300)
    }

    func testSixteenConcurrentTasksSyncAndRead() async throws {
        let core = self.core!
        let url = self.url
        let results = try await withThrowingTaskGroup(of: (Int, UInt64).self) { group in
            for i in 0..<16 {
                group.addTask {
                    if i % 2 == 0 {
                        return (i, try await core.syncCatalog(url: url).cardsTotal)
                    }
                    _ = try core.status()
                    return (i, UInt64(try core.cards(ids: ["card-1", "card-2"]).count))
                }
            }
            var out: [(Int, UInt64)] = []
            for try await r in group { out.append(r) }
            return out
        }
        XCTAssertEqual(results.count, 16)
        XCTAssertTrue(results.filter { $0.0 % 2 == 0 }.allSatisfy { $0.1 == 300 }, "\(results)")
        XCTAssertEqual(try core.status().cards, 300)
    }
}

final class CancellationTests: XCTestCase {
    var core: Microlearn!
    var server: StallServer!

    override func setUpWithError() throws {
        core = try openTemp(self).0
        server = StallServer()
    }

    override func tearDown() {
        server?.stop()
    }

    func testACancelTokenStopsAStalledSyncWithATypedError() async throws {
        let token = CancelToken()
        let server = self.server!
        Thread {
            _ = server.accepted.wait(timeout: .now() + 30)
            token.cancel()
        }.start()
        let core = self.core!
        let e = await assertThrowsAsync {
            try await withDeadline(15) { try await core.syncCatalog(url: server.url, cancel: token) }
        }
        XCTAssertEqual(kind(e), "Cancelled", "\(String(describing: e))")
        XCTAssertTrue(coreMessage(e).contains("cancelled"), coreMessage(e))
        let closed = await waitAsync(server.clientClosed, seconds: 15)
        XCTAssertTrue(closed, "the connection was closed")
        XCTAssertEqual(try core.status().cards, 0)
    }

    func testACancelledTokenRefusesFurtherWorkAtOnce() async throws {
        let token = CancelToken()
        token.cancel()
        let core = self.core!, url = server.url
        let e = await assertThrowsAsync { try await withDeadline(10) { try await core.syncCatalog(url: url, cancel: token) } }
        XCTAssertEqual(kind(e), "Cancelled")
        let media = await assertThrowsAsync { try await withDeadline(10) { try await core.pinCards(ids: ["x"], cancel: token) } }
        XCTAssertEqual(kind(media), "Cancelled")
    }

    func testTaskCancellationStopsAStalledSyncThroughWithCancelToken() async throws {
        let core = self.core!, url = server.url
        let task = Task {
            try await withCancelToken { token in try await core.syncCatalog(url: url, cancel: token) }
        }
        let reached = await waitAsync(server.accepted, seconds: 30)
        XCTAssertTrue(reached, "the sync reached the server")
        task.cancel()
        let e = await assertThrowsAsync { try await withDeadline(15) { try await task.value } }
        XCTAssertEqual(kind(e), "Cancelled", "\(String(describing: e))")
        XCTAssertTrue((e as? MicrolearnError)?.isCancellation ?? false)
        let closed = await waitAsync(server.clientClosed, seconds: 15)
        XCTAssertTrue(closed, "the Rust future was dropped: its connection is closed")
        XCTAssertTrue(core.isOpen())
    }

    func testAnAlreadyCancelledTaskCancelsItsTokenAtOnce() async throws {
        let core = self.core!, url = server.url
        let task = Task {
            while !Task.isCancelled { await Task.yield() }
            return try await withCancelToken { token -> SyncReport in
                XCTAssertTrue(token.isCancelled())
                return try await core.syncCatalog(url: url, cancel: token)
            }
        }
        task.cancel()
        let e = await assertThrowsAsync { try await withDeadline(10) { try await task.value } }
        XCTAssertEqual(kind(e), "Cancelled")
    }

    func testPlainTaskCancellationDoesNotReachTheRustFuture() async throws {
        // Documented behaviour of the generated bindings (docs/ffi.md): without a token, cancelling
        // the Task leaves the call running; the token (here cancelled afterwards) is what stops it.
        let core = self.core!, url = server.url
        let token = CancelToken()
        let finished = Once()
        let task = Task {
            defer { _ = finished.take() }
            return try await core.syncCatalog(url: url, cancel: token)
        }
        let reached = await waitAsync(server.accepted, seconds: 30)
        XCTAssertTrue(reached)
        task.cancel()
        try await Task.sleep(nanoseconds: 1_000_000_000)
        XCTAssertTrue(finished.take(), "still running one second after Task.cancel()")
        token.cancel()
        let e = await assertThrowsAsync { try await withDeadline(15) { try await task.value } }
        XCTAssertEqual(kind(e), "Cancelled")
    }

    func testShutdownAndDroppingDuringAnInFlightSyncAreSafe() async throws {
        let dir = tempDataDir()
        defer { deleteTree(dir) }
        let token = CancelToken()
        let url = server.url
        var core: Microlearn? = try Microlearn.open(dataDir: dir)
        let call = Task { [core] in try await core!.syncCatalog(url: url, cancel: token) }
        let reached = await waitAsync(server.accepted, seconds: 30)
        XCTAssertTrue(reached)
        // The in-flight call holds its own reference: shutting down and dropping the handle now
        // must neither crash nor free what the call is using.
        core?.shutdown()
        core = nil
        token.cancel()
        let e = await assertThrowsAsync { try await withDeadline(15) { try await call.value } }
        XCTAssertEqual(kind(e), "Cancelled", "ended by its token: \(String(describing: e))")
        // Everything was released: the directory opens again.
        XCTAssertEqual(try Microlearn.open(dataDir: dir).status().cards, 0)
    }
}
