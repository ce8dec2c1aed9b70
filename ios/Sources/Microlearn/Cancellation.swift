// Swift Task cancellation for the core's async calls. The generated bindings do not pass a
// Task's cancellation to the Rust future (it runs until it finishes or times out); the core's own
// CancelToken does stop it. `withCancelToken` joins the two: cancelling the surrounding Task
// cancels the token, and the call ends promptly with `MicrolearnError.Cancelled`.
// Pure Swift: compiled and tested on Linux (tests/swift, tests/suites/40-swift.sh).

import Foundation
import MicrolearnFFI

/// Runs `body` with a fresh `CancelToken` that is cancelled when the current Task is cancelled
/// (also when it already was). Pass the token to every core call in `body`:
///
///     let report = try await withCancelToken { token in
///         try await core.syncCatalog(url: url, cancel: token)
///     }
public func withCancelToken<T>(_ body: (CancelToken) async throws -> T) async throws -> T {
    let token = CancelToken()
    return try await withTaskCancellationHandler {
        try await body(token)
    } onCancel: {
        token.cancel()
    }
}

extension MicrolearnError {
    /// True for `.Cancelled` (a CancelToken fired, e.g. through `withCancelToken`).
    public var isCancellation: Bool {
        if case .Cancelled = self { return true }
        return false
    }
}
