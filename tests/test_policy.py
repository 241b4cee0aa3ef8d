"""Gates a real repository can pass: the policy file (``.whichtag.yaml``), ignore comments,
what ``pin --check`` and ``outdated`` count, and ``--dry-run``/``--check`` showing exactly
what ``pin`` would write. Against the test registry, and the corpus of real files served as
Docker Hub would serve them."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml
from testkit.front import Front
from testkit.registry import RegistryProcess
from testkit.seed import Pusher

from conftest import CliRun, Seeded, named_hosts
from whichtag import Policy, load_policy
from whichtag.errors import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from whichtag.files.ignores import is_ignored, sort_references
from whichtag.files.pinning import find_references
from whichtag.files.policy import PolicyError, find_policy, parse_policy
from whichtag.names.patterns import PatternError, compile_pattern
from whichtag.names.reference import parse_reference
from whichtag.names.versioning import MAX_TAG_LENGTH, Versioning

Run = Callable[..., CliRun]
CORPUS = Path(__file__).parent / "data" / "pin" / "corpus"
EXIT_UNPINNED = 1
EXIT_PIN_FAILED = 4

# -- patterns ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "reference", "matches"),
    [
        # * within one part, ** across parts
        ("ghcr.io/acme/*", "ghcr.io/acme/api:1", True),
        ("ghcr.io/acme/*", "ghcr.io/acme/team/api:1", False),
        ("ghcr.io/acme/**", "ghcr.io/acme/team/api:1", True),
        ("registry.corp.example/internal/*", "registry.corp.example/internal/db", True),
        ("*", "nginx", True),  # nginx as written
        ("*", "bitnami/redis", False),
        ("*/*", "bitnami/redis", True),
        # as written and normalised
        ("nginx", "nginx:1.27", True),
        ("nginx", "docker.io/library/nginx:1.27", True),
        ("docker.io/library/nginx", "nginx:1.27", True),
        ("library/nginx", "nginx", True),
        ("nginx", "nginxinc/nginx-unprivileged", False),
        ("nginx", "ghcr.io/nginx", False),
        ("frontend", "frontend", True),
        ("frontend", "frontend-v2", False),
        # a : after the last / names a tag: matched against repository:tag
        ("**:nightly*", "ghcr.io/acme/api:nightly-2026", True),
        ("**:nightly*", "ghcr.io/acme/api:1.0", False),
        ("nginx:1.26*", "nginx:1.26.2-alpine", True),
        ("nginx:1.26*", "nginx:1.27", False),
        ("nginx:latest", "nginx", True),  # no tag and no digest: latest
        ("nginx:latest", f"nginx@sha256:{'a' * 64}", False),
        ("nginx:*", "docker.io/library/nginx:1.27", True),
        ("*:*", "docker.io/library/nginx:1.27", True),  # familiar: nginx:1.27
        # a : before a / is a registry's port, not a tag
        ("localhost:5000/app", "localhost:5000/app:1", True),
        ("localhost:5000/*", "localhost:5000/app:1", True),
        ("localhost:*/app", "localhost:5000/app", True),
        # everything else is literal
        ("ngin.", "nginx", False),
    ],
)
def test_patterns(pattern: str, reference: str, matches: bool) -> None:
    compiled = compile_pattern(pattern)
    assert compiled.matches(parse_reference(reference), reference) is matches


@pytest.mark.parametrize("pattern", ["", "a b", "nginx|redis", "(nginx)", "a***b", "x" * 600])
def test_bad_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(pattern)


def test_a_pattern_costs_linear_time() -> None:
    """Stars against a long name that almost matches: on a backtracking engine eight stars
    take seconds on 52 characters (the time grows as the length to the eighth power) and
    longer than twenty seconds on sixty; on RE2, even a hundred take milliseconds."""
    for stars, name in [
        (8, "a" * 52),
        (100, "a" * 200),
        (100, "registry.example/" + "a" * 200),
        (100, "a" * 120 + ":" + "a" * 120),
    ]:
        pattern = compile_pattern("a*" * stars + "b")
        started = time.monotonic()
        assert not pattern.matches(parse_reference(name), name)
        assert time.monotonic() - started < 1, (stars, len(name))


# -- the policy file -------------------------------------------------------------------------

GOOD = """\
ignore:                       # references never asked, pinned or counted
  - frontend
  - "registry.corp.example/internal/*"
  - "**:nightly*"
