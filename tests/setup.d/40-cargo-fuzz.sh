#!/usr/bin/env bash
# cargo-fuzz (libFuzzer driver) for tests/faults/fuzz, built once into
# ${MICROLEARN_TOOLS:-~/.cache/microlearn-tools}/cargo-fuzz (about 2-3 min on 2 cores).
# Idempotent: nothing to do when the binary is there and runs.
set -euo pipefail
TOOLS="${MICROLEARN_TOOLS:-$HOME/.cache/microlearn-tools}"
VERSION="${MICROLEARN_CARGO_FUZZ_VERSION:-0.13.2}"
BIN="$TOOLS/cargo-fuzz/bin/cargo-fuzz"
if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then
  echo "cargo-fuzz ok: $("$BIN" --version)"
  exit 0
fi
start=$(date +%s)
cargo install --locked --quiet cargo-fuzz --version "$VERSION" --root "$TOOLS/cargo-fuzz"
echo "cargo-fuzz $VERSION installed in $(( $(date +%s) - start )) s"
