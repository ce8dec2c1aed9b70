// The xAPI queue from Swift: validation at enqueue, durability, learner privacy, record helpers.
import Foundation
import Microlearn
import XCTest

let xapiStatement = """
{"actor":{"mbox":"mailto:ada@example.com","objectType":"Agent"},
 "verb":{"id":"http://adlnet.gov/expapi/verbs/experienced","display":{"en-US":"experienced"}},
 "object":{"id":"https://microlearn.example/xapi/cards/refund-1","objectType":"Activity"}}
"""

final class XapiTests: XCTestCase {
    func testEnqueueReturnsAStatementId() throws {
        let (core, _) = try openTemp(self)
        let id = try core.enqueueStatement(json: xapiStatement)
        XCTAssertNotNil(UUID(uuidString: id), id)
        XCTAssertEqual(try core.xapiStatus().depth, 1)
    }

    func testInvalidStatementsAreTypedAndNotQueued() throws {
        let (core, _) = try openTemp(self)
        let bad = assertThrows {
            try core.enqueueStatement(json: #"{"actor":{"mbox":"ada@example.com"},"verb":{"id":"x"},"object":{"id":"y"}}"#)
        }
        XCTAssertEqual(kind(bad), "Xapi")
        XCTAssertTrue(coreMessage(bad).contains("invalid xAPI statement"), coreMessage(bad))
        XCTAssertEqual(kind(assertThrows { try core.enqueueStatement(json: "not json") }), "Xapi")
        XCTAssertEqual(kind(assertThrows { try core.retryDeadLetter(id: "00000000-0000-4000-8000-000000000000") }), "NotFound")
        XCTAssertEqual(try core.xapiStatus().depth, 0)
    }

    func testTheQueueSurvivesReopening() throws {
        let dir = tempDataDir()
        defer { deleteTree(dir) }
        _ = try Microlearn.open(dataDir: dir).enqueueStatement(json: xapiStatement)
        let core = try Microlearn.open(dataDir: dir)
        let status = try core.xapiStatus()
        XCTAssertEqual(status.depth, 1)
        XCTAssertEqual(status.deadLetters, 0)
        XCTAssertEqual(try core.deadLetters(), [])
    }

    func testTheLearnersEmailNeverLeavesUnhashed() throws {
        let (core, _) = try openTemp(self)
        try core.setLearner(learner: LearnerConfig(name: "Ada", email: "ada@example.com", privacy: .mboxSha1sum))
        let actor = try core.learnerActorJson()
        XCTAssertTrue(actor.contains("mbox_sha1sum"), actor)
        XCTAssertFalse(actor.contains("ada@example.com"), actor)
        XCTAssertEqual(kind(assertThrows { try core.setLearner(learner: LearnerConfig(privacy: .account)) }), "Xapi")
    }

    func testSettingsAreValidated() throws {
        let (core, _) = try openTemp(self)
        var settings = try core.xapiSettings()
        XCTAssertEqual(settings.version, .v200)
        settings.activityBase = "https://acme.example/xapi"
        settings.language = "en-US"
        try core.setXapiSettings(settings: settings)
        XCTAssertEqual(try core.xapiSettings().activityBase, "https://acme.example/xapi/")
        settings.activityBase = "not an iri"
        XCTAssertEqual(kind(assertThrows { try core.setXapiSettings(settings: settings) }), "Xapi")
    }

    func testRecordHelpersQueueOneStatementEach() throws {
        let (core, _) = try openTemp(self)
        _ = try core.importCards(cards: [newCard(id: "refund-1", title: "Refunds")])
        let ids = [
            try core.recordCardViewed(cardId: "refund-1", seconds: 42.5),
            try core.recordCardCompleted(cardId: "refund-1"),
            try core.recordSearch(query: "refund without receipt", results: 3),
            try core.recordCardRated(cardId: "refund-1", rating: 4, max: 5),
            try core.recordCardCommented(cardId: "refund-1", text: "Useful \u{2014} thanks \u{0}!"),
            try core.recordCardShared(cardId: "refund-1", channel: "chat"),
        ]
        XCTAssertEqual(Set(ids).count, 6)
        XCTAssertEqual(try core.xapiStatus().depth, 6)
    }
}
