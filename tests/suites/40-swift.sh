#!/usr/bin/env bash
# The Swift suite: Swift 6.0.3 (Debian trixie's swiftlang, in the root built by
# tests/setup.d/40-swift.sh; run through tests/lib/swift-env.sh) against the host-built cdylib.
#  1. swiftc -swift-version 6 -warnings-as-errors: the generated bindings + C header/module map as
#     module MicrolearnFFI, linked against target/debug/libmicrolearn_ffi.so, and a smoke binary
#     that calls into Rust and runs; then the hand-written ios/Sources/Microlearn adapters as a
#     module over it (Apple-only files are fenced with #if canImport and compile to nothing).
#  2. `swift build` of ios/Package.swift (its Linux variant: system-library C module).
#  3. The XCTest suite tests/swift (a package over ../../ios), run through the real FFI against
#     nginx (tests/lib/catalog-server.sh) and LaRS (tests/xapi/lrs-env.sh) on the host loopback.
# Works on copies in a scratch dir: nothing is generated into the source tree. Last line:
# "swift: N passed, N failed".  Run one class: tests/suites/40-swift.sh SearchTests
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
source tests/lib/swift-env.sh
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
LIB="$TARGET/debug"
t0=$(date +%s)
step() { echo "== $1 ($(($(date +%s) - t0)) s)"; }

cargo build -q -p microlearn-ffi -p microlearn-uniffi-bindgen -p microlearn-cli

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ml-swift.XXXXXX")"
export MICROLEARN_TEST_TMP="$WORK/tmp"
mkdir -p "$MICROLEARN_TEST_TMP"
cleanup() {
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
BINDS=("$ROOT" "$WORK")
[ "$TARGET" = "$ROOT/target" ] || BINDS+=("$TARGET")

step "generate Swift bindings"
generate_swift "$LIB/libmicrolearn_ffi.so" "$WORK/gen"
cp "$WORK/gen/microlearn_ffiFFI.modulemap" "$WORK/gen/module.modulemap"
mkdir -p "$WORK/out" "$WORK/smoke"
printf 'print("swiftc smoke: core \\(coreVersion()), isOpen on a fresh dir: \\(try! Microlearn.open(dataDir: CommandLine.arguments[1]).isOpen())")\n' \
  >"$WORK/smoke/main.swift"

step "swiftc -swift-version 6 -warnings-as-errors: generated bindings -> libMicrolearnFFI.so"
SWIFTC=(swiftc -swift-version 6 -warnings-as-errors -I "$WORK/gen" -L "$LIB" -lmicrolearn_ffi)
swift_run "${BINDS[@]}" -- "${SWIFTC[@]}" -parse-as-library -emit-library -module-name MicrolearnFFI \
  -emit-module -emit-module-path "$WORK/out/MicrolearnFFI.swiftmodule" \
  "$WORK/gen/MicrolearnFFI.swift" -o "$WORK/out/libMicrolearnFFI.so"
swift_run "${BINDS[@]}" -- "${SWIFTC[@]}" -module-name MicrolearnFFI \
  "$WORK/gen/MicrolearnFFI.swift" "$WORK/smoke/main.swift" -o "$WORK/out/smoke"
mkdir -p "$WORK/smoke-dir"
LD_LIBRARY_PATH="$LIB" swift_run "${BINDS[@]}" -- "$WORK/out/smoke" "$WORK/smoke-dir"

step "swiftc -swift-version 6 -warnings-as-errors: ios/Sources/Microlearn over it"
swift_run "${BINDS[@]}" -- "${SWIFTC[@]}" -parse-as-library -emit-library -module-name Microlearn \
  -I "$WORK/out" -L "$WORK/out" -lMicrolearnFFI ios/Sources/Microlearn/*.swift \
  -o "$WORK/out/libMicrolearn.so"

step "swift build of ios/Package.swift (Linux variant)"
mkdir -p "$WORK/pkg/tests"
cp -r ios "$WORK/pkg/ios"
rm -rf "$WORK/pkg/ios/.build" "$WORK/pkg/ios/build"
cp -r tests/swift "$WORK/pkg/tests/swift"
rm -rf "$WORK/pkg/tests/swift/.build"
cp "$WORK/gen/MicrolearnFFI.swift" "$WORK/pkg/ios/Sources/MicrolearnFFI/"
cp "$WORK/gen/microlearn_ffiFFI.h" "$WORK/pkg/ios/linux/microlearn_ffiFFI/"
SCRATCH="$WORK/spm"
quiet() { "$@" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; return 1; }; grep -h "Build complete" "$WORK/build.log"; }
(cd "$WORK/pkg/ios" && LIBRARY_PATH="$LIB" quiet swift_run "${BINDS[@]}" -- \
  swift build --scratch-path "$SCRATCH/ios" -Xswiftc -warnings-as-errors)

step "swift build --build-tests of tests/swift"
(cd "$WORK/pkg/tests/swift" && LIBRARY_PATH="$LIB" quiet swift_run "${BINDS[@]}" -- \
  swift build --build-tests --scratch-path "$SCRATCH/tests" -Xswiftc -warnings-as-errors)

source tests/lib/catalog-server.sh
start_catalog_server "$WORK"
# The real LRS (LaRS + a private PostgreSQL) for the flush tests; its helper owns the EXIT trap,
# so chain our cleanup after its own.
source tests/xapi/lrs-env.sh
start_lrs
trap 'stop_lrs; cleanup' EXIT
export MICROLEARN_TEST_LRS_URL="$LRS_URL"

step "XCTest through the real FFI"
filter=()
for name in "$@"; do
  case "$name" in *.*) filter+=("$name") ;; *) filter+=("MicrolearnTests.$name") ;; esac
done
set +e
(cd "$WORK/pkg/tests/swift" && LD_LIBRARY_PATH="$LIB" swift_run "${BINDS[@]}" -- \
  "$SCRATCH/tests/debug/MicrolearnSwiftTestsPackageTests.xctest" "${filter[@]}") >"$WORK/xctest.log" 2>&1
rc=$?
set -e
grep -E "^Test Case .* (passed|failed|skipped)|error: |Fatal error|Executed" "$WORK/xctest.log" | sed 's/^/  /' || true
passed=$(grep -cE "^Test Case '.*' passed" "$WORK/xctest.log" || true)
failed=$(grep -cE "^Test Case '.*' failed" "$WORK/xctest.log" || true)
skipped=$(grep -cE "^Test Case '.*' skipped" "$WORK/xctest.log" || true)
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
  # A crash (signal, fatal error) ends the run without a "failed" line: show it and count it.
  tail -30 "$WORK/xctest.log"
  failed=$((failed + 1))
fi
# A skipped test here means the suite did not provide what it needs: that is a failure.
failed=$((failed + skipped))
step "done"
echo "swift: $passed passed, $failed failed"
[ "$failed" = 0 ]
