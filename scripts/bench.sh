#!/usr/bin/env bash
# Reproduce docs/benchmarks.md: installs the peers (curl, jq, skopeo) and the plotting
# packages, then runs the whole benchmark (about 10 minutes on 2 cores). Extra arguments go
# to the runner (e.g. --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
WHICHTAG_APT_EXTRA="skopeo jq curl" WHICHTAG_EXTRAS=",bench" bash scripts/setup.sh
exec .venv/bin/python -m bench.run --write-docs "$@"
