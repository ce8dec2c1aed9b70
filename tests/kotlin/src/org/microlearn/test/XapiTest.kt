// The xAPI queue from Kotlin: validation at enqueue, durability, learner privacy, record helpers.
package org.microlearn.test

import org.junit.Test
import org.microlearn.LearnerConfig
import org.microlearn.LearnerPrivacy
import org.microlearn.Microlearn
import org.microlearn.MicrolearnException
import org.microlearn.XapiVersion
import org.microlearn.newCard
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue

class XapiTest {
    private val statement = """
        {"actor":{"mbox":"mailto:ada@example.com","objectType":"Agent"},
         "verb":{"id":"http://adlnet.gov/expapi/verbs/experienced","display":{"en-US":"experienced"}},
         "object":{"id":"https://microlearn.example/xapi/cards/refund-1","objectType":"Activity"}}
    """.trimIndent()

    @Test
    fun enqueueIsValidatedAndDurable() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            val id = core.enqueueStatement(statement)
            assertTrue(Regex("[0-9a-f-]{36}").matches(id), id)
            val bad = assertFailsWith<MicrolearnException.Xapi> {
                core.enqueueStatement("""{"actor":{"mbox":"ada@example.com"},"verb":{"id":"x"},"object":{"id":"y"}}""")
            }
            assertTrue(bad.message!!.contains("invalid xAPI statement"), bad.message)
            assertFailsWith<MicrolearnException.Xapi> { core.enqueueStatement("not json") }
            assertFailsWith<MicrolearnException.NotFound> { core.retryDeadLetter("00000000-0000-4000-8000-000000000000") }
            assertEquals(1UL, core.xapiStatus().depth)
        }
        Microlearn.open(dir.path).use { core ->
            val st = core.xapiStatus()
            assertEquals(1UL, st.depth, "the queued statement survives reopening")
            assertEquals(0UL, st.deadLetters)
            assertEquals(emptyList(), core.deadLetters())
        }
        deleteTree(dir)
    }

    @Test
    fun learnerPrivacyAndRecordHelpers() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            core.importCards(listOf(newCard("refund-1", "Refunds")))
            core.setLearner(LearnerConfig(name = "Ada", email = "ada@example.com", privacy = LearnerPrivacy.MBOX_SHA1SUM))
            val actor = core.learnerActorJson()
            assertTrue(actor.contains("mbox_sha1sum"), actor)
            assertFalse(actor.contains("ada@example.com"), "the raw e-mail never leaves: $actor")
            assertFailsWith<MicrolearnException.Xapi> {
                core.setLearner(LearnerConfig(privacy = LearnerPrivacy.ACCOUNT))
            }
            val settings = core.xapiSettings()
            assertEquals(XapiVersion.V2_0_0, settings.version)
            core.setXapiSettings(settings.copy(activityBase = "https://acme.example/xapi", language = "en-US"))
            assertEquals("https://acme.example/xapi/", core.xapiSettings().activityBase)
            assertFailsWith<MicrolearnException.Xapi> { core.setXapiSettings(settings.copy(activityBase = "not an iri")) }
            val ids = listOf(
                core.recordCardViewed("refund-1", 42.5),
                core.recordCardCompleted("refund-1"),
                core.recordSearch("refund without receipt", 3UL),
                core.recordCardRated("refund-1", 4.0, 5.0),
                core.recordCardCommented("refund-1", "Useful \u2014 thanks \u0000!"),
                core.recordCardShared("refund-1", channel = "chat"),
            )
            assertEquals(6, ids.toSet().size)
            assertEquals(6UL, core.xapiStatus().depth)
        }
        deleteTree(dir)
    }
}
