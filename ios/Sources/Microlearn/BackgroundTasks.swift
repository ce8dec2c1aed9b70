// BGTaskScheduler hook: catalog sync (a processing task that needs the network) and xAPI flush
// (an app-refresh task). Each run gets a CancelToken that the task's expiration handler cancels:
// cancelling a Swift Task does not stop the Rust future, the token does, and the core commits
// its work in steps so the next run resumes.

import BackgroundTasks
import Foundation
import MicrolearnFFI

/// Registers and schedules Microlearn's background work. Call `register` from
/// `application(_:didFinishLaunchingWithOptions:)` (before launch finishes), and list both
/// identifiers under `BGTaskSchedulerPermittedIdentifiers` in Info.plist.
public final class MicrolearnBackgroundTasks: @unchecked Sendable {
    /// Identifier of the sync task.
    public static let syncIdentifier = "org.microlearn.sync"
    /// Identifier of the xAPI flush task.
    public static let flushIdentifier = "org.microlearn.flush"

    /// The work to run for sync; it must honour the token.
    public typealias Work = @Sendable (CancelToken) async throws -> Void

    private let sync: Work
    private let flush: Work
    /// How long to wait before the next sync.
    public var syncInterval: TimeInterval = 6 * 60 * 60
    /// How long to wait before the next flush.
    public var flushInterval: TimeInterval = 30 * 60

    /// A hook running `sync` and `flush` (closures over the app's `Microlearn` core).
    public init(sync: @escaping Work, flush: @escaping Work) {
        self.sync = sync
        self.flush = flush
    }

    /// The usual hook: sync the catalog at `catalogURL` and flush xAPI to `lrs` with `core`
    /// (its providers already set). A flush that must wait (backoff, paused, credentials) is not
    /// an error: the next scheduled run tries again.
    public convenience init(core: Microlearn, catalogURL: String?, lrs: LrsEndpoint?) {
        self.init(
            sync: { token in
                if let url = catalogURL {
                    _ = try await core.syncCatalog(url: url, cancel: token)
                }
            },
            flush: { token in
                if let endpoint = lrs {
                    _ = try await core.flushXapi(endpoint: endpoint, cancel: token)
                }
            }
        )
    }

    /// Registers both task handlers with the system.
    public func register(scheduler: BGTaskScheduler = .shared) {
        scheduler.register(forTaskWithIdentifier: Self.syncIdentifier, using: nil) { task in
            self.run(task, work: self.sync) { self.scheduleSync(scheduler: scheduler) }
        }
        scheduler.register(forTaskWithIdentifier: Self.flushIdentifier, using: nil) { task in
            self.run(task, work: self.flush) { self.scheduleFlush(scheduler: scheduler) }
        }
    }

    /// Asks for the next sync run (needs network; may wait for charging at the system's choice).
    public func scheduleSync(scheduler: BGTaskScheduler = .shared) {
        let request = BGProcessingTaskRequest(identifier: Self.syncIdentifier)
        request.requiresNetworkConnectivity = true
        request.earliestBeginDate = Date(timeIntervalSinceNow: syncInterval)
        try? scheduler.submit(request)
    }

    /// Asks for the next flush run.
    public func scheduleFlush(scheduler: BGTaskScheduler = .shared) {
        let request = BGAppRefreshTaskRequest(identifier: Self.flushIdentifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: flushInterval)
        try? scheduler.submit(request)
    }

    private func run(_ task: BGTask, work: @escaping Work, reschedule: @escaping () -> Void) {
        reschedule()
        let token = CancelToken()
        let job = Task {
            do {
                try await work(token)
                task.setTaskCompleted(success: true)
            } catch {
                task.setTaskCompleted(success: false)
            }
        }
        task.expirationHandler = {
            token.cancel()
            job.cancel()
        }
    }
}
