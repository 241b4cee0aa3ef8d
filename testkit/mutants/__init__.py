"""The curated mutants: plausible one-line bugs, each breaking one rule whichtag promises.

``scripts/mutate.sh`` applies each alone to a scratch copy and runs the tests named here, then
the whole suite; a mutant no test kills is a rule nothing protects. A mutant whose original
text no longer occurs exactly once is stale and fails the run: edit it with the code it
guards. Every issue that adds a rule adds its mutants here, in
the module of the room (``src/whichtag/<room>``) whose rule it breaks.
"""

from __future__ import annotations

from testkit.mutants import (
    answer,
    auth,
    cli,
    errors,
    files,
    kubernetes,
    local,
    names,
    net,
    registry,
    serve,
)
from testkit.mutants.base import Mutant

MUTANTS: list[Mutant] = [
    *answer.MUTANTS,
    *auth.MUTANTS,
    *cli.MUTANTS,
    *errors.MUTANTS,
    *files.MUTANTS,
    *kubernetes.MUTANTS,
    *local.MUTANTS,
    *names.MUTANTS,
    *net.MUTANTS,
    *registry.MUTANTS,
    *serve.MUTANTS,
]

__all__ = ["MUTANTS", "Mutant"]
