"""``whichtag upgrade`` against a real registry seeded with real tag histories: the groups of
nginx, redis, postgres and traefik as official-images published them, commit after commit
(tests/data/upgrade/history.json, its commits in tests/data/upgrade/README.md), so moving
tags (``1.27``, ``latest``, ``alpine``) end where they really ended. The files upgraded are
real ones (tests/data/pin/corpus) with their tags set to older versions."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from testkit.front import Front, Reply, Request
from testkit.registry import RegistryProcess
from testkit.seed import Pusher, seed_groups

from conftest import CliRun
from whichtag.answer.upgrade import Rules, plan_upgrades
from whichtag.cli.upgrade import EXIT_AVAILABLE, EXIT_UPGRADE_FAILED
from whichtag.errors import EXIT_INCOMPLETE, EXIT_OK
from whichtag.files.pinning import find_references
from whichtag.names.upgrades import upgrade_target

Run = Callable[..., CliRun]
DATA = Path(__file__).parent / "data"
HISTORY = json.loads((DATA / "upgrade" / "history.json").read_text())
CORPUS = DATA / "pin" / "corpus"
DOCS = Path(__file__).parent.parent / "docs" / "upgrade.md"


@dataclass
class Seeded:
    front: Front
    digests: dict[str, dict[str, str]]  # image -> tag -> digest, as the registry has them now

    @property
    def host(self) -> str:
        return self.front.host

    def ref(self, image: str, tag: str) -> str:
        return f"{self.host}/library/{image}:{tag}"


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    with RegistryProcess() as registry:
        pusher = Pusher(registry.url)
        digests: dict[str, dict[str, str]] = {}
        for image, commits in HISTORY.items():
            now = digests.setdefault(image, {})
            for commit in commits:  # in the order published: later groups take moving tags
                groups = {group[0]: group for group in commit["groups"]}
                now.update(seed_groups(pusher, f"library/{image}", groups, prefix=image))
        with Front(registry.host) as front:
            yield Seeded(front, digests)


def _parse(tag: str) -> tuple[str, tuple[int, ...], str | None, str]:
    """An oracle for the shapes in the history: ``v``, numbers, pre-release, variant."""
    match = re.fullmatch(r"(v?)(\d+(?:\.\d+)*)(-?(?:rc|beta)\d+)?(-alpine)?", tag)
    assert match is not None, tag
    numbers = tuple(int(part) for part in match[2].split("."))
    return match[1], numbers, match[3], match[4] or ""


def _full_version(seeded: Seeded, image: str, tag: str) -> str:
    """The most specific tag sharing ``tag``'s digest, of its spelling and variant."""
    v, _, _, variant = _parse(tag)
    digest = seeded.digests[image][tag]
    same = [
        other
        for other, at in seeded.digests[image].items()
        if at == digest and re.match(r"v?\d", other) and _parse(other)[::3] == (v, variant)
    ]
    return max(same, key=lambda other: len(_parse(other)[1]))


# -- the comparison table of docs/upgrade.md is what the runs give ----------------------------


def _doc_table() -> list[list[str]]:
    text = DOCS.read_text()
    start = text.index("| in use | --to patch | --to minor | --to major |")
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip("|").split("|")])
    return rows


def test_the_comparison_table_in_the_docs_is_what_upgrade_does(
    seeded: Seeded, run: Run, tmp_path: Path
) -> None:
    rows = _doc_table()
    assert len(rows) >= 10
    for in_use, *targets in rows:
        image, _, tag = in_use.partition(":")
        for to, expected in zip(["patch", "minor", "major"], targets, strict=True):
            compose = tmp_path / "compose.yaml"
            compose.write_text(f"services:\n  app:\n    image: {seeded.ref(image, tag)}\n")
            result = run("upgrade", "--json", "--to", to, str(compose))
            assert result.code == EXIT_OK, result.err
            (entry,) = [json.loads(line) for line in result.out.splitlines()]
            written = entry["new"].rpartition(":")[2]
            want = tag if expected == "—" else expected
            assert written == want, (in_use, to, entry)
            assert entry["status"] == ("current" if expected == "—" else "upgraded")


