// Plain-Kotlin logic of the Android shell (android/src/main/kotlin/org/microlearn/shell/), which
// the JVM suite compiles and tests because Gradle and the Android SDK are not available here.
package org.microlearn.test

import org.junit.Test
import org.microlearn.MicrolearnException
import org.microlearn.shell.WorkOutcome
import org.microlearn.shell.outcomeFor
import kotlin.test.assertEquals

class ShellLogicTest {
    @Test
    fun workerRetriesOnlyWhatCanSucceedLater() {
        assertEquals(WorkOutcome.RETRY, outcomeFor(MicrolearnException.Content("http 503")))
        assertEquals(WorkOutcome.RETRY, outcomeFor(MicrolearnException.Xapi("lrs unreachable")))
        assertEquals(WorkOutcome.RETRY, outcomeFor(MicrolearnException.Provider("keystore locked")))
        assertEquals(WorkOutcome.STOP, outcomeFor(MicrolearnException.Cancelled("sync cancelled")))
        assertEquals(WorkOutcome.FAIL, outcomeFor(MicrolearnException.InvalidArgument("bad url")))
        assertEquals(WorkOutcome.FAIL, outcomeFor(MicrolearnException.Closed("shut down")))
        assertEquals(WorkOutcome.FAIL, outcomeFor(IllegalStateException("destroyed")))
    }
}
