#!/usr/bin/env bash
# Base tools a fresh Debian machine with Rust may lack: a C compiler (bundled SQLite, ring),
# python3 with venv/ensurepip (free ports in the suites, Python tools), npm (the Kotlin compiler
# package), git, strip (binutils, for the size figure of tests/bench-ffi). Idempotent: installs
# only what is missing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
apt_install_missing cc:gcc strip:binutils git:git python3:python3 npm:npm
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  # Debian splits venv/ensurepip out of python3 (python3-venv).
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv
fi
cc --version | head -1
