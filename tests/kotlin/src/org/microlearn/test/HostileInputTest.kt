// Hostile input through the FFI (issue 14): huge strings, invalid UTF-16, enormous and
// "negative" (wrapped unsigned) numbers, and shutdown while a long write is in flight. Each gives
// a typed exception (or a correct answer), never a crash, and the core stays usable.
// (NUL bytes, lone surrogates in cards, huge lists and handle leaks: BoundaryTest.)
package org.microlearn.test

import java.nio.charset.CharacterCodingException
import java.util.concurrent.atomic.AtomicReference
import org.junit.Test
import org.microlearn.Microlearn
import org.microlearn.MicrolearnException
import org.microlearn.Schedule
import org.microlearn.SearchOptions
import org.microlearn.ShiftStart
import org.microlearn.newCard
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

class HostileInputTest {
    @Test
    fun hugeStringsGiveAnswersOrTypedErrors() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            core.importCards(listOf(newCard("refund-1", "Refund without a receipt")))
            val huge = "refund ".repeat(600_000) // 4.2 MB of query
            core.search(huge) // bounded work: answers (the planner caps the words it uses)
            assertFailsWith<MicrolearnException.NotFound> { core.card("x".repeat(1_000_000)) }
            assertFailsWith<MicrolearnException> { core.importJsonl("{\"id\":\"" + "a".repeat(3_000_000) + "\"}\n") }
            assertFailsWith<MicrolearnException.Xapi> { core.enqueueStatement("[" + "[".repeat(100_000)) }
            // A 2 MB actor: the queue takes it (xAPI sets no size limit; the LRS may refuse it later,
            // which dead-letters it) or refuses it typed; either way nothing crashes.
            val big = runCatching {
                core.enqueueStatement(statementJson(1).replace("learner@", "x".repeat(2_000_000) + "@"))
            }
            big.exceptionOrNull()?.let { assertTrue(it is MicrolearnException, "typed: $it") }
            assertEquals("refund-1", core.search("refund").hits.first().cardId, "still usable")
        }
        deleteTree(dir)
    }

    @Test
    fun invalidUtf16IsRefusedBeforeTheCall() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            assertFailsWith<CharacterCodingException> { core.search("bad \uDC00 low surrogate") }
            assertFailsWith<CharacterCodingException> { core.enqueueStatement("{\"a\":\"\uD83D\"}") }
            assertFailsWith<CharacterCodingException> { Microlearn.open(dir.path + "/\uD800") }
            assertEquals(0uL, core.xapiStatus().depth, "nothing reached the queue")
        }
        deleteTree(dir)
    }

    @Test
    fun enormousAndWrappedNegativeNumbersAreTyped() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            core.importCards(listOf(newCard("refund-1", "Refund without a receipt")))
            assertFailsWith<MicrolearnException.Search> { core.search("refund", SearchOptions(limit = UInt.MAX_VALUE)) }
            assertFailsWith<MicrolearnException.Search> { core.search("refund", SearchOptions(limit = 0u)) }
            assertFailsWith<MicrolearnException.Quiz> { core.dailySession(UInt.MAX_VALUE, null) }
            assertFailsWith<MicrolearnException.Quiz> { core.dailySession((-1).toUInt(), null) }
            assertFailsWith<MicrolearnException.Nudge> {
                core.setNudgeSchedule(Schedule("Europe/London", listOf(ShiftStart(255u, 65535u)), 480u))
            }
            assertFailsWith<MicrolearnException.Nudge> {
                core.setNudgeSchedule(Schedule("Not/AZone", emptyList(), UShort.MAX_VALUE))
            }
            core.setMediaBudget(ULong.MAX_VALUE) // "unlimited" is a valid budget
            core.setMediaBudget((-1L).toULong())
            assertFailsWith<MicrolearnException.NotFound> {
                core.answer("no-such-question", listOf(UInt.MAX_VALUE), UInt.MAX_VALUE, Float.NaN, null)
            }
        }
        deleteTree(dir)
    }

    @Test
    fun shutdownWhileALargeImportIsInFlightIsAllOrNothing() {
        val dir = tempDataDir()
        val core = Microlearn.open(dir.path)
        val outcome = AtomicReference<String>()
        val writer = Thread {
            outcome.set(
                try {
                    core.importCards((0 until 20_000).map { newCard("c-$it", "Card $it") })
                    "done"
                } catch (e: MicrolearnException.Closed) {
                    "closed"
                }
            )
        }
        writer.start()
        Thread.sleep(5)
        core.shutdown()
        writer.join()
        assertFailsWith<MicrolearnException.Closed> { core.status() }
        core.close()
        Microlearn.open(dir.path).use { again ->
            val n = again.status().cards
            assertTrue(n == 0uL || n == 20_000uL, "all or nothing, got $n (${outcome.get()})")
            again.shutdown()
        }
        deleteTree(dir)
    }
}
