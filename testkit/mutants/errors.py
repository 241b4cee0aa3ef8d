"""Curated mutants of ``src/whichtag/errors``: the error hierarchy."""

from __future__ import annotations

from testkit.mutants.base import Mutant

MUTANTS: list[Mutant] = [
    # -- where credentials may go ------------------------------------------------------------------
    Mutant(
        "redact-userinfo",
        "src/whichtag/errors.py",
        'netloc = parts.netloc.rsplit("@", 1)[-1]',
        "netloc = parts.netloc",
        "URLs in messages carry no user info",
        ("tests/test_transport.py::test_redaction",),
    ),
]
