// Test harness for the Kotlin suite (tests/suites/30-kotlin.sh): temp data directories, the
// environment the suite script provides, and a JUnit 4 runner whose last line is
// "N passed, N failed" (the plain closing line CI reads).
package org.microlearn.test

import java.io.File
import java.nio.file.Files
import org.junit.runner.JUnitCore
import org.junit.runner.notification.Failure
import kotlin.system.exitProcess

/** A fresh, empty data directory under the suite's scratch dir; deleted by [deleteTree] / at exit. */
fun tempDataDir(prefix: String = "ml-"): File {
    val base = System.getenv("MICROLEARN_TEST_TMP")?.let { File(it) }
    val dir = if (base != null) Files.createTempDirectory(base.toPath(), prefix).toFile()
    else Files.createTempDirectory(prefix).toFile()
    dir.deleteOnExit()
    return dir
}

/** Deletes a directory tree (test cleanup). */
fun deleteTree(dir: File) {
    dir.walkBottomUp().forEach { it.delete() }
}

/** An environment variable the suite script must set, or a clear failure. */
fun requireEnv(name: String): String =
    System.getenv(name) ?: error("$name is not set: run this through tests/suites/30-kotlin.sh")

/** Open file descriptors of this JVM (Linux), to detect leaked database handles. */
fun openFdCount(): Int = File("/proc/self/fd").list()?.size ?: -1

/** Every test class of the suite, in run order. */
val ALL_TEST_CLASSES: List<Class<*>> = listOf(
    CoreTest::class.java,
    BoundaryTest::class.java,
    ConcurrencyTest::class.java,
    ShellLogicTest::class.java,
    PlanDiffTest::class.java,
    SyncTest::class.java,
    XapiTest::class.java,
    XapiFlushTest::class.java,
    NudgeTest::class.java,
    QuizTest::class.java,
    SearchTest::class.java,
    NetworkTest::class.java,
    EncryptionTest::class.java,
    HostileInputTest::class.java,
    PersonalTest::class.java,
)

/** Runs the named classes (or all), prints failures and the closing count line, exits 0/1. */
fun main(args: Array<String>) {
    val classes = if (args.isEmpty()) ALL_TEST_CLASSES
    else args.map { Class.forName("org.microlearn.test.$it") }
    val core = JUnitCore()
    core.addListener(object : org.junit.runner.notification.RunListener() {
        override fun testStarted(description: org.junit.runner.Description) {
            println("  test ${description.className.substringAfterLast('.')}.${description.methodName}")
        }
        override fun testFailure(failure: Failure) {
            println("  FAILED ${failure.testHeader}: ${failure.message}")
        }
    })
    val result = core.run(*classes.toTypedArray())
    for (f in result.failures) {
        println("---- ${f.testHeader}")
        println(f.trace)
    }
    val failed = result.failureCount
    val passed = result.runCount - failed
    println("kotlin: $passed passed, $failed failed, ${result.ignoreCount} skipped")
    exitProcess(if (result.wasSuccessful()) 0 else 1)
}
