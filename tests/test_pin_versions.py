"""``whichtag pin --versions``: the messages name the version of each digest (``stable moved
1.27.3 -> 1.27.4``), after the diff, which still applies; JSON's ``version`` and
``was_version``; and what it costs: one scan per repository, where plain pin asks one request
per reference."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from testkit.front import Front
from testkit.registry import RegistryProcess
from testkit.seed import Pusher

from conftest import CliRun
from whichtag.cli.pin import EXIT_UNPINNED
from whichtag.errors import EXIT_OK

Run = Callable[..., CliRun]
NOISE = 12  # unrelated tags the scan asks too


@dataclass
class Moved:
    front: Front
    digests: dict[str, str]  # "repo:tag" -> digest ("app:old" for stable's first digest)

    @property
    def host(self) -> str:
        return self.front.host


@pytest.fixture(scope="module")
def moved() -> Iterator[Moved]:
    """``library/app``: ``stable`` and ``1.27`` were 1.27.3 and have moved to 1.27.4;
    ``library/db``: ``7.4`` is 7.4.2."""
    with RegistryProcess() as registry:
        pusher = Pusher(registry.url)
        digests = {"app:old": pusher.push_group("library/app", ["1.27.3", "1.27", "stable"], "a3")}
        digests["app:1.27.4"] = pusher.push_group("library/app", ["1.27.4", "1.27", "stable"], "a4")
        for number in range(NOISE):
            pusher.push_group("library/app", [f"build-{number}"], f"noise-{number}")
        digests["db:7.4.2"] = pusher.push_group("library/db", ["7.4.2", "7.4"], "d742")
        with Front(registry.host) as front:
            yield Moved(front, digests)


def _files(moved: Moved, directory: Path) -> None:
    (directory / "Dockerfile").write_text(
        f"FROM {moved.host}/library/app:stable@{moved.digests['app:old']}\n"
        f"FROM {moved.host}/library/db:7.4 AS db\n"
    )
    (directory / "compose.yaml").write_text(
        f"services:\n  web:\n    image: {moved.host}/library/app:1.27\n"
    )


def test_messages_name_the_versions_and_the_diff_still_applies(
    moved: Moved, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _files(moved, tmp_path)
    monkeypatch.chdir(tmp_path)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for mode in ("--check", "--dry-run"):
        result = run("pin", mode, "--versions", "Dockerfile", "compose.yaml")
        assert result.code == (EXIT_UNPINNED if mode == "--check" else EXIT_OK), result.err
        lines = result.out.splitlines()
        # after the whole diff, never inside it
        assert lines[-1] == "Dockerfile:1: stable moved 1.27.3 -> 1.27.4", result.out
        assert not [line for line in lines[:-1] if "moved" in line]
        patch = tmp_path / "pin.patch"
        patch.write_text(result.out)
        applied = subprocess.run(
            ["git", "apply", "--check", str(patch)], cwd=tmp_path, capture_output=True, text=True
        )
        assert applied.returncode == 0, applied.stderr
    # without --versions: the same diff, no version named
    plain = run("pin", "--dry-run", "Dockerfile", "compose.yaml")
    assert plain.out == "\n".join(lines[:-1]) + "\n"
    # pinning names the version each reference is pinned to
    result = run("pin", "--versions", "Dockerfile", "compose.yaml")
    assert result.code == EXIT_OK, result.err
    now, db = moved.digests["app:1.27.4"], moved.digests["db:7.4.2"]
    assert sorted(result.out.splitlines()) == [
        f"Dockerfile:1: {moved.host}/library/app:stable@{moved.digests['app:old']} -> "
        f"{moved.host}/library/app:stable@{now} (1.27.4)",
        f"Dockerfile:2: {moved.host}/library/db:7.4 -> {moved.host}/library/db:7.4@{db} (7.4.2)",
        f"compose.yaml:3: {moved.host}/library/app:1.27 -> "
        f"{moved.host}/library/app:1.27@{now} (1.27.4)",
    ]


def test_json_fills_version_and_was_version(moved: Moved, run: Run, tmp_path: Path) -> None:
    _files(moved, tmp_path)
    files = [str(tmp_path / "Dockerfile"), str(tmp_path / "compose.yaml")]
    asked = [
        json.loads(line)
        for line in run("pin", "--check", "--versions", "--json", *files).out.splitlines()
    ]
    assert [(e["status"], e["version"], e["was_version"]) for e in asked] == [
        ("drifted", "1.27.4", "1.27.3"),
        ("unpinned", "7.4.2", None),  # nothing was pinned
        ("unpinned", "1.27.4", None),
    ]
    not_asked = [
        json.loads(line) for line in run("pin", "--check", "--json", *files).out.splitlines()
    ]
    assert [(e["version"], e["was_version"]) for e in not_asked] == [(None, None)] * 3


def _requests(moved: Moved, run: Run, *argv: str) -> Counter[str]:
    """The requests one ``pin --check`` makes, by kind, and each manifest path asked."""
    moved.front.seen.clear()
    result = run("pin", "--check", "--no-cache", *argv)
    assert result.code == EXIT_UNPINNED, result.err
    kinds: Counter[str] = Counter()
    for seen in moved.front.seen:
        if "/manifests/" in seen.path:
            kinds["manifest"] += 1
            kinds[seen.path] += 1
        elif "/tags/list" in seen.path:
            kinds["tags/list"] += 1
        else:
            kinds["other"] += 1
    return kinds


def test_versions_cost_one_scan_per_repository(moved: Moved, run: Run, tmp_path: Path) -> None:
    _files(moved, tmp_path)
    files = [str(tmp_path / "Dockerfile"), str(tmp_path / "compose.yaml")]
    plain = _requests(moved, run, *files)
    # one request per reference (tag) asked: stable, 1.27, 7.4; no listing
    assert plain["tags/list"] == 0 and plain["manifest"] == 3, plain
    named = _requests(moved, run, "--versions", *files)
    # one listing per repository; each tag asked once in all, though two digests of
    # library/app are named (the old stable's and the new): one shared scan
    assert named["tags/list"] == 2, named
    for number in range(NOISE):
        assert named[f"/v2/library/app/manifests/build-{number}"] == 1, named
    app_tags, db_tags, digests = 4 + NOISE, 2, 3
    assert named["manifest"] == plain["manifest"] + app_tags + db_tags + digests, named


def test_a_pinned_digest_gone_from_the_registry_is_shown_short(
    moved: Moved, run: Run, tmp_path: Path
) -> None:
    gone = "sha256:" + "0123456789ab" * 5 + "cdef"
    path = tmp_path / "Dockerfile"
    path.write_text(f"FROM {moved.host}/library/app:stable@{gone}\n")
    result = run("pin", "--check", "--versions", str(path))
    assert result.code == EXIT_UNPINNED, result.err  # drift; the name is only a message
    assert result.out.splitlines()[-1] == f"{path}:1: stable moved sha256:0123456789ab -> 1.27.4"
    assert f"library/app@{gone}: no version name" in result.err
