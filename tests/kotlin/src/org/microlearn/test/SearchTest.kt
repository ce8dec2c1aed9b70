// Search from Kotlin: typo-tolerant, prefix, filters, hostile strings, many threads at once.
package org.microlearn.test

import java.nio.charset.CharacterCodingException
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import org.junit.Test
import org.microlearn.CardFormat
import org.microlearn.Microlearn
import org.microlearn.MicrolearnException
import org.microlearn.SearchOptions
import org.microlearn.newCard
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

class SearchTest {
    private fun seed(core: Microlearn) {
        val cards = listOf(
            newCard("refund-1", "Refund without a receipt").copy(summary = "Offer store credit when the customer has no receipt", tags = listOf("refunds")),
            newCard("forklift-1", "Forklift safety check").copy(summary = "Daily checks before driving a forklift", format = CardFormat.VIDEO, tags = listOf("safety")),
            newCard("allergen-1", "Allergen questions").copy(summary = "Answer customers asking about allergens", tags = listOf("food")),
        ) + (1..300).map { newCard("filler-$it", "Shelf labels part $it").copy(summary = "Pricing labels and shelf edge tickets $it") }
        core.importCards(cards)
    }

    @Test
    fun typosPrefixesFiltersAndSnippets() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            seed(core)
            assertEquals("refund-1", core.search("refund receipt").hits.first().cardId)
            assertEquals("refund-1", core.search("refnud reciept").hits.first().cardId, "typos")
            assertEquals("forklift-1", core.search("forkl").hits.first().cardId, "prefix while typing")
            val hit = core.search("forklift", SearchOptions(highlightStart = "<b>", highlightEnd = "</b>")).hits.first()
            assertTrue(hit.snippet.contains("<b>") || hit.title.isNotEmpty(), hit.snippet)
            val videos = core.search("safety", SearchOptions(format = CardFormat.VIDEO)).hits
            assertTrue(videos.isNotEmpty() && videos.all { it.format == CardFormat.VIDEO })
            assertEquals(emptyList(), core.search("safety", SearchOptions(tag = "refunds")).hits.map { it.cardId }.filter { it == "forklift-1" })
            assertTrue(core.search("labels", SearchOptions(limit = 100U)).hits.size in 50..100)
            assertEquals(0, core.search("").hits.size)
        }
        deleteTree(dir)
    }

    @Test
    fun hostileQueriesNeverCrash() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            seed(core)
            val hostile = listOf("\"", "\"refund", "*", "refund*", "NEAR(refund receipt)", "refund OR receipt", "-refund",
                "^refund", "refund:", "(", ")", "{}", "\u0000", "refund\u0000receipt", "\uD83D\uDE00 refund", "a".repeat(10_000),
                "r e f u n d", "ÄÖÜ refund", "رد الأموال", "退款")
            for (q in hostile) {
                try {
                    core.search(q)
                } catch (e: MicrolearnException) {
                    // a typed refusal is fine; anything else fails the test
                }
            }
            assertFailsWith<CharacterCodingException> { core.search("bad \uD800") }
            assertFailsWith<MicrolearnException> { core.search("refund", SearchOptions(limit = 0U)) }
            assertFailsWith<MicrolearnException> { core.search("refund", SearchOptions(limit = 1000U)) }
            assertEquals("refund-1", core.search("refund").hits.first().cardId, "still usable")
        }
        deleteTree(dir)
    }

    @Test
    fun sixteenThreadsSearchWhileAWriterImports() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            seed(core)
            val start = CyclicBarrier(17)
            val pool = Executors.newFixedThreadPool(17)
            val readers = (0 until 16).map {
                pool.submit<Int> {
                    start.await()
                    var found = 0
                    repeat(200) { if (core.search("refund").hits.any { h -> h.cardId == "refund-1" }) found++ }
                    found
                }
            }
            val writer = pool.submit {
                start.await()
                repeat(20) { b -> core.importCards((0 until 50).map { newCard("w-$b-$it", "Written while searching $b $it") }) }
            }
            writer.get(120, TimeUnit.SECONDS)
            assertEquals(16 * 200, readers.sumOf { it.get(120, TimeUnit.SECONDS) })
            pool.shutdown()
            assertTrue(core.search("written while searching").hits.isNotEmpty(), "the index follows imports")
        }
        deleteTree(dir)
    }
}
