// Connectivity and metered state from NWPathMonitor, asked by the core before network work.
// Needs Network (Apple platforms only); the mapping itself is NetworkState(satisfied:expensive:
// constrained:) in ProviderLogic.swift, tested on Linux.

#if canImport(Network)
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
        let next = NetworkState(
            satisfied: path.status == .satisfied, expensive: path.isExpensive,
            constrained: path.isConstrained)
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
#endif
