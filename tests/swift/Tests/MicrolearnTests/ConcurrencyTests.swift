// Many threads at once, and shutdown racing with use.
import Foundation
import Microlearn
import XCTest

final class ConcurrencyTests: XCTestCase {
    func testSixteenThreadsReadAndWriteAtOnce() throws {
        let (core, _) = try openTemp(self)
        _ = try core.importCards(cards: (0..<100).map { newCard(id: "seed-\($0)", title: "Seed \($0)") })
        let reads = Counter()
        let wrong = Locked<String>()
        XCTAssertTrue(onThreads(16) { t in
            for i in 0..<50 {
                do {
                    _ = try core.importCards(cards: [newCard(id: "t\(t)-\(i)", title: "Thread \(t) card \(i)")])
                    if try core.card(id: "t\(t)-\(i)").title != "Thread \(t) card \(i)" { wrong.append("own \(t) \(i)") }
                    if try core.card(id: "seed-\(i % 100)").title != "Seed \(i % 100)" { wrong.append("seed \(i)") }
                    if try core.status().cards < 100 { wrong.append("status") }
                    reads.add(3)
                } catch {
                    wrong.append("\(error)")
                }
            }
        })
        XCTAssertEqual(wrong.all, [])
        XCTAssertEqual(reads.value, 16 * 150)
        XCTAssertEqual(try core.status().cards, UInt64(100 + 16 * 50))
    }

    func testSixteenTasksInATaskGroup() async throws {
        let (core, _) = try openTemp(self)
        _ = try core.importCards(cards: (0..<200).map { newCard(id: "c-\($0)", title: "Refund step \($0)") })
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for t in 0..<16 {
                group.addTask {
                    var n = 0
                    for i in 0..<20 {
                        if t % 4 == 0 {
                            _ = try core.importCards(cards: [newCard(id: "g\(t)-\(i)", title: "Group \(t) \(i)")])
                        }
                        n += try core.search(query: "refund step").hits.isEmpty ? 0 : 1
                    }
                    return n
                }
            }
            var all: [Int] = []
            for try await n in group { all.append(n) }
            return all
        }
        XCTAssertEqual(counts.count, 16)
        XCTAssertEqual(counts.reduce(0, +), 16 * 20)
        XCTAssertEqual(try core.status().cards, 200 + 4 * 20)
    }

    func testShutdownRacingWithCallsGivesOnlyTypedOutcomes() throws {
        let (core, _) = try openTemp(self)
        _ = try core.importCards(cards: [newCard(id: "a", title: "A")])
        let ok = Counter(), closed = Counter(), other = Counter()
        let ready = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for _ in 0..<8 {
            group.enter()
            Thread {
                ready.signal()
                for _ in 0..<2_000 {
                    do {
                        _ = try core.card(id: "a")
                        ok.add()
                    } catch MicrolearnError.Closed {
                        closed.add()
                    } catch {
                        other.add()
                    }
                }
                group.leave()
            }.start()
        }
        for _ in 0..<8 { ready.wait() }
        core.shutdown()
        XCTAssertEqual(group.wait(timeout: .now() + 120), .success)
        XCTAssertEqual(other.value, 0, "only success or Closed while shutting down")
        XCTAssertEqual(ok.value + closed.value, 16_000)
        XCTAssertGreaterThan(closed.value, 0, "calls after shutdown fail with Closed")
    }

    func testDroppingAHandleWhileOtherThreadsUseItIsSafe() throws {
        let dir = tempDataDir()
        defer { deleteTree(dir) }
        let before = openFdCount()
        for _ in 0..<20 {
            var core: Microlearn? = try Microlearn.open(dataDir: dir)
            let shared = core!
            let unexpected = Counter()
            let group = DispatchGroup()
            for _ in 0..<4 {
                group.enter()
                Thread { [shared] in
                    for _ in 0..<200 {
                        do { _ = try shared.status() } catch { unexpected.add() }
                    }
                    group.leave()
                }.start()
            }
            core = nil // the threads' references keep it alive until they are done
            XCTAssertNil(core)
            XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
            XCTAssertEqual(unexpected.value, 0)
        }
        Thread.sleep(forTimeInterval: 0.2) // threads' last references are gone
        XCTAssertLessThan(openFdCount() - before, 5, "every handle was freed")
    }

    func testACancelTokenIsSharedAcrossThreads() {
        let token = CancelToken()
        XCTAssertFalse(token.isCancelled())
        XCTAssertTrue(onThreads(16) { _ in token.cancel() })
        XCTAssertTrue(token.isCancelled())
        token.cancel()
        XCTAssertTrue(token.isCancelled(), "cancel is idempotent")
    }
}
