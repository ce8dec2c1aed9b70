#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine with Rust. Idempotent: each script in
# tests/setup.d/ checks first and does nothing when its tool is already there. One script per tool
# (nginx, the LRS, the Kotlin toolchain …), run in name order.
set -euo pipefail
cd "$(dirname "$0")"
for script in setup.d/[0-9]*.sh; do
  echo "== setup: $script"
  bash "$script"
done
