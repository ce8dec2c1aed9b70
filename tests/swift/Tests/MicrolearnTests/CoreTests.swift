// The Microlearn object end to end from Swift: open, import, read, status, reopen, shutdown,
// typed errors as Swift Errors.
import Foundation
import Microlearn
import XCTest

let sampleJsonl = """
{"id":"refund-1","title":"Refund without a receipt","tags":["Refunds"],"duration_seconds":90}

{"id":"greet-1","title":"Greeting a customer","format":"video"}
"""

final class CoreTests: XCTestCase {
    func testVersionIsTheCrateVersion() {
        let v = coreVersion()
        XCTAssertNotNil(v.range(of: #"^\d+\.\d+\.\d+"#, options: .regularExpression), v)
    }

    func testImportReadAndStatus() throws {
        let (core, dir) = try openTemp(self)
        let report = try core.importJsonl(jsonl: sampleJsonl)
        XCTAssertEqual(report.imported, 2)
        let card = try core.card(id: "refund-1")
        XCTAssertEqual(card.title, "Refund without a receipt")
        XCTAssertEqual(card.tags, ["Refunds"])
        XCTAssertEqual(card.durationSeconds, 90)
        XCTAssertEqual(try core.card(id: "greet-1").format, .video)
        let status = try core.status()
        XCTAssertEqual(status.cards, 2)
        XCTAssertEqual(status.dataDir, dir)
        XCTAssertGreaterThan(status.databaseBytes, 0)
    }

    func testCardsSurviveReopeningAndBatchReadKeepsOrder() throws {
        let dir = tempDataDir()
        defer { deleteTree(dir) }
        do {
            let core = try Microlearn.open(dataDir: dir)
            _ = try core.importJsonl(jsonl: sampleJsonl)
        }
        let core = try Microlearn.open(dataDir: dir)
        XCTAssertEqual(try core.status().cards, 2, "cards survive dropping and reopening")
        let both = try core.cards(ids: ["greet-1", "missing", "refund-1"])
        XCTAssertEqual(both.map(\.id), ["greet-1", "refund-1"])
    }

    func testRecordsRoundTripEveryField() throws {
        let (core, _) = try openTemp(self)
        var card = newCard(id: "q-1", title: "Quiz: refunds")
        card.summary = "Short"
        card.objective = "Know the rule"
        card.body = "# Body\ntext"
        card.format = .quiz
        card.topics = ["refunds"]
        card.tags = ["a", "b"]
        card.locale = "de-CH"
        card.questions = [QuizQuestion(id: "q-1.1", stem: "Receipt needed?", choices: ["yes", "no"],
                                       correct: [1], explanation: "Store credit instead.")]
        card.related = ["refund-1"]
        card.createdAt = Date(timeIntervalSince1970: 1_767_323_045) // 2026-01-02T03:04:05Z
        _ = try core.importCards(cards: [card])
        XCTAssertEqual(try core.card(id: "q-1"), card)
    }

    func testNotFoundIsATypedErrorWithTheCoresMessage() throws {
        let (core, _) = try openTemp(self)
        let e = assertThrows { try core.card(id: "nope") }
        XCTAssertEqual(e as? MicrolearnError, .NotFound(message: "not found: card \"nope\""))
        // A Swift Error: usable through the protocol and LocalizedError like any other.
        XCTAssertTrue((e?.localizedDescription ?? "").contains("nope"), e?.localizedDescription ?? "")
    }

    func testAFailedImportNamesTheLineAndChangesNothing() throws {
        let (core, _) = try openTemp(self)
        let e = assertThrows {
            _ = try core.importJsonl(jsonl: "{\"id\":\"a\",\"title\":\"A\"}\n{\"id\":\"b\",\"title\":\"\"}\n")
        }
        XCTAssertEqual(kind(e), "Content")
        XCTAssertTrue(coreMessage(e).contains("line 2"), coreMessage(e))
        XCTAssertEqual(try core.status().cards, 0, "a failed import changes nothing")
    }

    func testInvalidIdsAreContentErrors() throws {
        let (core, _) = try openTemp(self)
        let e = assertThrows { try core.importCards(cards: [newCard(id: "bad id with spaces", title: "T")]) }
        XCTAssertEqual(kind(e), "Content")
        XCTAssertTrue(coreMessage(e).contains("bad id with spaces"), coreMessage(e))
        // Every typed error is a MicrolearnError, catchable with one `catch let e as MicrolearnError`.
        do {
            _ = try core.card(id: "")
            XCTFail("empty id accepted")
        } catch let error as MicrolearnError {
            XCTAssertFalse(coreMessage(error).isEmpty)
        }
    }

    func testOpenOnAnUnusablePathIsATypedError() throws {
        let dir = tempDataDir()
        defer { deleteTree(dir) }
        let file = (dir as NSString).appendingPathComponent("not-a-dir.txt")
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        XCTAssertEqual(kind(assertThrows { try Microlearn.open(dataDir: file + "/sub") }), "Store")
        XCTAssertEqual(kind(assertThrows { try Microlearn.open(dataDir: "") }), "InvalidArgument")
    }

    func testShutdownEndsTheCoreAndLaterCallsFailTyped() throws {
        let (core, _) = try openTemp(self)
        _ = try core.importJsonl(jsonl: sampleJsonl)
        XCTAssertTrue(core.isOpen())
        core.shutdown()
        core.shutdown() // idempotent
        XCTAssertFalse(core.isOpen())
        let e = assertThrows { try core.status() }
        XCTAssertEqual(kind(e), "Closed")
        XCTAssertTrue(coreMessage(e).contains("shut down"), coreMessage(e))
        XCTAssertEqual(kind(assertThrows { try core.card(id: "refund-1") }), "Closed")
        XCTAssertEqual(kind(assertThrows { try core.search(query: "refund") }), "Closed")
    }

    func testTwoHandlesShareOneDirectory() throws {
        let (a, dir) = try openTemp(self)
        let b = try Microlearn.open(dataDir: dir)
        _ = try a.importJsonl(jsonl: sampleJsonl)
        XCTAssertEqual(try b.card(id: "greet-1").title, "Greeting a customer", "written by a, read by b")
    }
}
