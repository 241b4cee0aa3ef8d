#!/usr/bin/env bash
# Start a real registry on a free loopback port, push a sample modelled on fluent/fluentd,
# and ask whichtag which tags share latest's image (and the reverse lookup by digest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 -m testkit.demo
