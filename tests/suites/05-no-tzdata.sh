#!/usr/bin/env bash
# A machine without a time-zone database fails clearly, never silently in UTC: in a private mount
# namespace an empty directory hides /usr/share/zoneinfo (as on a slim Debian image without
# `tzdata`), and `microlearn nudges set --tz Europe/Paris` must exit non-zero naming the missing
# database, store nothing, while "UTC" keeps working. Needs root + unshare(1) (mount namespace);
# skipped otherwise, saying so.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! unshare -m true 2>/dev/null; then
  echo "no-tzdata: SKIPPED (needs root and unshare -m to hide /usr/share/zoneinfo)"
  exit 0
fi
cargo build -q -p microlearn-cli
BIN="$PWD/target/debug/microlearn"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ml-notz.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/empty" "$WORK/data"
"$BIN" --data-dir "$WORK/data" --json nudges set --tz Europe/London --shift mon=09:00 >/dev/null

# Inside the namespace: no database. TZDIR unset so jiff searches only the standard places.
set +e
unshare -m env -u TZDIR BIN="$BIN" DATA="$WORK/data" EMPTY="$WORK/empty" sh -c '
  mount --bind "$EMPTY" /usr/share/zoneinfo || exit 90
  "$BIN" --data-dir "$DATA" --json nudges set --tz Europe/Paris 2>&1; echo "rc=$?"
  "$BIN" --data-dir "$DATA" --json nudges set --tz UTC >/dev/null 2>&1; echo "utc_rc=$?"
' >"$WORK/out.txt"
set -e
cat "$WORK/out.txt"
fail() { echo "no-tzdata: FAILED: $*" >&2; exit 1; }
if grep -q "rc=90" "$WORK/out.txt"; then
  # unshare worked but bind mounts are not allowed here (some containers): nothing to test.
  echo "no-tzdata: SKIPPED (could not bind-mount over /usr/share/zoneinfo)"
  exit 0
fi
grep -q "^rc=0" "$WORK/out.txt" && fail "Europe/Paris was accepted without a database"
grep -q "no time-zone database found" "$WORK/out.txt" || fail "error does not name the missing database"
grep -q "^utc_rc=0" "$WORK/out.txt" || fail "UTC must work without a database"
# Back outside: the database is there again and the stored zone is the last accepted one (UTC),
# never Europe/Paris.
zone="$("$BIN" --data-dir "$WORK/data" --json nudges set | python3 -c 'import json,sys; print(json.load(sys.stdin)["schedule"]["time_zone"])')"
[ "$zone" = "UTC" ] || fail "stored zone is $zone, expected UTC"
echo "no-tzdata: ok (clear error without a database; nothing stored)"
