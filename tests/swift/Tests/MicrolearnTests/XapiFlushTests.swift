// xAPI flush from Swift to the real LRS (LaRS on PostgreSQL, started by the suite script), to an
// unreachable port, and to a stalled loopback server (a fake: a real LRS cannot be told to stall).
import Foundation
import Microlearn
import XCTest

final class FixedCredentials: CredentialsProvider, @unchecked Sendable {
    let asked = Locked<String>()
    func credentials(endpoint: String, rejected: Bool) throws -> Credentials? {
        asked.append(endpoint)
        return .basic(user: "key", password: "secret")
    }
}

final class XapiFlushTests: XCTestCase {
    var lrs = ""
    var core: Microlearn!

    override func setUpWithError() throws {
        lrs = try requireEnv("MICROLEARN_TEST_LRS_URL")
        core = try openTemp(self).0
    }

    func statement(_ n: Int) -> String {
        """
        {"actor":{"account":{"homePage":"https://acme.example","name":"learner-\(n)"},"objectType":"Agent"},
         "verb":{"id":"http://adlnet.gov/expapi/verbs/experienced","display":{"en-US":"experienced"}},
         "object":{"id":"https://microlearn.example/xapi/cards/c\(n)","objectType":"Activity"}}
        """
    }

    func lrsHas(_ id: String) -> Bool {
        httpStatus("\(lrs)statements?statementId=\(id)", headers: ["X-Experience-API-Version": "2.0.0"]) == 200
    }

    func testFlushDeliversEveryStatementToTheRealLrs() async throws {
        _ = try core.importCards(cards: [newCard(id: "c1", title: "Card one")])
        let creds = FixedCredentials()
        core.setCredentialsProvider(provider: creds)
        let ids = try (1...3).map { try core.enqueueStatement(json: statement($0)) }
            + [try core.recordCardViewed(cardId: "c1", seconds: 12)]
        let report = try await core.flushXapi(endpoint: LrsEndpoint(url: lrs))
        XCTAssertEqual(report.outcome, .drained, report.lastError ?? "")
        XCTAssertEqual(report.delivered, 4)
        XCTAssertEqual(report.remaining, 0)
        XCTAssertEqual(creds.asked.all.first, lrs, "credentials were asked at request time")
        let status = try core.xapiStatus()
        XCTAssertEqual(status.depth, 0)
        XCTAssertEqual(status.deliveredTotal, 4)
        for id in ids { XCTAssertTrue(lrsHas(id), "the LRS stores \(id)") }
        XCTAssertFalse(lrsHas(UUID().uuidString.lowercased()), "and the check can fail")
    }

    func testASecondFlushSendsNothing() async throws {
        _ = try core.enqueueStatement(json: statement(50))
        _ = try await core.flushXapi(endpoint: LrsEndpoint(url: lrs))
        let again = try await core.flushXapi(endpoint: LrsEndpoint(url: lrs))
        XCTAssertEqual(again.posts, 0)
        XCTAssertEqual(again.delivered, 0)
    }

    func testAnUnreachableLrsBacksOffAndKeepsTheStatements() async throws {
        _ = try core.enqueueStatement(json: statement(9))
        let endpoint = LrsEndpoint(url: "http://127.0.0.1:\(closedPort())/xapi/", timeoutMs: 2_000)
        let report = try await core.flushXapi(endpoint: endpoint, options: FlushOptions(backoffBaseMs: 60_000, maxAttempts: 1))
        XCTAssertEqual(report.outcome, .backingOff)
        XCTAssertEqual(report.remaining, 1)
        XCTAssertNotNil(report.retryAtMs)
        let soon = try await core.flushXapi(endpoint: endpoint)
        XCTAssertEqual(soon.outcome, .notYet, "backoff is persisted")
        XCTAssertFalse((try core.xapiStatus().lastError ?? "").isEmpty)
        // A user's "sync now" ignores the backoff and reaches the real LRS.
        let now = try await core.flushXapi(endpoint: LrsEndpoint(url: lrs), options: FlushOptions(ignoreBackoff: true))
        XCTAssertEqual(now.outcome, .drained, now.lastError ?? "")
    }

    func testABadEndpointIsATypedError() async throws {
        let e = await assertThrowsAsync { try await self.core.flushXapi(endpoint: LrsEndpoint(url: "ftp://nope")) }
        XCTAssertEqual(kind(e), "Xapi")
    }

    func testCancellingAStalledFlushKeepsTheStatementsQueued() async throws {
        let server = StallServer()
        defer { server.stop() }
        _ = try core.enqueueStatement(json: statement(1))
        _ = try core.enqueueStatement(json: statement(2))
        let token = CancelToken()
        Thread {
            _ = server.accepted.wait(timeout: .now() + 30)
            token.cancel()
        }.start()
        let core = self.core!
        let e = await assertThrowsAsync {
            try await withDeadline(20) { try await core.flushXapi(endpoint: LrsEndpoint(url: server.base), cancel: token) }
        }
        XCTAssertEqual(kind(e), "Cancelled", "\(String(describing: e))")
        XCTAssertEqual(try core.xapiStatus().depth, 2, "nothing is lost by cancelling")
        let report = try await core.flushXapi(endpoint: LrsEndpoint(url: lrs), options: FlushOptions(ignoreBackoff: true))
        XCTAssertEqual(report.delivered, 2, "the next flush delivers them: \(report.lastError ?? "")")
    }

    func testConcurrentFlushesDeliverEachStatementExactlyOnce() async throws {
        let core = self.core!, lrs = self.lrs
        let ids = try (1...60).map { try core.enqueueStatement(json: statement(100 + $0)) }
        let delivered = try await withThrowingTaskGroup(of: UInt64.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await core.flushXapi(endpoint: LrsEndpoint(url: lrs),
                                             options: FlushOptions(maxBatchStatements: 7, ignoreBackoff: true)).delivered
                }
            }
            var total: UInt64 = 0
            for try await d in group { total += d }
            return total
        }
        XCTAssertEqual(delivered, 60)
        XCTAssertEqual(try core.xapiStatus().depth, 0)
        for id in ids { XCTAssertTrue(lrsHas(id), "the LRS stores \(id)") }
    }
}
