// Pure logic of the background-work adapter (no Apple-only framework): what to do after a failed
// core call, and when to try again. Compiled and tested on Linux (tests/swift,
// tests/suites/40-swift.sh); the Android shell has the same rules (android/.../shell/WorkOutcome.kt).

import Foundation
import MicrolearnFFI

/// What a background job (BGTask, a foreground "sync now") should do after a failed core call.
public enum WorkOutcome: Equatable, Sendable {
    /// Transient (network, server, locked Keychain, disk): retry later with backoff.
    case retry
    /// Cancelled on purpose (the system expired the task): stop quietly, the next run resumes.
    case stop
    /// Will not get better by retrying (bad input, a closed core, a bug): fail and report.
    case fail

    /// Maps an error from the core to an outcome. Network errors, a catalog that failed
    /// verification (often a CDN mid-update), a provider that could not answer yet (locked
    /// Keychain), local I/O and store errors are retried; the core commits its work in steps, so a
    /// retry resumes rather than restarts. Swift `Task` cancellation (`CancellationError`) stops.
    /// Configuration errors (a bad LRS URL: `Xapi`, `InvalidArgument`), a closed core and anything
    /// that is not a `MicrolearnError` fail.
    public init(for error: Error) {
        switch error {
        case MicrolearnError.Network, MicrolearnError.Content, MicrolearnError.Provider,
             MicrolearnError.Io, MicrolearnError.Store:
            self = .retry
        case MicrolearnError.Cancelled:
            self = .stop
        case is CancellationError:
            self = .stop
        default:
            self = .fail
        }
    }
}

/// Exponential backoff between retries of failed background work: `base` doubled per consecutive
/// failure, capped at `cap` (WorkManager's rule on Android: 30 s doubling, at most 5 h), optionally
/// spread by up to `jitter` (a fraction of the delay) so many devices do not retry in step.
public struct Backoff: Equatable, Sendable {
    /// Delay after the first failure.
    public var base: TimeInterval
    /// Longest delay.
    public var cap: TimeInterval
    /// Fraction of the delay added at random (0 = none, 0.2 = up to +20 %).
    public var jitter: Double

    /// A backoff policy; the defaults match the Android worker.
    public init(base: TimeInterval = 30, cap: TimeInterval = 5 * 60 * 60, jitter: Double = 0) {
        self.base = max(0, base)
        self.cap = max(self.base, cap)
        self.jitter = min(max(0, jitter), 1)
    }

    /// The delay before the next try after `failures` consecutive failures (0 → no delay).
    /// `random` is in 0..<1 (pass a fixed value in tests).
    public func delay(afterFailures failures: Int, random: Double = Double.random(in: 0..<1)) -> TimeInterval {
        guard failures > 0 else { return 0 }
        // 2^(failures-1), without overflowing for large counts.
        let exponent = min(failures - 1, 62)
        let raw = base * pow(2, Double(exponent))
        let capped = min(raw, cap)
        let spread = capped * jitter * min(max(random, 0), 1)
        return min(capped + spread, cap * (1 + jitter))
    }

    /// When the next run should start: after a retryable failure the backoff delay (never later
    /// than `interval`); otherwise (success, cancelled, permanent failure) the regular `interval`
    /// — a permanent failure is not retried sooner, it waits for the app to fix its settings.
    public func nextRun(
        after outcome: WorkOutcome?, failures: Int, interval: TimeInterval, now: Date = Date(),
        random: Double = Double.random(in: 0..<1)
    ) -> Date {
        if outcome == .retry {
            return now.addingTimeInterval(min(delay(afterFailures: failures, random: random), interval))
        }
        return now.addingTimeInterval(interval)
    }
}
