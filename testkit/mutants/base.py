"""What a curated mutant is, and the paths and test prefixes the room modules share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str  # path under the repository root
    original: str  # must occur exactly once in the file
    mutated: str
    rule: str  # what the README or docs/reliability.md promises, which this breaks
    tests: tuple[str, ...]  # pytest node ids expected to kill it


AUTHORIZER = "src/whichtag/auth/authorizer.py"
SOURCES = "src/whichtag/auth/sources.py"
REGISTRY = "src/whichtag/registry/distribution.py"
TRANSPORT = "src/whichtag/net/transport.py"
LOOKUP = "src/whichtag/answer/lookup.py"
HOSTS = "src/whichtag/net/hosts.py"
VENDOR_API = "src/whichtag/registry/vendors/api.py"
RESULTS = "src/whichtag/answer/results.py"
BULK = "src/whichtag/registry/bulk.py"
VERSIONS = "src/whichtag/names/versions.py"
OUTDATED = "src/whichtag/answer/outdated.py"
OUTDATED_TESTS = "tests/test_outdated.py::"
