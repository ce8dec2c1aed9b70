// Helpers of the Swift suite (tests/suites/40-swift.sh): temp data directories, the environment the
// suite script provides, open file descriptors, a stalled loopback server, a raw HTTP GET, and
// a deadline for async calls (Task cancellation alone cannot stop a Rust future).
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Microlearn
import XCTest

/// A fresh, empty data directory under the suite's scratch dir.
func tempDataDir(_ prefix: String = "ml-") -> String {
    let base = ProcessInfo.processInfo.environment["MICROLEARN_TEST_TMP"] ?? NSTemporaryDirectory()
    let dir = (base as NSString).appendingPathComponent(prefix + UUID().uuidString)
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Deletes a directory tree (test cleanup).
func deleteTree(_ dir: String) {
    try? FileManager.default.removeItem(atPath: dir)
}

/// An environment variable the suite script must set, or a clear failure.
func requireEnv(_ name: String) throws -> String {
    guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
        throw XCTSkip("\(name) is not set: run this through tests/suites/40-swift.sh")
    }
    return value
}

/// Open file descriptors of this process (Linux), to detect leaked database handles.
func openFdCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
}

/// The error `body` throws, or a test failure when it returns.
@discardableResult
func assertThrows<T>(
    _ body: () throws -> T, _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) -> Error? {
    do {
        _ = try body()
        XCTFail("expected an error \(message)", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

/// The error an async `body` throws, or a test failure when it returns.
@discardableResult
func assertThrowsAsync<T>(
    _ body: () async throws -> T, _ message: String = "", file: StaticString = #filePath,
    line: UInt = #line
) async -> Error? {
    do {
        _ = try await body()
        XCTFail("expected an error \(message)", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

/// The core's message of a MicrolearnError, "" for anything else.
func coreMessage(_ error: Error?) -> String {
    guard let e = error as? MicrolearnError else { return "" }
    switch e {
    case .Store(let m), .Content(let m), .Search(let m), .Quiz(let m), .Network(let m),
         .Nudge(let m), .Xapi(let m), .NotFound(let m), .InvalidArgument(let m), .Io(let m),
         .Closed(let m), .Cancelled(let m), .Provider(let m):
        return m
    }
}

/// The case name of a MicrolearnError ("NotFound" …), or the type name of any other error.
func kind(_ error: Error?) -> String {
    guard let error = error else { return "none" }
    guard let e = error as? MicrolearnError else { return String(describing: type(of: error)) }
    switch e {
    case .Store: return "Store"
    case .Content: return "Content"
    case .Search: return "Search"
    case .Quiz: return "Quiz"
    case .Network: return "Network"
    case .Nudge: return "Nudge"
    case .Xapi: return "Xapi"
    case .NotFound: return "NotFound"
    case .InvalidArgument: return "InvalidArgument"
    case .Io: return "Io"
    case .Closed: return "Closed"
    case .Cancelled: return "Cancelled"
    case .Provider: return "Provider"
    }
}

struct TimedOut: Error {}

/// A one-shot flag, safe across threads.
final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var taken = false
    func take() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if taken { return false }
        taken = true
        return true
    }
}

/// Runs `body` in its own Task and returns its result, or throws TimedOut after `seconds` (the
/// hang guard: a Task that does not finish is abandoned, not awaited).
func withDeadline<T: Sendable>(
    _ seconds: Double, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, Error>) in
        let once = Once()
        let task = Task {
            do {
                let value = try await body()
                if once.take() { cont.resume(returning: value) }
            } catch {
                if once.take() { cont.resume(throwing: error) }
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
            if once.take() {
                task.cancel()
                cont.resume(throwing: TimedOut())
            }
        }
    }
}

/// Waits for a semaphore without blocking a Swift concurrency thread.
func waitAsync(_ semaphore: DispatchSemaphore, seconds: Double) async -> Bool {
    await withCheckedContinuation { (cont: CheckedContinuation<Bool, Never>) in
        Thread {
            cont.resume(returning: semaphore.wait(timeout: .now() + seconds) == .success)
        }.start()
    }
}

/// Runs `body(i)` on `count` real threads that start together; returns when all are done.
func onThreads(_ count: Int, timeout: Double = 120, _ body: @escaping @Sendable (Int) -> Void) -> Bool {
    let group = DispatchGroup()
    let start = DispatchSemaphore(value: 0)
    for i in 0..<count {
        group.enter()
        let t = Thread {
            start.wait()
            body(i)
            group.leave()
        }
        t.stackSize = 4 << 20
        t.start()
    }
    for _ in 0..<count { start.signal() }
    return group.wait(timeout: .now() + timeout) == .success
}

/// A counter safe across threads.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add(_ k: Int = 1) {
        lock.lock()
        n += k
        lock.unlock()
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return n
    }
}

/// A list safe across threads.
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []
    func append(_ item: T) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }
    var all: [T] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}

