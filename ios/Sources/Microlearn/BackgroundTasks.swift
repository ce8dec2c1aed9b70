// BGTaskScheduler hook: catalog sync (a processing task that needs the network) and xAPI flush
// (an app-refresh task). Each run gets a CancelToken that the task's expiration handler cancels:
// cancelling a Swift Task does not stop the Rust future, the token does, and the core commits
// its work in steps so the next run resumes. After a failure the next run is chosen by
// WorkOutcome + Backoff (WorkOutcome.swift, tested on Linux): transient errors retry sooner with
// exponential backoff, others wait the regular interval. Needs BackgroundTasks (iOS only).

#if canImport(BackgroundTasks)
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
    /// Delay after failed runs (30 s doubling, at most 5 h, up to +20 % jitter).
    public var backoff = Backoff(jitter: 0.2)
    private let lock = NSLock()
    private var failures: [String: Int] = [:]

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
            self.run(task, work: self.sync) { outcome, finished in
                self.scheduleSync(scheduler: scheduler, after: outcome, finished: finished)
            }
        }
        scheduler.register(forTaskWithIdentifier: Self.flushIdentifier, using: nil) { task in
            self.run(task, work: self.flush) { outcome, finished in
                self.scheduleFlush(scheduler: scheduler, after: outcome, finished: finished)
            }
        }
    }

    /// Asks for the next sync run (needs network; may wait for charging at the system's choice).
    public func scheduleSync(
        scheduler: BGTaskScheduler = .shared, after outcome: WorkOutcome? = nil, finished: Bool = false
    ) {
        let begin = nextRun(Self.syncIdentifier, outcome, finished, interval: syncInterval)
        let request = BGProcessingTaskRequest(identifier: Self.syncIdentifier)
        request.requiresNetworkConnectivity = true
        request.earliestBeginDate = begin
        try? scheduler.submit(request)
    }

    /// Asks for the next flush run.
    public func scheduleFlush(
        scheduler: BGTaskScheduler = .shared, after outcome: WorkOutcome? = nil, finished: Bool = false
    ) {
        let begin = nextRun(Self.flushIdentifier, outcome, finished, interval: flushInterval)
        let request = BGAppRefreshTaskRequest(identifier: Self.flushIdentifier)
        request.earliestBeginDate = begin
        try? scheduler.submit(request)
    }

    /// Counts consecutive failures per task (when a run `finished`) and asks `backoff` for the
    /// next start.
    private func nextRun(
        _ id: String, _ outcome: WorkOutcome?, _ finished: Bool, interval: TimeInterval
    ) -> Date {
        lock.lock()
        var count = failures[id] ?? 0
        if finished {
            count = outcome == .retry ? count + 1 : 0
            failures[id] = count
        }
        lock.unlock()
        return backoff.nextRun(after: outcome, failures: count, interval: interval)
    }

    private func run(
        _ task: BGTask, work: @escaping Work, reschedule: @escaping (WorkOutcome?, Bool) -> Void
    ) {
        // Scheduled at once, so a run the system kills still has a successor; replaced below.
        reschedule(nil, false)
        let token = CancelToken()
        let job = Task {
            do {
                try await work(token)
                reschedule(nil, true)
                task.setTaskCompleted(success: true)
            } catch {
                reschedule(WorkOutcome(for: error), true)
                task.setTaskCompleted(success: false)
            }
        }
        task.expirationHandler = {
            token.cancel()
            job.cancel()
        }
    }
}
#endif
