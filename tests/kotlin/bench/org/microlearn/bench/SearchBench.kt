// The search part of the FFI benchmark: a coarse call returning up to 10 hits with snippets.
package org.microlearn.bench

import org.microlearn.Microlearn

/** Search latency at the bench catalog, one call per measurement, cycling through [queries]. */
fun searchBench(core: Microlearn, queries: List<String>, calls: Int): List<Stats> {
    check(core.search(queries[0]).hits.isNotEmpty()) { "the bench catalog is searchable" }
    return listOf(measure("search(query) at bench catalog, 10 hits", calls, 5_000) { i -> core.search(queries[i % queries.size]) })
}
