#!/usr/bin/env bash
# `microlearn bench network` against a private Synapse on loopback (started and stopped here).
# Extra arguments go to the bench, e.g. `tests/network/run-bench.sh --events 10000 --kills 200`.
# MICROLEARN_BIN overrides the binary (default: a bench-fast build).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/synapse-env.sh
if [ -z "${MICROLEARN_BIN:-}" ]; then
  cargo build -q -p microlearn-cli --profile bench-fast
  MICROLEARN_BIN="$PWD/target/bench-fast/microlearn"
fi
# cdylib growth: MICROLEARN_CDYLIB_BASELINE names a release libmicrolearn_ffi.so of the baseline
# (e.g. main's); this build's is target/release/libmicrolearn_ffi.so (cargo build --release -p
# microlearn-ffi). Both are stripped into a temp dir and compared.
size_args=()
if [ -n "${MICROLEARN_CDYLIB_BASELINE:-}" ] && [ -f target/release/libmicrolearn_ffi.so ]; then
  sizes=$(mktemp -d)
  strip -o "$sizes/base.so" "$MICROLEARN_CDYLIB_BASELINE"
  strip -o "$sizes/now.so" target/release/libmicrolearn_ffi.so
  echo "stripped cdylib: baseline $(stat -c %s "$sizes/base.so") B, this build $(stat -c %s "$sizes/now.so") B"
  size_args=(--cdylib-baseline "$sizes/base.so" --cdylib "$sizes/now.so")
fi
start_synapse
"$MICROLEARN_BIN" --data-dir "$(mktemp -d)" bench network --homeserver "$SYNAPSE_URL" \
  --secret "$SYNAPSE_SECRET" "${size_args[@]}" "$@"