private func loopbackAddress(port: UInt16) -> sockaddr_in {
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    return addr
}

private func boundPort(_ fd: Int32) -> UInt16 {
    var addr = sockaddr_in()
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return UInt16(bigEndian: addr.sin_port)
}

private func listeningSocket() -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    precondition(fd >= 0, "socket() failed")
    var addr = loopbackAddress(port: 0)
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    precondition(rc == 0, "bind() failed")
    return fd
}

/// A loopback port nothing listens on.
func closedPort() -> UInt16 {
    let fd = listeningSocket()
    let port = boundPort(fd)
    close(fd)
    return port
}

/// A loopback server that accepts one connection, reads the request and never answers.
final class StallServer: @unchecked Sendable {
    let port: UInt16
    var url: String { "http://127.0.0.1:\(port)/catalog/index.json" }
    var base: String { "http://127.0.0.1:\(port)/" }
    /// Signalled when the client connected.
    let accepted = DispatchSemaphore(value: 0)
    /// Signalled when the client closed its connection (read returned 0 / an error).
    let clientClosed = DispatchSemaphore(value: 0)
    private let fd: Int32
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var client: Int32 = -1
    private var closing = false

    init() {
        fd = listeningSocket()
        listen(fd, 50)
        port = boundPort(fd)
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    private func serve() {
        defer { done.signal() }
        let c = accept(fd, nil, nil)
        guard c >= 0 else { return }
        lock.lock()
        client = c
        lock.unlock()
        accepted.signal()
        var buf = [UInt8](repeating: 0, count: 4096)
        while read(c, &buf, buf.count) > 0 {}
        lock.lock()
        let byUs = closing
        lock.unlock()
        if !byUs { clientClosed.signal() }
    }

    /// Stops the server (also unblocks its thread).
    func stop() {
        lock.lock()
        closing = true
        let c = client
        lock.unlock()
        shutdown(fd, Int32(SHUT_RDWR))
        if c >= 0 { shutdown(c, Int32(SHUT_RDWR)) }
        _ = done.wait(timeout: .now() + 5)
        close(fd)
        if c >= 0 { close(c) }
    }
}

/// A plain HTTP/1.1 GET on loopback; the response status code (0 when unreachable).
func httpStatus(_ urlString: String, headers: [String: String] = [:]) -> Int {
    guard let url = URLComponents(string: urlString), let port = url.port else { return 0 }
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = loopbackAddress(port: UInt16(port))
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard rc == 0 else { return 0 }
    var target = url.percentEncodedPath
    if let q = url.percentEncodedQuery { target += "?" + q }
    var request = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    for (k, v) in headers { request += "\(k): \(v)\r\n" }
    request += "\r\n"
    let bytes = Array(request.utf8)
    guard write(fd, bytes, bytes.count) == bytes.count else { return 0 }
    var response = [UInt8]()
    var buf = [UInt8](repeating: 0, count: 4096)
    while response.count < 64 {
        let n = read(fd, &buf, buf.count)
        if n <= 0 { break }
        response += buf[0..<n]
    }
    let line = String(decoding: response, as: UTF8.self).split(separator: "\r\n").first ?? ""
    let parts = line.split(separator: " ")
    return parts.count >= 2 ? Int(parts[1]) ?? 0 : 0
}

/// A fresh core on a fresh directory; the directory is deleted when the test ends.
func openTemp(_ test: XCTestCase, _ prefix: String = "ml-") throws -> (Microlearn, String) {
    let dir = tempDataDir(prefix)
    test.addTeardownBlock { deleteTree(dir) }
    return (try Microlearn.open(dataDir: dir), dir)
}
