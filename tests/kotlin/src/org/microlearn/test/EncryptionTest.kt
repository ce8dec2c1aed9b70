// Encryption at rest through the FFI (issue 14): a key from the shell, typed errors for a wrong
// or missing key, migration of a plain database, rotation, and no plaintext in the files.
package org.microlearn.test

import java.io.File
import java.security.SecureRandom
import org.junit.Test
import org.microlearn.Microlearn
import org.microlearn.MicrolearnException
import org.microlearn.changeDatabaseKey
import org.microlearn.encryptionAvailable
import org.microlearn.newCard
import org.microlearn.recoverDataDir
import org.microlearn.shell.WorkOutcome
import org.microlearn.shell.outcomeFor
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

private const val MARKER = "Zebracorn till procedure"

/** 32 random bytes, as a shell would keep in the Android Keystore / iOS Keychain. */
fun newKey(): ByteArray = ByteArray(32).also { SecureRandom().nextBytes(it) }

/** How often [marker] occurs in the database, its WAL and its SHM file. */
fun plaintextHits(dir: File, marker: String): Int {
    val needle = marker.toByteArray()
    var hits = 0
    for (name in listOf("microlearn.db", "microlearn.db-wal", "microlearn.db-shm")) {
        val f = File(dir, name)
        if (!f.exists()) continue
        val bytes = f.readBytes()
        var i = 0
        while (i <= bytes.size - needle.size) {
            var j = 0
            while (j < needle.size && bytes[i + j] == needle[j]) j++
            if (j == needle.size) hits++
            i++
        }
    }
    return hits
}

class EncryptionTest {
    private fun cards(n: Int) = (0 until n).map { newCard("enc-$it", "$MARKER $it") }

    @Test
    fun anEncryptedStoreHoldsNoPlaintextAndAWrongKeyIsTypedAndHarmless() {
        assertTrue(encryptionAvailable())
        val dir = tempDataDir()
        val key = newKey()
        Microlearn.openEncrypted(dir.path, key).use { core ->
            assertTrue(core.isEncrypted())
            core.importCards(cards(40))
            assertEquals("$MARKER 7", core.card("enc-7").title)
            assertEquals(0, plaintextHits(dir, MARKER), "no plaintext while open (WAL included)")
            core.shutdown()
        }
        assertEquals(0, plaintextHits(dir, MARKER), "no plaintext after close")
        val db = File(dir, "microlearn.db")
        val wal = File(dir, "microlearn.db-wal")
        val before = db.readBytes()
        val walBefore = if (wal.exists()) wal.length() else -1L
        assertFailsWith<MicrolearnException.Encryption> { Microlearn.openEncrypted(dir.path, newKey()) }
        assertTrue(before.contentEquals(db.readBytes()), "wrong key wrote nothing (wal before: $walBefore)")
        assertFailsWith<MicrolearnException.Encryption> { Microlearn.open(dir.path) }
        assertTrue(before.contentEquals(db.readBytes()), "no key wrote nothing (wal before: $walBefore)")
        assertFailsWith<MicrolearnException.Encryption> { Microlearn.openEncrypted(dir.path, ByteArray(16)) }
        assertTrue(before.contentEquals(db.readBytes()), "nothing overwritten")
        Microlearn.openEncrypted(dir.path, key).use { core ->
            assertEquals(40uL, core.status().cards)
            core.shutdown()
        }
        deleteTree(dir)
    }

    @Test
    fun backgroundJobsRetryAFullDiskAndFailOnKeyOrDamage() {
        assertEquals(WorkOutcome.RETRY, outcomeFor(MicrolearnException.StorageFull("storage full")))
        assertEquals(WorkOutcome.FAIL, outcomeFor(MicrolearnException.Encryption("wrong key")))
        assertEquals(WorkOutcome.FAIL, outcomeFor(MicrolearnException.Corrupt("corrupt")))
    }

    @Test
    fun aPlainDatabaseMigratesWithoutLosingARowAndTheKeyRotates() {
        val dir = tempDataDir()
        Microlearn.open(dir.path).use { core ->
            core.importCards(cards(60))
            core.shutdown()
        }
        assertTrue(plaintextHits(dir, MARKER) > 0, "the grep finds plaintext in a plain store")
        val key = newKey()
        assertFailsWith<MicrolearnException.Encryption>("a plain file given a key") {
            Microlearn.openEncrypted(dir.path, key)
        }
        assertTrue(changeDatabaseKey(dir.path, null, key) >= 60uL)
        assertEquals(0, plaintextHits(dir, MARKER))
        val rotated = newKey()
        assertFailsWith<MicrolearnException.Encryption>("wrong old key") {
            changeDatabaseKey(dir.path, newKey(), rotated)
        }
        changeDatabaseKey(dir.path, key, rotated)
        assertFailsWith<MicrolearnException.Encryption> { Microlearn.openEncrypted(dir.path, key) }
        Microlearn.openEncrypted(dir.path, rotated).use { core ->
            assertEquals(60uL, core.status().cards)
            assertEquals("$MARKER 59", core.card("enc-59").title)
            core.shutdown()
        }
        deleteTree(dir)
    }

    @Test
    fun aDamagedFileIsTypedAndRecoverKeepsItAsideAndSalvagesTheQueue() {
        val dir = tempDataDir()
        val key = newKey()
        Microlearn.openEncrypted(dir.path, key).use { core ->
            repeat(20) { core.enqueueStatement(statementJson(it)) }
            core.importCards((0 until 800).map { newCard("big-$it", "Card $it").copy(body = "lorem ipsum ".repeat(40)) })
            core.shutdown()
        }
        val db = File(dir, "microlearn.db")
        val bytes = db.readBytes()
        val garbage = ByteArray(16384).also { SecureRandom().nextBytes(it) }
        garbage.copyInto(bytes, bytes.size / 2)
        db.writeBytes(bytes)
        var typed = 0
        try {
            Microlearn.openEncrypted(dir.path, key).use { core ->
                for (i in 0 until 800) {
                    try { core.card("big-$i") } catch (e: MicrolearnException.Corrupt) { typed++ }
                }
                core.shutdown()
            }
        } catch (e: MicrolearnException.Corrupt) {
            typed++
        }
        assertTrue(typed > 0, "the damage is reported as Corrupt")
        val recovered = recoverDataDir(dir.path, key)
        assertNotNull(recovered.report.keptAside)
        assertEquals(20uL, recovered.report.salvagedStatements)
        recovered.core.use { core ->
            assertEquals(20uL, core.xapiStatus().depth)
            core.shutdown()
        }
        deleteTree(dir)
    }
}

fun statementJson(i: Int): String =
    """{"actor":{"mbox":"mailto:learner@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/answered"},""" +
        """"object":{"id":"https://microlearn.example/cards/$i"},"timestamp":"2026-01-01T00:00:00.000Z"}"""
