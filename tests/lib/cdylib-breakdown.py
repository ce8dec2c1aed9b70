#!/usr/bin/env python3
"""Approximate size of a release library by origin (crate group), from its symbol table.

usage: tests/lib/cdylib-breakdown.py target/release/libmicrolearn_ffi.so

Reads `nm -S` (raw and demangled) of the *unstripped* library (the release profile keeps
symbols, strips debug info). Each Rust symbol counts for the first non-std crate named in it, so
`core::ptr::drop_in_place<reqwest::Response>` counts for HTTP; C symbols are ring's (by prefix)
or SQLite's. Unwind tables and unnamed constants have no symbols: see `size -A` for sections.
Figures are approximate; the exact figure is tests/bench-ffi's `cdylib_stripped_bytes`.
"""
import collections
import re
import subprocess
import sys

GROUPS = [
    ("TLS: rustls, ring, webpki, roots",
     r"rustls|\bring\b|ring_core|webpki|untrusted|ecp_nistz|chacha|poly1305|x25519|p256|p384"),
    ("HTTP: reqwest, hyper, http, url/idna",
     r"reqwest|hyper|\bhttp\b|httparse|\burl\b|idna|icu_|zerovec|yoke|tinystr|writeable|"
     r"percent_encoding|form_urlencoded|tower|ipnet|want\b|try_lock|futures_|pin_project|bytes\b|"
     r"mime|sync_wrapper|atomic_waker|http_body"),
    ("tokio", r"tokio|mio\b|socket2"),
    ("gzip: flate2, miniz, async-compression, crc32",
     r"flate2|miniz|async_compression|compression_|crc32|adler"),
    ("uniffi (scaffolding, metadata)", r"uniffi|UNIFFI"),
    ("microlearn-core", r"microlearn_core"),
    ("microlearn-ffi", r"microlearn_ffi"),
    ("serde, serde_json", r"serde"),
    ("rusqlite, hashlink", r"rusqlite|hashlink|libsqlite3"),
    ("fsrs, ndarray, rand", r"fsrs|ndarray|matrixmultiply|rand|getrandom|priority_queue|itertools"),
    ("search: fst, levenshtein, unicode-normalization",
     r"\bfst\b|levenshtein|unicode_normalization|tinyvec|smallvec"),
    ("jiff", r"jiff"),
    ("chrono", r"chrono"),
    ("sha1, sha2, hex, uuid", r"sha1|sha2|\bhex\b|uuid|digest|block_buffer"),
]
STD = {"core", "alloc", "std", "hashbrown", "panic_unwind", "gimli", "addr2line",
       "rustc_demangle", "object", "memchr", "dyn", "impl"}
CRATE = re.compile(r"(?:^|[<\s&(,*\[])([A-Za-z_][A-Za-z0-9_]*)::")


def nm(so, *flags):
    out = subprocess.run(["nm", "-S", "--size-sort", *flags, so],
                         capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def main(so):
    totals = collections.Counter()
    for raw, dem in zip(nm(so), nm(so, "-C")):
        r = raw.split(maxsplit=3)
        d = dem.split(" ", 3)
        if len(r) < 4 or len(d) < 4:
            continue
        size, name, demangled = int(r[1], 16), r[3], d[3]
        if not (name.startswith("_ZN") or name.startswith("_R")):
            if re.search(GROUPS[0][1], name):
                totals[GROUPS[0][0]] += size
            elif re.search(r"uniffi|UNIFFI", name):
                totals["uniffi (scaffolding, metadata)"] += size
            elif re.match(r"(__rust|rust_|_Unwind)", name):
                totals["Rust std/core/alloc"] += size
            else:
                totals["SQLite (C)"] += size
            continue
        crates = [c for c in CRATE.findall(demangled) if c not in STD]
        key = crates[0] if crates else ""
        group = next((g for g, pat in GROUPS if key and re.search(pat, key)), None)
        totals[group or ("Rust std/core/alloc" if not key else "other")] += size
    for group, size in totals.most_common():
        print(f"{size:>10,}  {group}")
    print(f"{sum(totals.values()):>10,}  symbols in total")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/release/libmicrolearn_ffi.so")
