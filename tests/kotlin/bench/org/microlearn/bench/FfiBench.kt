// The FFI benchmark, run by tests/bench-ffi: per-call latency from Kotlin through JNA into the
// release cdylib. Prints a table and, as its last line, one JSON object (the script adds the
// cdylib size to it).
package org.microlearn.bench

import java.nio.file.Files
import kotlin.random.Random
import org.microlearn.Card
import org.microlearn.Microlearn
import org.microlearn.coreVersion
import org.microlearn.newCard

/** Latency percentiles of one measured call, in microseconds. */
data class Stats(val name: String, val calls: Int, val p50: Double, val p99: Double, val mean: Double)

/** Times [calls] invocations of [body] one by one, after [warmup] unmeasured ones. */
inline fun measure(name: String, calls: Int, warmup: Int, body: (Int) -> Unit): Stats {
    for (i in 0 until warmup) body(i)
    val ns = LongArray(calls)
    for (i in 0 until calls) {
        val t0 = System.nanoTime()
        body(i)
        ns[i] = System.nanoTime() - t0
    }
    return stats(name, ns)
}

/** Percentiles of the sorted copy of [ns] (nanoseconds), in microseconds. */
fun stats(name: String, ns: LongArray): Stats {
    ns.sort()
    fun pct(p: Double) = ns[((ns.size - 1) * p).toInt()] / 1000.0
    return Stats(name, ns.size, pct(0.50), pct(0.99), ns.average() / 1000.0)
}

private val WORDS = listOf(
    "refund", "receipt", "customer", "greeting", "safety", "ladder", "forklift", "allergen",
    "cash", "register", "returns", "policy", "escalation", "complaint", "inventory", "shelf",
    "pricing", "discount", "loyalty", "card", "fire", "exit", "hygiene", "gloves", "delivery",
    "pallet", "scanner", "label", "expiry", "cooler", "freezer", "temperature", "cleaning",
)

/** Pseudo-words from syllables: a realistic, long-tailed vocabulary (thousands of terms). */
private val VOCAB: List<String> = run {
    val syl = listOf("ka", "lo", "mi", "ter", "shan", "vo", "ril", "den", "pa", "qua", "sto", "ne", "bri", "gu", "fel", "tor")
    val out = ArrayList<String>()
    for (a in syl) for (b in syl) for (c in syl) out += a + b + c
    out.shuffled(Random(7)).take(4000)
}

/**
 * A deterministic catalog of [n] cards: Zipf-like pseudo-word text (so term frequencies look like
 * real prose, not a 30-word vocabulary in every card) with the query words sprinkled in.
 */
fun syntheticCards(n: Int): List<Card> {
    val rnd = Random(42)
    fun word(): String =
        if (rnd.nextInt(20) == 0) WORDS[rnd.nextInt(WORDS.size)]
        else VOCAB[(VOCAB.size * Math.pow(rnd.nextDouble(), 3.0)).toInt()]
    fun phrase(k: Int) = List(k) { word() }.joinToString(" ")
    return List(n) { i ->
        newCard("bench-$i", "${phrase(4).replaceFirstChar { it.uppercase() }} $i").copy(
            summary = phrase(12),
            body = phrase(40),
            tags = listOf(WORDS[i % WORDS.size]),
        )
    }
}

fun main(args: Array<String>) {
    val calls = args.getOrNull(0)?.toInt() ?: 100_000
    val cards = args.getOrNull(1)?.toInt() ?: 50_000
    val dir = Files.createTempDirectory("ml-bench").toFile()
    val results = mutableListOf<Stats>()
    Microlearn.open(dir.path).use { core ->
        for (chunk in syntheticCards(cards).chunked(5_000)) core.importCards(chunk)
        check(core.status().cards == cards.toULong())
        results += measure("trivial: core.isOpen()", calls, 20_000) { core.isOpen() }
        results += measure("trivial: coreVersion() (returns a string)", calls, 20_000) { coreVersion() }
        results += measure("card(id) at $cards cards", calls, 10_000) { i -> core.card("bench-${i % cards}") }
        val queries = listOf("refund receipt", "forklift safety", "allergen", "fire exit", "cooler temp", "refnud", "loyal")
        results += searchBench(core, queries, calls)
    }
    dir.walkBottomUp().forEach { it.delete() }

    println(String.format("%-48s %9s %10s %10s %10s", "call", "calls", "p50 µs", "p99 µs", "mean µs"))
    for (s in results) {
        println(String.format("%-48s %9d %10.2f %10.2f %10.2f", s.name, s.calls, s.p50, s.p99, s.mean))
    }
    val trivial = results[0]
    val search = results.firstOrNull { it.name.startsWith("search") }
    val fields = listOf(
        "\"trivial_call_p50_us\":%.2f".format(trivial.p50),
        "\"trivial_call_p99_us\":%.2f".format(trivial.p99),
        "\"search_call_p50_us\":" + (search?.let { "%.2f".format(it.p50) } ?: "null"),
        "\"search_call_p99_us\":" + (search?.let { "%.2f".format(it.p99) } ?: "null"),
        "\"card_call_p50_us\":%.2f".format(results[2].p50),
        "\"calls\":$calls",
        "\"cards\":$cards",
    )
    println("{" + fields.joinToString(",") + "}")
}
