// Catalog sync and media from real nginx on loopback (started by the suite script), plus a
// stalled loopback server for cancellation: a fake, because nginx cannot be told to stall.
package org.microlearn.test

import java.io.File
import java.net.ServerSocket
import java.net.Socket
import java.security.MessageDigest
import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.Test
import org.microlearn.CancelToken
import org.microlearn.ConnectivityProvider
import org.microlearn.Microlearn
import org.microlearn.MicrolearnException
import org.microlearn.NetworkState
import org.microlearn.ProgressListener
import org.microlearn.ProviderException
import org.microlearn.WorkPhase
import org.microlearn.WorkProgress
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

/** A loopback server that accepts connections, reads the request and never answers. */
class StallServer : AutoCloseable {
    private val server = ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())
    val url = "http://127.0.0.1:${server.localPort}/catalog/index.json"
    val accepted = CountDownLatch(1)
    val clientClosed = CountDownLatch(1)
    private val sockets = Collections.synchronizedList(mutableListOf<Socket>())
    private val thread = Thread {
        try {
            val s = server.accept()
            sockets += s
            accepted.countDown()
            val input = s.getInputStream()
            val buf = ByteArray(4096)
            // Read the request, then keep reading: -1 means the client closed the connection.
            while (input.read(buf) >= 0) { /* swallow */ }
            clientClosed.countDown()
        } catch (e: java.io.IOException) {
            // closed by close()
        }
    }.apply { isDaemon = true; start() }

    override fun close() {
        sockets.forEach { it.close() }
        server.close()
        thread.join(5_000)
    }
}

class SyncTest {
    private val url = requireEnv("MICROLEARN_TEST_CATALOG_URL")
    private val mediaSha = requireEnv("MICROLEARN_TEST_MEDIA_SHA256")

