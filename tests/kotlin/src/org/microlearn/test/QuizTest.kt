// The daily quiz from Kotlin: a session over imported questions, answers with FSRS scheduling,
// progress and mastery, xAPI statements emitted with each answer.
package org.microlearn.test

import java.time.Instant
import org.junit.Test
import org.microlearn.ItemKind
import org.microlearn.Microlearn
import org.microlearn.MicrolearnException
import org.microlearn.QuizQuestion
import org.microlearn.newCard
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

class QuizTest {
    private val now = Instant.parse("2026-03-23T07:30:00Z")

    private fun seed(core: Microlearn) {
        val cards = (1..6).map { c ->
            newCard("quiz-$c", "Safety card $c").copy(
                topics = listOf(if (c <= 3) "safety" else "refunds"),
                questions = listOf(
                    QuizQuestion("q-$c", "Question $c?", listOf("right", "wrong", "also wrong"), listOf(0U), "Because $c."),
                ),
            )
        }
        core.importCards(cards)
    }

    @Test
    fun sessionAnswersProgressAndMastery() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            seed(core)
            core.setQuizSettings(core.quizSettings().copy(timeZone = "Europe/Berlin", budgetSeconds = 600U))
            val session = core.dailySession(now = now)
            assertTrue(session.items.isNotEmpty(), "questions from the imported cards")
            assertTrue(session.items.all { it.kind == ItemKind.NEW && !it.answered })
            assertEquals(session.id, core.dailySession(now = now).id, "the open session is returned again")
            var last: org.microlearn.AnswerOutcome? = null
            session.items.forEachIndexed { i, item ->
                val pick = if (i == 0) listOf(1U) else listOf(0U) // first one wrong
                val out = core.answer(item.questionId, pick, responseMs = 4_000U, now = now.plusSeconds(10L * i))
                assertEquals(i != 0, out.correct)
                assertEquals(listOf(0U), out.correctChoices)
                assertTrue(out.nextDue > now)
                last = out
            }
            val done = assertNotNull(last?.sessionCompleted, "the last answer finishes the session")
            assertEquals(session.items.size.toUInt(), done.answered)
            assertEquals((session.items.size - 1).toUInt(), done.correct)
            val progress = core.quizProgress(now = now.plusSeconds(3600))
            assertEquals("2026-03-23", progress.today)
            assertEquals(session.items.size.toUInt(), progress.answeredToday)
            assertTrue(progress.pointsTotal > 0UL)
            assertTrue(progress.practicedToday)
            val mastery = core.mastery(now = now.plusSeconds(3600))
            assertEquals(setOf("safety", "refunds"), mastery.topics.map { it.topic }.toSet())
            assertTrue(core.xapiStatus().depth >= session.items.size.toULong(), "answers emitted statements")
        }
        deleteTree(dir)
    }

    @Test
    fun badAnswersAndSettingsAreTyped() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            seed(core)
            assertFailsWith<MicrolearnException.NotFound> { core.answer("no-such-question", listOf(0U), 1000U, now = now) }
            val bad = assertFailsWith<MicrolearnException.Quiz> { core.answer("q-1", listOf(7U), 1000U, now = now) }
            assertTrue(bad.message!!.contains("q-1"), bad.message)
            assertFailsWith<MicrolearnException.Quiz> { core.answer("q-1", emptyList(), 1000U, now = now) }
            assertFailsWith<MicrolearnException.Quiz> { core.setQuizSettings(core.quizSettings().copy(timeZone = "Nowhere/Else")) }
            assertFailsWith<MicrolearnException.Quiz> { core.dailySession(budgetSeconds = 0U, now = now) }
        }
        deleteTree(dir)
    }
}