images:
  - match: "docker.io/library/nginx"
    track: minor
    prerelease: false
  - match: "ghcr.io/acme/*"
    versioning: '^(?P<major>\\d+)\\.(?P<minor>\\d+)\\.(?P<patch>\\d+)(-(?P<variant>.+))?$'
    pin: false
"""


def test_the_documented_policy_file_reads(tmp_path: Path) -> None:
    path = tmp_path / ".whichtag.yaml"
    path.write_text(GOOD)
    policy = load_policy(path)
    assert policy.ignores(parse_reference("frontend"))
    assert policy.ignores(parse_reference("registry.corp.example/internal/db:1"))
    assert not policy.ignores(parse_reference("nginx:1.27"))
    nginx = policy.rule_for(parse_reference("nginx:1.26.2"))
    assert nginx is not None and nginx.track == "minor" and nginx.prerelease is False
    assert nginx.pin and nginx.line == 6
    acme = policy.rule_for(parse_reference("ghcr.io/acme/api:1.2.3"))
    assert acme is not None and not acme.pin and acme.versioning is not None
    assert policy.rule_for(parse_reference("redis")) is None
    assert parse_policy("") == Policy(".whichtag.yaml")


def test_the_first_rule_matching_wins() -> None:
    policy = parse_policy(
        "images:\n  - match: ghcr.io/acme/api\n    track: patch\n"
        "  - match: ghcr.io/acme/*\n    track: minor\n"
    )
    first = policy.rule_for(parse_reference("ghcr.io/acme/api"))
    other = policy.rule_for(parse_reference("ghcr.io/acme/web"))
    assert first is not None and first.track == "patch"
    assert other is not None and other.track == "minor"


@pytest.mark.parametrize(
    ("text", "line", "key", "why"),
    [
        ("ignore:\n  - nginx\nignored: []\n", 3, "ignored", "unknown key"),
        ("images:\n  - match: nginx\n    tracks: minor\n", 3, "tracks", "unknown key"),
        ("ignore: nginx\n", 1, "ignore", "expected a list"),
        ("images:\n  - match: nginx\n    pin: no way\n", 3, "pin", "expected true or false"),
        ("images:\n  - match: nginx\n    prerelease: 1\n", 3, "prerelease", "true or false"),
        ("images:\n  - match: 5\n", 2, "match", "expected a string"),
        ("ignore:\n  - nginx\n  - 'nginx|redis'\n", 3, "ignore", "bad pattern"),
        ("images:\n  - match: 'a b'\n", 2, "match", "bad pattern"),
        ("images:\n  - match: x\n    versioning: '(?P<major>\\d+'\n", 3, "versioning", "RE2"),
        ("images:\n  - match: x\n    versioning: '(\\d+)\\1'\n", 3, "versioning", "RE2"),
        ("images:\n  - match: x\n    versioning: '(?P<minor>\\d+)'\n", 3, "versioning", "major"),
        ("images:\n  - match: x\n    versioning: '(?P<mayor>\\d+)'\n", 3, "versioning", "mayor"),
        ("images:\n  - match: x\n    track: huge\n", 3, "track", "not one of patch"),
        ("images:\n  - match: x\n    track: [minor]\n", 3, "track", "expected a string"),
        ("images:\n  - track: minor\n", 2, "images", "needs a match"),
        ("images:\n  - match: x\n    match: y\n", 3, "match", "given twice"),
    ],
)
def test_policy_errors_name_file_line_and_key(
    tmp_path: Path, run: Run, text: str, line: int, key: str, why: str
) -> None:
    """Each is exit 2, one line naming the file, the line and the key, for pin and outdated
    alike, and PolicyError from the library."""
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    for command in ("pin", "outdated"):
        result = run(command, "--config", str(path), str(tmp_path / "Dockerfile"))
        assert result.code == EXIT_USAGE, result.err
        assert f"{path}:{line}: {key}: " in result.err and why in result.err, result.err
        assert "Traceback" not in result.err
    with pytest.raises(PolicyError):
        load_policy(path)


def test_a_policy_file_that_is_not_yaml_or_not_there(tmp_path: Path, run: Run) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("ignore: [nginx\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    result = run("pin", "--config", str(bad), str(tmp_path / "Dockerfile"))
    assert result.code == EXIT_USAGE and f"{bad}:" in result.err
    missing = run("pin", "--config", str(tmp_path / "none.yaml"), str(tmp_path / "Dockerfile"))
    assert missing.code == EXIT_USAGE and "cannot read" in missing.err


def test_the_policy_file_is_found_as_ruff_finds_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first .whichtag.yaml in the folder or its parents up to the repository root
    (.git, a folder or a file); never one above the root; outside a repository, only the
    working directory's."""
    repo = tmp_path / "repo"
    deep = repo / "services" / "api"
    deep.mkdir(parents=True)
    (repo / ".git").mkdir()
    (tmp_path / ".whichtag.yaml").write_text("ignore: [above]\n")  # above the root
    assert find_policy(str(deep)) is None
    (repo / ".whichtag.yaml").write_text("ignore: [root]\n")
    assert find_policy(str(deep)) == str(repo / ".whichtag.yaml")
    (repo / "services" / ".whichtag.yaml").write_text("ignore: [services]\n")
    assert find_policy(str(deep)) == str(repo / "services" / ".whichtag.yaml")
    worktree = tmp_path / "worktree"
    (worktree / "sub").mkdir(parents=True)
    (worktree / ".git").write_text("gitdir: /elsewhere\n")  # a worktree's .git is a file
    (worktree / ".whichtag.yaml").write_text("ignore: [worktree]\n")
    assert find_policy(str(worktree / "sub")) == str(worktree / ".whichtag.yaml")
    outside = tmp_path / "loose" / "sub"
    outside.mkdir(parents=True)
    (tmp_path / "loose" / ".whichtag.yaml").write_text("ignore: [parent]\n")
    assert find_policy(str(outside)) is None  # not in a repository: the folder's own only
    assert find_policy(str(tmp_path / "loose")) == str(tmp_path / "loose" / ".whichtag.yaml")


