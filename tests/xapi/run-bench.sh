#!/usr/bin/env bash
# Runs `microlearn bench xapi` against a private LaRS (started and stopped here). Extra arguments
# go to the bench (e.g. --statements 5000).
#
# With `--rtt-ms MS [--jitter-ms MS] [--loss-pct P]` (root, iproute2), PostgreSQL and LaRS run in
# a network namespace of their own behind an emulated mobile link (tests/xapi/mobile-link.sh:
# netem where the kernel has it, else the user-space link tests/xapi/linkem.py), and the same
# flags go to the bench, which checks the round trip and reports the link with its figures:
#   bash tests/xapi/run-bench.sh --rtt-ms 50 --jitter-ms 10 --loss-pct 1
# MICROLEARN_BENCH_BIN picks the binary (default: a bench-fast build of this checkout).
set -euo pipefail
cd "$(dirname "$0")/../.."
rtt="" jitter=0 loss=0
rest=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rtt-ms) rtt="$2"; shift 2 ;;
    --jitter-ms) jitter="$2"; shift 2 ;;
    --loss-pct) loss="$2"; shift 2 ;;
    *) rest+=("$1"); shift ;;
  esac
done
source tests/xapi/lrs-env.sh
bin="${MICROLEARN_BENCH_BIN:-}"
if [ -z "$bin" ]; then
  cargo build -q --profile bench-fast -p microlearn-cli
  bin=target/bench-fast/microlearn
fi
link_args=()
if [ -n "$rtt" ]; then
  source tests/xapi/mobile-link.sh
  trap stop_link EXIT
  trap 'exit 130' INT TERM
  start_link "$rtt" "$jitter" "$loss"
  export LRS_NETNS="$LINK_NS" LRS_NETNS_IP="$LINK_LRS_IP" LRS_EXTRA_CLEANUP=stop_link \
    MICROLEARN_LINK_KIND="$LINK_KIND"
  link_args=(--rtt-ms "$rtt" --jitter-ms "$jitter" --loss-pct "$loss")
fi
start_lrs
"$bin" bench xapi --endpoint "$LRS_URL" "${link_args[@]}" "${rest[@]}"
