// The peer network from Kotlin through the FFI, against the real Synapse the suite script starts:
// two learners (separate data dirs) ask, answer and read each other; offline posts wait in the
// outbox; a revoked token is a typed SignInRequired with nothing lost; cancellation; custom events.
package org.microlearn.test

import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.atomic.AtomicInteger
import javax.crypto.Mac
import javax.crypto.spec.SecretKeySpec
import kotlinx.coroutines.runBlocking
import org.junit.Test
import org.microlearn.CancelToken
import org.microlearn.Credentials
import org.microlearn.CredentialsProvider
import org.microlearn.Microlearn
import org.microlearn.MicrolearnException
import org.microlearn.OutboxState
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

class NetworkTest {
    private val hs = requireEnv("MICROLEARN_TEST_SYNAPSE_URL")
    private val secret = requireEnv("MICROLEARN_TEST_SYNAPSE_SECRET")
    private val http = HttpClient.newHttpClient()

    private fun call(method: String, path: String, body: String?, token: String? = null): String {
        val b = HttpRequest.newBuilder(URI(hs + path)).header("Content-Type", "application/json")
        if (token != null) b.header("Authorization", "Bearer $token")
        b.method(method, if (body == null) HttpRequest.BodyPublishers.noBody() else HttpRequest.BodyPublishers.ofString(body))
        val resp = http.send(b.build(), HttpResponse.BodyHandlers.ofString())
        assertTrue(resp.statusCode() in 200..299, "$method $path: ${resp.statusCode()} ${resp.body()}")
        return resp.body()
    }

    /** Registers a user with Synapse's shared secret; returns (name, password). */
    private fun register(prefix: String): Pair<String, String> {
        val name = "kt$prefix${ProcessHandle.current().pid()}x${counter.incrementAndGet()}"
        val password = "pw-$name"
        val nonce = Regex("\"nonce\"\\s*:\\s*\"([^\"]+)\"").find(call("GET", "/_synapse/admin/v1/register", null))!!.groupValues[1]
        val mac = Mac.getInstance("HmacSHA1").apply { init(SecretKeySpec(secret.toByteArray(), "HmacSHA1")) }
            .doFinal("$nonce\u0000$name\u0000$password\u0000notadmin".toByteArray())
            .joinToString("") { "%02x".format(it) }
        call("POST", "/_synapse/admin/v1/register",
            """{"nonce":"$nonce","username":"$name","password":"$password","admin":false,"mac":"$mac"}""")
        return name to password
    }

    /** A signed-in learner whose provider hands the token back from the "keystore". */
    internal fun learner(prefix: String): Pair<Microlearn, String> {
        val core = Microlearn.open(tempDataDir().path)
        val (name, password) = register(prefix)
        val session = runBlocking { core.networkLogin(hs, name, password) }
        assertTrue(session.userId.startsWith("@$name:"))
        core.setCredentialsProvider(object : CredentialsProvider {
            override fun credentials(endpoint: String, rejected: Boolean): Credentials? =
                if (rejected) null else Credentials.Bearer(session.accessToken)
        })
        return core to session.accessToken
    }

    @Test
    fun twoLearnersAskAnswerAndReadOfflineThroughSynapse() {
        val (asker, _) = learner("ask")
        val (expert, _) = learner("exp")
        asker.use {
            expert.use {
                val topic = "Kotlin refunds ${counter.incrementAndGet()}"
                val room = runBlocking { asker.networkCreateTopicRoom(topic) }
                assertEquals(listOf(room), runBlocking { expert.networkJoinTopics(listOf(topic)) })
                val q = asker.networkAsk(room, "refund-1", "Refund with no receipt?")
                asker.networkRate(room, "refund-1", 4u, false)
                assertEquals(listOf(OutboxState.PENDING, OutboxState.PENDING), asker.networkOutbox().map { it.state })
                val sent = runBlocking { asker.networkSend() }
                assertEquals(2uL, sent.sent)
                assertEquals(0uL, sent.pending)
                val qEvent = asker.networkOutbox().first { it.localId == q }.eventId!!
                runBlocking { expert.networkSync() }
                assertEquals(listOf(qEvent), expert.networkUnanswered(10u).map { it.eventId })
                assertTrue(expert.networkRooms().any { it.roomId == room && it.unread >= 1uL })
                expert.networkAnswer(room, qEvent, "Offer store credit after a manager check.")
                runBlocking { expert.networkSend() }
                runBlocking { asker.networkSync() }
                val view = asker.networkCardView("refund-1", 5u)
                assertEquals(1uL, view.rating.count)
                assertEquals(4.0, view.rating.average)
                assertEquals(1uL, view.questions.single().answers)
                assertEquals("Offer store credit after a manager check.", view.questions.single().bestAnswer?.body)
                assertEquals(qEvent, asker.networkSearch("refund no receipt", 3u).first().question.eventId)
            }
        }
    }

