// Bad input at the boundary: NUL bytes, strings Swift repairs before the call, huge lists, limits.
import Foundation
import Microlearn
import XCTest

final class BoundaryTests: XCTestCase {
    func testNulAndNonBmpCharactersRoundTripExactly() throws {
        let (core, _) = try openTemp(self)
        let title = "before\u{0}after \u{e9}\u{4e2d}\u{1F600}" // NUL, accent, CJK, emoji
        var card = newCard(id: "nul-1", title: title)
        card.body = String(repeating: "x\u{0}", count: 1000)
        _ = try core.importCards(cards: [card])
        let back = try core.card(id: "nul-1")
        XCTAssertEqual(back.title, title)
        XCTAssertEqual(back.title.unicodeScalars.count, title.unicodeScalars.count)
        XCTAssertEqual(back.body.utf8.count, 2000)
    }

    func testCombiningAndRightToLeftTextIsNotNormalisedAway() throws {
        let (core, _) = try openTemp(self)
        let decomposed = "Cafe\u{301} \u{631}\u{62f} \u{0915}\u{094D}\u{0937} \u{1F469}\u{200D}\u{1F52C}"
        _ = try core.importCards(cards: [newCard(id: "u-1", title: decomposed)])
        let back = try core.card(id: "u-1").title
        XCTAssertEqual(Array(back.unicodeScalars), Array(decomposed.unicodeScalars),
                       "the exact scalars cross, in both directions")
    }

    func testIdsWithNulAreRejected() throws {
        let (core, _) = try openTemp(self)
        _ = try core.importCards(cards: [newCard(id: "nul-1", title: "T")])
        XCTAssertEqual(kind(assertThrows { try core.importCards(cards: [newCard(id: "nul\u{0}id", title: "T")]) }), "Content")
        XCTAssertEqual(kind(assertThrows { try core.card(id: "nul-1\u{0}") }), "NotFound")
        XCTAssertEqual(try core.status().cards, 1)
    }

    func testADataDirWithNulIsInvalidArgument() {
        XCTAssertEqual(kind(assertThrows { try Microlearn.open(dataDir: "a\u{0}b") }), "InvalidArgument")
    }

    func testLoneSurrogatesAreRepairedBySwiftBeforeTheCall() throws {
        // Swift String cannot hold a lone surrogate: decoding one yields U+FFFD, and that is what
        // crosses (Kotlin refuses such a string instead; see docs/ffi.md).
        let (core, _) = try openTemp(self)
        let broken = String(decoding: [0x62, 0x61, 0x64, 0x20, 0xD800] as [UInt16], as: UTF16.self)
        XCTAssertEqual(broken, "bad \u{FFFD}")
        _ = try core.importCards(cards: [newCard(id: "s-1", title: broken)])
        XCTAssertEqual(try core.card(id: "s-1").title, "bad \u{FFFD}")
    }

    func testInvalidUtf8BytesAreRepairedBySwiftBeforeTheCall() throws {
        let (core, _) = try openTemp(self)
        let broken = String(decoding: [0x66, 0x6F, 0xFF, 0xC3] as [UInt8], as: UTF8.self)
        _ = try core.importCards(cards: [newCard(id: "b-1", title: broken)])
        XCTAssertEqual(try core.card(id: "b-1").title, "fo\u{FFFD}\u{FFFD}")
        // The same broken bytes as an id: repaired to U+FFFD, which the id rules refuse.
        XCTAssertEqual(kind(assertThrows { try core.card(id: String(decoding: [0xFF] as [UInt8], as: UTF8.self)) }),
                       "NotFound")
    }

    func testHugeListsCrossInOneCall() throws {
        let (core, _) = try openTemp(self)
        let n = 20_000
        let cards = (0..<n).map { i -> Card in
            var c = newCard(id: "big-\(i)", title: "Card number \(i)")
            c.tags = ["t\(i % 50)"]
            return c
        }
        XCTAssertEqual(try core.importCards(cards: cards).imported, UInt64(n))
        XCTAssertEqual(try core.status().cards, UInt64(n))
        let ids = (0..<n).map { "big-\(n - 1 - $0)" } + (0..<n).map { "absent-\($0)" }
        let back = try core.cards(ids: ids)
        XCTAssertEqual(back.count, n)
        XCTAssertEqual(back.first?.title, "Card number \(n - 1)")
    }

    func testListsOverTheModelsLimitsAreContentErrors() throws {
        let (core, _) = try openTemp(self)
        var tooMany = newCard(id: "x", title: "X")
        tooMany.tags = (0..<10_000).map { "tag\($0)" }
        let e = assertThrows { try core.importCards(cards: [tooMany]) }
        XCTAssertEqual(kind(e), "Content")
        XCTAssertTrue(coreMessage(e).contains("tags"), coreMessage(e))
    }

    func testAFourMiBStringCrossesAndIsCheckedAgainstTheBodyLimit() throws {
        let (core, _) = try openTemp(self)
        var huge = newCard(id: "y", title: "Y")
        huge.body = String(repeating: "z", count: 4 << 20)
        XCTAssertEqual(kind(assertThrows { try core.importCards(cards: [huge]) }), "Content")
        XCTAssertEqual(try core.status().cards, 0)
    }

    func testEmptyListsAreFine() throws {
        let (core, _) = try openTemp(self)
        XCTAssertEqual(try core.importCards(cards: []).imported, 0)
        XCTAssertEqual(try core.cards(ids: []), [])
        XCTAssertEqual(try core.unpinCards(ids: []), 0)
    }
}
