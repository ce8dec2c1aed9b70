// The personal layer from Kotlin: playlists and their progress, share/follow/copy across two data
// directories with the conflict rule, recommendations with reasons from a peer-signals file,
// privacy enforced in payloads, expertise finding and leaderboards of opted-in people only.
package org.microlearn.test

import java.time.Instant
import kotlinx.coroutines.runBlocking
import org.junit.Test
import org.microlearn.Microlearn
import org.microlearn.MicrolearnException
import org.microlearn.PeerContribution
import org.microlearn.PeerPoints
import org.microlearn.PlaylistKind
import org.microlearn.RatingSharing
import org.microlearn.ReasonKind
import org.microlearn.newCard
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

class PersonalTest {
    private val now = Instant.parse("2026-12-01T09:00:00Z")
    private val ids = listOf("a", "b", "c", "d", "e")

    private fun seed(core: Microlearn) {
        core.importCards(ids.map { newCard(it, "Card $it").copy(tags = listOf("shared-tag")) })
    }

    @Test
    fun playlistEditsAndProgress() {
        Microlearn.open(tempDataDir().path).use { core ->
            seed(core)
            val p = core.createPlaylist("Week one", listOf("a", "b", "c"), now = now)
            assertEquals(PlaylistKind.OWN, p.kind)
            core.addToPlaylist(p.id, "d", now = now)
            core.removeFromPlaylist(p.id, "a", now = now)
            core.reorderPlaylist(p.id, listOf("d", "c", "b"), now = now)
            core.renamePlaylist(p.id, "Week 1", now = now)
            core.markCardCompleted("d", now = now)
            val prog = core.playlistProgress(p.id)
            assertEquals(3U, prog.total)
            assertEquals(1U, prog.done)
            assertEquals("c", prog.nextCard)
            assertEquals(2U, prog.minutesLeft)
            assertEquals("Week 1", core.playlist(p.id).title)
            assertFailsWith<MicrolearnException.NotFound> { core.playlist("nope") }
            assertFailsWith<MicrolearnException.NotFound> { core.addToPlaylist(p.id, "zzz", now = now) }
            assertFailsWith<MicrolearnException.InvalidArgument> { core.reorderPlaylist(p.id, listOf("b"), now = now) }
            assertFailsWith<MicrolearnException.InvalidArgument> { core.createPlaylist("", listOf(), now = now) }
            core.deletePlaylist(p.id)
            assertTrue(core.playlists().isEmpty())
        }
    }

    @Test
    fun followKeepsLocalOverlayAndCopyIsAFork() {
        Microlearn.open(tempDataDir().path).use { owner ->
            Microlearn.open(tempDataDir().path).use { me ->
                seed(owner); seed(me)
                val pl = owner.createPlaylist("Safety", listOf("a", "b", "c"), now = now)
                val v1 = owner.sharePayload(pl.id)
                val f = me.followShared(v1, now = now)
                val c = me.copyShared(v1, now = now)
                assertEquals(PlaylistKind.FOLLOWED, f.kind)
                assertFailsWith<MicrolearnException.InvalidArgument> { me.renamePlaylist(f.id, "x", now = now) }
                me.removeFromPlaylist(f.id, "b", now = now) // hide
                me.addToPlaylist(f.id, "e", now = now) // local add
                owner.addToPlaylist(pl.id, "d", now = now)
                val out = me.applyShared(owner.sharePayload(pl.id), now = now)
                assertEquals(f.id, out.updated)
                assertEquals(listOf(c.id), out.copiesBehind)
                assertEquals(listOf("a", "c", "d", "e"), me.playlist(f.id).cards)
                assertEquals(listOf("a", "b", "c"), me.playlist(c.id).cards, "a copy is a fork")
                assertTrue(me.applyShared(v1, now = now).stale, "an older revision changes nothing")
                assertFailsWith<MicrolearnException.InvalidArgument> { me.applyShared("{\"format\":1}", now = now) }
            }
        }
    }

