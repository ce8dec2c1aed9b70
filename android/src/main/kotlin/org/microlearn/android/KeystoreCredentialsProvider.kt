// Credentials encrypted with an Android Keystore key, read at call time by the core (never cached
// in Rust), so a rotated token is used on the next request.
package org.microlearn.android

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Base64
import java.net.URI
import java.security.KeyStore
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import org.microlearn.Credentials
import org.microlearn.CredentialsProvider
import org.microlearn.ProviderException

/**
 * A [CredentialsProvider] keeping one secret per endpoint host in SharedPreferences, encrypted
 * with AES-GCM under a non-exportable Android Keystore key. `account == "bearer"` stores a token;
 * anything else is an HTTP Basic user name.
 */
class KeystoreCredentialsProvider(
    context: Context,
    private val keyAlias: String = "org.microlearn.credentials",
    /**
     * Called when the LRS refused the stored credentials (401/403): store fresh ones with [store]
     * (e.g. after a token refresh) and return true, or return false to pause delivery.
     */
    private val refresh: ((endpoint: String) -> Boolean)? = null,
) : CredentialsProvider {
    private val prefs = context.getSharedPreferences("org.microlearn.credentials", Context.MODE_PRIVATE)

    private fun key(): SecretKey {
        val store = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
        (store.getKey(keyAlias, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, "AndroidKeyStore")
        generator.init(
            KeyGenParameterSpec.Builder(keyAlias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .build(),
        )
        return generator.generateKey()
    }

    /** Stores (or replaces) the secret for [host]. */
    fun store(host: String, account: String, secret: String) {
        val cipher = Cipher.getInstance("AES/GCM/NoPadding").apply { init(Cipher.ENCRYPT_MODE, key()) }
        val sealed = cipher.doFinal(secret.toByteArray(Charsets.UTF_8))
        prefs.edit()
            .putString("$host.account", account)
            .putString("$host.iv", Base64.encodeToString(cipher.iv, Base64.NO_WRAP))
            .putString("$host.secret", Base64.encodeToString(sealed, Base64.NO_WRAP))
            .apply()
    }

    /** Credentials for [endpoint]'s host, or null when none are stored (or refused, unrefreshed). */
    override fun credentials(endpoint: String, rejected: Boolean): Credentials? {
        if (rejected && refresh?.invoke(endpoint) != true) return null
        val host = runCatching { URI(endpoint).host }.getOrNull()
            ?: throw ProviderException.Failed("endpoint $endpoint has no host")
        val account = prefs.getString("$host.account", null) ?: return null
        val iv = prefs.getString("$host.iv", null) ?: return null
        val sealed = prefs.getString("$host.secret", null) ?: return null
        val secret = try {
            val cipher = Cipher.getInstance("AES/GCM/NoPadding")
            cipher.init(Cipher.DECRYPT_MODE, key(), GCMParameterSpec(128, Base64.decode(iv, Base64.NO_WRAP)))
            String(cipher.doFinal(Base64.decode(sealed, Base64.NO_WRAP)), Charsets.UTF_8)
        } catch (e: Exception) {
            // The key was invalidated (e.g. lock screen removed): the app must sign in again.
            throw ProviderException.Failed("stored credentials for $host cannot be decrypted: ${e.message}")
        }
        return if (account == "bearer") Credentials.Bearer(secret) else Credentials.Basic(account, secret)
    }
}
