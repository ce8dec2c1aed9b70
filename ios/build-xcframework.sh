#!/usr/bin/env bash
# Builds build/microlearn_ffiFFI.xcframework (static libraries for device and simulator, the C
# header and module map) and generates Sources/MicrolearnFFI/MicrolearnFFI.swift.
# Runs on macOS with Xcode and rustup; not runnable on the Linux CI machine (no Apple SDK there).
#   targets: aarch64-apple-ios (device), aarch64-apple-ios-sim + x86_64-apple-ios (simulator, lipo'd)
set -euo pipefail
IOS_DIR="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$IOS_DIR/.." && pwd)"
PROFILE="${PROFILE:-release}"
cd "$ROOT"

TARGETS=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
rustup target add "${TARGETS[@]}"
for t in "${TARGETS[@]}"; do
  cargo build -p microlearn-ffi --profile "$PROFILE" --target "$t"
done
cargo build -p microlearn-uniffi-bindgen

OUT="$IOS_DIR/build"
rm -rf "$OUT" && mkdir -p "$OUT/headers" "$OUT/sim"
# Swift sources, header and module map from the device library (library mode).
target/debug/uniffi-bindgen generate --library "target/aarch64-apple-ios/$PROFILE/libmicrolearn_ffi.a" \
  --language swift --out-dir "$OUT/gen"
cp "$OUT/gen/MicrolearnFFI.swift" "$IOS_DIR/Sources/MicrolearnFFI/"
cp "$OUT/gen/microlearn_ffiFFI.h" "$OUT/headers/"
cp "$OUT/gen/microlearn_ffiFFI.modulemap" "$OUT/headers/module.modulemap"

lipo -create \
  "target/aarch64-apple-ios-sim/$PROFILE/libmicrolearn_ffi.a" \
  "target/x86_64-apple-ios/$PROFILE/libmicrolearn_ffi.a" \
  -output "$OUT/sim/libmicrolearn_ffi.a"

xcodebuild -create-xcframework \
  -library "target/aarch64-apple-ios/$PROFILE/libmicrolearn_ffi.a" -headers "$OUT/headers" \
  -library "$OUT/sim/libmicrolearn_ffi.a" -headers "$OUT/headers" \
  -output "$OUT/microlearn_ffiFFI.xcframework"
echo "built $OUT/microlearn_ffiFFI.xcframework"