# -- real files --------------------------------------------------------------------------------

#: corpus file -> (reference as published -> image and older tag set in its place)
FILES: dict[str, dict[str, tuple[str, str]]] = {
    "awesome-compose__gitea-postgres__compose.yaml": {
        "gitea/gitea:latest": ("traefik", "v2.11.2"),
        "postgres:alpine": ("postgres", "15.3-alpine"),
    },
    "awesome-compose__nextcloud-redis-mariadb__compose.yaml": {
        "nextcloud:apache": ("nginx", "stable"),
        "redis:alpine": ("redis", "7.0.11-alpine"),
        "mariadb:10.5": ("postgres", "16.0"),
    },
    "awesome-compose__nginx-golang-mysql__compose.yaml": {
        "mariadb:10-focal": ("postgres", "15"),
        "nginx": ("nginx", "1.24"),
    },
    "microservices-demo__kubernetes-manifests__cartservice.yaml": {
        "cartservice": ("traefik", "v3.0"),
        "redis:alpine": ("redis", "7.2"),
    },
    "awesome-compose__nginx-wsgi-flask__flask__Dockerfile": {
        "python:3.9.2-alpine": ("nginx", "1.22.0-alpine"),
    },
}


def _workspace(seeded: Seeded, folder: Path) -> list[Path]:
    """The corpus files, each reference set to the test registry and an older tag (on its
    own line, only the reference's characters changed)."""
    paths = []
    folder.mkdir(exist_ok=True)
    for name, swaps in FILES.items():
        text = (CORPUS / name).read_text()
        for old, (image, tag) in swaps.items():
            pattern = re.compile(rf"(?m)((?:image:|FROM)\s+){re.escape(old)}$")
            new = seeded.ref(image, tag)
            text, count = pattern.subn(r"\g<1>" + new, text)
            assert count == 1, (name, old)
        path = folder / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        paths.append(path)
    return paths


def _references(path: Path) -> list[str]:
    return re.findall(r"(?:image:|FROM)\s+(\S*/library/\S+)", path.read_text())


def _check_written(seeded: Seeded, before: str, after: str, to: str) -> None:
    """``after`` is the newest release ``to`` allows for ``before``, at ``before``'s
    precision, spelling and variant, pointing at the same image as that release."""
    image, _, tag = before.rpartition("/")[2].partition(":")
    _, _, new = after.partition("@")[0].rpartition("/")[2].partition(":")
    v, numbers, _, variant = _parse(tag)
    new_v, new_numbers, new_pre, new_variant = _parse(new)
    assert (new_v, new_variant) == (v, variant), (before, after)
    assert len(new_numbers) == len(numbers) or new == _full_version(seeded, image, new)
    assert new_pre is None  # none of these files use a pre-release; none is offered
    full = _full_version(seeded, image, new)
    assert seeded.digests[image][new] == seeded.digests[image][full]
    # the newest allowed: no release of the variant is newer within the kind
    releases = [
        _parse(other)[1]
        for other in seeded.digests[image]
        if re.match(r"v?\d", other)
        and _parse(other)[0] == v
        and _parse(other)[3] == variant
        and _parse(other)[2] is None
    ]
    width = {"patch": 2, "minor": 1, "major": 0}[to]
    padded = numbers + (0,) * (2 - len(numbers))
    allowed = [r for r in releases if (r + (0,) * (2 - len(r)))[:width] == padded[:width]]
    newest = max(allowed)
    assert new_numbers == newest[: len(new_numbers)], (before, after, newest)
    if new != tag:
        assert _parse(full)[1] == newest, (before, after, newest)