# -- versioning --------------------------------------------------------------------------------


def test_versioning_reads_its_groups_and_nothing_else() -> None:
    grammar = Versioning(
        r"^v?(?P<major>\d+)\.(?P<minor>\d+)(\.(?P<patch>\d+))?(-(?P<prerelease>rc\d+))?"
        r"(_(?P<build>\d+))?(-(?P<variant>[a-z]+))?$"
    )
    version = grammar.parse("v1.2.3-rc2_7-alpine")
    assert version is not None
    assert (version.numbers, version.pre, version.build, version.suffix) == (
        (1, 2, 3),
        (5, 2),
        "7",
        "alpine",
    )
    assert grammar.parse("1.2").numbers == (1, 2)  # type: ignore[union-attr]
    assert grammar.parse("latest") is None and grammar.parse("1") is None
    long_variant = "1.2-" + "a" * (MAX_TAG_LENGTH - 4)
    assert grammar.parse(long_variant) is not None  # 128 characters: read
    assert grammar.parse(long_variant + "a") is None  # past the registry's limit: never


def test_a_hostile_versioning_expression_costs_linear_time() -> None:
    """(a+)+$ is exponential on a backtracking engine; RE2 reads a long tag list of it in
    linear time."""
    grammar = Versioning(r"^(?P<major>(a+)+)$")
    started = time.monotonic()
    for _ in range(10_000):
        assert grammar.parse("a" * 100 + "!") is None
    assert time.monotonic() - started < 5


