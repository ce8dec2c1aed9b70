#!/usr/bin/env bash
# Builds the Swift package on Linux against the host-built Rust library (no Xcode, no XCFramework):
# builds libmicrolearn_ffi.so, generates Sources/MicrolearnFFI/MicrolearnFFI.swift and the C header
# (linux/microlearn_ffiFFI/), then runs `swift build` with the library on LIBRARY_PATH.
#   usage: ios/build-linux.sh [swift build args…]       (PROFILE=debug|release, default debug)
# Needs a Swift toolchain on PATH (on Debian 12 use the trixie root: tests/setup.d/40-swift.sh and
# tests/lib/swift-env.sh's swift_run; tests/suites/40-swift.sh does exactly that).
# Run the result with LD_LIBRARY_PATH="$ROOT/target/$PROFILE".
set -euo pipefail
IOS_DIR="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$IOS_DIR/.." && pwd)"
PROFILE="${PROFILE:-debug}"
cd "$ROOT"
if [ -z "${MICROLEARN_SKIP_CARGO:-}" ]; then
  cargo build -q -p microlearn-ffi --profile "$([ "$PROFILE" = debug ] && echo dev || echo "$PROFILE")"
  cargo build -q -p microlearn-uniffi-bindgen
fi
gen="$(mktemp -d)"
trap 'rm -rf "$gen"' EXIT
target/debug/uniffi-bindgen generate --no-format --library "target/$PROFILE/libmicrolearn_ffi.so" \
  --language swift --out-dir "$gen" >/dev/null
cp "$gen/MicrolearnFFI.swift" "$IOS_DIR/Sources/MicrolearnFFI/"
cp "$gen/microlearn_ffiFFI.h" "$IOS_DIR/linux/microlearn_ffiFFI/"
if [ -n "${MICROLEARN_GENERATE_ONLY:-}" ]; then exit 0; fi
cd "$IOS_DIR"
LIBRARY_PATH="$ROOT/target/$PROFILE${LIBRARY_PATH:+:$LIBRARY_PATH}" swift build "$@"
