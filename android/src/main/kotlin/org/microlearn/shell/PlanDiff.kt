// Plain Kotlin (no Android API): compiled and tested on the JVM by tests/suites/30-kotlin.sh.
package org.microlearn.shell

/**
 * One notification as the Android reconciler schedules it: an inexact AlarmManager window
 * (`windowStartMs` .. `windowStartMs + windowLengthMs`, epoch milliseconds) and what to show.
 */
data class PlannedAlarm(
    /** Stable id from the core's plan. */
    val id: String,
    /** Start of the delivery window, epoch ms. */
    val windowStartMs: Long,
    /** Length of the delivery window, ms (the OS picks the moment inside it). */
    val windowLengthMs: Long,
    /** Notification title. */
    val title: String,
    /** Notification text. */
    val body: String,
    /** What the app opens on tap (e.g. a card id), if anything. */
    val deepLink: String? = null,
) {
    /** Everything that affects the scheduled alarm or the shown notification, as one string. */
    val fingerprint: String
        get() = listOf(windowStartMs, windowLengthMs, title, body, deepLink ?: "").joinToString("\u001f")
}

/** What to change so that the scheduled alarms match a plan. */
data class PlanDiff(
    /** Ids whose alarm (and posted notification, if any) must be cancelled. */
    val cancel: List<String>,
    /** Alarms to (re)schedule. A changed alarm is in both [cancel] and here. */
    val schedule: List<PlannedAlarm>,
    /** Ids already scheduled exactly as planned. */
    val keep: List<String>,
) {
    companion object {
        /**
         * Diffs [plan] against [applied] (id -> fingerprint of what was scheduled last time, kept
         * by the reconciler since AlarmManager cannot list alarms). Past windows are dropped; at
         * most [capacity] alarms are kept, earliest first. Deterministic order for testing.
         */
        fun compute(plan: List<PlannedAlarm>, applied: Map<String, String>, capacity: Int, nowMs: Long): PlanDiff {
            val wanted = plan
                .filter { it.windowStartMs + it.windowLengthMs > nowMs }
                .distinctBy { it.id }
                .sortedWith(compareBy({ it.windowStartMs }, { it.id }))
                .take(capacity.coerceAtLeast(0))
            val wantedIds = wanted.mapTo(HashSet()) { it.id }
            val cancel = mutableListOf<String>()
            val schedule = mutableListOf<PlannedAlarm>()
            val keep = mutableListOf<String>()
            for (alarm in wanted) {
                val existing = applied[alarm.id]
                when {
                    existing == alarm.fingerprint -> keep += alarm.id
                    existing != null -> { cancel += alarm.id; schedule += alarm }
                    else -> schedule += alarm
                }
            }
            applied.keys.filter { it !in wantedIds }.sorted().forEach { cancel += it }
            return PlanDiff(cancel, schedule, keep)
        }
    }
}

/** The id -> fingerprint map to remember after applying [diff] on top of [applied]. */
fun PlanDiff.appliedAfter(applied: Map<String, String>): Map<String, String> {
    val next = applied.toMutableMap()
    cancel.forEach { next.remove(it) }
    schedule.forEach { next[it.id] = it.fingerprint }
    return next
}
