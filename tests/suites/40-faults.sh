#!/usr/bin/env bash
# Issue 14: encryption at rest, a full disk (root: mounts a tmpfs), corrupt files, fuzzing,
# SQLCipher's search cost. Everything is in tests/faults/run; its last line is the JSON figures.
# Measured (2-core VM under load, warm caches): tests 18 s, fuzz 215 s (6 targets x 30 s + an
# incremental build; the first, cold build of fuzz/ takes ~10 min), bench ~2 min at 50k cards
# (the suite uses 20k). A cold bench-fast build of the CLI adds several minutes once.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
exec "$ROOT/tests/faults/run"
