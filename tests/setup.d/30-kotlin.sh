#!/usr/bin/env bash
# Kotlin on the JVM for the FFI tests (tests/suites/30-kotlin.sh, tests/bench-ffi):
# - kotlinc + kotlinx-coroutines + kotlin-test from the npm `kotlin-compiler` package (its lib/
#   carries the jars; Debian's coroutines 1.0.1 is too old for uniffi's async Kotlin), unpacked into
#   a cache dir; the package ships its bin/ scripts without the executable bit, so chmod them.
# - JNA and JUnit 4 from Debian (libjna-java, junit4); a JRE if java is missing.
# Idempotent: does nothing when everything is already there.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

KOTLIN_VERSION="${MICROLEARN_KOTLIN_VERSION:-2.4.20}"
TOOLS="${MICROLEARN_TOOLS:-$HOME/.cache/microlearn-tools}"
KDIR="$TOOLS/kotlin-compiler-$KOTLIN_VERSION"

apt_install_missing java:default-jre-headless
need=()
[ -e /usr/share/java/jna.jar ] || need+=(libjna-java)
[ -e /usr/share/java/junit4.jar ] || need+=(junit4)
[ -e /usr/share/java/hamcrest-core.jar ] || [ -e /usr/share/java/hamcrest.jar ] || need+=(libhamcrest-java)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if [ ! -x "$KDIR/package/bin/kotlinc" ]; then
  mkdir -p "$KDIR"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "kotlin-compiler@$KOTLIN_VERSION" >/dev/null)
  tar -xzf "$tmp"/kotlin-compiler-*.tgz -C "$KDIR"
  chmod +x "$KDIR"/package/bin/*
fi
"$KDIR/package/bin/kotlinc" -version 2>&1 | head -1
