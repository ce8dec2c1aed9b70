// xAPI flush from Kotlin to the real LRS (LaRS on PostgreSQL, started by the suite script), to an
// unreachable port, and to a stalled loopback server (a fake: a real LRS cannot be told to stall).
package org.microlearn.test

import java.net.ServerSocket
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.Collections
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.Test
import org.microlearn.CancelToken
import org.microlearn.Credentials
import org.microlearn.CredentialsProvider
import org.microlearn.FlushOptions
import org.microlearn.FlushOutcome
import org.microlearn.LrsEndpoint
import org.microlearn.Microlearn
import org.microlearn.MicrolearnException
import org.microlearn.newCard
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

class XapiFlushTest {
    private val lrs = requireEnv("MICROLEARN_TEST_LRS_URL")

    private fun statement(n: Int) = """
        {"actor":{"account":{"homePage":"https://acme.example","name":"learner-$n"},"objectType":"Agent"},
         "verb":{"id":"http://adlnet.gov/expapi/verbs/experienced","display":{"en-US":"experienced"}},
         "object":{"id":"https://microlearn.example/xapi/cards/c$n","objectType":"Activity"}}
    """.trimIndent()

    private fun lrsHas(id: String): Boolean {
        val req = HttpRequest.newBuilder(URI("${lrs}statements?statementId=$id"))
            .header("X-Experience-API-Version", "2.0.0").GET().build()
        return HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString()).statusCode() == 200
    }

    @Test
    fun flushDeliversEveryStatementToTheRealLrsAndAsksForCredentials() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            core.importCards(listOf(newCard("c1", "Card one")))
            val asked = Collections.synchronizedList(mutableListOf<String>())
            core.setCredentialsProvider(object : CredentialsProvider {
                override fun credentials(endpoint: String, rejected: Boolean): Credentials? {
                    asked += endpoint
                    return Credentials.Basic("key", "secret")
                }
            })
            val ids = (1..3).map { core.enqueueStatement(statement(it)) } + core.recordCardViewed("c1", 12.0)
            val report = runBlocking { core.flushXapi(LrsEndpoint(url = lrs)) }
            assertEquals(FlushOutcome.DRAINED, report.outcome, "${report.lastError}")
            assertEquals(4UL, report.delivered)
            assertEquals(0UL, report.remaining)
            assertEquals(lrs, asked.firstOrNull(), "credentials were asked at request time")
            val status = core.xapiStatus()
            assertEquals(0UL, status.depth)
            assertEquals(4UL, status.deliveredTotal)
            ids.forEach { assertTrue(lrsHas(it), "the LRS stores $it") }
            // Nothing left: a second flush sends nothing.
            assertEquals(0UL, runBlocking { core.flushXapi(LrsEndpoint(url = lrs)) }.posts)
        }
        deleteTree(dir)
    }

    @Test
    fun anUnreachableLrsBacksOffAndKeepsTheStatements() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            core.enqueueStatement(statement(9))
            val closedPort = ServerSocket(0).use { it.localPort }
            val endpoint = LrsEndpoint(url = "http://127.0.0.1:$closedPort/xapi/", timeoutMs = 2_000UL)
            val report = runBlocking { core.flushXapi(endpoint, FlushOptions(maxAttempts = 1U, backoffBaseMs = 60_000UL)) }
            assertEquals(FlushOutcome.BACKING_OFF, report.outcome)
            assertEquals(1UL, report.remaining)
            assertNotNull(report.retryAtMs)
            assertEquals(FlushOutcome.NOT_YET, runBlocking { core.flushXapi(endpoint) }.outcome, "backoff is persisted")
            assertTrue(core.xapiStatus().lastError!!.isNotEmpty())
            // A user's "sync now" ignores the backoff and reaches the real LRS.
            val now = runBlocking { core.flushXapi(LrsEndpoint(url = lrs), FlushOptions(ignoreBackoff = true)) }
            assertEquals(FlushOutcome.DRAINED, now.outcome, "${now.lastError}")
            assertFailsWith<MicrolearnException.Xapi> { runBlocking { core.flushXapi(LrsEndpoint(url = "ftp://nope")) } }
        }
        deleteTree(dir)
    }

    @Test
    fun cancellingAStalledFlushKeepsTheStatementsQueued() {
        val dir = tempDataDir()
        StallServer().use { server ->
            Microlearn.open(dir.path).use { core ->
                core.enqueueStatement(statement(1))
                core.enqueueStatement(statement(2))
                CancelToken().use { token ->
                    Thread { server.accepted.await(30, TimeUnit.SECONDS); token.cancel() }.start()
                    val endpoint = LrsEndpoint(url = server.url.substringBefore("catalog/"))
                    assertFailsWith<MicrolearnException.Cancelled> {
                        runBlocking { withTimeout(20_000) { core.flushXapi(endpoint, cancel = token) } }
                    }
                }
                assertEquals(2UL, core.xapiStatus().depth, "nothing is lost by cancelling")
                val report = runBlocking { core.flushXapi(LrsEndpoint(url = lrs), FlushOptions(ignoreBackoff = true)) }
                assertEquals(2UL, report.delivered, "the next flush delivers them: ${report.lastError}")
            }
        }
        deleteTree(dir)
    }

    @Test
    fun concurrentFlushesDeliverEachStatementExactlyOnce() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            val ids = (1..60).map { core.enqueueStatement(statement(100 + it)) }
            val reports = runBlocking {
                (1..8).map {
                    async(Dispatchers.Default) {
                        core.flushXapi(LrsEndpoint(url = lrs), FlushOptions(maxBatchStatements = 7U, ignoreBackoff = true))
                    }
                }.awaitAll()
            }
            assertEquals(60UL, reports.fold(0UL) { acc, r -> acc + r.delivered }, "$reports")
            assertEquals(0UL, core.xapiStatus().depth)
            ids.forEach { assertTrue(lrsHas(it), "the LRS stores $it") }
        }
        deleteTree(dir)
    }
}
