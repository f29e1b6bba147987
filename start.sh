#!/usr/bin/env bash
# Start Dendrite from this checkout, setting up .venv on first use.
#
#   ./start.sh                 open the editor on the digits example (headless run without a display)
#   ./start.sh GRAPH           open GRAPH
#   ./start.sh run GRAPH ...   any main.py command: run, validate, nodes (see ./start.sh -h)
#   ./start.sh --setup [dev]   only create/update .venv (with the dev tools when 'dev' is given)
#
# The project runs from the checkout: pip installs its dependencies (pyproject.toml has
# `packages = []`), never the project's own packages. PYTHON picks the interpreter (default python3).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

VENV=.venv
PYTHON=${PYTHON:-python3}

die() { echo "start.sh: $*" >&2; exit 1; }

make_venv() {
    if [[ -x $VENV/bin/python ]] && "$VENV/bin/python" -c "" 2>/dev/null; then
        return
    fi
    command -v "$PYTHON" >/dev/null || die "no '$PYTHON' found; install Python 3.10 or newer."
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
        || die "Dendrite needs Python 3.10 or newer; '$PYTHON' is $("$PYTHON" -V 2>&1)."
    echo "Creating $VENV with $("$PYTHON" -V 2>&1) ..."
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" \
        || die "could not create $VENV (on Debian/Ubuntu: apt-get install python3-venv)."
}

# install EXTRA: pip-install the dependencies (plus an extra such as 'dev') unless the stamp
# file is newer than pyproject.toml, so later starts skip pip entirely.
install() {
    local extra=${1:-} target=. stamp=$VENV/.installed
    if [[ -n $extra ]]; then target=".[$extra]"; stamp=$VENV/.installed-$extra; fi
    if [[ $extra == dev ]]; then target=".[dev,export,sweep]"; fi  # tests cover these extras
    if [[ -f $stamp && $stamp -nt pyproject.toml ]]; then
        return
    fi
    echo "Installing dependencies${extra:+ ($extra)} into $VENV (first run only) ..."
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
        "$VENV/bin/python" -m pip install --quiet "$target"
    touch "$stamp"
}

if [[ ${1:-} == --setup ]]; then
    make_venv
    install "${2:-}"
    exit 0
fi

make_venv
if [[ ! -f $VENV/.installed-dev ]] || [[ $VENV/.installed-dev -ot pyproject.toml ]]; then
    install
fi
exec "$VENV/bin/python" main.py "$@"
