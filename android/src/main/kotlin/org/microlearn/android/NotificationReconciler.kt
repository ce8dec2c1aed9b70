// Applies a nudge plan through AlarmManager inexact windows and NotificationManager, diffing by id.
package org.microlearn.android

import android.app.AlarmManager
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.os.Build
import org.microlearn.shell.PlanDiff
import org.microlearn.shell.PlannedAlarm
import org.microlearn.shell.appliedAfter

/**
 * Makes the scheduled alarms match a plan. AlarmManager cannot list what is scheduled, so the
 * reconciler remembers id -> fingerprint of what it applied (SharedPreferences) and only touches
 * what changed ([PlanDiff], plain Kotlin, tested on the JVM). Windows are inexact
 * (`setWindow`): no exact-alarm permission, and the OS batches wake-ups to save battery.
 */
class NotificationReconciler(
    private val context: Context,
    /** Most alarms kept scheduled (earliest first); the plan is re-applied after each sync. */
    private val capacity: Int = 64,
) {
    private val alarms = context.getSystemService(AlarmManager::class.java)
    private val notifications = context.getSystemService(NotificationManager::class.java)
    private val prefs = context.getSharedPreferences("org.microlearn.nudges", Context.MODE_PRIVATE)

    init {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.O) {
            notifications.createNotificationChannel(
                NotificationChannel(CHANNEL_ID, "Learning nudges", NotificationManager.IMPORTANCE_DEFAULT),
            )
        }
    }

    /** Applies [plan]; returns the diff that was carried out. */
    @Synchronized
    fun apply(plan: List<PlannedAlarm>, nowMs: Long = System.currentTimeMillis()): PlanDiff {
        val applied = prefs.all.mapNotNull { (k, v) -> (v as? String)?.let { k to it } }.toMap()
        val diff = PlanDiff.compute(plan, applied, capacity, nowMs)
        for (id in diff.cancel) {
            alarms.cancel(pendingIntent(id, null))
            notifications.cancel(TAG, id.hashCode())
        }
        for (alarm in diff.schedule) {
            alarms.setWindow(AlarmManager.RTC_WAKEUP, alarm.windowStartMs, alarm.windowLengthMs, pendingIntent(alarm.id, alarm))
        }
        val next = diff.appliedAfter(applied)
        prefs.edit().clear().apply { next.forEach { (k, v) -> putString(k, v) } }.apply()
        return diff
    }

    /** Forgets what was applied (alarms do not survive a reboot); the next [apply] schedules all. */
    fun forgetApplied() {
        prefs.edit().clear().apply()
    }

    private fun pendingIntent(id: String, alarm: PlannedAlarm?): PendingIntent {
        val intent = Intent(context, NudgeAlarmReceiver::class.java).setAction("org.microlearn.NUDGE.$id")
        if (alarm != null) {
            intent.putExtra(NudgeAlarmReceiver.EXTRA_ID, alarm.id)
                .putExtra(NudgeAlarmReceiver.EXTRA_TITLE, alarm.title)
                .putExtra(NudgeAlarmReceiver.EXTRA_BODY, alarm.body)
                .putExtra(NudgeAlarmReceiver.EXTRA_LINK, alarm.deepLink)
        }
        return PendingIntent.getBroadcast(
            context, id.hashCode(), intent,
            PendingIntent.FLAG_UPDATE_CURRENT or PendingIntent.FLAG_IMMUTABLE,
        )
    }

    companion object {
        /** Notification channel of the nudges. */
        const val CHANNEL_ID = "org.microlearn.nudges"
        /** Notification tag, so ids never collide with the app's own notifications. */
        const val TAG = "microlearn"
    }
}