# -- ignore comments ---------------------------------------------------------------------------


def test_ignore_comments_by_line() -> None:
    lines = ["# whichtag: ignore", "FROM a", "  #whichtag:ignore  ", "  image: b", "c # x"]
    assert is_ignored(lines, [1], trailing=False)
    assert is_ignored(lines, [3], trailing=True)
    assert not is_ignored(lines, [0], trailing=True)
    assert not is_ignored(lines, [4], trailing=True)
    assert is_ignored(["image: a  # whichtag: ignore"], [0], trailing=True)
    assert not is_ignored(["FROM a # whichtag: ignore"], [0], trailing=False)  # not a comment
    assert is_ignored(["ARG A=1", "# whichtag: ignore", "x", "FROM $A"], [3, 2], trailing=False)
    assert not is_ignored(["# whichtag: ignore me", "FROM a"], [1], trailing=False)


def _sorted(path: str, text: str, policy: Policy | None = None) -> tuple[list[str], int]:
    kept = sort_references(text, find_references(path, text), policy or Policy())
    return [found.text for found in kept.found], len(kept.ignored) + kept.ignored_unknown


def test_ignore_comments_in_each_format() -> None:
    dockerfile = (
        "FROM a:1 AS one\n# whichtag: ignore\nFROM b:1 AS two\n"
        "# whichtag: ignore\nARG X\nARG Y\nFROM $X AS three\nFROM ${Y}\n"
    )
    kept = sort_references(dockerfile, find_references("Dockerfile", dockerfile), Policy())
    assert [found.text for found in kept.found] == ["a:1"]
    assert len(kept.ignored) == 1 and kept.ignored_unknown == 1  # b:1; $X by its ARG's
    assert [where.rsplit(":", 1)[1] for where in kept.unpinnable] == ["8"]  # ${Y}: not
    assert len(kept.warnings) == 1 and "${Y}" in kept.warnings[0]
    compose = (
        "services:\n  a:\n    image: a:1  # whichtag: ignore\n"
        "  b:\n    # whichtag: ignore\n    image: b:1\n  c:\n    image: c:1\n"
        "  d:\n    image: ${D}  # whichtag: ignore\n"
    )
    assert _sorted("compose.yaml", compose) == (["c:1"], 3)
    kubernetes = (
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n"
        "    - name: a\n      image: frontend # whichtag: ignore\n"
        "    - name: b\n      image: redis:alpine\n"
    )
    assert _sorted("pod.yaml", kubernetes) == (["redis:alpine"], 1)


# -- through pin and outdated ----------------------------------------------------------------


def _repository(plain: Seeded, repo: str, tags: list[str], prefix: str) -> dict[str, str]:
    digests = {}
    for tag in tags:
        pushed = plain.pusher.push_image(repo, f"{prefix}-{tag}", tag=tag)
        digests[tag] = pushed.digest
    return digests


@pytest.fixture(scope="module")
def history(plain: Seeded) -> dict[str, str]:
    """policy/track: 1.26.2 -> 1.26.5 (patch), 1.27.0 (minor), 2.0.0 (major), and the
    pre-releases 2.1.0-rc1 and 2.1.0-rc2; policy/stray: 1.0.0, 1.1.0 and a stray 5.0."""
    tags = ["1.26.2", "1.26.5", "1.27.0", "2.0.0", "2.1.0-rc1", "2.1.0-rc2"]
    digests = _repository(plain, "policy/track", tags, "track")
    digests.update(
        {
            f"stray:{k}": v
            for k, v in _repository(
                plain, "policy/stray", ["1.0.0", "1.1.0", "5.0"], "stray"
            ).items()
        }
    )
    return digests


def _outdated(run: Run, tmp_path: Path, policy: str, *refs: str, fail_on: str = "") -> CliRun:
    listed = tmp_path / "refs.txt"
    listed.write_text("\n".join(refs) + "\n")
    config = tmp_path / "policy.yaml"
    config.write_text(policy)
    extra = ["--fail-on", fail_on] if fail_on else []
    return run("outdated", "-f", str(listed), "--json", "--config", str(config), *extra)


