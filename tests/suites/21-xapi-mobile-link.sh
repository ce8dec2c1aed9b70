#!/usr/bin/env bash
# xAPI over an emulated mobile link: LaRS and its PostgreSQL in a network namespace of their own,
# reached through a link with delay, jitter and loss (tests/xapi/mobile-link.sh: netem where the
# kernel has it, else tests/xapi/linkem.py between two TUN devices). Two links: 50 ms ± 10 ms with
# 1% loss, and 200 ms ± 20 ms with 3% loss. Over each, `microlearn bench xapi` (small sizes) runs
# the batched flush and the one-PUT baseline, the random-fault run and the 13 conflict cases
# (409 / 400 / 500 naming ids or not, a poison statement, stored copies that differ, 413 and
# 400 "too large", 401 / 403 / 400 without credentials). Asserted: nothing lost, nothing
# duplicated, every conflict case delivered exactly (counts read back from LaRS); throughput is
# printed, never asserted. Needs root (network namespaces); skipped, loudly, otherwise.
# 3m44 (224 s) on the shared 2-core VM at load 6–9, debug build (the 200 ms run is about two thirds).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/xapi/mobile-link.sh
if ! why=$(link_available); then
  echo "################################################################################"
  echo "## xapi-mobile-link: SKIPPED — $why"
  echo "## (needs root, iproute2, network namespaces, and netem or /dev/net/tun)"
  echo "################################################################################"
  exit 0
fi
cargo build -q -p microlearn-cli
export MICROLEARN_BENCH_BIN="$PWD/target/debug/microlearn"
check() { # $1: label, $2: the bench's last line
  python3 - "$1" "$2" <<'PY'
import json, sys
label, line = sys.argv[1], sys.argv[2]
r = json.loads(line)
bad = []
if r["lost"] != 0: bad.append(f"lost={r['lost']}")
if r["duplicates"] != 0: bad.append(f"duplicates={r['duplicates']}")
if r["conflict_cases"] < 13 or r["conflict_cases_delivered"] != r["conflict_cases"]:
    bad.append(f"conflict cases {r['conflict_cases_delivered']}/{r['conflict_cases']}: "
               + "; ".join(c["case"] + ": " + c["problem"] for c in r["conflict_case_results"] if not c["ok"]))
if not r["link"]["kind"]: bad.append("no link kind")
print(f"{label}: link {r['link']}, batched {r['flush_per_s']}/s vs one PUT {r['flush_one_put_per_s']}/s "
      f"({r['flush_speedup']}x), lost {r['lost']}, duplicates {r['duplicates']}, "
      f"conflict cases {r['conflict_cases_delivered']}/{r['conflict_cases']}")
if bad:
    print(f"{label}: FAILED: " + ", ".join(bad)); sys.exit(1)
PY
}
out=$(bash tests/xapi/run-bench.sh --rtt-ms 50 --jitter-ms 10 --loss-pct 1 \
  --single 100 --statements 1000 --puts 40 --rounds 2 --fault-statements 300)
echo "$out" | tail -25 | head -24
check "50 ms, 1% loss" "$(echo "$out" | tail -1)"
out=$(LINK_SEED=2 bash tests/xapi/run-bench.sh --rtt-ms 200 --jitter-ms 20 --loss-pct 3 \
  --single 50 --statements 500 --puts 15 --rounds 1 --fault-statements 200)
check "200 ms, 3% loss" "$(echo "$out" | tail -1)"
echo "xapi-mobile-link: ok"
