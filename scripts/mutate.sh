#!/usr/bin/env bash
# Mutation testing: applies each curated mutant in testkit/mutants/ (one module per room) alone
# to a scratch copy and checks that the tests catch it. Prints a line per mutant and closes with
# "mutants: K killed, S survived"; exits non-zero if any survived or no longer matches the code.
# Takes several minutes; not part of the default CI run. Extra arguments go to the runner
# (e.g. --only token-cache-without-scope, --jobs 1, --list).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m testkit.mutate "$@"
