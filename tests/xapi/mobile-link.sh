# An emulated mobile link to a private network namespace, for the LRS to live behind; sourced by
# tests/xapi/run-bench.sh and tests/suites/21-xapi-mobile-link.sh.
#
# `start_link RTT_MS JITTER_MS LOSS_PCT` creates a network namespace `mlx-<pid>` and a link from
# this (the client's) namespace into it: LINK_CLIENT_IP here, LINK_LRS_IP there, a /30 from
# 10.207.0.0/16 that no route here uses yet. Round trip RTT_MS, ± JITTER_MS in each direction,
# LOSS_PCT of the packets dropped in each direction.
#
# How: with `tc netem` when the kernel has it (a veth pair, netem on both ends, each adding half
# the round trip); else (CONFIG_NET_SCH_NETEM not set, as on the 2-core VM the figures come
# from) a TUN pair bridged by tests/xapi/linkem.py, the same delay/jitter/loss in user space
# between the same two kernel TCP stacks. LINK_KIND says which was used. `stop_link` (registered
# on exit by the caller) removes the namespace, the devices and the emulator, and prints the
# user-space link's packet counts on stderr; everything is created here, nothing existing is
# touched. Needs root and iproute2.

LINKEM="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/linkem.py"

# Whether this machine can build the link at all: prints why not and fails otherwise (root,
# iproute2, network namespaces, and netem or a TUN device).
link_available() {
  link_need || return 1
  local probe="mlxq-$$"
  ip netns add "$probe" 2>/dev/null || { echo "cannot create network namespaces (ip netns add failed: no CAP_SYS_ADMIN/CAP_NET_ADMIN?)"; return 1; }
  ip netns del "$probe"
  link_has_netem && return 0
  [ -c /dev/net/tun ] || { echo "neither netem (sch_netem) nor /dev/net/tun"; return 1; }
  python3 - <<'PY' 2>/dev/null || { echo "no netem and /dev/net/tun unusable"; return 1; }
import fcntl, os, struct
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH", b"mlxprobe0", 0x1001))
PY
}

link_need() {
  [ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; return 1; }
  command -v ip >/dev/null && command -v tc >/dev/null \
    || { echo "needs iproute2 (ip, tc): apt-get install iproute2"; return 1; }
}

# The first 10.207.N.0/30 that no route in this namespace covers (bounded: 64 tries).
link_pick_subnet() {
  local n
  for n in $(seq $(( $$ % 200 )) $(( $$ % 200 + 63 ))); do
    local third=$(( n % 250 ))
    if ! ip route show | grep -q "^10\.207\.$third\."; then
      LINK_CLIENT_IP="10.207.$third.1"; LINK_LRS_IP="10.207.$third.2"
      return 0
    fi
  done
  echo "no free 10.207.x.0/30 subnet"; return 1
}

link_has_netem() {
  local probe="mlxp-$$"
  ip netns add "$probe" 2>/dev/null || return 1
  ip -n "$probe" link set lo up
  local ok=1
  ip netns exec "$probe" tc qdisc add dev lo root netem delay 1ms 2>/dev/null && ok=0
  ip netns del "$probe"
  return $ok
}

start_link() {
  local rtt="$1" jitter="$2" loss="$3"
  link_need || return 1
  link_pick_subnet || return 1
  LINK_NS="mlx-$$"
  LINK_DEV_C="mlxc$$"; LINK_DEV_L="mlxl$$"
  LINK_TMP=$(mktemp -d /tmp/microlearn-link.XXXXXX)
  ip netns add "$LINK_NS"
  ip -n "$LINK_NS" link set lo up
  local half jhalf
  half=$(python3 -c "print($rtt / 2)"); jhalf=$(python3 -c "print($jitter / 2)")
  if [ "${LINK_FORCE_TUN:-0}" != 1 ] && link_has_netem; then
    LINK_KIND=netem
    ip link add "$LINK_DEV_C" type veth peer name "$LINK_DEV_L"
    ip link set "$LINK_DEV_L" netns "$LINK_NS"
    tc qdisc add dev "$LINK_DEV_C" root netem delay "${half}ms" "${jhalf}ms" loss "${loss}%"
    ip netns exec "$LINK_NS" tc qdisc add dev "$LINK_DEV_L" root netem delay "${half}ms" "${jhalf}ms" loss "${loss}%"
  else
    LINK_KIND=tun-linkem
    [ -c /dev/net/tun ] || { mkdir -p /dev/net && mknod /dev/net/tun c 10 200; }
    python3 "$LINKEM" --dev-a "$LINK_DEV_C" --dev-b "$LINK_DEV_L" --delay-ms "$half" \
      --jitter-ms "$jhalf" --loss-pct "$loss" --seed "${LINK_SEED:-1}" \
      --ready "$LINK_TMP/ready" --stats "$LINK_TMP/stats.json" 2>"$LINK_TMP/linkem.log" &
    LINK_EM_PID=$!
    for _ in $(seq 1 50); do [ -f "$LINK_TMP/ready" ] && break; sleep 0.1; done
    [ -f "$LINK_TMP/ready" ] || { echo "link emulator did not start:"; cat "$LINK_TMP/linkem.log"; return 1; }
    ip link set "$LINK_DEV_L" netns "$LINK_NS"
  fi
  ip addr add "$LINK_CLIENT_IP/30" dev "$LINK_DEV_C"
  ip link set "$LINK_DEV_C" up
  ip -n "$LINK_NS" addr add "$LINK_LRS_IP/30" dev "$LINK_DEV_L"
  ip -n "$LINK_NS" link set "$LINK_DEV_L" up
  export LINK_NS LINK_KIND LINK_CLIENT_IP LINK_LRS_IP
  echo "mobile link ($LINK_KIND): $LINK_CLIENT_IP <-> $LINK_LRS_IP in netns $LINK_NS, RTT ${rtt} ms ± ${jitter} ms, ${loss}% loss each way"
}

stop_link() {
  # Runs from EXIT traps under `set -e`: every step tolerates "already gone".
  if [ -n "${LINK_EM_PID:-}" ]; then
    kill "$LINK_EM_PID" 2>/dev/null || true
    wait "$LINK_EM_PID" 2>/dev/null || true
    LINK_EM_PID=""
    if [ -f "$LINK_TMP/stats.json" ]; then
      echo "link packets (forwarded/dropped each way): $(cat "$LINK_TMP/stats.json")" >&2
    fi
  fi
  if [ -n "${LINK_DEV_C:-}" ]; then ip link del "$LINK_DEV_C" 2>/dev/null || true; fi
  if [ -n "${LINK_NS:-}" ]; then
    # Whatever still runs in the namespace (a server the caller started) is stopped first.
    local p
    for p in $(ip netns pids "$LINK_NS" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
    sleep 0.2
    for p in $(ip netns pids "$LINK_NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$LINK_NS" 2>/dev/null || true
  fi
  if [ -n "${LINK_TMP:-}" ]; then rm -rf "$LINK_TMP"; fi
  LINK_NS=""; LINK_DEV_C=""; LINK_TMP=""
}
