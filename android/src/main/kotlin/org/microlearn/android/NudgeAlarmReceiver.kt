// Posts a nudge notification when its alarm window fires; re-plans after a reboot.
package org.microlearn.android

import android.app.NotificationManager
import android.app.PendingIntent
import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import android.net.Uri
import androidx.core.app.NotificationCompat

/** Receives the AlarmManager broadcast for one planned nudge and shows it. */
class NudgeAlarmReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        val id = intent.getStringExtra(EXTRA_ID) ?: return
        val title = intent.getStringExtra(EXTRA_TITLE) ?: return
        val body = intent.getStringExtra(EXTRA_BODY).orEmpty()
        val link = intent.getStringExtra(EXTRA_LINK)
        val open = context.packageManager.getLaunchIntentForPackage(context.packageName)?.apply {
            if (link != null) data = Uri.parse("microlearn://card/$link")
        }
        val tap = open?.let {
            PendingIntent.getActivity(context, id.hashCode(), it, PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT)
        }
        // NotificationCompat: channels exist from API 26, our minSdk is 24.
        val notification = NotificationCompat.Builder(context, NotificationReconciler.CHANNEL_ID)
            .setSmallIcon(context.applicationInfo.icon)
            .setContentTitle(title)
            .setContentText(body)
            .setAutoCancel(true)
            .apply { if (tap != null) setContentIntent(tap) }
            .build()
        context.getSystemService(NotificationManager::class.java)
            .notify(NotificationReconciler.TAG, id.hashCode(), notification)
    }

    companion object {
        /** Intent extra: plan id. */
        const val EXTRA_ID = "org.microlearn.id"
        /** Intent extra: title. */
        const val EXTRA_TITLE = "org.microlearn.title"
        /** Intent extra: body. */
        const val EXTRA_BODY = "org.microlearn.body"
        /** Intent extra: deep link. */
        const val EXTRA_LINK = "org.microlearn.link"
    }
}

/** Alarms are cleared on reboot: forget what was applied and let the worker re-plan. */
class BootReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        if (intent.action != Intent.ACTION_BOOT_COMPLETED) return
        NotificationReconciler(context).forgetApplied()
        MicrolearnWorker.runOnce(context)
    }
}
