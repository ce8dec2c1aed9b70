#!/usr/bin/env bash
# Swift, checked as far as this machine allows (no Swift toolchain here): generates the Swift
# bindings from the host-built library and parses them and every hand-written Swift file under
# ios/ with tree-sitter-swift, failing on any ERROR or MISSING node (tests/lib/swift_parse.py).
# First proves the checker itself catches a broken file.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
TOOLS="${MICROLEARN_TOOLS:-$HOME/.cache/microlearn-tools}"
PY="$TOOLS/swift-parse-venv/bin/python"
[ -x "$PY" ] || { echo "run tests/setup.d/35-swift-parse.sh first" >&2; exit 1; }

cargo build -q -p microlearn-ffi -p microlearn-uniffi-bindgen
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ml-swift.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

printf 'public func broken( -> Int {\n  return 1\n' >"$WORK/broken.swift"
if "$PY" tests/lib/swift_parse.py "$WORK/broken.swift" >/dev/null; then
  echo "swift-parse: the checker accepted a broken file" >&2
  exit 1
fi

target/debug/uniffi-bindgen generate --no-format --library target/debug/libmicrolearn_ffi.so \
  --language swift --out-dir "$WORK/gen" >/dev/null
passed=0
"$PY" tests/lib/swift_parse.py --generated "$WORK"/gen/*.swift
passed=$((passed + 1))
mapfile -t handwritten < <(find ios -name '*.swift' | sort)
"$PY" tests/lib/swift_parse.py "${handwritten[@]}"
passed=$((passed + ${#handwritten[@]}))
echo "swift-parse: $passed passed, 0 failed"
