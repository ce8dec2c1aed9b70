// The Microlearn object end to end from Kotlin: open, import, read, status, reopen, close.
package org.microlearn.test

import org.junit.Test
import org.microlearn.Card
import org.microlearn.CardFormat
import org.microlearn.Microlearn
import org.microlearn.MicrolearnException
import org.microlearn.QuizQuestion
import org.microlearn.coreVersion
import org.microlearn.newCard
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue

class CoreTest {
    private val jsonl = """
        {"id":"refund-1","title":"Refund without a receipt","tags":["Refunds"],"duration_seconds":90}

        {"id":"greet-1","title":"Greeting a customer","format":"video"}
    """.trimIndent()

    @Test
    fun versionIsTheCrateVersion() {
        assertTrue(Regex("""\d+\.\d+\.\d+""").matches(coreVersion()), coreVersion())
    }

    @Test
    fun importReadStatusAndReopen() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            val report = core.importJsonl(jsonl)
            assertEquals(2UL, report.imported)
            val card = core.card("refund-1")
            assertEquals("Refund without a receipt", card.title)
            assertEquals(listOf("Refunds"), card.tags)
            assertEquals(90U, card.durationSeconds)
            assertEquals(CardFormat.VIDEO, core.card("greet-1").format)
            val status = core.status()
            assertEquals(2UL, status.cards)
            assertEquals(dir.path, status.dataDir)
            assertTrue(status.databaseBytes > 0UL)
        }
        Microlearn.open(dir.path).use { core ->
            assertEquals(2UL, core.status().cards, "cards survive closing and reopening")
            val both = core.cards(listOf("greet-1", "missing", "refund-1"))
            assertEquals(listOf("greet-1", "refund-1"), both.map { it.id })
        }
        deleteTree(dir)
    }

    @Test
    fun recordsRoundTripEveryField() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            val card: Card = newCard("q-1", "Quiz: refunds").copy(
                summary = "Short", objective = "Know the rule", body = "# Body\ntext",
                format = CardFormat.QUIZ, topics = listOf("refunds"), tags = listOf("a", "b"),
                locale = "de-CH",
                questions = listOf(QuizQuestion("q-1.1", "Receipt needed?", listOf("yes", "no"),
                    listOf(1U), "Store credit instead.")),
                related = listOf("refund-1"),
                createdAt = java.time.Instant.parse("2026-01-02T03:04:05Z"),
            )
            core.importCards(listOf(card))
            assertEquals(card, core.card("q-1"))
        }
        deleteTree(dir)
    }

    @Test
    fun errorsAreTypedWithTheCoresMessage() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            val nf = assertFailsWith<MicrolearnException.NotFound> { core.card("nope") }
            assertEquals("not found: card \"nope\"", nf.message)
            val bad = assertFailsWith<MicrolearnException.Content> {
                core.importJsonl("{\"id\":\"a\",\"title\":\"A\"}\n{\"id\":\"b\",\"title\":\"\"}\n")
            }
            assertTrue(bad.message!!.contains("line 2"), bad.message)
            assertEquals(0UL, core.status().cards, "a failed import changes nothing")
            val invalid = assertFailsWith<MicrolearnException.Content> {
                core.importCards(listOf(newCard("bad id with spaces", "T")))
            }
            assertTrue(invalid.message!!.contains("bad id with spaces"), invalid.message)
            // Every typed error is also catchable as the one base class.
            assertFailsWith<MicrolearnException> { core.card("") }
        }
        deleteTree(dir)
    }

    @Test
    fun openOnAnUnusablePathIsATypedError() {
        val file = java.io.File.createTempFile("ml-not-a-dir", ".txt")
        try {
            assertFailsWith<MicrolearnException.Store> { Microlearn.open(file.path + "/sub") }
            assertFailsWith<MicrolearnException.InvalidArgument> { Microlearn.open("") }
        } finally {
            file.delete()
        }
    }

    @Test
    fun shutdownEndsTheCoreAndLaterCallsFailTyped() {
        val dir = tempDataDir()
        val core = Microlearn.open(dir.path)
        core.importJsonl(jsonl)
        assertTrue(core.isOpen())
        core.shutdown()
        core.shutdown() // idempotent
        assertFalse(core.isOpen())
        val closed = assertFailsWith<MicrolearnException.Closed> { core.status() }
        assertTrue(closed.message!!.contains("shut down"), closed.message)
        assertFailsWith<MicrolearnException.Closed> { core.card("refund-1") }
        core.close()
        // After close() the handle itself is gone: Kotlin refuses the call before it reaches Rust.
        assertFailsWith<IllegalStateException> { core.status() }
        core.close() // idempotent too
        deleteTree(dir)
    }
}
