// Connectivity and metered state from NWPathMonitor, asked by the core before network work.

import Foundation
import MicrolearnFFI
import Network

/// A `ConnectivityProvider` that follows the current network path.
public final class ConnectivityMonitor: ConnectivityProvider, @unchecked Sendable {
    private let monitor = NWPathMonitor()
    private let queue = DispatchQueue(label: "org.microlearn.connectivity")
    private let lock = NSLock()
    private var state: NetworkState = .offline

    /// Starts monitoring immediately.
    public init() {
        monitor.pathUpdateHandler = { [weak self] path in
            self?.update(path)
        }
        monitor.start(queue: queue)
    }

    deinit {
        monitor.cancel()
    }

    private func update(_ path: NWPath) {
        let next: NetworkState
        if path.status != .satisfied {
            next = .offline
        } else if path.isExpensive || path.isConstrained {
            next = .metered
        } else {
            next = .unmetered
        }
        lock.lock()
        state = next
        lock.unlock()
    }

    /// The latest known state.
    public func networkState() throws -> NetworkState {
        lock.lock()
        defer { lock.unlock() }
        return state
    }
}
