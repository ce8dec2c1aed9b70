// The search part of the FFI benchmark: a coarse call returning up to 10 hits with snippets, one
// call per keystroke as a learner types. When tests/bench-ffi dumped the data of
// `microlearn bench search` (env ML_SEARCH_BENCH_DATA), it runs on the tldr-derived catalog (tldr
// example cards plus replicas up to the requested size) and replays every keystroke prefix of a
// sample of the tldr-derived learner queries, clean and really misspelled, in typing order.
// Otherwise it types a fixed list of phrases into the synthetic catalog.
package org.microlearn.bench

import java.io.File
import java.nio.file.Files
import org.microlearn.Microlearn
import org.microlearn.newCard

/** Every keystroke prefix of each query, in typing order. */
fun keystrokes(queries: List<String>): List<String> =
    queries.flatMap { q -> (1..q.length).map { q.substring(0, it) } }

/** Undoes the escaping of `microlearn bench search --dump` (`\\`, `\t`, `\n`). */
fun unescapeTsv(s: String): String {
    val out = StringBuilder(s.length)
    var i = 0
    while (i < s.length) {
        val c = s[i]
        if (c == '\\' && i + 1 < s.length) {
            when (s[i + 1]) {
                't' -> out.append('\t')
                'n' -> out.append('\n')
                else -> out.append(s[i + 1])
            }
            i += 2
        } else {
            out.append(c)
            i += 1
        }
    }
    return out.toString()
}

/** Search latency per keystroke; [fallbackQueries] are typed into [core] when no dump is given. */
fun searchBench(core: Microlearn, fallbackQueries: List<String>, calls: Int): List<Stats> {
    val dir = System.getenv("ML_SEARCH_BENCH_DATA")?.let(::File)
    if (dir != null && dir.resolve("ffi-cards.tsv").isFile) return tldrSearchBench(dir, calls)
    val keys = keystrokes(fallbackQueries)
    check(core.search(fallbackQueries[0]).hits.isNotEmpty()) { "the bench catalog is searchable" }
    val name = "search: synthetic, ${fallbackQueries.size} phrases typed (${keys.size} keystrokes)"
    return listOf(measure(name, calls, 5_000) { i -> core.search(keys[i % keys.size]) })
}

/** The tldr-derived catalog and keystrokes in [dir], in a core of their own. */
fun tldrSearchBench(dir: File, calls: Int): List<Stats> {
    val cards = dir.resolve("ffi-cards.tsv").readLines().filter { it.isNotEmpty() }.map { line ->
        val f = line.split('\t').map(::unescapeTsv)
        val tags = if (f[3].isEmpty()) emptyList() else f[3].split(',')
        newCard(f[0], f[1]).copy(body = f[2], tags = tags)
    }
    val keys = dir.resolve("keystrokes.txt").readLines().filter { it.isNotEmpty() }
    val tmp = Files.createTempDirectory("ml-bench-search").toFile()
    try {
        return Microlearn.open(tmp.path).use { core ->
            for (chunk in cards.chunked(5_000)) core.importCards(chunk)
            check(core.search("list files").hits.isNotEmpty()) { "the tldr catalog is searchable" }
            val name = "search: tldr, ${cards.size} cards, ${keys.size} keystrokes"
            listOf(measure(name, calls, 5_000) { i -> core.search(keys[i % keys.size]) })
        }
    } finally {
        tmp.walkBottomUp().forEach { it.delete() }
    }
}