def _answers(result: CliRun) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.out.splitlines()]


def test_track_caps_updates_newer_and_fail_on(
    plain: Seeded, history: dict[str, str], run: Run, tmp_path: Path
) -> None:
    ref = f"{plain.host}/policy/track:1.26.2"
    [free] = _answers(_outdated(run, tmp_path, "", ref))
    assert free["updates"] == {"patch": "1.26.5", "minor": "1.27.0", "major": "2.0.0"}
    assert free["policy"] is None
    assert _outdated(run, tmp_path, "", ref, fail_on="major").code == EXIT_UNPINNED
    minor = f"images:\n  - match: '{plain.host}/policy/*'\n    track: minor\n"
    result = _outdated(run, tmp_path, minor, ref)
    [capped] = _answers(result)
    assert capped["updates"] == {"patch": "1.26.5", "minor": "1.27.0", "major": None}
    assert capped["update"] == "minor" and capped["newer"]["major"] is None
    assert capped["policy"]["track"] == "minor" and capped["policy"]["match"].endswith("/*")
    assert _outdated(run, tmp_path, minor, ref, fail_on="major").code == EXIT_OK
    assert _outdated(run, tmp_path, minor, ref, fail_on="minor").code == EXIT_UNPINNED
    patch = f"images:\n  - match: '{plain.host}/policy/track'\n    track: patch\n"
    [only_patch] = _answers(_outdated(run, tmp_path, patch, ref))
    assert only_patch["updates"] == {"patch": "1.26.5", "minor": None, "major": None}
    assert only_patch["newer"] == {"patch": "1.26.5", "minor": None, "major": None}
    assert _outdated(run, tmp_path, patch, ref, fail_on="minor").code == EXIT_OK
    assert _outdated(run, tmp_path, patch, ref, fail_on="patch").code == EXIT_UNPINNED


def test_prerelease_true_offers_them_and_false_never(
    plain: Seeded, history: dict[str, str], run: Run, tmp_path: Path
) -> None:
    release = f"{plain.host}/policy/track:1.26.2"
    rule = f"images:\n  - match: '{plain.host}/policy/track'\n    prerelease: %s\n"
    [offered] = _answers(_outdated(run, tmp_path, rule % "true", release))
    assert offered["updates"]["major"] == "2.1.0-rc2"
    [default] = _answers(_outdated(run, tmp_path, "", release))
    assert default["updates"]["major"] == "2.0.0"
    candidate = f"{plain.host}/policy/track:2.1.0-rc1"
    [in_use] = _answers(_outdated(run, tmp_path, "", candidate))
    assert in_use["updates"]["patch"] == "2.1.0-rc2"  # the default: to a pre-release in use
    [never] = _answers(_outdated(run, tmp_path, rule % "false", candidate))
    assert never["updates"] == {"patch": None, "minor": None, "major": None}
    assert _outdated(run, tmp_path, rule % "false", candidate, fail_on="patch").code == EXIT_OK


def test_upgrade_reads_versions_by_the_repositorys_own_grammar(
    plain: Seeded, history: dict[str, str], run: Run, tmp_path: Path
) -> None:
    """``versioning`` decides which tags ``upgrade`` may move to: the stray ``5.0`` is a
    version to the built-in grammar, not to ``major.minor.patch``."""
    compose = tmp_path / "compose.yaml"
    compose.write_text(f"services:\n  a:\n    image: {plain.host}/policy/stray:1.0.0\n")
    config = tmp_path / "policy.yaml"
    config.write_text("")
    free = run(
        "upgrade", "--json", "--dry-run", "--to", "major", "--config", str(config), str(compose)
    )
    assert json.loads(free.out)["to_version"] == "5.0", free.err
    config.write_text(
        f"images:\n  - match: '{plain.host}/policy/stray'\n"
        "    versioning: '^(?P<major>\\d+)\\.(?P<minor>\\d+)\\.(?P<patch>\\d+)$'\n"
    )
    own = run(
        "upgrade", "--json", "--dry-run", "--to", "major", "--config", str(config), str(compose)
    )
    entry = json.loads(own.out)
    assert (entry["to_version"], entry["kind"]) == ("1.1.0", "minor"), own.err


