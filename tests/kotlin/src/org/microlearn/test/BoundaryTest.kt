// Bad input at the boundary: NUL bytes, invalid UTF-16, huge lists, leaks of native handles.
package org.microlearn.test

import java.nio.charset.CharacterCodingException
import org.junit.Test
import org.microlearn.Microlearn
import org.microlearn.MicrolearnException
import org.microlearn.newCard
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

class BoundaryTest {
    @Test
    fun nulBytesSurviveInTextAndAreRejectedInIds() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            val title = "before\u0000after \u00e9\u4e2d\uD83D\uDE00" // NUL, accents, CJK, emoji
            core.importCards(listOf(newCard("nul-1", title).copy(body = "x\u0000".repeat(1000))))
            val back = core.card("nul-1")
            assertEquals(title, back.title, "NUL and non-BMP characters round-trip exactly")
            assertEquals(2000, back.body.length)
            assertFailsWith<MicrolearnException.Content> {
                core.importCards(listOf(newCard("nul\u0000id", "T")))
            }
            assertFailsWith<MicrolearnException.NotFound> { core.card("nul-1\u0000") }
            assertFailsWith<MicrolearnException.InvalidArgument> { Microlearn.open("a\u0000b") }
        }
        deleteTree(dir)
    }

    @Test
    fun loneSurrogatesAreRefusedBeforeTheCallAndTheCoreStaysUsable() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            // Not valid UTF-16, so not encodable as UTF-8: the generated code refuses to encode it
            // (a Java CharacterCodingException), nothing reaches Rust, nothing is stored.
            assertFailsWith<CharacterCodingException> {
                core.importCards(listOf(newCard("s-1", "bad \uD800 surrogate")))
            }
            assertFailsWith<CharacterCodingException> { core.card("\uDC00") }
            assertEquals(0UL, core.status().cards)
            core.importCards(listOf(newCard("s-1", "fine")))
            assertEquals("fine", core.card("s-1").title)
        }
        deleteTree(dir)
    }

    @Test
    fun hugeListsCrossInOneCall() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            val n = 20_000
            val cards = List(n) { i -> newCard("big-$i", "Card number $i").copy(tags = listOf("t${i % 50}")) }
            assertEquals(n.toULong(), core.importCards(cards).imported)
            assertEquals(n.toULong(), core.status().cards)
            val ids = List(n) { i -> "big-${n - 1 - i}" } + List(n) { "absent-$it" }
            val back = core.cards(ids)
            assertEquals(n, back.size)
            assertEquals("Card number ${n - 1}", back.first().title)
            // A list over the card model's limits is a typed error, not a crash.
            val tooMany = newCard("x", "X").copy(tags = List(10_000) { "tag$it" })
            val e = assertFailsWith<MicrolearnException.Content> { core.importCards(listOf(tooMany)) }
            assertTrue(e.message!!.contains("tags"), e.message)
            // A 4 MiB string crosses and is checked against the body limit.
            val huge = newCard("y", "Y").copy(body = "z".repeat(4 shl 20))
            assertFailsWith<MicrolearnException.Content> { core.importCards(listOf(huge)) }
        }
        deleteTree(dir)
    }

    @Test
    fun openingAndClosingManyTimesLeaksNoHandles() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { it.importCards(listOf(newCard("a", "A"))) }
        // Warm up (JNA, class loading), then measure open descriptors around 200 open/close cycles.
        repeat(5) { Microlearn.open(dir.path).use { core -> core.status() } }
        val before = openFdCount()
        repeat(200) {
            Microlearn.open(dir.path).use { core ->
                assertEquals(1UL, core.status().cards)
            }
        }
        val after = openFdCount()
        assertTrue(after - before < 5, "file descriptors grew from $before to $after")
        // With every handle closed, nothing holds the database: it can be deleted and recreated.
        deleteTree(dir)
        Microlearn.open(dir.path).use { core -> assertEquals(0UL, core.status().cards) }
        deleteTree(dir)
    }

    @Test
    fun handlesDroppedWithoutCloseAreFreedByTheCleaner() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { it.importCards(listOf(newCard("a", "A"))) }
        repeat(3) { Microlearn.open(dir.path).use { core -> core.status() } }
        val before = openFdCount()
        // Forgotten handles (no close()): the generated code registers each with a Cleaner, so
        // garbage collection frees the Rust object and its SQLite connections.
        fun leakSome() = repeat(50) { Microlearn.open(dir.path).status() }
        leakSome()
        val leaked = openFdCount()
        assertTrue(leaked > before, "open handles hold descriptors ($before -> $leaked)")
        var after = leaked
        for (attempt in 0 until 50) {
            System.gc()
            Thread.sleep(100)
            after = openFdCount()
            if (after - before < 5) break
        }
        assertTrue(after - before < 5, "descriptors not released after GC: $before -> $leaked -> $after")
        deleteTree(dir)
    }
}
