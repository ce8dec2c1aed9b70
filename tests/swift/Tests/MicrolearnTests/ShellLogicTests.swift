// The hand-written Swift adapters' pure logic (ios/Sources/Microlearn: NotificationDiff,
// WorkOutcome, Backoff, ProviderLogic), compiled on Linux with the package; the Apple-framework
// halves are fenced with #if canImport and not compiled here.
import Foundation
import Microlearn
import XCTest

final class WorkOutcomeTests: XCTestCase {
    func testBackgroundWorkRetriesOnlyWhatCanSucceedLater() {
        XCTAssertEqual(WorkOutcome(for: MicrolearnError.Content(message: "http 503")), .retry)
        XCTAssertEqual(WorkOutcome(for: MicrolearnError.Network(message: "timed out")), .retry)
        XCTAssertEqual(WorkOutcome(for: MicrolearnError.Provider(message: "keychain locked")), .retry)
        XCTAssertEqual(WorkOutcome(for: MicrolearnError.Io(message: "disk")), .retry)
        XCTAssertEqual(WorkOutcome(for: MicrolearnError.Store(message: "busy")), .retry)
        XCTAssertEqual(WorkOutcome(for: MicrolearnError.Xapi(message: "\"ftp://x\" is not an http(s) URL")), .fail)
        XCTAssertEqual(WorkOutcome(for: MicrolearnError.InvalidArgument(message: "bad url")), .fail)
        XCTAssertEqual(WorkOutcome(for: MicrolearnError.Closed(message: "shut down")), .fail)
        XCTAssertEqual(WorkOutcome(for: MicrolearnError.Cancelled(message: "sync cancelled")), .stop)
    }

    func testTaskCancellationStopsAndForeignErrorsFail() {
        XCTAssertEqual(WorkOutcome(for: CancellationError()), .stop)
        XCTAssertEqual(WorkOutcome(for: ProviderError.Failed(reason: "x")), .fail)
        XCTAssertEqual(WorkOutcome(for: TimedOut()), .fail)
    }

    func testBackoffDoublesFromThirtySecondsAndIsCapped() {
        let b = Backoff()
        XCTAssertEqual(b.delay(afterFailures: 0, random: 0), 0)
        XCTAssertEqual((1...5).map { b.delay(afterFailures: $0, random: 0) }, [30, 60, 120, 240, 480])
        XCTAssertEqual(b.delay(afterFailures: 20, random: 0), 5 * 3600, "capped at 5 h")
        XCTAssertEqual(b.delay(afterFailures: Int.max, random: 0), 5 * 3600, "no overflow")
    }

    func testBackoffJitterStaysWithinItsFraction() {
        let b = Backoff(base: 10, cap: 1000, jitter: 0.2)
        XCTAssertEqual(b.delay(afterFailures: 1, random: 0), 10)
        XCTAssertEqual(b.delay(afterFailures: 1, random: 0.5), 11, accuracy: 1e-9)
        for _ in 0..<1000 {
            let d = b.delay(afterFailures: 3)
            XCTAssertTrue((40...48).contains(d), "\(d)")
        }
        XCTAssertEqual(Backoff(base: -5, cap: -1, jitter: 7), Backoff(base: 0, cap: 0, jitter: 1), "clamped")
    }

    func testNextRunUsesBackoffOnlyForRetries() {
        let b = Backoff()
        let now = Date(timeIntervalSince1970: 1_000_000)
        let hour: TimeInterval = 3600
        XCTAssertEqual(b.nextRun(after: .retry, failures: 2, interval: hour, now: now, random: 0), now + 60)
        XCTAssertEqual(b.nextRun(after: .retry, failures: 30, interval: hour, now: now, random: 0), now + hour,
                       "never later than the regular interval")
        XCTAssertEqual(b.nextRun(after: nil, failures: 0, interval: hour, now: now), now + hour)
        XCTAssertEqual(b.nextRun(after: .stop, failures: 3, interval: hour, now: now), now + hour)
        XCTAssertEqual(b.nextRun(after: .fail, failures: 3, interval: hour, now: now), now + hour)
    }
}

final class NotificationDiffTests: XCTestCase {
    let now = Date(timeIntervalSince1970: 1_000_000)
    func item(_ id: String, _ offset: TimeInterval, title: String = "t") -> PlannedNotification {
        PlannedNotification(id: id, fireDate: now + offset, title: title, body: "b")
    }