def test_versioning_decides_which_tags_are_versions(
    plain: Seeded, history: dict[str, str], run: Run, tmp_path: Path
) -> None:
    ref = f"{plain.host}/policy/stray:1.0.0"
    [builtin] = _answers(_outdated(run, tmp_path, "", ref))
    assert builtin["updates"]["major"] == "5.0"
    rule = (
        f"images:\n  - match: '{plain.host}/policy/stray'\n"
        "    versioning: '^(?P<major>\\d+)\\.(?P<minor>\\d+)\\.(?P<patch>\\d+)$'\n"
    )
    result = _outdated(run, tmp_path, rule, ref, fail_on="major")
    [own] = _answers(result)
    assert own["updates"] == {"patch": None, "minor": "1.1.0", "major": None}, own
    assert own["policy"]["versioning"].startswith("^(?P<major>")
    assert result.code == EXIT_OK, result.err
    # a version name the repository's grammar does not read is no version name there: with
    # version tags listed, its updates cannot be told
    stray = _outdated(run, tmp_path, rule, f"{plain.host}/policy/stray:5.0", fail_on="patch")
    [unread] = _answers(stray)
    assert unread["version"] == "5.0" and unread["updates"]["major"] is None
    assert stray.code == EXIT_INCOMPLETE, stray.err


def test_ignored_references_are_never_asked(
    plain: Seeded, history: dict[str, str], run: Run, tmp_path: Path
) -> None:
    """ignore: in outdated: not asked (a missing repository is no error), not listed in JSON,
    counted on one line on stderr."""
    known = f"{plain.host}/policy/track:2.0.0"
    result = _outdated(
        run,
        tmp_path,
        "ignore:\n  - frontend\n  - '**:nightly*'\n",
        known,
        "frontend",
        f"{plain.host}/policy/track:nightly-1",
    )
    assert result.code == EXIT_OK, result.err
    assert [answer["reference"] for answer in _answers(result)] == [known]
    assert "2 reference(s) ignored by policy.yaml and comments" in result.err


def test_pin_json_lists_ignored_and_kept_references_and_check_passes(
    plain: Seeded,
    history: dict[str, str],
    run: Run,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    digest = history["2.0.0"]
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        "services:\n"
        "  web:\n    image: frontend\n"  # a placeholder: ignored by the policy
        f"  api:\n    image: {plain.host}/policy/track:2.0.0  # whichtag: ignore\n"
        f"  db:\n    image: {plain.host}/policy/stray:1.0.0\n"  # pin: false
        f"  cache:\n    image: {plain.host}/policy/track:2.0.0\n"
    )
    config = tmp_path / ".whichtag.yaml"
    config.write_text(
        f"ignore: [frontend]\nimages:\n  - match: '{plain.host}/policy/stray'\n    pin: false\n"
    )
    (tmp_path / ".git").mkdir()
    result = run("pin", "--json", "--config", str(config), str(compose))
    assert result.code == EXIT_OK, result.err
    entries = [json.loads(line) for line in result.out.splitlines()]
    assert [(e["line"], e["status"]) for e in entries] == [
        (3, "ignored"),
        (5, "ignored"),
        (7, "kept"),
        (9, "pinned"),
    ]
    assert entries[3]["digest"] == digest and entries[2]["new"] == entries[2]["old"]
    assert "2 reference(s) ignored by .whichtag.yaml and comments" in result.err
    after = compose.read_text()
    assert f"track:2.0.0@{digest}" in after and "stray:1.0.0\n" in after
    assert "image: frontend\n" in after and "2.0.0  # whichtag: ignore\n" in after
    check = run("pin", "--check", "--config", str(config), str(compose))
    assert check.code == EXIT_OK and check.out == "", check.err
    monkeypatch.chdir(tmp_path)  # the repository's own .whichtag.yaml, found
    found = run("pin", "--check", str(compose))
    assert found.code == EXIT_OK and "by .whichtag.yaml and comments" in found.err, found.err
    # without the policy file the placeholder is asked, and does not exist
    bare = run("pin", "--check", "--no-config", str(compose))
    assert bare.code == EXIT_PIN_FAILED, bare.err
    assert "frontend" in bare.err and "ignored by comments" in bare.err


