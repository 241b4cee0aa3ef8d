"""Verdicts you can trust: ``whichtag outdated``'s update kinds, exit codes, version floors
and metrics, against a real registry (behind a front that can change its answers)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from testkit.front import Front, Reply, Request
from testkit.registry import RegistryProcess
from testkit.seed import Pusher

from conftest import CliRun, run_process

Run = Callable[..., CliRun]


@dataclass
class Seeded:
    registry: RegistryProcess
    front: Front
    pusher: Pusher
    digests: dict[str, str]  # "repo:tag" (as pushed last) and "repo:old:tag" -> digest
    overrides: dict[str, Callable[[Request], Reply | None]] = field(default_factory=dict)

    def ref(self, repo: str, tag: str) -> str:
        return f"{self.front.host}/{repo}:{tag}"


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    with RegistryProcess() as registry:
        pusher = Pusher(registry.url)
        digests: dict[str, str] = {}
        history: list[tuple[str, list[str], str]] = [
            # 1.26.2 -> 1.26.5 (patch) and 1.28.0 (minor): no major
            ("app/kinds", ["1.26.2", "1.26"], "k1262"),
            ("app/kinds", ["1.26.5", "1.26"], "k1265"),
            ("app/kinds", ["1.28.0", "1.28", "latest"], "k1280"),
            # 1.0 rebuilt since the first build was pulled; then 1.1 and 2.0
            ("app/floor", ["1.0"], "f10a"),
            ("app/floor", ["1.0"], "f10b"),
            ("app/floor", ["1.1"], "f11"),
            ("app/floor", ["2.0"], "f20"),
            # 1.0 rebuilt; 1.0.5 out: within the floor, cannot be told from a rebuild
            ("app/within", ["1.0"], "w10a"),
            ("app/within", ["1.0", "1.0.5"], "w105"),
            # latest moved; no version tag names the old build; version tags exist
            ("app/edge", ["latest"], "e1"),
            ("app/edge", ["latest", "1.0"], "e2"),
            # no version tags at all
            ("app/plain", ["latest"], "p1"),
            ("app/plain", ["latest"], "p2"),
            # dated snapshots beside dotted releases
            ("app/tip", ["tip-20260103"], "t1"),
            ("app/tip", ["tip-20260815"], "t2"),
            ("app/tip", ["1.0", "2.0"], "t3"),
            # a scan whose version tag answers 500
            ("app/flaky", ["1.0.0", "1.0", "latest"], "fl1"),
            ("app/flaky", ["1.1.0", "1.1"], "fl2"),
            # a version tag the listing will leave out
            ("app/hidden", ["3.0"], "h30"),
            ("app/hidden", ["3.1"], "h31"),
            ("app/hostile", ["1.0", "latest"], "x10"),
            # a product-prefixed version sharing latest's first letter, not its prefix
            ("app/prefixed", ["lts-2.0"], "l20"),
            ("app/prefixed", ["1.0", "latest"], "l10"),
        ]
        for repo, tags, seed in history:
            digest = pusher.push_group(repo, tags, seed)
            for tag in tags:
                old = f"{repo}:{tag}"
                if old in digests:
                    digests.setdefault(f"{repo}:old:{tag}", digests[old])
                digests[old] = digest
        holder: dict[str, Callable[[Request], Reply | None]] = {}

        def override(request: Request) -> Reply | None:
            for name, answer in list(holder.items()):
                if name in request.path:
                    return answer(request)
            return None

        with Front(registry.host, override=override) as front:
            yield Seeded(registry, front, pusher, digests, holder)


def _list(tmp_path: Path, *refs: str) -> str:
    listed = tmp_path / "refs.txt"
    listed.write_text("\n".join(refs) + "\n")
    return str(listed)


def _answers(result: CliRun) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.out.splitlines()]


# -- B. update kinds --------------------------------------------------------------------


def test_update_kinds_are_exclusive_and_newer_keeps_its_meaning(
    seeded: Seeded, run: Run, tmp_path: Path
) -> None:
    refs = _list(tmp_path, seeded.ref("app/kinds", "1.26.2"))
    [answer] = _answers(run("outdated", "-f", refs, "--json"))
    assert answer["updates"] == {"patch": "1.26.5", "minor": "1.28.0", "major": None}
    assert answer["update"] == "minor"
    assert answer["newer"] == {"patch": "1.26.5", "minor": "1.28.0", "major": "1.28.0"}


@pytest.mark.parametrize(
    ("fail_on", "code"), [("major", 0), ("minor", 1), ("patch", 1), ("stale", 0)]
)
def test_fail_on_trips_on_that_kind_or_bigger(
    seeded: Seeded, run: Run, tmp_path: Path, fail_on: str, code: int
) -> None:
    """1.26.2 -> 1.28.0 is a minor update: --fail-on major must not fire."""
    refs = _list(tmp_path, seeded.ref("app/kinds", "1.26.2"))
    result = run("outdated", "-f", refs, "--fail-on", fail_on)
    assert result.code == code, result.err


def test_the_table_shows_the_exclusive_kinds(seeded: Seeded, run: Run, tmp_path: Path) -> None:
    refs = _list(tmp_path, seeded.ref("app/kinds", "1.26.2"))
    row = run("outdated", "-f", refs, "--format", "tsv").out.splitlines()[1].split("\t")
    assert row[3:8] == ["1.26.2", "1.26.5", "1.28.0", "-", "current"]


@pytest.mark.parametrize(
    ("version", "tags", "kinds"),
    [
        ("1.26.2", ["1.28.0", "1.26.3", "1.27.1"], ("1.26.3", "1.28.0", None)),
        ("1.26.2", ["2.0.0", "1.26.3"], ("1.26.3", None, "2.0.0")),
        ("26_35", ["26.0.2_10", "27"], ("26.0.2_10", None, "27")),  # missing numbers are 0
        (
            "1.27-alpine",
            ["1.27.1-alpine", "2.0", "1.28-alpine"],
            ("1.27.1-alpine", "1.28-alpine", None),
        ),
        ("tip-20260103", ["tip-20260815", "1.0", "2.0"], ("tip-20260815", None, None)),
        ("20240315", ["20240601", "3.20.1", "3.21"], ("20240601", None, None)),
    ],
)
def test_update_kind_rule(version: str, tags: list[str], kinds: tuple[str | None, ...]) -> None:
    from whichtag.names.versions import update_kinds

    found = update_kinds(version, tags)
    assert (found.patch, found.minor, found.major) == kinds
    assert update_kinds(version, list(reversed(tags))) == found


def test_a_dated_snapshot_is_never_offered_releases(
    seeded: Seeded, run: Run, tmp_path: Path
) -> None:
    refs = _list(tmp_path, seeded.ref("app/tip", "tip-20260103"))
    [answer] = _answers(run("outdated", "-f", refs, "--json"))
    assert answer["updates"] == {"patch": "tip-20260815", "minor": None, "major": None}
    assert run("outdated", "-f", refs, "--fail-on", "major").code == 0
    assert run("outdated", "-f", refs, "--fail-on", "patch").code == 1


# -- 5. a version floor -----------------------------------------------------------------


def test_a_rebuilt_tag_is_judged_above_its_version_floor(
    seeded: Seeded, run: Run, tmp_path: Path
) -> None:
    old = seeded.digests["app/floor:old:1.0"]
    refs = _list(tmp_path, f"{seeded.ref('app/floor', '1.0')}@{old}")
    [answer] = _answers(run("outdated", "-f", refs, "--json"))
    assert (answer["version"], answer["version_floor"], answer["stale"]) == (None, "1.0", True)
    assert answer["updates"] == {"patch": None, "minor": "1.1", "major": "2.0"}
    assert run("outdated", "-f", refs, "--fail-on", "major").code == 1
    row = run("outdated", "-f", refs).out.splitlines()[1].split()
    assert row[3] == ">=1.0"  # the table, through a pipe: IMAGE TAG IN-USE VERSION ...


def test_a_release_within_the_floor_cannot_be_told(
    seeded: Seeded, run: Run, tmp_path: Path
) -> None:
    old = seeded.digests["app/within:old:1.0"]
    refs = _list(tmp_path, f"{seeded.ref('app/within', '1.0')}@{old}")
    patch = run("outdated", "-f", refs, "--fail-on", "patch")
    assert patch.code == 3 and "cannot be told from a rebuild" in patch.err
    assert run("outdated", "-f", refs, "--fail-on", "minor").code == 0
    assert run("outdated", "-f", refs).code == 0


def test_no_version_and_no_floor(seeded: Seeded, run: Run, tmp_path: Path) -> None:
    old = seeded.digests["app/edge:old:latest"]
    refs = _list(tmp_path, f"{seeded.ref('app/edge', 'latest')}@{old}")
    result = run("outdated", "-f", refs, "--fail-on", "major")
    assert result.code == 3 and "no version name" in result.err
    assert run("outdated", "-f", refs).code == 0  # nothing asked of it
    plain = seeded.digests["app/plain:old:latest"]
    none = _list(tmp_path, f"{seeded.ref('app/plain', 'latest')}@{plain}")
    assert run("outdated", "-f", none, "--fail-on", "patch").code == 0  # nothing newer exists


# -- A. exit codes ----------------------------------------------------------------------


def test_a_tripped_gate_wins_over_cannot_tell(seeded: Seeded, run: Run, tmp_path: Path) -> None:
    refs = _list(tmp_path, seeded.ref("app/kinds", "1.26.2"), seeded.ref("app/kinds", "9.9"))
    assert run("outdated", "-f", refs).code == 3
    assert run("outdated", "-f", refs, "--fail-on", "minor").code == 1
    assert run("outdated", "-f", refs, "--fail-on", "major").code == 3


# -- 8. a fresh version tag missing from the listing ------------------------------------


def test_a_fresh_version_tag_missing_from_the_listing(
    seeded: Seeded, run: Run, tmp_path: Path
) -> None:
    def listing(request: Request) -> Reply | None:
        if "/tags/list" not in request.path:
            return None
        body = json.dumps({"name": "app/hidden", "tags": ["3.1"]}).encode()
        return Reply(200, {"Content-Type": "application/json"}, body)

    seeded.overrides["/v2/app/hidden/"] = listing
    try:
        refs = _list(tmp_path, seeded.ref("app/hidden", "3.0"))
        result = run("outdated", "-f", refs, "--json")
    finally:
        seeded.overrides.clear()
    assert result.code == 3, result.err
    [answer] = _answers(result)
    assert answer["complete"] is False and "missing from the registry's tag list" in result.err


# -- issue 33, 1: tags a scan could not ask ---------------------------------------------


def test_a_version_tag_the_scan_could_not_ask(seeded: Seeded, run: Run, tmp_path: Path) -> None:
    def failing(request: Request) -> Reply | None:
        if request.method == "HEAD" and request.path.endswith("/manifests/1.0.0"):
            return Reply(500, {}, b"")
        return None

    seeded.overrides["/v2/app/flaky/"] = failing
    try:
        refs = _list(tmp_path, seeded.ref("app/flaky", "latest"))
        result = run("outdated", "-f", refs, "--json")
    finally:
        seeded.overrides.clear()
    assert result.code == 3, result.err
    [answer] = _answers(result)
    assert answer["complete"] is False
    assert any(error.startswith("1.0.0:") for error in answer["errors"])


def test_a_prefixed_version_is_not_asked_for_latest(
    seeded: Seeded, run: Run, tmp_path: Path
) -> None:
    """lts-2.0 is read (it shares latest's first letter) but not asked: its prefix is not
    one latest has."""
    refs = _list(
        tmp_path, f"{seeded.ref('app/prefixed', 'latest')}@{seeded.digests['app/prefixed:1.0']}"
    )
    seeded.front.seen.clear()
    result = run("outdated", "-f", refs, "--json")
    assert result.code == 0, result.err
    heads = [seen.path for seen in seeded.front.seen if seen.method == "HEAD"]
    assert any(path.endswith("/manifests/1.0") for path in heads), heads
    assert not any(path.endswith("/manifests/lts-2.0") for path in heads), heads


# -- C. metrics and --output ------------------------------------------------------------


def _promtool(text: str) -> None:
    promtool = shutil.which("promtool")
    assert promtool is not None, "promtool (Debian package prometheus)"
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_metrics_per_place(seeded: Seeded, run: Run, tmp_path: Path) -> None:
    kinds = seeded.ref("app/kinds", "1.26.2")
    (tmp_path / "Dockerfile").write_text(f"FROM {kinds}\n")
    missing = seeded.ref("app/kinds", "9.9")
    refs = _list(tmp_path, kinds, missing, missing)
    output = tmp_path / "out" / "whichtag.prom"
    output.parent.mkdir()
    result = run(
        "outdated",
        str(tmp_path / "Dockerfile"),
        "-f",
        refs,
        "--format",
        "prometheus",
        "--output",
        str(output),
    )
    assert result.code == 3 and result.out == ""
    text = output.read_text()
    _promtool(text)
    lines = text.splitlines()
    assert "whichtag_image_outdated" not in text
    samples = [line for line in lines if not line.startswith("#")]
    assert len(samples) == len(set(line.rpartition(" ")[0] for line in samples))
    digest = seeded.digests["app/kinds:1.26.2"]
    image = f'image="{kinds}",digest="{digest}"'
    file_place = (
        f'source="file",file="{tmp_path / "Dockerfile"}",line="1",namespace="",pod="",container=""'
    )
    list_place = 'source="list",file="",line="1",namespace="",pod="",container=""'
    assert f'whichtag_image_info{{{image},{file_place},version="1.26.2"}} 1' in lines
    assert f"whichtag_image_checked{{{image},{list_place}}} 1" in lines
    assert f"whichtag_image_stale{{{image},{list_place}}} 0" in lines
    assert (
        f'whichtag_image_update_available{{{image},{list_place},kind="minor",newest="1.28.0"}} 1'
        in lines
    )
    assert (
        f'whichtag_image_update_available{{{image},{list_place},kind="patch",newest="1.26.5"}} 1'
        in lines
    )
    assert not any('kind="major"' in line for line in lines)
    # the failed reference, in two places: checked 0, nothing unmeasured
    failed = [line for line in samples if "9.9" in line]
    assert sorted(line.split("{")[0] for line in failed) == [
        "whichtag_image_checked",
        "whichtag_image_checked",
        "whichtag_image_info",
        "whichtag_image_info",
    ]
    assert all(line.endswith(" 0") for line in failed if "checked" in line)
    assert "whichtag_last_run_complete 0" in lines
    assert any(line.startswith("whichtag_last_run_timestamp_seconds ") for line in lines)


def test_output_is_written_atomically_whatever_the_exit_code(
    seeded: Seeded, run: Run, tmp_path: Path
) -> None:
    target = tmp_path / "whichtag.prom"
    target.write_text("old\n")
    refs = _list(tmp_path, seeded.ref("app/kinds", "1.26.2"))
    result = run("outdated", "-f", refs, "--fail-on", "minor", "--json", "--output", str(target))
    assert result.code == 1
    [answer] = [json.loads(line) for line in target.read_text().splitlines()]
    assert answer["update"] == "minor"
    assert sorted(os.listdir(tmp_path)) == ["refs.txt", "whichtag.prom"]  # no temporary left
    nowhere = run("outdated", "-f", refs, "--output", str(tmp_path / "no" / "x.prom"))
    assert nowhere.code == 2 and "no folder" in nowhere.err


def test_local_fail_on_stale_cannot_tell_is_3() -> None:
    from whichtag.answer.results import Result
    from whichtag.cli.lookup import _stale_gate
    from whichtag.names.reference import parse_reference

    def result(local: dict[str, Any], complete: bool = True) -> Result:
        answer = Result(parse_reference("a/b:1"), "sha256:" + "1" * 64, [], 0, 0, 0)
        answer.local = local
        return answer

    assert _stale_gate(result({"stale": True, "status": "stale"}), 3) == 1
    assert _stale_gate(result({"stale": None, "status": "not-upstream"}), 0) == 3
    assert _stale_gate(result({"stale": None, "status": "local-only"}), 0) == 0
    assert _stale_gate(result({"stale": False, "status": "current"}), 3) == 3


# -- 9. a hostile tag list within --timeout ---------------------------------------------


def _hostile_tags(first: str, count: int) -> list[str]:
    """Valid 128-character tags the version grammar reads at every dash."""
    return [(f"{first}{number}" + "-1" * 64)[:128] for number in range(count)]


def _run_hostile(seeded: Seeded, tmp_path: Path, first: str) -> CliRun:
    tags = ["1.0", "latest", *_hostile_tags(first, 100_000)]
    body = json.dumps({"name": "app/hostile", "tags": tags}).encode()

    def listing(request: Request) -> Reply | None:
        if "/tags/list" not in request.path:
            return None
        return Reply(200, {"Content-Type": "application/json"}, body)

    seeded.overrides["/v2/app/hostile/"] = listing
    try:
        refs = _list(tmp_path, seeded.ref("app/hostile", "latest"))
        return run_process("outdated", "-f", refs, "--timeout", "4", "--json", timeout=60)
    finally:
        seeded.overrides.clear()


def test_a_hostile_tag_list_keeps_to_the_time_limit(seeded: Seeded, tmp_path: Path) -> None:
    """100,000 tags sharing the place's first letter must be read: the time limit stops it."""
    result = _run_hostile(seeded, tmp_path, "l")
    assert result.code == 3, (result.seconds, result.err)
    assert result.seconds < 12, result.seconds  # 58 s before the grammar could be interrupted
    assert "gave up after 4 s (--timeout)" in result.err


def test_tags_that_cannot_matter_are_not_read(seeded: Seeded, tmp_path: Path) -> None:
    """No number first, no letter a place's tag starts with: not read by the grammar."""
    result = _run_hostile(seeded, tmp_path, "x")
    assert result.code == 0, (result.seconds, result.err)
    assert result.seconds < 4, result.seconds
    [answer] = [json.loads(line) for line in result.out.splitlines()]
    assert answer["version"] == "1.0"


def test_a_place_listed_twice_gives_one_series() -> None:
    """A pods List holding one pod twice (two kubectl outputs joined): one sample each."""
    from whichtag.answer.metrics import image_series
    from whichtag.answer.outdated import Outdated
    from whichtag.names.reference import parse_reference

    place = {"source": "pod", "namespace": "web", "pod": "p", "container": "c"}
    answer = Outdated(
        parse_reference("registry.example/app:1.0"),
        "sha256:" + "a" * 64,
        version="1.0",
        where=[place, dict(place)],
        place_tags=["1.0", "1.0"],
        moved={"1.0": False},
    )
    text = image_series([answer]).text()
    _promtool(text)
    assert text.count("whichtag_image_info{") == 1
    assert text.count("whichtag_image_stale{") == 1