@pytest.mark.parametrize("to", ["patch", "minor", "major"])
def test_real_files_are_upgraded_to_the_newest_allowed_release(
    seeded: Seeded, run: Run, tmp_path: Path, to: str
) -> None:
    paths = _workspace(seeded, tmp_path / "files")
    before = {path: path.read_text() for path in paths}
    assert run("upgrade", "--check", "--to", to, str(tmp_path / "files")).code == EXIT_AVAILABLE
    result = run("upgrade", "--to", to, str(tmp_path / "files"))
    assert result.code == EXIT_OK, result.err
    for path in paths:
        old_refs, new_refs = _references_of(before[path]), _references(path)
        assert len(old_refs) == len(new_refs)
        for old, new in zip(old_refs, new_refs, strict=True):
            if re.search(r":(stable|latest|alpine)$", old):
                assert new == old  # a moving tag is not upgraded
                continue
            _check_written(seeded, old, new, to)
        if path.suffix in (".yaml", ".yml"):
            list(yaml.safe_load_all(path.read_text()))  # still YAML
        # still read as it was: the same references on the same lines
        found = [(f.line, f.start) for f in find_references(str(path), path.read_text()).found]
        assert found == [(f.line, f.start) for f in find_references(str(path), before[path]).found]
        # only the references' characters changed
        assert _strip_refs(path.read_text()) == _strip_refs(before[path])
    changes = [line for line in result.out.splitlines() if " → " in line]
    assert changes, result.out
    again = run("upgrade", "--to", to, str(tmp_path / "files"))
    assert again.code == EXIT_OK and again.out == ""  # a second run is a no-op
    assert run("upgrade", "--check", "--to", to, str(tmp_path / "files")).code == EXIT_OK


def _references_of(text: str) -> list[str]:
    return re.findall(r"(?:image:|FROM)\s+(\S*/library/\S+)", text)


def _strip_refs(text: str) -> str:
    return re.sub(r"\S*/library/\S+", "REF", text)


def test_minor_never_crosses_a_major_and_patch_never_a_minor(
    seeded: Seeded, run: Run, tmp_path: Path
) -> None:
    compose = tmp_path / "compose.yaml"
    refs = {"redis": "6.2.12", "postgres": "15.3", "nginx": "1.25.2"}
    lines = [f"  {image}:\n    image: {seeded.ref(image, tag)}" for image, tag in refs.items()]
    compose.write_text("services:\n" + "\n".join(lines) + "\n")
    result = run("upgrade", "--dry-run", "--json", "--to", "minor", str(compose))
    entries = {e["old"].rpartition("/")[2]: e for e in map(json.loads, result.out.splitlines())}
    assert entries["redis:6.2.12"]["to_version"] == "6.2.16"  # not 7.x
    assert entries["redis:6.2.12"]["kind"] == "patch"
    assert entries["postgres:15.3"]["to_version"] == "15.10"
    assert entries["postgres:15.3"]["kind"] == "minor"
    assert entries["nginx:1.25.2"]["to_version"] == "1.27.3"
    assert {e["status"] for e in entries.values()} == {"available"}
    patch = run("upgrade", "--dry-run", "--json", "--to", "patch", str(compose))
    kinds = {json.loads(line)["kind"] for line in patch.out.splitlines()}
    assert kinds == {"patch", None}  # postgres 15.3 has no newer 15.3.x: current
    assert compose.read_text().count("6.2.12") == 1  # dry run: nothing written


def test_pinned_stays_pinned_with_the_new_digest(seeded: Seeded, run: Run, tmp_path: Path) -> None:
    nginx = seeded.digests["nginx"]
    dockerfile = tmp_path / "Dockerfile"
    old = f"{seeded.ref('nginx', '1.25.2')}@{nginx['1.25.2']}"
    unpinned = seeded.ref("redis", "7.2.4-alpine")
    dockerfile.write_text(f"FROM {old} AS web\nCOPY --from={unpinned} /x /x\n")
    result = run("upgrade", str(dockerfile))
    assert result.code == EXIT_OK, result.err
    lines = dockerfile.read_text().splitlines()
    assert lines[0] == f"FROM {seeded.ref('nginx', '1.27.3')}@{nginx['1.27.3']} AS web"
    assert lines[1] == f"COPY --from={seeded.ref('redis', '7.4.1-alpine')} /x /x"
    dockerfile.write_text(f"FROM {unpinned}\n")
    assert run("upgrade", "--pin", str(dockerfile)).code == EXIT_OK
    redis = seeded.digests["redis"]
    assert (
        dockerfile.read_text()
        == f"FROM {seeded.ref('redis', '7.4.1-alpine')}@{redis['7.4.1-alpine']}\n"
    )


