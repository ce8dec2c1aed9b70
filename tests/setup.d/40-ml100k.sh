#!/usr/bin/env bash
# MovieLens 100k for `microlearn bench personal` (recommendation quality): the copy shipped inside
# the `recbole` PyPI wheel (recbole/dataset_example/ml-100k/), fetched with pip (no deps, nothing
# installed) and unpacked under the tools dir. The data set is never committed. Idempotent.
set -euo pipefail
TOOLS="${MICROLEARN_TOOLS:-$HOME/.cache/microlearn-tools}"
DEST="$TOOLS/ml-100k"
if [ ! -s "$DEST/ml-100k.inter" ] || [ ! -s "$DEST/ml-100k.item" ]; then
  mkdir -p "$DEST" "$TOOLS/wheels"
  PIP=(python3 -m pip)
  if ! python3 -m pip --version >/dev/null 2>&1; then
    # Debian's python3 has no pip by default; a private venv has (00-base installs python3-venv).
    [ -x "$TOOLS/pip-venv/bin/pip" ] || python3 -m venv "$TOOLS/pip-venv"
    PIP=("$TOOLS/pip-venv/bin/pip")
  fi
  "${PIP[@]}" download -q --disable-pip-version-check --no-deps "recbole==1.2.1" -d "$TOOLS/wheels"
  python3 - "$TOOLS/wheels" "$DEST" <<'PY'
import glob, os, sys, zipfile
wheel = sorted(glob.glob(os.path.join(sys.argv[1], "recbole-1.2.1-*.whl")))[0]
with zipfile.ZipFile(wheel) as z:
    for name in ("ml-100k.inter", "ml-100k.item"):
        data = z.read("recbole/dataset_example/ml-100k/" + name)
        tmp = os.path.join(sys.argv[2], name + ".tmp")
        open(tmp, "wb").write(data)
        os.replace(tmp, os.path.join(sys.argv[2], name))
PY
fi
echo "ml-100k ok: $(($(wc -l <"$DEST/ml-100k.inter") - 1)) ratings"
