#!/usr/bin/env bash
# xAPI against the real LRS: starts a private PostgreSQL 15 and LaRS on free loopback ports, then
# runs the delivery and fault-injection tests (core/tests/xapi_lrs.rs) and the crash harness
# (core/tests/xapi_crash.rs: SIGKILLs `microlearn` at seeded random points during enqueue and
# flush, MICROLEARN_CRASH_RUNS times, default 200), and stops both servers on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/xapi/lrs-env.sh
cargo build -q -p microlearn-cli
start_lrs
export MICROLEARN_LRS_URL="$LRS_URL"
export MICROLEARN_BIN="$PWD/target/debug/microlearn"
export MICROLEARN_CRASH_RUNS="${MICROLEARN_CRASH_RUNS:-200}"
cargo test -p microlearn-core --test xapi_lrs --test xapi_crash -- --test-threads=1 --nocapture