    /** Through the real Synapse (NetworkTest's learners): share, follow, owner update, apply. */
    @Test
    fun playlistSharedThroughSynapseUpdatesTheFollowedCopy() {
        val net = NetworkTest()
        val (owner, _) = net.learner("plo")
        val (me, _) = net.learner("plf")
        owner.use {
            me.use {
                seed(owner); seed(me)
                val topic = "Kotlin playlists ${System.nanoTime()}"
                val room = runBlocking { owner.networkCreateTopicRoom(topic) }
                runBlocking { me.networkJoinTopics(listOf(topic)) }
                val pl = owner.createPlaylist("Safety", listOf("a", "b"), now = now)
                val queued = owner.sharePlaylistToRoom(pl.id, topic)
                assertEquals(listOf("custom" to room), owner.networkOutbox().filter { it.localId == queued }.map { it.kind to it.roomId })
                runBlocking { owner.networkSend() }
                runBlocking { me.networkSync() }
                val got = me.receivedPlaylists(room).single()
                assertEquals(listOf("a", "b"), got.cards)
                val f = me.followReceivedPlaylist(got.eventId, now = now)
                assertEquals(PlaylistKind.FOLLOWED, f.kind)
                owner.addToPlaylist(pl.id, "c", now = now)
                owner.sharePlaylistToRoom(pl.id, room)
                runBlocking { owner.networkSend() }
                runBlocking { me.networkSync() }
                assertEquals(listOf(f.id), me.applySharedPlaylists(now = now).updated)
                assertEquals(listOf("a", "b", "c"), me.playlist(f.id).cards)
                assertTrue(me.applySharedPlaylists(now = now).updated.isEmpty(), "idempotent")
                // Expertise: the owner never opted in, so publishing sends a retraction only.
                owner.publishExpertiseToRoom(room, now = now)
                runBlocking { owner.networkSend() }
                runBlocking { me.networkSync() }
                assertEquals(0uL, me.expertiseFromNetwork(now = now))
                assertTrue(me.whoCanHelp(topic, 5u).isEmpty())
            }
        }
    }

    @Test
    fun recommendationsExplainThemselves() {
        Microlearn.open(tempDataDir().path).use { core ->
            seed(core)
            val signals = buildString {
                append("{\"format\":\"microlearn.peer-signals\",\"version\":1,\"learners\":20}\n")
                append("{\"card\":\"a\",\"completions\":10,\"co\":[[\"b\",8],[\"c\",3]]}\n")
                append("{\"card\":\"b\",\"completions\":9,\"co\":[[\"a\",8]]}\n")
                append("{\"card\":\"c\",\"completions\":4,\"co\":[[\"a\",3]]}\n")
                append("{\"card\":\"e\",\"completions\":15}\n")
            }
            val report = core.importPeerSignals(signals)
            assertEquals(4UL, report.cards)
            assertEquals(ReasonKind.POPULAR, core.nextForYou(limit = 3U, now = now).first().reason)
            core.rateCard("a", 5U, now = now)
            val recs = core.nextForYou(limit = 3U, now = now)
            assertEquals("b", recs[0].cardId)
            assertEquals(ReasonKind.BECAUSE_YOU_RATED, recs[0].reason)
            assertEquals("a", recs[0].becauseCardId)
            assertTrue(recs[0].explanation.contains("Card a"), recs[0].explanation)
            val liked = core.ifYouLiked("b", limit = 3U)
            assertEquals(ReasonKind.ALSO_COMPLETED_WITH, liked.first().reason)
            assertFailsWith<MicrolearnException.InvalidArgument> { core.rateCard("a", 7U, now = now) }
            assertFailsWith<MicrolearnException.InvalidArgument> { core.importPeerSignals("not json") }
        }
    }

    @Test
    fun privacyExpertiseAndLeaderboards() {
        Microlearn.open(tempDataDir().path).use { core ->
            seed(core)
            core.rateCard("a", 4U, now = now)
            val anon = assertNotNull(core.ratingsPayload())
            assertFalse(anon.contains("learner"), anon)
            core.setPrivacySettings(core.privacySettings().copy(ratings = RatingSharing.OFF))
            assertNull(core.ratingsPayload())
            val p = core.createPlaylist("P", listOf("a"), now = now)
            assertFalse(core.sharePayload(p.id).contains("ratings"), "ratings only when named")
            core.setPrivacySettings(core.privacySettings().copy(ratings = RatingSharing.NAMED, displayName = "Ana"))
            assertTrue(core.sharePayload(p.id).contains("\"owner_name\":\"Ana\""))

            core.applyPeerContributions(listOf(
                PeerContribution("p1", "Bo", "north", "refunds", 3U, 5L, 0.8f, true),
                PeerContribution("p2", "Cy", "north", "refunds", 0U, 1L, null, true),
            ), now = now)
            assertEquals(listOf("p1", "p2"), core.whoCanHelp("Refunds", limit = 5U).map { it.peerId })
            core.applyPeerContributions(listOf(PeerContribution("p1", "", "", "x", 0U, 0L, null, false)), now = now)
            assertEquals(listOf("p2"), core.whoCanHelp("refunds", limit = 5U).map { it.peerId })

            core.applyPeerPoints(listOf(PeerPoints("p1", "Bo", "north", "safety", "2026-W49", 40UL, true)))
            val board = core.teamLeaderboard("north", limit = 10U, now = now)
            assertEquals(listOf("p1"), board.map { it.peerId }, "the learner has not opted in")
            core.setPrivacySettings(core.privacySettings().copy(leaderboard = true, team = "north"))
            assertTrue(core.teamLeaderboard("north", limit = 10U, now = now).any { it.isMe })
        }
    }
}
