#!/usr/bin/env bash
# Run ruff and the whole test suite headless, setting up .venv (with dev tools) on first use.
#
#   ./test.sh                       everything
#   ./test.sh tests/graph -x        extra arguments go to pytest
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

./start.sh --setup dev
export QT_QPA_PLATFORM=offscreen

echo "ruff check ."
.venv/bin/ruff check .
exec .venv/bin/python -m pytest -q "$@"