def test_dry_run_and_check_show_what_pin_would_write(
    plain: Seeded, history: dict[str, str], run: Run, tmp_path: Path
) -> None:
    """When a reference fails, pin writes nothing: --dry-run and --check show no diff and
    the error, as pin would; with it fixed, --dry-run's diff is exactly what pin writes."""
    path = tmp_path / "Dockerfile"
    good = f"{plain.host}/policy/track:2.0.0"
    text = f"FROM {good} AS a\nFROM {plain.host}/policy/track:no-such-tag AS b\n"
    path.write_text(text)
    for mode in ("--dry-run", "--check"):
        result = run("pin", mode, str(path))
        assert result.code == EXIT_PIN_FAILED, (mode, result.err)
        assert result.out == "", mode  # no diff: pin would write nothing
        assert "no-such-tag" in result.err and "no file would be changed" in result.err
    plain_run = run("pin", str(path))
    assert plain_run.code == EXIT_PIN_FAILED and path.read_text() == text
    path.write_text(f"FROM {good} AS a\n")
    diff = run("pin", "--dry-run", str(path)).out
    assert run("pin", str(path)).code == EXIT_OK
    assert f"+FROM {good}@{history['2.0.0']} AS a" in diff.splitlines()


# -- real files ------------------------------------------------------------------------------

DEMO = [name for name in sorted(p.name for p in CORPUS.iterdir()) if name.startswith("micro")]


@pytest.fixture
def hub(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pusher]:
    """A registry served as Docker Hub (127.0.0.1:443), the CLI's options pointed at it."""
    from whichtag.cli import outdated, pin

    with RegistryProcess() as registry:
        (tmp_path / "certs.d").mkdir()
        served = named_hosts(ca, tmp_path / "certs.d", {"registry-1.docker.io": None})
        for module in (pin, outdated):
            original = module.build_options

            def pointed(*args: Any, _original: Any = original) -> Any:
                options = _original(*args)
                options.resolve = served.resolve
                options.cert_dirs = [served.certs_d]
                options.use_proxy_env = False
                options.use_cache = False
                return options

            monkeypatch.setattr(module, "build_options", pointed)
        with Front(registry.host, override=served.route, port=443, tls=served.context):
            yield Pusher(registry.url)


