#!/usr/bin/env bash
# OpenSSL's libcrypto headers and library for SQLCipher (core feature `encryption`, on by
# default): desktop and CI builds link the system libcrypto; phone builds use the
# `vendored-openssl` feature instead (see docs/security.md). Also util-linux's mount/findmnt and
# df for the disk-full test (normally present). Idempotent: installs only what is missing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
if [ ! -e /usr/include/openssl/evp.h ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends libssl-dev pkg-config
fi
apt_install_missing findmnt:util-linux mount:mount
echo "libcrypto headers: $(ls /usr/include/openssl/evp.h)"
