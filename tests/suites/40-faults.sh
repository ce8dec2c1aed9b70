#!/usr/bin/env bash
# Issue 14: encryption at rest, a full disk (root: mounts a tmpfs), corrupt files, fuzzing,
# SQLCipher's search cost. Everything is in tests/faults/run; its last line is the JSON figures.
# About 6 min with cached tools: ~1 min tests, ~3.5 min fuzz (6 targets x 30 s + build), the
# bench-fast build and bench.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
exec "$ROOT/tests/faults/run"
