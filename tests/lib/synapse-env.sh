# A private Synapse homeserver on a free loopback port, for the network tests. Sourced by
# tests/suites/40-network.sh and run by core/tests/network_common (`synapse-env.sh run DIR`).
# `start_synapse` exports SYNAPSE_URL, SYNAPSE_SECRET (registration shared secret) and
# SYNAPSE_SERVER_NAME, and registers `stop_synapse` to run on exit. SQLite database, media store and
# logs live in one temp dir; nothing outside it is touched.
#
# Rate limits are relaxed so that hundreds of test posts are not throttled; the 429 tests turn a
# real per-user limit back on with Synapse's admin API (override_ratelimit), so the 429 is Synapse's.

SYNAPSE_VENV="${MICROLEARN_TOOLS:-$HOME/.cache/microlearn-tools}/synapse-venv"

synapse_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# write_synapse_config DIR PORT: homeserver.yaml + log config in DIR.
write_synapse_config() {
  local dir=$1 port=$2
  local secret
  secret=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
  mkdir -p "$dir/media"
  cat >"$dir/log.yaml" <<YAML
version: 1
formatters: {precise: {format: '%(asctime)s %(levelname)s %(name)s %(message)s'}}
handlers: {file: {class: logging.FileHandler, formatter: precise, filename: $dir/homeserver.log}}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
YAML
  cat >"$dir/homeserver.yaml" <<YAML
server_name: "localhost"
pid_file: $dir/homeserver.pid
public_baseurl: "http://127.0.0.1:$port/"
listeners:
  - port: $port
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    x_forwarded: false
    resources: [{names: [client], compress: false}]
database: {name: sqlite3, args: {database: $dir/homeserver.db}}
log_config: $dir/log.yaml
media_store_path: $dir/media
max_upload_size: 2M
registration_shared_secret: "$secret"
enable_registration: false
report_stats: false
signing_key_path: $dir/signing.key
trusted_key_servers: []
suppress_key_server_warning: true
macaroon_secret_key: "m$secret"
form_secret: "f$secret"
presence: {enabled: false}
url_preview_enabled: false
enable_metrics: false
rc_message: {per_second: 10000, burst_count: 10000}
rc_registration: {per_second: 1000, burst_count: 1000}
rc_login:
  address: {per_second: 1000, burst_count: 1000}
  account: {per_second: 1000, burst_count: 1000}
  failed_attempts: {per_second: 1000, burst_count: 1000}
rc_joins:
  local: {per_second: 1000, burst_count: 1000}
  remote: {per_second: 1000, burst_count: 1000}
rc_joins_per_room: {per_second: 1000, burst_count: 1000}
rc_invites:
  per_room: {per_second: 1000, burst_count: 1000}
  per_user: {per_second: 1000, burst_count: 1000}
rc_admin_redaction: {per_second: 1000, burst_count: 1000}
rc_media_create: {per_second: 1000, burst_count: 1000}
YAML
  echo "$secret" >"$dir/secret"
}

stop_synapse() {
  if [ -n "${SYNAPSE_PID:-}" ]; then
    kill "$SYNAPSE_PID" 2>/dev/null
    wait "$SYNAPSE_PID" 2>/dev/null
  fi
  [ -n "${SYNAPSE_TMP:-}" ] && [ "${SYNAPSE_KEEP:-0}" != 1 ] && rm -rf "$SYNAPSE_TMP"
  SYNAPSE_PID=""
}

# start_synapse: in a new temp dir, background; waits until /versions answers (max ~60 s).
start_synapse() {
  [ -x "$SYNAPSE_VENV/bin/python" ] || { echo "Synapse not installed in $SYNAPSE_VENV (run tests/setup.sh)"; return 1; }
  # The homeserver's SQLite file on tmpfs when there is one: Synapse commits every event with an
  # fsync (~50 ms each on this VM's disk); the tests measure the client, not the disk.
  local base=/tmp
  [ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
  SYNAPSE_TMP=$(mktemp -d "$base/microlearn-synapse.XXXXXX")
  trap stop_synapse EXIT
  local port
  port=$(synapse_free_port)
  write_synapse_config "$SYNAPSE_TMP" "$port"
  "$SYNAPSE_VENV/bin/python" -m synapse.app.homeserver -c "$SYNAPSE_TMP/homeserver.yaml" \
    --generate-keys >/dev/null 2>&1 || { echo "synapse key generation failed"; return 1; }
  "$SYNAPSE_VENV/bin/python" -m synapse.app.homeserver -c "$SYNAPSE_TMP/homeserver.yaml" \
    >"$SYNAPSE_TMP/stdout.log" 2>&1 &
  SYNAPSE_PID=$!
  export SYNAPSE_URL="http://127.0.0.1:$port"
  SYNAPSE_SECRET=$(cat "$SYNAPSE_TMP/secret")
  export SYNAPSE_SECRET SYNAPSE_SERVER_NAME=localhost
  local t0=$SECONDS
  for _ in $(seq 1 300); do
    if curl -fsS "$SYNAPSE_URL/_matrix/client/versions" >/dev/null 2>&1; then
      echo "Synapse up at $SYNAPSE_URL in $((SECONDS - t0)) s (dir $SYNAPSE_TMP)"
      return 0
    fi
    kill -0 "$SYNAPSE_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "Synapse did not start:"; tail -30 "$SYNAPSE_TMP/stdout.log" "$SYNAPSE_TMP/homeserver.log" 2>/dev/null
  return 1
}

# `bash synapse-env.sh run`: start, print "SYNAPSE_URL=… SYNAPSE_SECRET=…" on one line, then stay in
# the foreground until stdin closes (the Rust test helper holds the pipe; when the test process dies,
# the pipe closes and the server stops: no orphan homeserver).
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "${1:-}" = run ]; then
  start_synapse >&2 || exit 1
  echo "SYNAPSE_URL=$SYNAPSE_URL SYNAPSE_SECRET=$SYNAPSE_SECRET"
  cat >/dev/null
  stop_synapse
fi
