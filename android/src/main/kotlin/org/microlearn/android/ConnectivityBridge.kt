// Connectivity and metered state from ConnectivityManager, asked by the core before network work.
package org.microlearn.android

import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import org.microlearn.ConnectivityProvider
import org.microlearn.NetworkState

/**
 * A [ConnectivityProvider] following the default network. Create one per process (it registers
 * a network callback) and pass it to the core's network calls; [close] unregisters.
 */
class ConnectivityBridge(context: Context) : ConnectivityProvider, AutoCloseable {
    private val manager = context.getSystemService(ConnectivityManager::class.java)
    @Volatile private var state: NetworkState = current()

    private val callback = object : ConnectivityManager.NetworkCallback() {
        override fun onCapabilitiesChanged(network: Network, caps: NetworkCapabilities) {
            state = stateOf(caps)
        }
        override fun onLost(network: Network) {
            state = NetworkState.OFFLINE
        }
    }

    init {
        manager.registerDefaultNetworkCallback(callback)
    }

    private fun current(): NetworkState =
        manager.getNetworkCapabilities(manager.activeNetwork)?.let(::stateOf) ?: NetworkState.OFFLINE

    private fun stateOf(caps: NetworkCapabilities): NetworkState = when {
        !caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET) ||
            !caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_VALIDATED) -> NetworkState.OFFLINE
        caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_NOT_METERED) -> NetworkState.UNMETERED
        else -> NetworkState.METERED
    }

    /** The latest known state (called by the core from a background thread). */
    override fun networkState(): NetworkState = state

    /** Stops listening for network changes. */
    override fun close() {
        manager.unregisterNetworkCallback(callback)
    }
}
