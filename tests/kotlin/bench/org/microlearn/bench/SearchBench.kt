// The search part of the FFI benchmark (filled in once search is exported).
package org.microlearn.bench

import org.microlearn.Microlearn

/** Search latency at the bench catalog; empty until the core exports search. */
@Suppress("UNUSED_PARAMETER")
fun searchBench(core: Microlearn, queries: List<String>, calls: Int): List<Stats> = emptyList()
