// Objects are freed: Swift releases the Rust object when the last reference goes (ARC, no
// close()), so open/drop cycles must not leak descriptors, and objects the core holds for the app
// (providers, listeners) are released when replaced.
import Foundation
import Microlearn
import XCTest

final class Probe: ConnectivityProvider, @unchecked Sendable {
    let state: NetworkState
    let onDeinit: @Sendable () -> Void
    init(_ state: NetworkState = .unmetered, onDeinit: @escaping @Sendable () -> Void = {}) {
        self.state = state
        self.onDeinit = onDeinit
    }
    deinit { onDeinit() }
    func networkState() throws -> NetworkState { state }
}

final class LeakTests: XCTestCase {
    func testManyOpenDropCyclesLeakNoDescriptors() throws {
        let dir = tempDataDir()
        defer { deleteTree(dir) }
        _ = try Microlearn.open(dataDir: dir).importCards(cards: [newCard(id: "a", title: "A")])
        for _ in 0..<5 { _ = try Microlearn.open(dataDir: dir).status() }
        let before = openFdCount()
        for _ in 0..<300 {
            let core = try Microlearn.open(dataDir: dir)
            XCTAssertEqual(try core.status().cards, 1)
        }
        let after = openFdCount()
        XCTAssertLessThan(after - before, 5, "file descriptors grew from \(before) to \(after)")
    }

    func testDroppingTheLastReferenceReleasesAtOnce() throws {
        let dir = tempDataDir()
        defer { deleteTree(dir) }
        _ = try Microlearn.open(dataDir: dir).importCards(cards: [newCard(id: "a", title: "A")])
        let before = openFdCount()
        var held: [Microlearn] = []
        for _ in 0..<50 {
            let core = try Microlearn.open(dataDir: dir)
            _ = try core.status()
            held.append(core)
        }
        let holding = openFdCount()
        XCTAssertGreaterThan(holding, before, "open handles hold descriptors (\(before) -> \(holding))")
        held.removeAll()
        let after = openFdCount()
        XCTAssertLessThan(after - before, 5, "not released by ARC: \(before) -> \(holding) -> \(after)")
    }

    func testTheDirectoryCanBeDeletedAndRecreatedOnceEveryHandleIsGone() throws {
        let dir = tempDataDir()
        defer { deleteTree(dir) }
        do {
            let core = try Microlearn.open(dataDir: dir)
            _ = try core.importCards(cards: [newCard(id: "a", title: "A")])
        }
        deleteTree(dir)
        XCTAssertEqual(try Microlearn.open(dataDir: dir).status().cards, 0)
    }

    func testAReplacedProviderIsReleased() throws {
        let (core, _) = try openTemp(self)
        let released = Counter()
        do {
            let probe = Probe(onDeinit: { released.add() })
            core.setConnectivityProvider(provider: probe)
        }
        XCTAssertEqual(released.value, 0, "the core holds the provider it was given")
        core.setConnectivityProvider(provider: Probe())
        XCTAssertEqual(released.value, 1, "replacing it releases the old one")
        core.setConnectivityProvider(provider: nil)
    }

    func testDroppingTheCoreReleasesItsProviders() throws {
        let released = Counter()
        do {
            let (core, _) = try openTemp(self)
            for _ in 0..<20 {
                core.setConnectivityProvider(provider: Probe(onDeinit: { released.add() }))
            }
            XCTAssertEqual(released.value, 19)
        }
        XCTAssertEqual(released.value, 20, "the last one goes with the core")
    }

    func testManyCancelTokensAreCreatedAndFreed() {
        weak var last: CancelToken?
        for i in 0..<10_000 {
            let token = CancelToken()
            if i % 2 == 0 { token.cancel() }
            XCTAssertEqual(token.isCancelled(), i % 2 == 0)
            last = token
        }
        XCTAssertNil(last, "a dropped token is freed")
    }
}
