#!/usr/bin/env bash
# The network layer against a real Synapse: starts one homeserver on a free loopback port and runs
# the crash harness (core/tests/network_crash.rs: SIGKILLs `microlearn network send` at seeded
# random points, MICROLEARN_NETWORK_CRASH_RUNS times, default 60). The other Synapse tests
# (network_synapse, network_faults) run in `cargo test` and start their own homeserver.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/synapse-env.sh
start=$SECONDS
cargo build -q -p microlearn-cli
start_synapse
export MICROLEARN_SYNAPSE_URL="$SYNAPSE_URL" MICROLEARN_SYNAPSE_SECRET="$SYNAPSE_SECRET"
export MICROLEARN_BIN="$PWD/target/debug/microlearn"
cargo test -q -p microlearn-core --test network_crash -- --nocapture
echo "network suite took $((SECONDS - start)) s"