def test_moving_tags_are_left_alone_unless_named_by_their_version(
    seeded: Seeded, run: Run, tmp_path: Path
) -> None:
    compose = tmp_path / "compose.yaml"
    text = (
        f"services:\n  a:\n    image: {seeded.ref('nginx', 'stable')}\n"
        f"  b:\n    image: {seeded.ref('redis', 'alpine')}\n"
    )
    compose.write_text(text)
    result = run("upgrade", "--json", str(compose))
    assert result.code == EXIT_OK
    assert {json.loads(line)["status"] for line in result.out.splitlines()} == {"skipped"}
    assert compose.read_text() == text
    named = run("upgrade", "--version-tag", "--to", "patch", str(compose))
    assert named.code == EXIT_OK, named.err
    assert seeded.ref("nginx", "1.26.2") in compose.read_text()  # stable is 1.26.2
    assert seeded.ref("redis", "7.4.1-alpine") in compose.read_text()


def test_check_dry_run_diff_applies_and_names_the_changes(
    seeded: Seeded, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "repo"
    paths = _workspace(seeded, folder)
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    monkeypatch.chdir(folder)
    result = run("upgrade", "--dry-run", "--summary", "markdown", ".")
    assert result.code == EXIT_OK, result.err
    assert "nginx:1.24 → 1.27 (minor)" in result.out
    assert "| image | from | to | kind | file:line |" in result.out
    assert re.search(
        r"\| \S+/library/redis \| 7\.0\.11-alpine \| 7\.4\.1-alpine \| minor \|", result.out
    )
    patch = tmp_path / "change.patch"
    patch.write_text(result.out)
    applied = subprocess.run(
        ["git", "apply", "--check", str(patch)], cwd=folder, capture_output=True, text=True
    )
    assert applied.returncode == 0, applied.stderr
    subprocess.run(["git", "apply", str(patch)], cwd=folder, check=True)
    assert run("upgrade", "--check", ".").code == EXIT_OK  # the diff was the upgrade
    assert paths


def test_exit_codes(seeded: Seeded, run: Run, tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text(f"services:\n  a:\n    image: {seeded.ref('nginx', '1.27.3')}\n")
    assert run("upgrade", "--check", str(compose)).code == EXIT_OK
    compose.write_text(f"services:\n  a:\n    image: {seeded.ref('nginx', '1.26.2')}\n")
    assert run("upgrade", "--check", str(compose)).code == EXIT_AVAILABLE
    assert run("upgrade", "--check", "--to", "patch", str(compose)).code == EXIT_OK
    # a repository whose versions cannot be read: cannot tell
    missing = f"{seeded.host}/library/nothing:1.0"
    compose.write_text(f"services:\n  a:\n    image: {missing}\n")
    result = run("upgrade", "--check", str(compose))
    assert result.code == EXIT_INCOMPLETE, result.err
    assert run("upgrade", "--to", "sideways", str(compose)).code == 2
    # a pinned reference whose new tag does not resolve: could not upgrade, nothing written
    pinned = f"{seeded.ref('nginx', '1.26.2')}@{seeded.digests['nginx']['1.26.2']}"
    text = f"services:\n  a:\n    image: {pinned}\n  b:\n    image: {seeded.ref('redis', '7.0')}\n"
    compose.write_text(text)

    def refuse(request: Request) -> Reply | None:
        if request.path.endswith("/library/nginx/manifests/1.27.3"):
            return Reply(404, {"Content-Type": "application/json"}, b'{"errors": []}')
        return None

    seeded.front.override = refuse
    try:
        for mode in ([], ["--check"], ["--dry-run"]):
            failed = run("upgrade", *mode, str(compose))
            assert failed.code == EXIT_UPGRADE_FAILED, (mode, failed.err)
    finally:
        seeded.front.override = None
    assert compose.read_text() == text  # all or nothing: redis was not upgraded either


def test_only_the_tags_needed_are_asked_and_each_repository_listed_once(
    seeded: Seeded, run: Run, tmp_path: Path
) -> None:
    compose = tmp_path / "compose.yaml"
    nginx = seeded.digests["nginx"]
    refs = [
        seeded.ref("nginx", "1.24"),
        seeded.ref("nginx", "1.24"),
        seeded.ref("nginx", "1.22.0-alpine"),
        f"{seeded.ref('nginx', '1.25.2')}@{nginx['1.25.2']}",
        seeded.ref("redis", "7.0"),
    ]
    compose.write_text(
        "services:\n" + "".join(f"  s{i}:\n    image: {ref}\n" for i, ref in enumerate(refs))
    )
    seeded.front.seen.clear()
    assert run("upgrade", "--dry-run", str(compose)).code == EXIT_OK
    listings = [seen.path for seen in seeded.front.seen if "/tags/list" in seen.path]
    assert sorted(path.split("/tags/list")[0] for path in listings) == [
        "/v2/library/nginx",
        "/v2/library/redis",
    ]
    heads = sorted(
        seen.path.rpartition("/")[2] for seen in seeded.front.seen if "/manifests/" in seen.path
    )
    # 1.24 -> 1.27 (checked against 1.27.3); 1.22.0-alpine -> 1.27.3-alpine (its own
    # precision: nothing to check); the pinned 1.25.2 -> 1.27.3 (its digest); 7.0 -> 7.4
    assert heads == ["1.27", "1.27.3", "7.4", "7.4.1"]


# -- pre-releases (the rule, on real tag names) ------------------------------------------------


def _listing(image: str, upto: int) -> list[str]:
    """Every tag the first ``upto`` commits of the history published for ``image``."""
    return [tag for commit in HISTORY[image][:upto] for group in commit["groups"] for tag in group]


def test_prerelease_policy() -> None:
    june = _listing("traefik", 3)  # up to 2024-06-28: v3.1.0-rc2 out, v3.0.3 the release
    # a pre-release in use, no release at least as new: the newer pre-release
    target = upgrade_target("v3.1.0-rc1", june, to="minor")
    assert target is not None and target.full == "v3.1.0-rc2"
    # a release in use is never offered a pre-release
    assert upgrade_target("v3.0.3", june, to="minor") is None
    assert upgrade_target("v3.0.3", june, to="minor", prerelease=True) is not None
    december = _listing("traefik", 5)
    # a pre-release in use is offered the newest release first (v3.3.0-rc2 is newer)
    target = upgrade_target("v3.2.0-rc1", december, to="minor")
    assert target is not None and target.full == "v3.2.3" and target.precise == "v3.2.3"
    # and never a pre-release a release already passed, even one the limit does not allow
    assert upgrade_target("v2.11.0-rc1", ["v2.11.0-rc2", "v3.0.0"], to="patch") is None
    assert upgrade_target("v2.11.0-rc1", ["v2.11.0-rc2"], to="patch") is not None
    assert upgrade_target("v2.11.0-rc1", december, to="patch").full == "v2.11.16"  # type: ignore[union-attr]
    assert upgrade_target("v3.1.0-rc2", december, to="major", prerelease=False).full == "v3.2.3"  # type: ignore[union-attr]


async def _plan(seeded: Seeded, refs: list[str], **kwargs: Any) -> list[Any]:
    from whichtag.answer.client import Client

    async with Client() as client:
        return await plan_upgrades(client, refs, **kwargs)


def test_the_library_plans_with_rules(seeded: Seeded) -> None:
    import asyncio

    refs = [seeded.ref("nginx", "1.22.0"), seeded.ref("nginx", "1.22.0")]
    plans = asyncio.run(_plan(seeded, refs, to="major", rules=Rules(track="patch")))
    assert [plan.to_version for plan in plans] == ["1.22.1", "1.22.1"]
    assert plans[0].kind == "patch" and plans[0].status == "available"
    pinned = asyncio.run(_plan(seeded, refs[:1], rules=Rules(pin=True)))
    assert pinned[0].new.endswith("@" + seeded.digests["nginx"]["1.27.3"])
    # per reference, as a policy gives them per image; a pin already written is kept
    nginx = seeded.digests["nginx"]
    both = [f"{refs[0]}@{nginx['1.22.0']}", seeded.ref("redis", "7.0.11")]
    per_image = asyncio.run(
        _plan(
            seeded,
            both,
            rules=lambda text: Rules(pin=False, track="patch" if "nginx" in text else None),
        )
    )
    assert per_image[0].new == f"{seeded.ref('nginx', '1.22.1')}@{nginx['1.22.1']}"
    assert per_image[1].to_version == "7.4.1"


def test_copies_of_the_corpus_are_unchanged() -> None:
    for name in FILES:
        assert (CORPUS / name).exists()
    assert shutil.which("git")


def test_a_hostile_tag_list_keeps_to_the_time_limit(
    seeded: Seeded, run: Run, tmp_path: Path
) -> None:
    """100,000 long tags starting with a number (so they may be versions): the grammar reads
    them in chunks a deadline stops, as outdated does; the run cannot tell (3)."""
    import time

    tags = ["1.0", *[(f"{number}x" + "-1" * 64)[:128] for number in range(100_000)]]
    body = json.dumps({"name": "library/hostile", "tags": tags}).encode()

    def listing(request: Request) -> Reply | None:
        if "/library/hostile/tags/list" not in request.path:
            return None
        return Reply(200, {"Content-Type": "application/json"}, body)

    compose = tmp_path / "compose.yaml"
    compose.write_text(f"services:\n  a:\n    image: {seeded.ref('hostile', '1.0')}\n")
    seeded.front.override = listing
    try:
        started = time.monotonic()
        result = run("upgrade", "--check", "--timeout", "2", str(compose))
        seconds = time.monotonic() - started
    finally:
        seeded.front.override = None
    assert result.code == EXIT_INCOMPLETE, result.err
    assert seconds < 10, seconds
    assert "--timeout" in result.err


def test_the_policy_file_and_ignore_comments_limit_upgrades(
    seeded: Seeded, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``.whichtag.yaml``: ``track: patch`` caps ``--to major`` for its image, ``pin: false``
    never adds a digest, ``ignore:`` and ``# whichtag: ignore`` leave references unasked."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".whichtag.yaml").write_text(
        "ignore:\n"
        f"  - '{seeded.host}/library/nginx'\n"
        "images:\n"
        f"  - match: '{seeded.host}/library/redis'\n"
        "    track: patch\n"
        f"  - match: '{seeded.host}/library/postgres'\n"
        "    pin: false\n"
    )
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        "services:\n"
        f"  a:\n    image: {seeded.ref('redis', '6.2.12')}\n"
        f"  b:\n    image: {seeded.ref('postgres', '15.3')}\n"
        f"  c:\n    image: {seeded.ref('nginx', '1.25.2')}\n"
        f"  d:\n    image: {seeded.ref('redis', '6.2.12')}-alpine  # whichtag: ignore\n"
    )
    result = run("upgrade", "--json", "--pin", "--to", "major", str(compose))
    assert result.code == EXIT_OK, result.err
    entries = {e["line"]: e for e in map(json.loads, result.out.splitlines())}
    assert entries[3]["to_version"] == "6.2.16" and entries[3]["kind"] == "patch"  # not 7.x
    assert entries[5]["kind"] == "major" and "@" not in entries[5]["new"]  # pin: false
    assert 7 not in entries and 9 not in entries  # ignored: never asked
    assert "2 reference(s) ignored by .whichtag.yaml and comments" in result.err
    text = compose.read_text()
    assert seeded.ref("nginx", "1.25.2") in text and "6.2.12-alpine" in text
    assert "@sha256:" in text.splitlines()[2]  # --pin pinned redis
    free = run("upgrade", "--json", "--no-config", "--to", "minor", "--dry-run", str(compose))
    assert any("nginx" in json.loads(line)["old"] for line in free.out.splitlines())
