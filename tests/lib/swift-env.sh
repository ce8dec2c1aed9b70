# Sourced by tests/suites/40-swift.sh and tests/bench-ffi-swift: runs Swift 6 (Debian trixie's
# swiftlang, in the root built by tests/setup.d/40-swift.sh) on this Debian 12 host.
#
# swift_run DIR… -- CMD…  runs CMD inside the trixie root, in a private mount namespace (every
# mount disappears with the command, even when it is killed): /proc, /dev, and each DIR
# bind-mounted at its own path (the worktree with its target/, the suite's scratch dir…), so paths
# are the same inside and out. The network namespace is the host's: nginx and LaRS on the host's
# loopback are reachable. The working directory is kept; MICROLEARN_TEST_* and a few build
# variables cross, nothing else of the host environment does.
SWIFT_TOOLS="${MICROLEARN_TOOLS:-$HOME/.cache/microlearn-tools}"
SWIFT_ROOT="$SWIFT_TOOLS/trixie-root"
if [ ! -e "$SWIFT_ROOT/.microlearn-swift-ok" ]; then
  echo "no Swift toolchain at $SWIFT_ROOT: run tests/setup.d/40-swift.sh" >&2
  exit 1
fi

swift_run() {
  local dirs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do dirs+=("$(realpath "$1")"); shift; done
  shift
  local envs=(PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb)
  local v
  for v in $(compgen -e); do
    case "$v" in
      MICROLEARN_TEST_* | ML_* | LIBRARY_PATH | LD_LIBRARY_PATH) envs+=("$v=${!v}") ;;
    esac
  done
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  # shellcheck disable=SC2016
  $sudo unshare --mount --propagation private -- bash -c '
    set -e
    root=$1; cwd=$2; ndirs=$3; shift 3
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    for ((i = 0; i < ndirs; i++)); do
      mkdir -p "$root$1"
      mount --bind "$1" "$root$1"
      shift
    done
    nenv=$1; shift
    env=("${@:1:$nenv}"); shift "$nenv"
    exec chroot "$root" /usr/bin/env -i "${env[@]}" /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$cwd" "$@"
  ' bash "$SWIFT_ROOT" "$PWD" "${#dirs[@]}" "${dirs[@]}" "${#envs[@]}" "${envs[@]}" "$@"
}

# generate_swift LIBRARY OUT_DIR: Swift sources, C header and module map from the built library.
generate_swift() {
  rm -rf "$2"
  target/debug/uniffi-bindgen generate --no-format --library "$1" --language swift --out-dir "$2" >/dev/null
}
