// The Swift FFI benchmark, run by tests/bench-ffi-swift: per-call latency from Swift into the
// release cdylib (the generated bindings over the C ABI, no JNA). Same calls as the Kotlin bench
// (tests/kotlin/bench): a trivial call, card(id), and one search call per keystroke on the
// tldr-derived catalog of `microlearn bench search --dump` (env ML_SEARCH_BENCH_DATA), or on a
// synthetic catalog without it. Prints a table and, as its last line, one JSON object.
//   usage: FfiBench [CALLS [CARDS]]     (defaults 100000 50000)
import Foundation
import Microlearn

struct Stats {
    let name: String
    let calls: Int
    let p50: Double
    let p99: Double
    let mean: Double
}

@inline(never)
func measure(_ name: String, _ calls: Int, warmup: Int, _ body: (Int) throws -> Void) rethrows -> Stats {
    for i in 0..<warmup { try body(i) }
    var ns = [UInt64](repeating: 0, count: calls)
    for i in 0..<calls {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body(i)
        ns[i] = DispatchTime.now().uptimeNanoseconds - t0
    }
    ns.sort()
    func pct(_ p: Double) -> Double { Double(ns[Int(Double(ns.count - 1) * p)]) / 1000 }
    let mean = Double(ns.reduce(0, +)) / Double(ns.count) / 1000
    return Stats(name: name, calls: calls, p50: pct(0.5), p99: pct(0.99), mean: mean)
}

/// SplitMix64: a deterministic generator for the synthetic catalog.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let words = ["refund", "receipt", "customer", "greeting", "safety", "ladder", "forklift", "allergen",
             "cash", "register", "returns", "policy", "escalation", "complaint", "inventory", "shelf",
             "pricing", "discount", "loyalty", "card", "fire", "exit", "hygiene", "gloves", "delivery",
             "pallet", "scanner", "label", "expiry", "cooler", "freezer", "temperature", "cleaning"]

func syntheticCards(_ n: Int) -> [Card] {
    var rng = SplitMix(state: 42)
    let syl = ["ka", "lo", "mi", "ter", "shan", "vo", "ril", "den", "pa", "qua", "sto", "ne", "bri", "gu", "fel", "tor"]
    var vocab: [String] = []
    for a in syl { for b in syl { for c in syl { vocab.append(a + b + c) } } }
    vocab.shuffle(using: &rng)
    vocab = Array(vocab.prefix(4000))
    func word() -> String {
        if Int.random(in: 0..<20, using: &rng) == 0 { return words[Int.random(in: 0..<words.count, using: &rng)] }
        let x = Double.random(in: 0..<1, using: &rng)
        return vocab[Int(Double(vocab.count) * x * x * x)]
    }
    func phrase(_ k: Int) -> String { (0..<k).map { _ in word() }.joined(separator: " ") }
    return (0..<n).map { i in
        var c = newCard(id: "bench-\(i)", title: phrase(4).capitalized + " \(i)")
        c.summary = phrase(12)
        c.body = phrase(40)
        c.tags = [words[i % words.count]]
        return c
    }
}

func keystrokes(_ queries: [String]) -> [String] {
    queries.flatMap { q in (1...q.count).map { String(q.prefix($0)) } }
}

func unescapeTsv(_ s: String) -> String {
    var out = ""
    var it = s.makeIterator()
    while let c = it.next() {
        if c == "\\", let n = it.next() {
            out.append(n == "t" ? "\t" : n == "n" ? "\n" : n)
        } else {
            out.append(c)
        }
    }
    return out
}

