#!/usr/bin/env bash
# tree-sitter + tree-sitter-swift (PyPI wheels) in a private venv, for tests/suites/35-swift-parse.sh:
# there is no Swift toolchain on this machine kind, so generated and hand-written Swift are at
# least checked to parse. Idempotent.
set -euo pipefail
TOOLS="${MICROLEARN_TOOLS:-$HOME/.cache/microlearn-tools}"
VENV="$TOOLS/swift-parse-venv"
if ! "$VENV/bin/python" -c 'import tree_sitter, tree_sitter_swift' 2>/dev/null; then
  mkdir -p "$TOOLS"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "tree-sitter==0.26.1" "tree-sitter-swift==0.7.4"
fi
"$VENV/bin/python" -c 'import tree_sitter_swift; print("tree-sitter-swift ok")'
