#!/usr/bin/env bash
# The whole check: set-up, lint, format, types, then the test suite against real registries.
# Extra arguments go to pytest (e.g. scripts/test.sh -m slow for the load tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
ruff check .
ruff format --check .
mypy
python -m pytest -q "$@"
