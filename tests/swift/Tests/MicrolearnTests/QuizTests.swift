// The daily quiz from Swift: a session over imported questions, answers with FSRS scheduling,
// progress and mastery, xAPI statements emitted with each answer.
import Foundation
import Microlearn
import XCTest

final class QuizTests: XCTestCase {
    let now = ISO8601DateFormatter().date(from: "2026-03-23T07:30:00Z")!
    var core: Microlearn!

    override func setUpWithError() throws {
        core = try openTemp(self).0
        _ = try core.importCards(cards: (1...6).map { c in
            var card = newCard(id: "quiz-\(c)", title: "Safety card \(c)")
            card.topics = [c <= 3 ? "safety" : "refunds"]
            card.questions = [QuizQuestion(id: "q-\(c)", stem: "Question \(c)?", choices: ["right", "wrong", "also wrong"],
                                           correct: [0], explanation: "Because \(c).")]
            return card
        })
        var settings = try core.quizSettings()
        settings.timeZone = "Europe/Berlin"
        settings.budgetSeconds = 600
        try core.setQuizSettings(settings: settings)
    }

    /// Answers the whole session, the first answer wrong; returns the outcomes.
    func answerAll(_ session: QuizSession) throws -> [AnswerOutcome] {
        try session.items.enumerated().map { i, item in
            try core.answer(questionId: item.questionId, choices: i == 0 ? [1] : [0], responseMs: 4_000,
                            now: now + TimeInterval(10 * i))
        }
    }

    func testADailySessionComesFromTheImportedQuestions() throws {
        XCTAssertEqual(try core.quizSettings().timeZone, "Europe/Berlin")
        let session = try core.dailySession(now: now)
        XCTAssertFalse(session.items.isEmpty)
        XCTAssertTrue(session.items.allSatisfy { $0.kind == .new && !$0.answered })
        XCTAssertTrue(session.items.allSatisfy { $0.choices == ["right", "wrong", "also wrong"] })
        XCTAssertEqual(try core.dailySession(now: now).id, session.id, "the open session is returned again")
    }

    func testAnswersAreScoredAndScheduledAndFinishTheSession() throws {
        let session = try core.dailySession(now: now)
        let outcomes = try answerAll(session)
        for (i, out) in outcomes.enumerated() {
            XCTAssertEqual(out.correct, i != 0)
            XCTAssertEqual(out.correctChoices, [0])
            XCTAssertGreaterThan(out.nextDue, now)
            XCTAssertTrue(out.explanation.hasPrefix("Because"), out.explanation)
        }
        let done = try XCTUnwrap(outcomes.last?.sessionCompleted, "the last answer finishes the session")
        XCTAssertEqual(done.answered, UInt32(session.items.count))
        XCTAssertEqual(done.correct, UInt32(session.items.count - 1))
        XCTAssertTrue(outcomes.dropLast().allSatisfy { $0.sessionCompleted == nil })
    }

    func testProgressAndMasteryFollowTheAnswers() throws {
        let session = try core.dailySession(now: now)
        _ = try answerAll(session)
        let progress = try core.quizProgress(now: now + 3600)
        XCTAssertEqual(progress.today, "2026-03-23")
        XCTAssertEqual(progress.answeredToday, UInt32(session.items.count))
        XCTAssertGreaterThan(progress.pointsTotal, 0)
        XCTAssertTrue(progress.practicedToday)
        let mastery = try core.mastery(now: now + 3600)
        XCTAssertEqual(Set(mastery.topics.map(\.topic)), ["safety", "refunds"])
    }

    func testAnswersEmitXapiStatements() throws {
        let session = try core.dailySession(now: now)
        let before = try core.xapiStatus().depth
        _ = try answerAll(session)
        XCTAssertGreaterThanOrEqual(try core.xapiStatus().depth, before + UInt64(session.items.count))
    }

    func testBadAnswersAreTyped() throws {
        XCTAssertEqual(kind(assertThrows { try core.answer(questionId: "no-such-question", choices: [0], responseMs: 1000, now: now) }), "NotFound")
        let e = assertThrows { try core.answer(questionId: "q-1", choices: [7], responseMs: 1000, now: now) }
        XCTAssertEqual(kind(e), "Quiz")
        XCTAssertTrue(coreMessage(e).contains("q-1"), coreMessage(e))
        XCTAssertEqual(kind(assertThrows { try core.answer(questionId: "q-1", choices: [], responseMs: 1000, now: now) }), "Quiz")
    }

    func testBadSettingsAreTyped() throws {
        var settings = try core.quizSettings()
        settings.timeZone = "Nowhere/Else"
        XCTAssertEqual(kind(assertThrows { try core.setQuizSettings(settings: settings) }), "Quiz")
        XCTAssertEqual(try core.quizSettings().timeZone, "Europe/Berlin", "unchanged")
        XCTAssertEqual(kind(assertThrows { try core.dailySession(budgetSeconds: 0, now: now) }), "Quiz")
    }
}
