#!/usr/bin/env bash
# The emulated mobile link of tests/suites/21-xapi-mobile-link.sh: iproute2 (`ip netns`, `ip link`,
# `tc`) and the TUN device for the user-space link when the kernel has no netem. Idempotent.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
apt_install_missing ip:iproute2 tc:iproute2
if [ "$(id -u)" = 0 ] && [ ! -c /dev/net/tun ]; then
  mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && chmod 600 /dev/net/tun || true
fi
ip -V
