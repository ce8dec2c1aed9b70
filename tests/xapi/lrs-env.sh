# Starts a private PostgreSQL 15 cluster and LaRS (the real LRS) on free loopback ports; sourced by
# tests/suites/20-xapi-lrs.sh. `start_lrs` exports LRS_URL (the xAPI base URL, ending in `/`) and
# registers `stop_lrs` to run on exit. Nothing outside its temp dir is touched.
# With LRS_NETNS set (tests/xapi/mobile-link.sh), PostgreSQL and LaRS run inside that network
# namespace, LaRS listens on LRS_NETNS_IP, and LRS_URL points there (across the emulated link).

LARS_BIN="${MICROLEARN_TOOLS:-$HOME/.cache/microlearn-tools}/lars/bin/xapi-rs"
PG_BIN=/usr/lib/postgresql/15/bin

# Runs a command in LRS_NETNS when set, else here.
in_lrs_ns() {
  if [ -n "${LRS_NETNS:-}" ]; then ip netns exec "$LRS_NETNS" "$@"; else "$@"; fi
}

free_port() {
  in_lrs_ns python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop_lrs() {
  [ -n "${LARS_PID:-}" ] && kill "$LARS_PID" 2>/dev/null && wait "$LARS_PID" 2>/dev/null
  if [ -n "${LRS_TMP:-}" ] && [ -d "$LRS_TMP/pg" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$LRS_TMP/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
  [ -n "${LRS_TMP:-}" ] && rm -rf "$LRS_TMP"
  if [ -n "${LRS_CGROUP:-}" ]; then
    for _ in $(seq 1 20); do rmdir "$LRS_CGROUP" 2>/dev/null && break; sleep 0.1; done
  fi
  LARS_PID=""
  LRS_CGROUP=""
}

# PostgreSQL refuses to run as root: run it as the `postgres` user then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# `as_pg` inside LRS_NETNS when set.
as_pg_in_ns() {
  if [ "$(id -u)" = 0 ]; then in_lrs_ns runuser -u postgres -- "$@"; else in_lrs_ns "$@"; fi
}

start_lrs() {
  [ -x "$LARS_BIN" ] || { echo "LaRS not installed at $LARS_BIN (run tests/setup.sh)"; return 1; }
  LRS_TMP=$(mktemp -d /tmp/microlearn-lrs.XXXXXX)
  chmod 755 "$LRS_TMP"
  # LRS_EXTRA_CLEANUP: what the caller set up before (the link) goes after the servers.
  trap 'stop_lrs; ${LRS_EXTRA_CLEANUP:-:}' EXIT
  mkdir -p "$LRS_TMP/pg" "$LRS_TMP/sock" "$LRS_TMP/lars/logs"
  mkdir -p "$LRS_TMP/pglog"
  [ "$(id -u)" = 0 ] && chown postgres "$LRS_TMP/pg" "$LRS_TMP/sock" "$LRS_TMP/pglog"
  local pg_port lrs_port
  pg_port=$(free_port)
  as_pg "$PG_BIN/initdb" -D "$LRS_TMP/pg" -U postgres --auth=trust -E UTF8 >"$LRS_TMP/initdb.log" 2>&1 \
    || { cat "$LRS_TMP/initdb.log"; return 1; }
  as_pg_in_ns "$PG_BIN/pg_ctl" -D "$LRS_TMP/pg" -l "$LRS_TMP/pglog/pg.log" -w \
    -o "-p $pg_port -k $LRS_TMP/sock -c listen_addresses=127.0.0.1 -c fsync=off ${LRS_PG_OPTS:-}" \
    start >/dev/null \
    || { cat "$LRS_TMP/pglog/pg.log"; return 1; }
  in_lrs_ns "$PG_BIN/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres xapi
  lrs_port=$(free_port)
  local db_name=xapi
  # Where LaRS listens and what URL the client uses: loopback, or across the link.
  local lrs_ip=127.0.0.1
  local lrs_ns_cmd=()
  if [ -n "${LRS_NETNS:-}" ]; then
    lrs_ip="${LRS_NETNS_IP:?LRS_NETNS_IP must be set with LRS_NETNS}"
    lrs_ns_cmd=(ip netns exec "$LRS_NETNS")
  fi
  if [ "${LRS_PG_SOCKET:-0}" = 1 ]; then
    # LaRS builds its URL as "$DB_SERVER_URL/$DB_NAME": the socket rides in the query string.
    db_name="xapi?host=$LRS_TMP/sock&port=$pg_port"
  fi
  (
    cd "$LRS_TMP/lars"
    export CARGO_MANIFEST_DIR="$LRS_TMP/lars" RUST_LOG=warn \
      DB_SERVER_URL="postgresql://postgres@127.0.0.1:$pg_port" DB_NAME="$db_name" \
      DB_MAX_CONNECTIONS=16 DB_MIN_CONNECTIONS=2 DB_STATEMENTS_PAGE_LEN=500 \
      LRS_MODE=legacy LRS_HOST="$lrs_ip" LRS_PORT="$lrs_port" \
      LRS_AUTHORITY_IFI=admin@microlearn.example LRS_ROOT_EMAIL=admin@microlearn.example \
      LRS_EXTERNAL_URL="http://$lrs_ip:$lrs_port/" EXT_DEFAULT_LANGUAGE=en \
      ROCKET_ADDRESS="$lrs_ip" ROCKET_PORT="$lrs_port" ROCKET_LOG_LEVEL=critical \
      ROCKET_SECRET_KEY="$(head -c 32 /dev/urandom | base64)" \
      ROCKET_WORKERS=4 ROCKET_LIMITS='{json="4 MiB"}'
    exec "${lrs_ns_cmd[@]}" "$LARS_BIN" >"$LRS_TMP/lars.log" 2>&1
  ) &
  LARS_PID=$!
  export LRS_URL="http://$lrs_ip:$lrs_port/"
  for _ in $(seq 1 100); do
    if curl -fsS -H 'X-Experience-API-Version: 2.0.0' "${LRS_URL}about" >/dev/null 2>&1; then
      echo "LaRS up at $LRS_URL (postgres on $pg_port)"
      lrs_cpu_accounting || true
      return 0
    fi
    kill -0 "$LARS_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "LaRS did not start:"; tail -30 "$LRS_TMP/lars.log"
  return 1
}

# Puts LaRS and PostgreSQL (the postmaster and its backends, present and future) in a cgroup of
# their own and exports MICROLEARN_LRS_CPU_USAGE, so the bench can tell the LRS's CPU time per
# statement from waiting. Needs root and a writable cgroup tree (v1 cpuacct or v2); else a no-op.
lrs_cpu_accounting() {
  [ "$(id -u)" = 0 ] || return 0
  local name pm file
  name="microlearn-lrs-$$"
  if [ -d /sys/fs/cgroup/cpuacct ] && [ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then
    LRS_CGROUP="/sys/fs/cgroup/cpuacct/$name"; file="cpuacct.usage"
  elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    LRS_CGROUP="/sys/fs/cgroup/$name"; file="cpu.stat"
  else
    return 0
  fi
  mkdir -p "$LRS_CGROUP" 2>/dev/null || { LRS_CGROUP=""; return 0; }
  pm=$(head -1 "$LRS_TMP/pg/postmaster.pid" 2>/dev/null)
  for p in $LARS_PID $pm $( [ -n "$pm" ] && pgrep -P "$pm"); do
    echo "$p" > "$LRS_CGROUP/cgroup.procs" 2>/dev/null || { rmdir "$LRS_CGROUP"; LRS_CGROUP=""; return 0; }
  done
  export MICROLEARN_LRS_CPU_USAGE="$LRS_CGROUP/$file"
}
