#!/usr/bin/env bash
# The IANA time-zone database: the core reads the OS copy (jiff, no bundled tables; see
# core/src/nudge/zone.rs and docs/nudges.md). Minimal Debian images ship without it, and then
# every zone except "UTC" is a typed NoTimeZoneDatabase / UnknownTimeZone error, so the nudge and
# quiz tests would fail (loudly, never silently in UTC). Idempotent: checks a zone file first.
# A database elsewhere can be used with TZDIR=/path/to/zoneinfo.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
zoneinfo="${TZDIR:-/usr/share/zoneinfo}"
if [ ! -e "$zoneinfo/America/New_York" ]; then
  # apt_install_missing keys on a command; tzdata has none, so name one that never exists.
  apt_install_missing "__no_such_command_tzdata__:tzdata"
fi
[ -e "$zoneinfo/America/New_York" ] || { echo "tzdata: $zoneinfo/America/New_York still missing" >&2; exit 1; }
echo "tzdata: $(dpkg-query -W -f='${Version}' tzdata 2>/dev/null || echo "$zoneinfo")"
