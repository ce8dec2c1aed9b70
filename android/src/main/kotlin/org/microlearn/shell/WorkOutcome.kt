// Plain Kotlin (no Android API): compiled and tested on the JVM by tests/suites/30-kotlin.sh.
package org.microlearn.shell

import org.microlearn.MicrolearnException

/** What a background job (WorkManager worker, BGTask) should do after a failed core call. */
enum class WorkOutcome {
    /** Transient (network, server, locked keystore): retry later with backoff. */
    RETRY,

    /** Cancelled on purpose (the OS stopped the job): stop quietly, the next run resumes. */
    STOP,

    /** Will not get better by retrying (bad input, closed core, a bug): fail and report. */
    FAIL,
}

/**
 * Maps an exception from the core to a [WorkOutcome]. Network errors, a catalog that failed
 * verification (often a CDN mid-update), a provider that could not answer yet (locked keystore)
 * local I/O and a full disk (the job runs again once the learner freed space) are retried; the core keeps its work committed in steps, so a retry resumes rather
 * than restarts. Configuration errors (a bad LRS URL: `Xapi`, `InvalidArgument`), a closed core
 * and bugs fail.
 */
fun outcomeFor(e: Throwable): WorkOutcome = when (e) {
    is MicrolearnException.Network,
    is MicrolearnException.Content,
    is MicrolearnException.Provider,
    is MicrolearnException.Io,
    is MicrolearnException.StorageFull,
    is MicrolearnException.Store -> WorkOutcome.RETRY
    is MicrolearnException.Cancelled -> WorkOutcome.STOP
    else -> WorkOutcome.FAIL
}
