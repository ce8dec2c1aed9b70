#!/usr/bin/env bash
# The Kotlin suite: builds the host cdylib, generates the Kotlin bindings from it with the
# workspace's uniffi-bindgen, compiles generated + shell + test sources with `kotlinc -Werror`,
# and runs the JUnit tests on the JVM through JNA (-Djna.library.path=target/debug).
# Needs tests/setup.d/30-kotlin.sh (kotlinc from npm, JNA + JUnit from Debian), nginx, and LaRS
# (tests/setup.d/20-lrs.sh) for the xAPI flush tests.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
source tests/lib/kotlin-env.sh

cargo build -q -p microlearn-ffi -p microlearn-uniffi-bindgen -p microlearn-cli

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ml-kotlin.XXXXXX")"
export MICROLEARN_TEST_TMP="$WORK/tmp"
mkdir -p "$MICROLEARN_TEST_TMP"
cleanup() {
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

generate_kotlin target/debug "$WORK/gen"
echo "== kotlinc: generated bindings + shell logic -> ffi.jar"
"$KOTLINC" -Werror -d "$WORK/ffi.jar" -classpath "$JNA_JAR:$COROUTINES_JAR" \
  $(find "$WORK/gen" -name '*.kt') android/src/main/kotlin/org/microlearn/shell/*.kt
echo "== kotlinc: tests -> tests.jar"
"$KOTLINC" -Werror -d "$WORK/tests.jar" \
  -classpath "$WORK/ffi.jar:$JNA_JAR:$COROUTINES_JAR:$JUNIT_CP:$KOTLIN_TEST_CP" \
  $(find tests/kotlin/src -name '*.kt')

source tests/lib/catalog-server.sh
start_catalog_server "$WORK"
# The real LRS (LaRS + a private PostgreSQL) for the flush tests; its helper owns the EXIT trap,
# so chain our cleanup after its own.
source tests/xapi/lrs-env.sh
start_lrs
trap 'stop_lrs; cleanup' EXIT
export MICROLEARN_TEST_LRS_URL="$LRS_URL"
# The real Matrix homeserver for NetworkTest (tests/lib/synapse-env.sh); chain its stop too.
source tests/lib/synapse-env.sh
start_synapse
trap 'stop_synapse; stop_lrs; cleanup' EXIT
export MICROLEARN_TEST_SYNAPSE_URL="$SYNAPSE_URL" MICROLEARN_TEST_SYNAPSE_SECRET="$SYNAPSE_SECRET"

echo "== junit on the JVM"
java -Xss4m -Djna.library.path="$ROOT/target/debug" \
  -cp "$WORK/tests.jar:$WORK/ffi.jar:$JNA_JAR:$COROUTINES_JAR:$JUNIT_CP:$KOTLIN_TEST_CP:$KOTLIN_STDLIB" \
  org.microlearn.test.HarnessKt "$@"
