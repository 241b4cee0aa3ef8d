#!/usr/bin/env bash
# Start a real registry on a free loopback port, push a sample modelled on fluent/fluentd,
# and ask whichtag which tags share latest's image (and the reverse lookup by digest).
# --keep leaves the registry running and says what to try next and how to stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "==> installing what the demo needs (the registry package, a virtual environment, whichtag)"
bash scripts/setup.sh --demo
exec .venv/bin/python -m testkit.demo "$@"