    @Test
    fun syncFromNginxWithProgressThenNotModified() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            val events = Collections.synchronizedList(mutableListOf<WorkProgress>())
            val listener = object : ProgressListener {
                override fun onProgress(progress: WorkProgress) { events += progress }
            }
            val report = runBlocking { core.syncCatalog(url, progress = listener) }
            assertEquals(300UL, report.cardsTotal)
            assertEquals(300UL, report.cardsAdded)
            assertFalse(report.notModified)
            assertEquals("Refund policy step 7", core.card("card-7").title)
            assertTrue(events.any { it.phase == WorkPhase.INDEX }, "index progress reported: $events")
            assertTrue(events.any { it.phase == WorkPhase.SHARDS && it.bytes > 0UL }, "$events")
            val again = runBlocking { core.syncCatalog(url) }
            assertTrue(again.notModified, "second sync is a 304")
            val state = assertNotNull(core.lastSync())
            assertEquals(url, state.url)
            assertEquals(300UL, core.status().cards)
        }
        deleteTree(dir)
    }

    @Test
    fun aThrowingProgressListenerDoesNotBreakTheSync() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            val listener = object : ProgressListener {
                override fun onProgress(progress: WorkProgress) { throw IllegalStateException("ui gone") }
            }
            assertEquals(300UL, runBlocking { core.syncCatalog(url, progress = listener) }.cardsTotal)
        }
        deleteTree(dir)
    }

    @Test
    fun pinDownloadsVerifiedMedia() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            runBlocking { core.syncCatalog(url) }
            val pin = runBlocking { core.pinCards(listOf("media-1")) }
            assertEquals(1UL, pin.pinnedCards)
            assertEquals(1UL, pin.downloaded)
            assertEquals(262_144UL, pin.bytesDownloaded)
            val path = assertNotNull(core.mediaPath(mediaSha))
            val bytes = File(path).readBytes()
            val hex = MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }
            assertEquals(mediaSha, hex, "the cached file is the published one")
            assertEquals(1UL, core.mediaStatus().pinnedCards)
            assertEquals(path, runBlocking { core.fetchMedia(mediaSha) })
            assertEquals(1UL, core.unpinCards(listOf("media-1")))
        }
        deleteTree(dir)
    }

    @Test
    fun networkFailuresAreTyped() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            val closedPort = ServerSocket(0).use { it.localPort }
            val refused = assertFailsWith<MicrolearnException.Network> {
                runBlocking { core.syncCatalog("http://127.0.0.1:$closedPort/index.json") }
            }
            assertTrue(refused.message!!.contains("127.0.0.1:$closedPort"), refused.message)
            val notFound = assertFailsWith<MicrolearnException.Network> {
                runBlocking { core.syncCatalog(url.replace("index.json", "missing.json")) }
            }
            assertTrue(notFound.message!!.contains("404"), notFound.message)
            assertFailsWith<MicrolearnException.Content> { runBlocking { core.syncCatalog("not a url") } }
            assertEquals(0UL, core.status().cards)
        }
        deleteTree(dir)
    }

    @Test
    fun connectivityProviderGatesNetworkWork() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            var state = NetworkState.OFFLINE
            core.setConnectivityProvider(object : ConnectivityProvider {
                override fun networkState(): NetworkState = state
            })
            val offline = assertFailsWith<MicrolearnException.Network> { runBlocking { core.syncCatalog(url) } }
            assertTrue(offline.message!!.contains("offline"), offline.message)
            state = NetworkState.METERED
            runBlocking { core.syncCatalog(url) }
            assertTrue(core.mediaStatus().metered, "the metered state reached the core")
            state = NetworkState.UNMETERED
            runBlocking { core.syncCatalog(url) }
            assertFalse(core.mediaStatus().metered)

            core.setConnectivityProvider(object : ConnectivityProvider {
                override fun networkState(): NetworkState = throw ProviderException.Failed("no permission")
            })
            val failed = assertFailsWith<MicrolearnException.Provider> { runBlocking { core.syncCatalog(url) } }
            assertTrue(failed.message!!.contains("no permission"), failed.message)
            core.setConnectivityProvider(object : ConnectivityProvider {
                override fun networkState(): NetworkState = throw IllegalStateException("bug in app")
            })
            val bug = assertFailsWith<MicrolearnException.Provider> { runBlocking { core.syncCatalog(url) } }
            assertTrue(bug.message!!.contains("unexpected"), bug.message)
            core.setConnectivityProvider(null)
            runBlocking { core.syncCatalog(url) }
        }
        deleteTree(dir)
    }

    @Test
    fun coroutineCancellationStopsAStalledSync() {
        val dir = tempDataDir()
        StallServer().use { server ->
            Microlearn.open(dir.path).use { core ->
                var outcome: Throwable? = null
                runBlocking {
                    val job = launch(Dispatchers.Default) {
                        try {
                            core.syncCatalog(server.url)
                        } catch (e: Throwable) {
                            outcome = e
                            throw e
                        }
                    }
                    assertTrue(server.accepted.await(30, TimeUnit.SECONDS), "the sync reached the server")
                    // Hang guard far below the core's own 30 s read timeout: if cancelling did not
                    // stop the call, this fails instead of the server timing out.
                    withTimeout(15_000) { job.cancel(); job.join() }
                }
                assertTrue(outcome is CancellationException, "the coroutine ended by cancellation: $outcome")
                // The Rust future was dropped: its connection is closed.
                assertTrue(server.clientClosed.await(15, TimeUnit.SECONDS), "the connection was closed")
                assertEquals(0UL, core.status().cards)
                assertTrue(core.isOpen())
            }
        }
        deleteTree(dir)
    }

    @Test
    fun cancelTokenStopsAStalledSyncWithATypedError() {
        val dir = tempDataDir()
        StallServer().use { server ->
            Microlearn.open(dir.path).use { core ->
                CancelToken().use { token ->
                    Thread {
                        server.accepted.await(30, TimeUnit.SECONDS)
                        token.cancel()
                    }.start()
                    val e = assertFailsWith<MicrolearnException.Cancelled> {
                        runBlocking { withTimeout(15_000) { core.syncCatalog(server.url, cancel = token) } }
                    }
                    assertTrue(e.message!!.contains("cancelled"), e.message)
                    assertTrue(server.clientClosed.await(15, TimeUnit.SECONDS), "the connection was closed")
                    // A cancelled token refuses further work at once.
                    assertFailsWith<MicrolearnException.Cancelled> { runBlocking { core.syncCatalog(url, cancel = token) } }
                }
                assertEquals(0UL, core.status().cards)
            }
        }
        deleteTree(dir)
    }

    @Test
    fun sixteenConcurrentSyncsAndReads() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            val pool = Executors.newFixedThreadPool(16)
            try {
                val dispatcher = pool.asCoroutineDispatcher()
                val results = runBlocking {
                    (0 until 16).map { i ->
                        async(dispatcher) {
                            if (i % 2 == 0) runBlocking { core.syncCatalog(url) }.cardsTotal
                            else { core.status(); core.cards(listOf("card-1", "card-2")).size.toULong() }
                        }
                    }.awaitAll()
                }
                assertTrue(results.filterIndexed { i, _ -> i % 2 == 0 }.all { it == 300UL }, "$results")
                assertEquals(300UL, core.status().cards)
            } finally {
                pool.shutdown()
            }
        }
        deleteTree(dir)
    }

    @Test
    fun closeAndShutdownDuringAnInFlightSyncAreSafe() {
        val dir = tempDataDir()
        StallServer().use { server ->
            val core = Microlearn.open(dir.path)
            CancelToken().use { token ->
                runBlocking {
                    val call = async(Dispatchers.Default) {
                        runCatching { core.syncCatalog(server.url, cancel = token) }
                    }
                    assertTrue(server.accepted.await(30, TimeUnit.SECONDS))
                    // The in-flight call holds its own reference: shutting down and closing the
                    // handle now must neither crash nor free what the call is using.
                    core.shutdown()
                    core.close()
                    token.cancel()
                    val result = withTimeout(15_000) { call.await() }
                    val e = result.exceptionOrNull()
                    assertTrue(e is MicrolearnException.Cancelled, "ended by its token: $e")
                }
            }
            assertFailsWith<IllegalStateException> { core.status() }
        }
        // Everything was released: the directory opens again.
        Microlearn.open(dir.path).use { assertEquals(0UL, it.status().cards) }
        deleteTree(dir)
    }
}