    func testFirstApplyAddsEverythingInTimeOrderAndSkipsThePast() {
        let plan = [item("b", 2), item("a", 1), item("old", -120)]
        let d = NotificationDiff.compute(plan: plan, pending: [:], capacity: 10, now: now)
        XCTAssertEqual(d.add.map(\.id), ["a", "b"])
        XCTAssertEqual(d.remove, [])
        XCTAssertEqual(d.keep, [])
    }

    func testReapplyingChangesNothingAndChangesAreReplaced() {
        let plan = [item("a", 1), item("b", 2), item("c", 3)]
        let pending = Dictionary(uniqueKeysWithValues: plan.map { ($0.id, $0.fingerprint) })
        let same = NotificationDiff.compute(plan: plan, pending: pending, capacity: 10, now: now)
        XCTAssertEqual(same.keep, ["a", "b", "c"])
        XCTAssertEqual(same.add, [])
        XCTAssertEqual(same.remove, [])
        let changed = [item("a", 1, title: "new"), item("c", 3), item("d", 4)]
        let d = NotificationDiff.compute(plan: changed, pending: pending, capacity: 10, now: now)
        XCTAssertEqual(d.remove, ["a", "b"], "a changed, b is gone")
        XCTAssertEqual(d.add.map(\.id), ["a", "d"])
        XCTAssertEqual(d.keep, ["c"])
    }

    func testCapacityKeepsTheEarliest() {
        let plan = (0..<100).map { item("n\($0)", TimeInterval(1000 * (100 - $0))) }
        let d = NotificationDiff.compute(plan: plan, pending: [:], capacity: 64, now: now)
        XCTAssertEqual(d.add.count, 64)
        XCTAssertEqual(d.add.first?.id, "n99")
        XCTAssertTrue(d.add.allSatisfy { $0.fireDate <= now + 64_000 })
        XCTAssertEqual(NotificationDiff.compute(plan: plan, pending: [:], capacity: -3, now: now).add, [])
    }

    func testFingerprintIsDeterministicAndSeesEveryVisibleField() {
        let a = PlannedNotification(id: "x", fireDate: now, title: "T", body: "B", deepLink: "microlearn://c/1")
        XCTAssertEqual(a.fingerprint, PlannedNotification(id: "other", fireDate: now, title: "T", body: "B",
                                                          deepLink: "microlearn://c/1").fingerprint)
        XCTAssertNotEqual(a.fingerprint, PlannedNotification(id: "x", fireDate: now + 1, title: "T", body: "B",
                                                             deepLink: "microlearn://c/1").fingerprint)
        XCTAssertNotEqual(a.fingerprint, PlannedNotification(id: "x", fireDate: now, title: "T", body: "B").fingerprint)
        XCTAssertNotEqual(a.fingerprint, PlannedNotification(id: "x", fireDate: now, title: "T2", body: "B",
                                                             deepLink: "microlearn://c/1").fingerprint)
    }
}

final class ProviderLogicTests: XCTestCase {
    func testNetworkPathsMapToTheCoresStates() {
        XCTAssertEqual(NetworkState(satisfied: false, expensive: false, constrained: false), .offline)
        XCTAssertEqual(NetworkState(satisfied: false, expensive: true, constrained: true), .offline)
        XCTAssertEqual(NetworkState(satisfied: true, expensive: true, constrained: false), .metered)
        XCTAssertEqual(NetworkState(satisfied: true, expensive: false, constrained: true), .metered)
        XCTAssertEqual(NetworkState(satisfied: true, expensive: false, constrained: false), .unmetered)
    }

    func testKeychainItemsMapToCredentials() throws {
        XCTAssertEqual(try CredentialsItem.credentials(account: "bearer", secret: Data("tok".utf8)), .bearer(token: "tok"))
        XCTAssertEqual(try CredentialsItem.credentials(account: "key", secret: Data("s\u{e9}cret".utf8)),
                       .basic(user: "key", password: "s\u{e9}cret"))
        XCTAssertThrowsError(try CredentialsItem.credentials(account: "key", secret: Data([0xFF, 0xFE]))) {
            XCTAssertEqual($0 as? ProviderError, .Failed(reason: "the stored secret for key is not UTF-8"))
        }
        XCTAssertEqual(try CredentialsItem.host(ofEndpoint: "https://lrs.example:8443/xapi/"), "lrs.example")
        XCTAssertThrowsError(try CredentialsItem.host(ofEndpoint: "not a url"))
    }
}