def test_microservices_demo_passes_its_gates_with_a_policy_file(
    hub: Pusher, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GoogleCloudPlatform/microservices-demo's manifests name skaffold's placeholders
    (image: frontend): with a .whichtag.yaml ignoring them, pin then pin --check exits 0,
    the YAML still loads, and outdated answers every reference not ignored."""
    hub.push_image("library/redis", "demo-redis", tag="alpine")
    hub.push_image("library/busybox", "demo-busybox", tag="1.38.0")
    repo = tmp_path / "demo"
    manifests = repo / "kubernetes-manifests"
    manifests.mkdir(parents=True)
    (repo / ".git").mkdir()
    for name in DEMO:
        shutil.copy(CORPUS / name, manifests / name.split("__")[-1])
    monkeypatch.chdir(manifests)
    without = run("pin", "--check", ".")
    assert without.code == EXIT_PIN_FAILED, without.err  # frontend does not exist: an error
    (repo / ".whichtag.yaml").write_text(
        "ignore:  # skaffold's placeholders, built and named at deploy time\n"
        "  - cartservice\n  - frontend\n  - loadgenerator\n"
    )
    pinned = run("pin", ".")
    assert pinned.code == EXIT_OK, pinned.err
    assert "3 reference(s) ignored by .whichtag.yaml and comments" in pinned.err
    check = run("pin", "--check", ".")
    assert check.code == EXIT_OK and check.out == "", check.err
    for name in DEMO:
        text = (manifests / name.split("__")[-1]).read_text()
        assert all(doc is not None for doc in yaml.safe_load_all(text))
        assert "image: frontend\n" in text or "frontend" not in name
    result = run("outdated", ".", "--json")
    assert result.code == EXIT_OK, result.err
    answers = _answers(result)
    assert sorted(answer["repository"] for answer in answers) == [
        "library/busybox",
        "library/redis",
    ]
    assert all(answer["complete"] for answer in answers)


def test_pin_then_check_agree_on_the_corpus(
    hub: Pusher, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over every real file served as Docker Hub would: pin's exit code is --check's next,
    and --check shows no diff (3 where a reference cannot be known, until it is ignored)."""
    expected = json.loads((CORPUS / "expected.json").read_text())
    hub_refs = set()
    for refs in expected.values():
        for _, written in refs:
            ref = parse_reference(written.split("@", 1)[0])
            if ref.registry == "docker.io":
                hub_refs.add((ref.repository, ref.tag or "latest"))
    for repository, tag in sorted(hub_refs):
        hub.push_image(repository, f"agree-{repository}-{tag}", tag=tag)
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / ".git").mkdir()
    for name in expected:
        target = folder / name / name.split("__")[-1]
        target.parent.mkdir()
        shutil.copy(CORPUS / name, target)
    monkeypatch.chdir(folder)
    (folder / ".whichtag.yaml").write_text(
        "ignore:\n  - cartservice\n  - frontend\n  - loadgenerator\n"
        "  - 'docker.redpanda.com/**'\n  - 'registry.gitlab.com/**'\n"
    )
    pinned = run("pin", ".")
    check = run("pin", "--check", ".")
    assert pinned.code in (EXIT_OK, EXIT_INCOMPLETE), pinned.err
    assert check.code == pinned.code and check.out == "", check.err
    assert pinned.code == EXIT_INCOMPLETE  # self-hosted's $SNUBA_IMAGE and others
    # saying what to leave out makes the gate green: a comment at each place warned about
    unknown = re.findall(r"warning: (\S+):(\d+): .*; left alone \(not pinned\)", pinned.err)
    assert len(unknown) == 10, pinned.err
    for where, number in sorted(unknown, key=lambda item: -int(item[1])):
        lines = (folder / where).read_text().splitlines(keepends=True)
        index = int(number) - 1
        if where.endswith("Dockerfile"):
            lines.insert(index, "# whichtag: ignore\n")
        else:
            lines[index] = lines[index].rstrip("\n") + "  # whichtag: ignore\n"
        (folder / where).write_text("".join(lines))
    again = run("pin", ".")
    assert again.code == EXIT_OK and "15 reference(s) ignored" in again.err, again.err
    final = run("pin", "--check", ".")
    assert final.code == EXIT_OK and final.out == "", final.err
    assert "warning" not in final.err and final.err.count("note:") == 1


def test_ignore_comments_cost_linear_time_on_a_hostile_dockerfile() -> None:
    """20,000 FROMs built from variables, each under an ignore comment or not, beside 20,000
    ARGs: the filter looks each warning and ARG up (was a scan of every warning for every
    ignored place, and of every line above for every ARG: about 10^8 steps)."""
    count = 20_000
    text = "".join(f"ARG X{i}\n" for i in range(count)) + "".join(
        f"# whichtag: ignore\nFROM ${{X{i}}} AS s{i}\nFROM $Q AS t{i}\n" for i in range(count)
    )
    scan = find_references("Dockerfile", text)
    started = time.monotonic()
    kept = sort_references(text, scan, Policy())
    assert time.monotonic() - started < 2
    assert kept.ignored_unknown == count and len(kept.unpinnable) == count
    assert len(kept.warnings) == count and all("$Q" in warning for warning in kept.warnings)
