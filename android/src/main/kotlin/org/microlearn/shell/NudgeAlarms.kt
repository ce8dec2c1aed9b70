// Plain Kotlin (no Android API): compiled and tested on the JVM by tests/suites/30-kotlin.sh.
package org.microlearn.shell

import org.microlearn.NotificationPlan

/**
 * The core's plan as alarms for [PlanDiff] / the Android reconciler: one inexact window per
 * planned nudge (the core plans Android windows of at least 15 minutes). The deep link is kept so
 * a tap opens the right card.
 */
fun NotificationPlan.toAlarms(): List<PlannedAlarm> = nudges.map { n ->
    val start = n.fireWindowStart.toEpochMilli()
    PlannedAlarm(
        id = n.id,
        windowStartMs = start,
        windowLengthMs = (n.fireWindowEnd.toEpochMilli() - start).coerceAtLeast(0),
        title = n.title,
        body = n.body,
        deepLink = n.deepLink,
    )
}
