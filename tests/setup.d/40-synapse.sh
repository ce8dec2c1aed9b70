#!/usr/bin/env bash
# The real Matrix homeserver for the network tests: Synapse (PyPI `matrix-synapse`) in a Python venv
# cached under $MICROLEARN_TOOLS (default ~/.cache/microlearn-tools)/synapse-venv. Idempotent: does
# nothing when the venv already runs `synapse.app.homeserver`. Prints how long the install took.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
apt_install_missing python3:python3-minimal
# python3-venv ships ensurepip; without it `python3 -m venv` fails on Debian.
if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv
fi

tools="${MICROLEARN_TOOLS:-$HOME/.cache/microlearn-tools}"
venv="$tools/synapse-venv"
# The version the tests were written against; bump deliberately.
version="${MICROLEARN_SYNAPSE_VERSION:-1.163.2}"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import synapse.app.homeserver' >/dev/null 2>&1; then
  echo "Synapse already installed in $venv ($("$venv/bin/python" -c 'import synapse; print(synapse.__version__)'))"
  exit 0
fi
start=$(date +%s)
rm -rf "$venv"
mkdir -p "$tools"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
# Binary wheels only for the heavy parts (Rust extension, cryptography): no compiler needed.
"$venv/bin/pip" install -q "matrix-synapse==$version"
"$venv/bin/python" -c 'import synapse.app.homeserver, synapse; print("Synapse", synapse.__version__)'
echo "Synapse venv installed in $venv in $(( $(date +%s) - start )) s"
