// WorkManager job: catalog sync, xAPI flush and re-planning nudges, with backoff.
package org.microlearn.android

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.CancellationException
import org.microlearn.CancelToken
import org.microlearn.Microlearn
import org.microlearn.shell.PlannedAlarm
import org.microlearn.shell.WorkOutcome
import org.microlearn.shell.outcomeFor

/**
 * Implemented by the app's `Application`, so that background work uses the process's one
 * [Microlearn] core and the app's settings.
 */
interface MicrolearnHost {
    /** The process's core. */
    val microlearn: Microlearn

    /** The catalog index URL to sync, or null to skip catalog sync. */
    val catalogUrl: String?

    /** The reconciler nudges are applied with (null: the app does not use nudges). */
    val notificationReconciler: NotificationReconciler?

    /** The nudge plan to apply after sync, already converted to alarms (empty: none). */
    fun plannedAlarms(core: Microlearn): List<PlannedAlarm>

    /** Sends queued xAPI statements; throw to retry with backoff. */
    suspend fun flushStatements(core: Microlearn, cancel: CancelToken)

    /** Syncs the catalog from [url]; throw to retry with backoff. */
    suspend fun syncCatalog(core: Microlearn, url: String, cancel: CancelToken)
}

/**
 * Runs sync, flush and re-planning. Cancellation by WorkManager (constraints lost, quota) cancels
 * the coroutine, which drops the Rust future; the [CancelToken] is cancelled too, so work in
 * flight stops at once. Failures go through [outcomeFor]: transient ones retry with WorkManager's
 * exponential backoff (30 s doubling), permanent ones fail.
 */
class MicrolearnWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val host = applicationContext as? MicrolearnHost ?: return Result.failure()
        val core = host.microlearn
        val token = CancelToken()
        return try {
            host.catalogUrl?.let { host.syncCatalog(core, it, token) }
            host.flushStatements(core, token)
            host.notificationReconciler?.apply(host.plannedAlarms(core))
            Result.success()
        } catch (e: CancellationException) {
            token.cancel()
            throw e
        } catch (e: Exception) {
            when (outcomeFor(e)) {
                WorkOutcome.RETRY -> if (runAttemptCount < MAX_ATTEMPTS) Result.retry() else Result.failure()
                WorkOutcome.STOP -> Result.retry()
                WorkOutcome.FAIL -> Result.failure()
            }
        } finally {
            token.close()
        }
    }

    companion object {
        private const val PERIODIC = "org.microlearn.periodic"
        private const val ONCE = "org.microlearn.once"
        private const val MAX_ATTEMPTS = 8

        private val constraints = Constraints.Builder()
            .setRequiredNetworkType(NetworkType.CONNECTED)
            .setRequiresBatteryNotLow(true)
            .build()

        /** Schedules the periodic job (every [hours] hours, on any network), keeping an existing one. */
        fun schedulePeriodic(context: Context, hours: Long = 6) {
            val request = PeriodicWorkRequestBuilder<MicrolearnWorker>(hours, TimeUnit.HOURS)
                .setConstraints(constraints)
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 30, TimeUnit.SECONDS)
                .build()
            WorkManager.getInstance(context)
                .enqueueUniquePeriodicWork(PERIODIC, ExistingPeriodicWorkPolicy.KEEP, request)
        }

        /** Runs the job once soon (after boot, after the learner answered, on app start). */
        fun runOnce(context: Context) {
            val request = OneTimeWorkRequestBuilder<MicrolearnWorker>()
                .setConstraints(constraints)
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 30, TimeUnit.SECONDS)
                .build()
            WorkManager.getInstance(context).enqueueUniqueWork(ONCE, ExistingWorkPolicy.REPLACE, request)
        }
    }
}
