// Nudge planning from Kotlin: schedule and preferences in, a NotificationPlan out, diffed by id
// through the Android shell's plain-Kotlin PlanDiff.
package org.microlearn.test

import java.time.Instant
import java.time.OffsetDateTime
import org.junit.Test
import org.microlearn.Microlearn
import org.microlearn.MicrolearnException
import org.microlearn.Platform
import org.microlearn.QuietHours
import org.microlearn.Schedule
import org.microlearn.ShiftStart
import org.microlearn.shell.PlanDiff
import org.microlearn.shell.appliedAfter
import org.microlearn.shell.toAlarms
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNull
import kotlin.test.assertTrue

class NudgeTest {
    private val now = Instant.parse("2026-03-23T06:00:00Z") // a Monday, before London's shift

    private fun configured(core: Microlearn) {
        core.setNudgeSchedule(Schedule("Europe/London", (0..4).map { ShiftStart(it.toUByte(), (9 * 60).toUShort()) }, (8 * 60).toUShort()))
        core.setNudgePrefs(core.nudgePrefs().copy(quietHours = listOf(QuietHours((21 * 60).toUShort(), (8 * 60).toUShort()))))
        core.setNudgePlatform(Platform.ANDROID)
    }

    @Test
    fun planRespectsQuietHoursAndIsStableAcrossReplans() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            assertNull(core.nudgeSchedule())
            configured(core)
            assertEquals(Platform.ANDROID, core.nudgePlatform())
            val plan = core.planNudges(14U, now = now)
            assertEquals("Europe/London", plan.timeZone)
            assertTrue(plan.nudges.isNotEmpty(), "a plan for 14 days: ${plan.skipped}")
            assertEquals(plan.nudges.size, plan.nudges.map { it.id }.toSet().size, "ids are unique")
            assertEquals(plan.nudges.sortedBy { it.fireWindowStart }, plan.nudges, "soonest first")
            for (n in plan.nudges) {
                val local = OffsetDateTime.parse(n.localStart)
                assertTrue(local.hour in 8..20, "outside quiet hours: ${n.localStart}")
                assertTrue(n.fireWindowEnd.epochSecond - n.fireWindowStart.epochSecond >= 600, "Android window ≥ 10 min")
                assertTrue(n.fireWindowStart >= now)
                assertTrue(n.deepLink.startsWith("microlearn://"), n.deepLink)
            }
            // Re-planning gives the same ids: the Android reconciler keeps every alarm.
            val alarms = plan.toAlarms()
            val applied = PlanDiff.compute(alarms, emptyMap(), 64, now.toEpochMilli()).appliedAfter(emptyMap())
            val again = core.planNudges(14U, now = now).toAlarms()
            val diff = PlanDiff.compute(again, applied, 64, now.toEpochMilli())
            assertEquals(alarms.map { it.id }, diff.keep)
            assertEquals(emptyList(), diff.schedule)
            core.recordNudgeResponse(plan.nudges.first().id, opened = true, at = plan.nudges.first().fireWindowStart.plusSeconds(60))
            assertTrue(core.nudgeHistory(now = now.plusSeconds(30L * 86400)).any { it.id == plan.nudges.first().id })
        }
        deleteTree(dir)
    }

    @Test
    fun badInputIsTyped() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            assertFailsWith<MicrolearnException.Nudge> { core.planNudges(7U, now = now) } // no schedule yet
            val zone = assertFailsWith<MicrolearnException.Nudge> {
                core.setNudgeSchedule(Schedule("Mars/Olympus_Mons", emptyList(), 0U))
            }
            assertTrue(zone.message!!.contains("Mars/Olympus_Mons"), zone.message)
            configured(core)
            assertFailsWith<MicrolearnException.Nudge> { core.planNudges(10_000U, now = now) }
            assertFailsWith<MicrolearnException.NotFound> { core.recordNudgeResponse("no-such-nudge", true) }
            // Quiet all day: a safe, empty plan that says why.
            core.setNudgePrefs(core.nudgePrefs().copy(quietHours = listOf(QuietHours(0U, 0U))))
            val quiet = core.planNudges(3U, now = now)
            assertEquals(emptyList(), quiet.nudges)
            assertTrue(quiet.skipped.isNotEmpty())
        }
        deleteTree(dir)
    }
}
