"""What the answer means: the version name leading the answer (JSON ``version``)."""

from __future__ import annotations

from collections.abc import Callable

from conftest import CliRun, Seeded
from whichtag.errors import EXIT_OK

Run = Callable[..., CliRun]


def test_latest_is_its_version(plain: Seeded, nginx: dict[str, str], run: Run) -> None:
    result = run(f"{plain.host}/library/nginx:latest")
    assert result.code == EXIT_OK, result.err
    first = result.out.splitlines()[0]
    assert first == f"{plain.host}/library/nginx:latest is 1.27.3 (also 1, 1.27, mainline)"


def test_a_variant_keeps_its_variant(plain: Seeded, nginx: dict[str, str], run: Run) -> None:
    result = run(f"{plain.host}/library/nginx:stable-alpine", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["version"] == "1.26.2-alpine"
    assert result.json["tags"] == ["1.26-alpine", "1.26.2-alpine", "stable-alpine"]


def test_no_version_tag_no_version(plain: Seeded, nginx: dict[str, str], run: Run) -> None:
    result = run(f"{plain.host}/library/nginx:nightly", "--json")
    assert result.json["version"] is None
    assert run(f"{plain.host}/library/nginx:nightly").out.splitlines()[0].endswith(":nightly")


def test_reverse_lookup_names_the_version(plain: Seeded, nginx: dict[str, str], run: Run) -> None:
    result = run(f"{plain.host}/library/nginx@{nginx['alpine']}", "--json")
    assert result.json["version"] == "1.27.3-alpine"
