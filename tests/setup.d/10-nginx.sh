#!/usr/bin/env bash
# nginx serves published catalogs on loopback for the content tests and benches.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
apt_install_missing nginx:nginx
