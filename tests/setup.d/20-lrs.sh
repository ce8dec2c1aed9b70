#!/usr/bin/env bash
# The real LRS for the xAPI tests: LaRS (crate `xapi-rs` 0.2.0, xAPI 2.0.0, passes the ADL conformance
# suite) on PostgreSQL 15 from Debian. Idempotent: skips what is already there. Building LaRS takes
# ~8+ minutes on 2 cores; the binary is kept under $MICROLEARN_TOOLS (default ~/.cache/microlearn-tools).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# initdb/pg_ctl/postgres live in /usr/lib/postgresql/15/bin, not on PATH: check for that directory.
if [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql-15
fi
apt_install_missing psql:postgresql-client-15 curl:curl python3:python3-minimal

tools="${MICROLEARN_TOOLS:-$HOME/.cache/microlearn-tools}"
lars="$tools/lars"
if [ -x "$lars/bin/xapi-rs" ]; then
  echo "LaRS already installed in $lars/bin"
  exit 0
fi
mkdir -p "$lars"
echo "building LaRS (xapi-rs 0.2.0) into $lars — this takes several minutes"
# A separate target dir so the build never touches the workspace's target/.
CARGO_TARGET_DIR="$tools/lars-target" nice -n 10 cargo install --locked xapi-rs --version 0.2.0 \
  --root "$lars"
rm -rf "$tools/lars-target"
ls "$lars/bin"
