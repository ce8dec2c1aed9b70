#!/usr/bin/env bash
# Builds libmicrolearn_ffi.so for arm64-v8a, armeabi-v7a and x86_64 with cargo-ndk into
# src/main/jniLibs, then generates the Kotlin bindings into build/generated/uniffi.
# Needs the Android NDK (ANDROID_NDK_HOME) and `cargo install cargo-ndk`; not run in CI.
set -euo pipefail
ANDROID_DIR="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$ANDROID_DIR/.." && pwd)"
PROFILE="${PROFILE:-release}"
cd "$ROOT"

rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 --platform 24 \
  -o "$ANDROID_DIR/src/main/jniLibs" build -p microlearn-ffi --features vendored-openssl --profile "$PROFILE"
cargo build -p microlearn-uniffi-bindgen
rm -rf "$ANDROID_DIR/build/generated/uniffi"
target/debug/uniffi-bindgen generate --no-format \
  --library "$ANDROID_DIR/src/main/jniLibs/arm64-v8a/libmicrolearn_ffi.so" \
  --language kotlin --out-dir "$ANDROID_DIR/build/generated/uniffi"
echo "jniLibs and Kotlin bindings ready in $ANDROID_DIR"
