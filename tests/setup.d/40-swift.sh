#!/usr/bin/env bash
# Swift 6 for the Swift FFI tests (tests/suites/40-swift.sh, tests/bench-ffi swift): the host is
# Debian 12 (glibc 2.36) and Debian's `swiftlang` needs trixie (glibc >= 2.38), so this builds a
# Debian trixie root in a cache folder with debootstrap and installs swiftlang there (the package
# ships swiftc, swift-build, Foundation, Dispatch and XCTest). The tests run swiftc inside the root
# with the worktree and the host-built cdylib bind-mounted in (tests/lib/swift-env.sh).
#
# Idempotent and safe after an interruption: the root is built in "$ROOT.partial" and renamed to
# "$ROOT" only when swiftlang is installed and `swiftc --version` runs; the marker file
# "$ROOT/.microlearn-swift-ok" says so. A leftover "$ROOT.partial" is thrown away and redone.
# Mounts (/proc, /dev, /sys for apt inside the root) live in a private mount namespace
# (unshare -m), so they vanish when the command ends, even when it is killed.
# Needs root (debootstrap, chroot, unshare -m). Measured here (2-core VM, deb.debian.org): 131 s
# from scratch on a quiet machine, 235 s under load 11 (after an interrupted run); 2.6 GB on disk.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

TOOLS="${MICROLEARN_TOOLS:-$HOME/.cache/microlearn-tools}"
ROOT="$TOOLS/trixie-root"
MARK="$ROOT/.microlearn-swift-ok"
MIRROR="${MICROLEARN_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# swiftlang brings swiftc, swift-build, Foundation, Dispatch, XCTest; the rest is what linking C/Swift
# needs inside the root (libc headers, the gcc runtime objects swiftc's clang driver links with).
PACKAGES=(swiftlang libc6-dev ca-certificates)

if [ -e "$MARK" ]; then
  echo "trixie root ready: $ROOT ($(cat "$MARK"))"
  exit 0
fi

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
apt_install_missing debootstrap:debootstrap unshare:util-linux

start=$(date +%s)
PART="$ROOT.partial"
# A partial root from an interrupted run: nothing is mounted on it (every mount was made in a
# private namespace that died with the run), so it can simply be deleted.
if [ -e "$PART" ] || [ -e "$ROOT" ]; then
  echo "removing incomplete trixie root ($PART / $ROOT)"
  $sudo rm -rf --one-file-system "$PART" "$ROOT"
fi
mkdir -p "$TOOLS"

echo "debootstrap --variant=minbase trixie $PART $MIRROR"
# In a private mount namespace too: the /proc and /sys debootstrap mounts in the root for its
# second stage go away with it, even when it is interrupted.
$sudo unshare --mount --propagation private -- \
  debootstrap --variant=minbase trixie "$PART" "$MIRROR" >"$TOOLS/trixie-debootstrap.log" 2>&1 || {
  tail -30 "$TOOLS/trixie-debootstrap.log"
  echo "debootstrap failed (log: $TOOLS/trixie-debootstrap.log)" >&2
  exit 1
}
t_boot=$(($(date +%s) - start))
echo "debootstrap done in ${t_boot}s"

$sudo cp /etc/resolv.conf "$PART/etc/resolv.conf"
# Same apt settings as the host (no valid-until checks on snapshot mirrors), no recommends.
printf 'Acquire::Check-Valid-Until "false";\nAPT::Install-Recommends "false";\n' |
  $sudo tee "$PART/etc/apt/apt.conf.d/99microlearn" >/dev/null

in_root() {
  # shellcheck disable=SC2016
  $sudo unshare --mount --propagation private -- sh -c '
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount -t sysfs sys "$root/sys" 2>/dev/null || true
    exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
      DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"' sh "$PART" "$@"
}

in_root apt-get update -qq
echo "apt-get install ${PACKAGES[*]} (inside the root)"
in_root apt-get install -y -qq "${PACKAGES[@]}" >"$TOOLS/trixie-apt.log" 2>&1 || {
  tail -30 "$TOOLS/trixie-apt.log"
  echo "apt-get install swiftlang in the trixie root failed (log: $TOOLS/trixie-apt.log)" >&2
  exit 1
}
in_root apt-get clean
version="$(in_root swiftc --version 2>&1 | head -1)"
echo "$version"
total=$(($(date +%s) - start))
size="$($sudo du -sh --one-file-system "$PART" | cut -f1)"
echo "$version; built in ${total}s (debootstrap ${t_boot}s); $size" | $sudo tee "$PART/.microlearn-swift-ok" >/dev/null
$sudo mv "$PART" "$ROOT"
echo "trixie root with swiftlang built in ${total}s (debootstrap ${t_boot}s), du -sh: $size -> $ROOT"