    @Test
    fun revokedTokenIsSignInRequiredAndTheOutboxKeepsThePost() {
        val (core, token) = learner("rev")
        core.use {
            val room = runBlocking { core.networkCreateTopicRoom("Kotlin revoked ${counter.incrementAndGet()}") }
            core.networkAsk(room, null, "still there after a logout?")
            call("POST", "/_matrix/client/v3/logout", "{}", token)
            assertFailsWith<MicrolearnException.SignInRequired> { runBlocking { core.networkSend() } }
            assertEquals(listOf(OutboxState.PENDING), core.networkOutbox().map { it.state })
            val cancelled = CancelToken().also { it.cancel() }
            assertFailsWith<MicrolearnException.Cancelled> { runBlocking { core.networkSync(cancelled) } }
        }
    }

    @Test
    fun customEventsAndPostsQueueOfflineWithoutASession() {
        Microlearn.open(tempDataDir().path).use { core ->
            val id = core.networkEnqueueCustom("!room:localhost", "org.microlearn.playlist", """{"cards":["a","b"]}""")
            assertTrue(id.startsWith("local:"))
            core.networkAsk("!room:localhost", "c1", "asked on the shop floor, offline")
            assertEquals(2, core.networkOutbox().size)
            assertFailsWith<MicrolearnException.InvalidArgument> {
                core.networkEnqueueCustom("!room:localhost", "m.room.message", "{}")
            }
            assertFailsWith<MicrolearnException.InvalidArgument> { core.networkRate("!room:localhost", "c1", 9u, false) }
            assertFailsWith<MicrolearnException.SignInRequired> { runBlocking { core.networkSend() } }
            assertTrue(core.networkDelete("!room:localhost", id))
            assertEquals(1, core.networkOutbox().size)
        }
    }

    @Test
    fun commentVoteAcceptReportAndCustomEventsReachThePeer() {
        val (asker, _) = learner("acc")
        val (peer, _) = learner("peer")
        asker.use {
            peer.use {
                val topic = "Kotlin accept ${counter.incrementAndGet()}"
                val room = runBlocking { asker.networkCreateTopicRoom(topic) }
                runBlocking { peer.networkJoinTopics(listOf(topic)) }
                val q = asker.networkAsk(room, "ladder-1", "Which ladder for the top shelf?")
                asker.networkComment(room, "ladder-1", "The card's photo is outdated")
                asker.networkEnqueueCustom(room, "org.microlearn.playlist", """{"name":"Week 1"}""")
                runBlocking { asker.networkSend() }
                val qEvent = asker.networkOutbox().first { it.localId == q }.eventId!!
                runBlocking { peer.networkSync() }
                assertEquals(listOf("""{"name":"Week 1"}"""), peer.networkCustomEvents("org.microlearn.playlist", 10u))
                assertEquals(1uL, peer.networkCardView("ladder-1", 5u).comments)
                peer.networkAnswer(room, qEvent, "The blue step ladder, never a chair.")
                runBlocking { peer.networkSend() }
                runBlocking { asker.networkSync() }
                val answer = asker.networkCardView("ladder-1", 5u).questions.single().bestAnswer!!
                asker.networkVote(room, answer.eventId, true)
                asker.networkAccept(room, qEvent, answer.eventId)
                // The peer neither asked nor moderates: refused locally, with a typed error.
                runBlocking { peer.networkSync() }
                assertFailsWith<MicrolearnException.InvalidArgument> { peer.networkAccept(room, qEvent, answer.eventId) }
                peer.networkReport(room, qEvent, "test report")
                runBlocking { asker.networkSend() }
                runBlocking { peer.networkSend() }
                runBlocking { peer.networkSync() }
                val seen = peer.networkCardView("ladder-1", 5u).questions.single()
                assertTrue(seen.accepted)
                assertEquals(1L, seen.bestAnswer?.votes)
                assertTrue(peer.networkOutbox().all { it.state == OutboxState.SENT })
            }
        }
    }

    companion object {
        private val counter = AtomicInteger()
    }
}
