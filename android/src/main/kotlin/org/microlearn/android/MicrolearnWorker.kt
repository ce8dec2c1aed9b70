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
import org.microlearn.FlushOutcome
import org.microlearn.LrsEndpoint
import org.microlearn.Microlearn
import org.microlearn.shell.PlannedAlarm
import org.microlearn.shell.WorkOutcome
import org.microlearn.shell.outcomeFor
import org.microlearn.shell.toAlarms

/**
 * Implemented by the app's `Application`, so that background work uses the process's one
 * [Microlearn] core (with its connectivity and credentials providers already set) and the app's
 * settings.
 */
interface MicrolearnHost {
    /** The process's core. */
    val microlearn: Microlearn

    /** The catalog index URL to sync, or null to skip catalog sync. */
    val catalogUrl: String?

    /** The LRS to flush xAPI statements to, or null to skip the flush. */
    val lrsEndpoint: LrsEndpoint?

    /** The reconciler nudges are applied with (null: the app does not use nudges). */
    val notificationReconciler: NotificationReconciler?

    /** The nudge plan to apply after sync, as alarms: by default the core's 14-day plan. */
    fun plannedAlarms(core: Microlearn): List<PlannedAlarm> = core.planNudges(14u).toAlarms()
}

/**
 * Runs catalog sync, xAPI flush and re-planning. WorkManager stopping the job (constraints lost,
 * quota) cancels the coroutine, which drops the Rust future; the [CancelToken] is cancelled too,
 * so work in flight stops at once and the core keeps its state consistent. Failures go through
 * [outcomeFor]: transient ones retry with WorkManager's exponential backoff (30 s doubling),
 * permanent ones fail. A flush that ends backing off or paused (the LRS asked to wait) retries
 * too; one that needs credentials fails until the app has new ones.
 */
class MicrolearnWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val host = applicationContext as? MicrolearnHost ?: return Result.failure()
        val core = host.microlearn
        val token = CancelToken()
        return try {
            host.catalogUrl?.let { core.syncCatalog(it, cancel = token) }
            val flush = host.lrsEndpoint?.let { core.flushXapi(it, cancel = token) }
            host.notificationReconciler?.apply(host.plannedAlarms(core))
            when (flush?.outcome) {
                FlushOutcome.BACKING_OFF, FlushOutcome.PAUSED -> retryOrFail()
                FlushOutcome.NEEDS_CREDENTIALS, FlushOutcome.FAILED -> Result.failure()
                else -> Result.success()
            }
        } catch (e: CancellationException) {
            token.cancel()
            throw e
        } catch (e: Exception) {
            when (outcomeFor(e)) {
                WorkOutcome.RETRY -> retryOrFail()
                WorkOutcome.STOP -> Result.retry()
                WorkOutcome.FAIL -> Result.failure()
            }
        } finally {
            token.close()
        }
    }

    private fun retryOrFail(): Result = if (runAttemptCount < MAX_ATTEMPTS) Result.retry() else Result.failure()

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
