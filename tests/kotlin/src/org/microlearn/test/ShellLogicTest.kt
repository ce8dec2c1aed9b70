// Plain-Kotlin logic of the Android shell (android/src/main/kotlin/org/microlearn/shell/), which
// the JVM suite compiles and tests because Gradle and the Android SDK are not available here.
package org.microlearn.test

import org.junit.Test
import org.microlearn.MicrolearnException
import org.microlearn.shell.PlanDiff
import org.microlearn.shell.PlannedAlarm
import org.microlearn.shell.WorkOutcome
import org.microlearn.shell.appliedAfter
import org.microlearn.shell.outcomeFor
import kotlin.test.assertEquals

class ShellLogicTest {
    @Test
    fun workerRetriesOnlyWhatCanSucceedLater() {
        assertEquals(WorkOutcome.RETRY, outcomeFor(MicrolearnException.Content("http 503")))
        assertEquals(WorkOutcome.RETRY, outcomeFor(MicrolearnException.Network("timed out")))
        assertEquals(WorkOutcome.FAIL, outcomeFor(MicrolearnException.Xapi("\"ftp://x\" is not an http(s) URL")))
        assertEquals(WorkOutcome.RETRY, outcomeFor(MicrolearnException.Provider("keystore locked")))
        assertEquals(WorkOutcome.STOP, outcomeFor(MicrolearnException.Cancelled("sync cancelled")))
        assertEquals(WorkOutcome.FAIL, outcomeFor(MicrolearnException.InvalidArgument("bad url")))
        assertEquals(WorkOutcome.FAIL, outcomeFor(MicrolearnException.Closed("shut down")))
        assertEquals(WorkOutcome.FAIL, outcomeFor(IllegalStateException("destroyed")))
    }
}

class PlanDiffTest {
    private val now = 1_000_000L
    private fun alarm(id: String, start: Long, title: String = "t") =
        PlannedAlarm(id, start, 60_000, title, "b")

    @Test
    fun firstApplySchedulesEverythingInTimeOrder() {
        val plan = listOf(alarm("b", now + 2000), alarm("a", now + 1000), alarm("old", now - 120_000))
        val d = PlanDiff.compute(plan, emptyMap(), capacity = 10, nowMs = now)
        assertEquals(listOf("a", "b"), d.schedule.map { it.id })
        assertEquals(emptyList(), d.cancel)
    }

    @Test
    fun reapplyingTheSamePlanChangesNothingAndChangesAreReplaced() {
        val plan = listOf(alarm("a", now + 1000), alarm("b", now + 2000), alarm("c", now + 3000))
        val first = PlanDiff.compute(plan, emptyMap(), 10, now)
        val applied = first.appliedAfter(emptyMap())
        val same = PlanDiff.compute(plan, applied, 10, now)
        assertEquals(listOf("a", "b", "c"), same.keep)
        assertEquals(emptyList(), same.schedule)
        val changed = listOf(alarm("a", now + 1000, title = "new"), alarm("c", now + 3000), alarm("d", now + 4000))
        val d = PlanDiff.compute(changed, applied, 10, now)
        assertEquals(listOf("a", "b"), d.cancel, "a changed, b is gone")
        assertEquals(listOf("a", "d"), d.schedule.map { it.id })
        assertEquals(listOf("c"), d.keep)
    }

    @Test
    fun capacityKeepsTheEarliest() {
        val plan = (0 until 100).map { alarm("n$it", now + 1000L * (100 - it)) }
        val d = PlanDiff.compute(plan, emptyMap(), 64, now)
        assertEquals(64, d.schedule.size)
        assertEquals("n99", d.schedule.first().id)
        assertEquals(true, d.schedule.all { it.windowStartMs <= now + 64_000 })
    }
}
