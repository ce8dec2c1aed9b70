// Search from Swift: typo-tolerant, prefix, filters, hostile strings, many threads at once.
import Foundation
import Microlearn
import XCTest

func seedSearch(_ core: Microlearn) throws {
    var refund = newCard(id: "refund-1", title: "Refund without a receipt")
    refund.summary = "Offer store credit when the customer has no receipt"
    refund.tags = ["refunds"]
    var forklift = newCard(id: "forklift-1", title: "Forklift safety check")
    forklift.summary = "Daily checks before driving a forklift"
    forklift.format = .video
    forklift.tags = ["safety"]
    var allergen = newCard(id: "allergen-1", title: "Allergen questions")
    allergen.summary = "Answer customers asking about allergens"
    allergen.tags = ["food"]
    let filler = (1...300).map { i -> Card in
        var c = newCard(id: "filler-\(i)", title: "Shelf labels part \(i)")
        c.summary = "Pricing labels and shelf edge tickets \(i)"
        return c
    }
    _ = try core.importCards(cards: [refund, forklift, allergen] + filler)
}

final class SearchTests: XCTestCase {
    var core: Microlearn!

    override func setUpWithError() throws {
        core = try openTemp(self).0
        try seedSearch(core)
    }

    func testExactWordsFindTheCard() throws {
        XCTAssertEqual(try core.search(query: "refund receipt").hits.first?.cardId, "refund-1")
    }

    func testTyposAreTolerated() throws {
        XCTAssertEqual(try core.search(query: "refnud reciept").hits.first?.cardId, "refund-1")
        XCTAssertEqual(try core.search(query: "forklfit").hits.first?.cardId, "forklift-1")
    }

    func testPrefixWhileTyping() throws {
        XCTAssertEqual(try core.search(query: "forkl").hits.first?.cardId, "forklift-1")
        XCTAssertEqual(try core.search(query: "allerg").hits.first?.cardId, "allergen-1")
    }

    func testHighlightsAndFormatFilter() throws {
        let hit = try XCTUnwrap(core.search(query: "forklift",
                                            options: SearchOptions(highlightStart: "<b>", highlightEnd: "</b>")).hits.first)
        XCTAssertTrue(hit.snippet.contains("<b>") || !hit.title.isEmpty, hit.snippet)
        let videos = try core.search(query: "safety", options: SearchOptions(format: .video)).hits
        XCTAssertFalse(videos.isEmpty)
        XCTAssertTrue(videos.allSatisfy { $0.format == .video })
    }

    func testTagFilterAndLimit() throws {
        let refundsOnly = try core.search(query: "safety", options: SearchOptions(tag: "refunds")).hits
        XCTAssertFalse(refundsOnly.contains { $0.cardId == "forklift-1" })
        let many = try core.search(query: "labels", options: SearchOptions(limit: 100)).hits
        XCTAssertTrue((50...100).contains(many.count), "\(many.count)")
        XCTAssertEqual(try core.search(query: "labels", options: SearchOptions(limit: 3)).hits.count, 3)
    }

    func testEmptyQueryHasNoHits() throws {
        XCTAssertEqual(try core.search(query: "").hits.count, 0)
        XCTAssertEqual(try core.search(query: "   ").hits.count, 0)
    }

    func testHostileQueriesNeverCrash() throws {
        let hostile = ["\"", "\"refund", "*", "refund*", "NEAR(refund receipt)", "refund OR receipt", "-refund",
                       "^refund", "refund:", "(", ")", "{}", "\u{0}", "refund\u{0}receipt", "\u{1F600} refund",
                       String(repeating: "a", count: 10_000), "r e f u n d", "ÄÖÜ refund", "رد الأموال", "退款",
                       String(decoding: [0xD800] as [UInt16], as: UTF16.self), "e\u{301}\u{301}\u{301}"]
        for q in hostile {
            do {
                _ = try core.search(query: q)
            } catch let e as MicrolearnError {
                XCTAssertFalse(coreMessage(e).isEmpty, "a typed refusal is fine: \(q)")
            }
        }
        XCTAssertEqual(try core.search(query: "refund").hits.first?.cardId, "refund-1", "still usable")
    }

    func testBadLimitsAreTyped() {
        XCTAssertNotNil(assertThrows { try core.search(query: "refund", options: SearchOptions(limit: 0)) } as? MicrolearnError)
        XCTAssertNotNil(assertThrows { try core.search(query: "refund", options: SearchOptions(limit: 1000)) } as? MicrolearnError)
    }

    func testSixteenThreadsSearchWhileAWriterImports() throws {
        let found = Counter()
        let errors = Locked<String>()
        let core = self.core!
        XCTAssertTrue(onThreads(17) { t in
            do {
                if t == 16 {
                    for b in 0..<20 {
                        _ = try core.importCards(cards: (0..<50).map { newCard(id: "w-\(b)-\($0)", title: "Written while searching \(b) \($0)") })
                    }
                } else {
                    for _ in 0..<200 where try core.search(query: "refund").hits.contains(where: { $0.cardId == "refund-1" }) {
                        found.add()
                    }
                }
            } catch {
                errors.append("\(error)")
            }
        })
        XCTAssertEqual(errors.all, [])
        XCTAssertEqual(found.value, 16 * 200)
        XCTAssertFalse(try core.search(query: "written while searching").hits.isEmpty, "the index follows imports")
    }
}