func tempDir(_ prefix: String) -> String {
    let d = NSTemporaryDirectory() + prefix + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

func importChunked(_ core: Microlearn, _ cards: [Card]) throws {
    var i = 0
    while i < cards.count {
        _ = try core.importCards(cards: Array(cards[i..<min(i + 5000, cards.count)]))
        i += 5000
    }
}

func searchBench(_ core: Microlearn, calls: Int) throws -> Stats {
    if let data = ProcessInfo.processInfo.environment["ML_SEARCH_BENCH_DATA"],
       FileManager.default.fileExists(atPath: data + "/ffi-cards.tsv") {
        let cards = try String(contentsOfFile: data + "/ffi-cards.tsv", encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: true).map { line -> Card in
                let f = line.split(separator: "\t", omittingEmptySubsequences: false).map { unescapeTsv(String($0)) }
                var c = newCard(id: f[0], title: f[1])
                c.body = f[2]
                c.tags = f[3].isEmpty ? [] : f[3].split(separator: ",").map(String.init)
                return c
            }
        let keys = try String(contentsOfFile: data + "/keystrokes.txt", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let dir = tempDir("ml-bench-search-")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tldr = try Microlearn.open(dataDir: dir)
        try importChunked(tldr, cards)
        let probe = try tldr.search(query: "list files")
        precondition(!probe.hits.isEmpty, "the tldr catalog is searchable")
        return try measure("search: tldr, \(cards.count) cards, \(keys.count) keystrokes", calls, warmup: 5000) { i in
            _ = try tldr.search(query: keys[i % keys.count])
        }
    }
    let phrases = ["refund receipt", "forklift safety", "allergen", "fire exit", "cooler temp", "refnud", "loyal"]
    let keys = keystrokes(phrases)
    let probe = try core.search(query: phrases[0])
    precondition(!probe.hits.isEmpty, "the bench catalog is searchable")
    return try measure("search: synthetic, \(phrases.count) phrases typed (\(keys.count) keystrokes)", calls, warmup: 5000) { i in
        _ = try core.search(query: keys[i % keys.count])
    }
}

let args = CommandLine.arguments
let calls = args.count > 1 ? Int(args[1])! : 100_000
let cardCount = args.count > 2 ? Int(args[2])! : 50_000
let dir = tempDir("ml-bench-")
var results: [Stats] = []
var loopNs = 0.0
do {
    let core = try Microlearn.open(dataDir: dir)
    try importChunked(core, syntheticCards(cardCount))
    let loaded = try core.status().cards
    precondition(loaded == UInt64(cardCount))
    results.append(measure("trivial: core.isOpen()", calls, warmup: 20_000) { _ in _ = core.isOpen() })
    // Cross-check of the per-call figure without a time stamp around each call: 1M calls back to
    // back, total / count (every call's result is used, so none can be dropped).
    var open = 0
    let loopStart = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<1_000_000 where core.isOpen() { open += 1 }
    loopNs = Double(DispatchTime.now().uptimeNanoseconds - loopStart) / 1_000_000
    precondition(open == 1_000_000)
    results.append(measure("trivial: coreVersion() (returns a string)", calls, warmup: 20_000) { _ in _ = coreVersion() })
    results.append(try measure("card(id) at \(cardCount) cards", calls, warmup: 10_000) { i in
        _ = try core.card(id: "bench-\(i % cardCount)")
    })
    results.append(try searchBench(core, calls: calls))
} catch {
    print("bench failed: \(error)")
    exit(1)
}
try? FileManager.default.removeItem(atPath: dir)

func f2(_ x: Double) -> String { String(format: "%.2f", x) }
print("call".padding(toLength: 56, withPad: " ", startingAt: 0) + "     calls     p50 µs     p99 µs    mean µs")
for s in results {
    let cols = [String(s.calls), f2(s.p50), f2(s.p99), f2(s.mean)].map { String(repeating: " ", count: max(0, 10 - $0.count)) + $0 }
    print(s.name.padding(toLength: 56, withPad: " ", startingAt: 0) + cols.joined(separator: " "))
}
let search = results[3]
print("trivial: core.isOpen() 1M calls back to back: \(f2(loopNs)) ns per call")
print("{\"swift_trivial_call_p50_us\":\(f2(results[0].p50)),\"swift_trivial_call_p99_us\":\(f2(results[0].p99)),"
    + "\"swift_trivial_call_loop_ns\":\(f2(loopNs)),\"swift_string_call_p50_us\":\(f2(results[1].p50)),\"swift_card_call_p50_us\":\(f2(results[2].p50)),"
    + "\"swift_search_call_p50_us\":\(f2(search.p50)),\"swift_search_call_p99_us\":\(f2(search.p99)),"
    + "\"calls\":\(calls),\"cards\":\(cardCount)}")
