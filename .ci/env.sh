# Sourced by the other scripts: make sure .venv holds the project and its dev tools.
#
# The interpreter is $PYTHON if set, else the newest CPython >= 3.11 found on PATH. The
# environment is recreated when the interpreter changes and reinstalled when pyproject.toml
# changes (stamp files remember both), so repeated runs start at once.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VENV="$ROOT/.venv"

pick_python() {
    if [ -n "${PYTHON:-}" ]; then
        echo "$PYTHON"
        return
    fi
    for candidate in python3.14 python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
            echo "$candidate"
            return
        fi
    done
    echo "mcpcore: Python 3.11 or newer is needed (set PYTHON=/path/to/python3)" >&2
    exit 1
}

PY=$(pick_python)
PY_ID=$("$PY" -c 'import sys; print(sys.executable, sys.version.split()[0])')
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.python-id" 2>/dev/null)" != "$PY_ID" ]; then
    echo "mcpcore: creating $VENV with $PY_ID" >&2
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
    echo "$PY_ID" > "$VENV/.python-id"
fi
DEPS_ID=$(cksum < pyproject.toml)
if [ "$(cat "$VENV/.deps-id" 2>/dev/null)" != "$DEPS_ID" ]; then
    echo "mcpcore: installing mcpcore and its dev tools into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[dev]"
    echo "$DEPS_ID" > "$VENV/.deps-id"
fi
