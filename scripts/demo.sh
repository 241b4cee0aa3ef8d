#!/usr/bin/env bash
# Start a real registry on a free loopback port, push a sample modelled on fluent/fluentd,
# and ask whichtag which tags share latest's image (and the reverse lookup by digest).
# --keep leaves the registry running and says how to use and stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m testkit.demo "$@"
