#!/usr/bin/env bash
# nginx serves published catalogs on loopback for the content/sync tests and `bench sync`.
# Tests start their own instance (temp prefix, free loopback port, `daemon off`); no system
# service is used. Override the binary with MICROLEARN_NGINX=/path/to/nginx.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
if [ -z "${MICROLEARN_NGINX:-}" ] && [ ! -x /usr/sbin/nginx ] && ! command -v nginx >/dev/null 2>&1; then
  apt_install_missing nginx:nginx
fi
"${MICROLEARN_NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}" -v
