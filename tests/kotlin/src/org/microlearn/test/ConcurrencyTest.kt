// Many threads at once, and close/shutdown racing with use.
package org.microlearn.test

import java.util.concurrent.CountDownLatch
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import org.junit.Test
import org.microlearn.CancelToken
import org.microlearn.Microlearn
import org.microlearn.MicrolearnException
import org.microlearn.newCard
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue

class ConcurrencyTest {
    @Test
    fun sixteenThreadsReadAndWriteAtOnce() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            core.importCards(List(100) { newCard("seed-$it", "Seed $it") })
            val threads = 16
            val start = CyclicBarrier(threads)
            val pool = Executors.newFixedThreadPool(threads)
            val futures = (0 until threads).map { t ->
                pool.submit<Int> {
                    start.await()
                    var reads = 0
                    for (i in 0 until 50) {
                        core.importCards(listOf(newCard("t$t-$i", "Thread $t card $i")))
                        assertEquals("Thread $t card $i", core.card("t$t-$i").title)
                        assertEquals("Seed ${i % 100}", core.card("seed-${i % 100}").title)
                        assertTrue(core.status().cards >= 100UL)
                        reads += 3
                    }
                    reads
                }
            }
            val total = futures.sumOf { it.get(120, TimeUnit.SECONDS) }
            pool.shutdown()
            assertEquals(16 * 150, total)
            assertEquals((100 + 16 * 50).toULong(), core.status().cards)
        }
        deleteTree(dir)
    }

    @Test
    fun shutdownRacingWithCallsGivesOnlyTypedOutcomes() {
        val dir = tempDataDir()
        val core = Microlearn.open(dir.path)
        core.importCards(listOf(newCard("a", "A")))
        val ok = AtomicInteger()
        val closed = AtomicInteger()
        val other = AtomicInteger()
        val ready = CountDownLatch(8)
        val pool = Executors.newFixedThreadPool(8)
        repeat(8) {
            pool.submit {
                ready.countDown()
                for (i in 0 until 2_000) {
                    try {
                        core.card("a"); ok.incrementAndGet()
                    } catch (e: MicrolearnException.Closed) {
                        closed.incrementAndGet()
                    } catch (e: Throwable) {
                        other.incrementAndGet()
                    }
                }
            }
        }
        ready.await()
        core.shutdown()
        pool.shutdown()
        assertTrue(pool.awaitTermination(120, TimeUnit.SECONDS))
        assertEquals(0, other.get(), "only success or Closed while shutting down")
        assertEquals(16_000, ok.get() + closed.get())
        assertTrue(closed.get() > 0, "calls after shutdown fail with Closed")
        core.close()
        deleteTree(dir)
    }

    @Test
    fun closeRacingWithCallsNeverCrashesTheJvm() {
        val dir = tempDataDir()
        repeat(20) {
            val core = Microlearn.open(dir.path)
            val pool = Executors.newFixedThreadPool(4)
            val unexpected = AtomicInteger()
            repeat(4) {
                pool.submit {
                    for (i in 0 until 200) {
                        try {
                            core.status()
                        } catch (e: IllegalStateException) {
                            // "object has already been destroyed": refused in Kotlin, typed.
                        } catch (e: Throwable) {
                            unexpected.incrementAndGet()
                        }
                    }
                }
            }
            core.close()
            pool.shutdown()
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS))
            assertEquals(0, unexpected.get())
        }
        deleteTree(dir)
    }

    @Test
    fun cancelTokenIsSharedAcrossThreads() {
        CancelToken().use { token ->
            assertFalse(token.isCancelled())
            val t = Thread { token.cancel() }
            t.start(); t.join()
            assertTrue(token.isCancelled())
            token.cancel()
            assertTrue(token.isCancelled())
        }
    }
}
