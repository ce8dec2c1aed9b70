#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine with Rust. Idempotent: each step
# checks first and does nothing when its tool is already there.
set -euo pipefail

need_apt=()
add_apt() { command -v "$1" >/dev/null 2>&1 || need_apt+=("$2"); }

add_apt nginx nginx

if ((${#need_apt[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
