"""``whichtag pin``: golden files for a Dockerfile, a compose file and a multi-document
Kubernetes manifest (tests/data/pin, with ``@@REGISTRY@@`` and ``@@DIGEST repo:tag@@``
standing for the test registry and the digests it gives); --check, --dry-run, --version-tag."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import trustme
from testkit.front import Front
from testkit.registry import RegistryProcess
from testkit.seed import Pusher

from conftest import CliRun, Seeded, named_hosts
from whichtag.cli.pin import (
    EXIT_PIN_FAILED,
    EXIT_UNPINNED,
    FileWork,
    _resolve,
    _write_all,
    read_file_work,
)
from whichtag.errors import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from whichtag.files.pinning import find_references, rewrite
from whichtag.names.reference import parse_reference

Run = Callable[..., CliRun]
DATA = Path(__file__).parent / "data" / "pin"
FILES = ["Dockerfile", "compose.yaml", "k8s.yaml"]


def _digests(plain: Seeded, nginx: dict[str, str]) -> dict[str, str]:
    known = {f"fluent/fluentd:{tag}": digest for tag, digest in plain.fluentd.items()}
    known.update({f"library/nginx:{tag}": digest for tag, digest in nginx.items()})
    pusher = plain.pusher
    for repository, tag in [("oci/only", "v1"), ("oci/only", "v2"), ("oci/only", "stable")]:
        known[f"{repository}:{tag}"] = pusher.head_digest(repository, tag)
    known["multi/arch:latest"] = str(plain.extra["index"])
    return known


def _fill(text: str, host: str, digests: dict[str, str]) -> str:
    text = re.sub(r"@@DIGEST ([^@]+)@@", lambda match: digests[match.group(1)], text)
    return text.replace("@@REGISTRY@@", host)


@pytest.fixture
def workdir(plain: Seeded, nginx: dict[str, str], tmp_path: Path) -> tuple[Path, dict[str, str]]:
    digests = _digests(plain, nginx)
    for name in FILES:
        (tmp_path / name).write_text(_fill((DATA / name).read_text(), plain.host, digests))
    return tmp_path, digests


def test_pin_rewrites_exactly_the_references(
    plain: Seeded, workdir: tuple[Path, dict[str, str]], run: Run
) -> None:
    directory, digests = workdir
    paths = [str(directory / name) for name in FILES]
    result = run("pin", *paths)
    # every reference is known (FROM ${BASE} through its ARG default), so pin exits 0
    assert result.code == EXIT_OK, result.err
    for name in FILES:
        expected = _fill((DATA / "expected" / name).read_text(), plain.host, digests)
        assert (directory / name).read_text() == expected, name
    # FROM ${BASE} is pinned in its ARG line (ARG BASE=…:stable@sha256:…), and then current
    again = run("pin", "--check", *paths)
    assert again.code == EXIT_OK and again.out == "", again.err


def test_check_fails_on_unpinned_and_drifted(
    workdir: tuple[Path, dict[str, str]], run: Run
) -> None:
    directory, _ = workdir
    before = (directory / "k8s.yaml").read_bytes()
    result = run("pin", "--check", str(directory / "k8s.yaml"))
    assert result.code == EXIT_UNPINNED
    assert (directory / "k8s.yaml").read_bytes() == before  # --check writes nothing
    assert result.out.startswith(f"--- a/{directory / 'k8s.yaml'}")
    assert "-        - image: " in result.out and "# drifted" in result.out
    assert "4 reference(s) unpinned or no longer current" in result.err


def test_check_passes_on_pinned_files(workdir: tuple[Path, dict[str, str]], run: Run) -> None:
    directory, _ = workdir
    only_pinned = directory / "pinned.yaml"
    text = (directory / "compose.yaml").read_text().splitlines(keepends=True)
    only_pinned.write_text("".join(text[:2] + text[10:12]))  # services: / pinned: / image:
    assert run("pin", "--check", str(only_pinned)).code == EXIT_OK


def test_dry_run_prints_the_diff_and_writes_nothing(
    workdir: tuple[Path, dict[str, str]], run: Run
) -> None:
    directory, digests = workdir
    before = (directory / "Dockerfile").read_bytes()
    result = run("pin", "--dry-run", str(directory / "Dockerfile"))
    assert result.code == EXIT_OK, result.err  # FROM ${BASE} is known by its ARG default
    assert (directory / "Dockerfile").read_bytes() == before
    assert "+FROM --platform=linux/amd64 " in result.out
    assert digests["fluent/fluentd:latest"] in result.out


def test_version_tag_names_the_version(
    plain: Seeded, nginx: dict[str, str], tmp_path: Path, run: Run
) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        f"services:\n  web:\n    image: {plain.host}/library/nginx:latest\n"
        f"  edge:\n    image: {plain.host}/library/nginx:stable-alpine # edge proxy\n"
        f"  old:\n    image: {plain.host}/library/nginx:1.26\n"
        f"  fixed:\n    image: {plain.host}/library/nginx:1.27.2\n"
    )
    result = run("pin", "--version-tag", str(compose))
    assert result.code == EXIT_OK, result.err
    assert compose.read_text() == (
        f"services:\n  web:\n    image: {plain.host}/library/nginx:1.27.3@{nginx['latest']}\n"
        f"  edge:\n    image: {plain.host}/library/nginx:1.26.2-alpine@{nginx['stable-alpine']}"
        " # edge proxy\n"
        # a version becomes only a version refining it; a full version stays itself
        f"  old:\n    image: {plain.host}/library/nginx:1.26.2@{nginx['1.26']}\n"
        f"  fixed:\n    image: {plain.host}/library/nginx:1.27.2@{nginx['1.27.2']}\n"
    )


def test_crlf_and_odd_spacing_survive(plain: Seeded, tmp_path: Path, run: Run) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_bytes(f"from  {plain.host}/oci/only:v1 \r\nRUN true\r\n".encode())
    result = run("pin", str(dockerfile))
    assert result.code == EXIT_OK, result.err
    digest = plain.pusher.head_digest("oci/only", "v1")
    assert (
        dockerfile.read_bytes()
        == f"from  {plain.host}/oci/only:v1@{digest} \r\nRUN true\r\n".encode()
    )


def test_a_missing_tag_is_an_error_and_nothing_is_half_done(
    plain: Seeded, tmp_path: Path, run: Run
) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {plain.host}/oci/only:no-such-tag\n")
    result = run("pin", str(dockerfile))
    assert result.code == EXIT_PIN_FAILED
    assert "no-such-tag" in result.err and "Traceback" not in result.err
    assert dockerfile.read_text() == f"FROM {plain.host}/oci/only:no-such-tag\n"


def test_unknown_files_and_missing_files(tmp_path: Path, run: Run) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("FROM nginx\n")
    result = run("pin", str(notes))
    assert result.code == EXIT_OK and "not a Dockerfile" in result.err
    missing = run("pin", str(tmp_path / "nope"))
    assert missing.code == 2 and "cannot read" in missing.err


# -- writing: all or nothing, through links, owner and mode kept (docs/reliability.md) -----


def _dockerfile(directory: Path, plain: Seeded, name: str = "Dockerfile") -> Path:
    path = directory / name
    path.write_text(f"FROM {plain.host}/fluent/fluentd:latest\n")
    return path


def test_one_failed_reference_changes_no_file(plain: Seeded, tmp_path: Path, run: Run) -> None:
    good = _dockerfile(tmp_path, plain)
    bad = tmp_path / "other" / "Dockerfile"
    bad.parent.mkdir()
    bad.write_text(f"FROM {plain.host}/oci/only:no-such-tag\n")
    before = good.read_text()
    result = run("pin", str(good), str(bad))
    assert result.code == EXIT_PIN_FAILED
    assert good.read_text() == before  # all or nothing
    assert "no file was changed" in result.err


def test_a_symlinked_file_is_pinned_through_the_link(
    plain: Seeded, tmp_path: Path, run: Run
) -> None:
    (tmp_path / "real").mkdir()
    real = _dockerfile(tmp_path / "real", plain)
    link = tmp_path / "Dockerfile"
    link.symlink_to(real)
    result = run("pin", str(link))
    assert result.code == EXIT_OK, result.err
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert "@sha256:" in real.read_text()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600])
def test_owner_group_and_mode_are_kept(plain: Seeded, tmp_path: Path, run: Run, mode: int) -> None:
    path = _dockerfile(tmp_path, plain)
    os.chmod(path, mode)
    owner = (1000, 1000) if os.getuid() == 0 else (os.getuid(), os.getgid())
    if os.getuid() == 0:
        os.chown(path, *owner)
    result = run("pin", str(path))
    assert result.code == EXIT_OK, result.err
    info = path.stat()
    assert (info.st_uid, info.st_gid) == owner
    assert stat.S_IMODE(info.st_mode) == mode
    assert "@sha256:" in path.read_text()


def test_hard_links_stay_one_file(plain: Seeded, tmp_path: Path, run: Run) -> None:
    path = _dockerfile(tmp_path, plain)
    twin = tmp_path / "Dockerfile.twin"
    os.link(path, twin)
    result = run("pin", str(path))
    assert result.code == EXIT_OK, result.err
    assert os.path.samefile(path, twin) and "@sha256:" in twin.read_text()


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path, run: Run) -> None:
    fifo = tmp_path / "Dockerfile"
    os.mkfifo(fifo)
    result = run("pin", "--check", str(fifo))
    assert result.code == EXIT_USAGE
    assert "not a regular file" in result.err


def test_a_platform_the_pinned_image_lacks_is_warned_about(
    plain: Seeded, tmp_path: Path, run: Run
) -> None:
    """FROM --platform=linux/arm64 on a linux/amd64-only image: pinned, with a warning."""
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        f"FROM --platform=linux/arm64 {plain.host}/fluent/fluentd:latest\n"
        f"FROM --platform=linux/arm64 {plain.host}/multi/arch:latest AS other\n"
    )
    result = run("pin", str(dockerfile))
    assert result.code == EXIT_OK, result.err
    warnings = [line for line in result.err.splitlines() if "has no linux/arm64 image" in line]
    assert len(warnings) == 1 and ":1:" in warnings[0] and "(it has: linux/amd64)" in warnings[0]
    assert dockerfile.read_text().count("@sha256:") == 2


# -- the files people really have -------------------------------------------------------------


def test_a_directory_is_walked_for_the_files_pin_reads(
    plain: Seeded, tmp_path: Path, run: Run
) -> None:
    """``whichtag pin Dockerfile compose.yaml k8s/`` (the README's own example)."""
    k8s = tmp_path / "k8s"
    (k8s / "apps").mkdir(parents=True)
    image = f"{plain.host}/fluent/fluentd:latest"
    (k8s / "apps" / "pod.yaml").write_text(
        f"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: {image}\n"
    )
    (k8s / "values.yaml").write_text("replicas: 3\n")  # neither compose nor Kubernetes
    (k8s / ".git").mkdir()
    (k8s / ".git" / "Dockerfile").write_text(f"FROM {image}\n")  # never walked
    result = run("pin", str(k8s))
    assert result.code == EXIT_OK, result.err
    assert "@sha256:" in (k8s / "apps" / "pod.yaml").read_text()
    assert (k8s / "values.yaml").read_text() == "replicas: 3\n"
    assert "@sha256:" not in (k8s / ".git" / "Dockerfile").read_text()
    assert "values.yaml" not in result.err  # skipped without a word


@pytest.mark.parametrize(
    "name", ["Dockerfile-alpine", "Dockerfile_dev", "dev.Containerfile", "Containerfile.ci"]
)
def test_dockerfile_names_people_use(plain: Seeded, tmp_path: Path, run: Run, name: str) -> None:
    """Real names: DataDog's Dockerfile-alpine, docker/Dockerfile_dev, dev.Containerfile."""
    path = _dockerfile(tmp_path, plain, name)
    result = run("pin", str(path))
    assert result.code == EXIT_OK, result.err
    assert "@sha256:" in path.read_text()


def test_a_byte_order_mark_does_not_hide_the_references(
    plain: Seeded, tmp_path: Path, run: Run
) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"\xef\xbb\xbf" + f"FROM {plain.host}/fluent/fluentd:latest\n".encode())
    result = run("pin", str(path))
    assert result.code == EXIT_OK, result.err
    pinned = path.read_bytes()
    assert pinned.startswith(b"\xef\xbb\xbf") and b"@sha256:" in pinned
    compose = tmp_path / "compose.yaml"
    body = f"services:\n  web:\n    image: {plain.host}/fluent/fluentd:latest\n"
    compose.write_bytes(b"\xef\xbb\xbf" + body.encode())
    result = run("pin", str(compose))
    assert result.code == EXIT_OK, result.err
    assert compose.read_bytes().startswith(b"\xef\xbb\xbf") and b"@sha256:" in compose.read_bytes()


def test_from_continued_on_the_next_line(plain: Seeded, tmp_path: Path, run: Run) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(f"FROM \\\n    {plain.host}/fluent/fluentd:latest AS base\nFROM base\n")
    result = run("pin", str(path))
    assert result.code == EXIT_OK, result.err
    assert "invalid reference" not in result.err
    lines = path.read_text().splitlines()
    assert lines[0] == "FROM \\" and "@sha256:" in lines[1] and lines[2] == "FROM base"


def test_the_diff_of_a_file_without_a_final_newline_applies(
    plain: Seeded, tmp_path: Path, run: Run
) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(f"FROM {plain.host}/fluent/fluentd:latest")  # no newline at the end
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    result = run("pin", "--dry-run", str(path))
    assert "\\ No newline at end of file" in result.out
    patch = tmp_path / "pin.patch"
    patch.write_text(
        result.out.replace(f"a/{path}", "a/Dockerfile").replace(f"b/{path}", "b/Dockerfile")
    )
    applied = subprocess.run(
        ["git", "apply", "--check", str(patch)], cwd=tmp_path, capture_output=True, text=True
    )
    assert applied.returncode == 0, applied.stderr


def test_a_heredoc_body_is_not_an_instruction(plain: Seeded, tmp_path: Path, run: Run) -> None:
    image = f"{plain.host}/fluent/fluentd:latest"
    path = tmp_path / "Dockerfile"
    body = f"FROM {image}\nRUN <<EOF cat > Dockerfile.inner\nFROM {image}\nEOF\nCOPY . .\n"
    path.write_text(body)
    result = run("pin", str(path))
    assert result.code == EXIT_OK, result.err
    lines = path.read_text().splitlines()
    assert "@sha256:" in lines[0]
    assert lines[2] == f"FROM {image}"  # inside the heredoc: data, left as it is


def test_compose_image_with_build_names_the_built_image(
    plain: Seeded, tmp_path: Path, run: Run
) -> None:
    """With build:, compose builds and tags image: itself (awesome-compose, sentry, superset)."""
    image = f"{plain.host}/fluent/fluentd:latest"
    missing = f"{plain.host}/team/built-here:dev"  # not in the registry: never asked
    path = tmp_path / "compose.yaml"
    path.write_text(
        "services:\n"
        f"  app:\n    image: {missing}\n    build: .\n"
        f"  cache:\n    build:\n      context: cache\n    image: {missing}\n"
        f"  db:\n    image: {image}\n"
    )
    result = run("pin", "--check", str(path))
    assert result.code == 1, result.err  # db is unpinned; app and cache are not errors
    # one note for the run, naming both places; not a warning, and not counted
    assert result.err.count("note: 2 compose image(s) beside build:") == 1, result.err
    assert "warning" not in result.err and "not found" not in result.err
    assert f"{path}:3" in result.err and f"{path}:8" in result.err
    (tmp_path / "other.yaml").write_text(f"services:\n  app:\n    image: {missing}\n    build: .\n")
    both = run("pin", "--check", str(path), str(tmp_path / "other.yaml"))
    assert both.err.count("note:") == 1 and "3 compose image(s)" in both.err, both.err
    assert run("pin", "--check", str(tmp_path / "other.yaml")).code == EXIT_OK


def test_check_tells_drift_from_a_check_that_could_not_run(
    plain: Seeded, tmp_path: Path, run: Run
) -> None:
    """Drift is 1 (fix the pins); a registry that cannot be reached is 4 (the check failed)."""
    unpinned = _dockerfile(tmp_path, plain)
    assert run("pin", "--check", str(unpinned)).code == EXIT_UNPINNED
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "other").mkdir()
    unreachable = tmp_path / "other" / "Dockerfile"
    unreachable.write_text(f"FROM 127.0.0.1:{port}/team/app:1\n")
    result = run("pin", "--check", str(unreachable), "--timeout", "20")
    assert result.code == EXIT_PIN_FAILED, result.err


def test_json_says_what_each_reference_is_and_becomes(
    plain: Seeded, tmp_path: Path, run: Run
) -> None:
    path = tmp_path / "Dockerfile"
    current = f"{plain.host}/fluent/fluentd:latest@{plain.fluentd['latest']}"
    path.write_text(
        f"FROM {plain.host}/fluent/fluentd:latest AS a\n"
        f"FROM {current} AS b\n"
        f"FROM {plain.host}/fluent/fluentd:edge@{plain.fluentd['latest']} AS c\n"
        f"FROM {plain.host}/oci/only:no-such-tag AS d\n"
    )
    result = run("pin", "--check", "--json", str(path))
    entries = [json.loads(line) for line in result.out.splitlines()]
    assert [entry["status"] for entry in entries] == ["unpinned", "current", "drifted", "error"]
    assert [entry["line"] for entry in entries] == [1, 2, 3, 4]
    assert entries[0]["digest"] == plain.fluentd["latest"] and entries[0]["file"] == str(path)
    assert entries[2]["new"].endswith(plain.fluentd["edge"]) and entries[3]["new"] is None
    assert result.code == EXIT_PIN_FAILED


def test_the_pre_commit_hook_runs_pin_check() -> None:
    hooks = (Path(__file__).parents[1] / ".pre-commit-hooks.yaml").read_text()
    assert "- id: whichtag-pin-check" in hooks
    assert "entry: whichtag pin --check" in hooks and "language: python" in hooks


def test_yaml_forms_people_write(plain: Seeded, tmp_path: Path, run: Run) -> None:
    """Forms a line-by-line reader missed: a flow-style pod (kubernetes/website's style), an
    x- anchor merged with <<:, a quoted service name, a value on the next line, an alias;
    and a ConfigMap string that holds a pod template, which is data, not a manifest."""
    image = f"{plain.host}/fluent/fluentd:latest"
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n"
        f"spec: {{containers: [{{name: app, image: '{image}'}}]}}\n"
        f"notes: [{{image: {image}}}]\n"  # a list that is not containers: not an image
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: templates\ndata:\n"
        f"  pod.yaml: |\n    spec:\n      containers:\n        - image: {image}\n"
    )
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        f"x-base: &base\n  image: {image}\n"
        "services:\n"
        '  "web":\n    <<: *base\n'
        f"  worker:\n    image:\n      {image}\n"
        f"  other:\n    image: &shared {plain.host}/fluent/fluentd:edge\n"
        "  again:\n    image: *shared\n"
    )
    result = run("pin", str(pod), str(compose))
    assert result.code == EXIT_OK, result.err
    pod_lines = pod.read_text().splitlines()
    assert "@sha256:" in pod_lines[3]  # the flow-style container
    assert all("@sha256:" not in line for line in pod_lines[4:])  # notes, the ConfigMap
    text = compose.read_text()
    assert text.count("@sha256:") == 3  # the anchor (shared by web), worker, the &shared one
    assert f"&shared {plain.host}/fluent/fluentd:edge@sha256:" in text
    assert "image: *shared" in text  # the alias stays an alias


def test_run_mount_from_an_image(plain: Seeded, tmp_path: Path, run: Run) -> None:
    path = tmp_path / "Dockerfile"
    image = f"{plain.host}/fluent/fluentd:latest"
    path.write_text(f"FROM {image} AS build\nRUN --mount=type=bind,from={image},target=/x ls\n")
    result = run("pin", str(path))
    assert result.code == EXIT_OK, result.err
    assert path.read_text().count("@sha256:") == 2


def test_check_never_passes_over_a_reference_it_cannot_pin(
    plain: Seeded, tmp_path: Path, run: Run
) -> None:
    """A FROM built from an ARG without a default (only --build-arg gives it) and a reference
    split over lines are warned about, and --check cannot tell (3) instead of passing, or
    calling them drift (1)."""
    pinned = f"{plain.host}/fluent/fluentd:latest@{plain.fluentd['latest']}"
    path = tmp_path / "Dockerfile"
    path.write_text(f"ARG BASE\nFROM ${{BASE}}\nFROM {pinned}\n")
    result = run("pin", "--check", str(path))
    assert result.code == EXIT_INCOMPLETE, result.err
    assert "$BASE has no value here" in result.err and "not pinned" in result.err
    compose = tmp_path / "compose.yaml"
    compose.write_text(f'services:\n  web:\n    image: "{pinned[:20]}\n      {pinned[20:]}"\n')
    folded = run("pin", "--check", str(compose))
    assert folded.code == EXIT_INCOMPLETE, folded.err
    assert "not written on one line" in folded.err


CORPUS = DATA / "corpus"


@pytest.mark.parametrize(
    "name", sorted(json.loads((CORPUS / "expected.json").read_text())), ids=lambda name: name
)
def test_real_files_yield_exactly_their_references(name: str) -> None:
    """Files from public repositories (tests/data/pin/corpus/README.md): every reference a
    person reading the file would pin, and nothing else."""
    expected = json.loads((CORPUS / "expected.json").read_text())[name]
    original_name = name.split("__")[-1]
    scan = find_references(original_name, (CORPUS / name).read_text())
    assert [[found.line + 1, found.text] for found in scan.found] == expected
    unpinnable = json.loads((CORPUS / "unpinnable.json").read_text()).get(name, [])
    assert [int(where.rsplit(":", 1)[1]) for where in scan.unpinnable] == unpinnable


def test_real_files_rewrite_only_their_references(tmp_path: Path) -> None:
    """Each reference replaced, nothing else: the rewritten file differs from the original
    only inside the references, and YAML still parses to the same structure but for them."""
    for name, expected in json.loads((CORPUS / "expected.json").read_text()).items():
        text = (CORPUS / name).read_text()
        scan = find_references(name.split("__")[-1], text)
        changes = {found: f"{found.text}@sha256:{'a' * 64}" for found in scan.found}
        after = rewrite(text, changes)
        assert after.replace(f"@sha256:{'a' * 64}", "") == text, name
        assert after.count(f"@sha256:{'a' * 64}") == len(expected), name
        if name.endswith((".yml", ".yaml")):
            import yaml

            assert all(doc is not None for doc in yaml.safe_load_all(after))


def test_the_corpus_round_trip_against_a_registry(ca: trustme.CA, tmp_path: Path) -> None:
    """The real files, pinned against a real registry serving their images as Docker Hub and
    docker.redpanda.com would (127.0.0.1:443, resolver hook, certs.d): each expected reference
    pinned to the digest its tag has there, nothing else changed, a second run a no-op."""
    with RegistryProcess() as registry:  # its own: the files name library/nginx and others
        _round_trip(registry, ca, tmp_path)


def _round_trip(registry: RegistryProcess, ca: trustme.CA, tmp_path: Path) -> None:
    expected = json.loads((CORPUS / "expected.json").read_text())
    pusher = Pusher(registry.url)
    digests: dict[str, str] = {}  # tag form -> the digest the registry gives it
    for written in sorted({text for refs in expected.values() for _, text in refs}):
        tag_form = written.split("@", 1)[0]
        ref = parse_reference(tag_form)
        pushed = pusher.push_image(ref.repository, f"corpus-{tag_form}", tag=ref.tag)
        digests[tag_form] = pushed.digest
    (tmp_path / "certs.d").mkdir()
    hosts = ["registry-1.docker.io", "docker.redpanda.com", "registry.gitlab.com"]
    served = named_hosts(ca, tmp_path / "certs.d", dict.fromkeys(hosts))
    options = served.options(use_credential_files=False)
    work_dir = tmp_path / "files"
    work_dir.mkdir()
    placed = {name: work_dir / name / name.split("__")[-1] for name in expected}
    for name, path in placed.items():  # each under its own name (Dockerfile, compose.yaml)
        path.parent.mkdir()
        shutil.copy(CORPUS / name, path)
    with Front(registry.host, override=served.route, port=443, tls=served.context):
        for attempt in (1, 2):
            work = [_read_file(path) for path in placed.values()]
            failures = asyncio.run(_resolve(work, options, version_tag=False))
            assert failures == []
            changes = sum(len(item.changes) for item in work)
            assert changes == (sum(len(refs) for refs in expected.values()) if attempt == 1 else 0)
            _write_all([(item, rewrite(item.text, item.changes)) for item in work])
    for name, refs in expected.items():
        after = placed[name].read_text()
        for _, written in refs:
            tag_form = written.split("@", 1)[0]
            tagged = tag_form if ":" in tag_form.rsplit("/", 1)[-1] else f"{tag_form}:latest"
            pinned = f"{tagged}@{digests[tag_form]}"  # a drifted pin is moved to the tag's
            assert pinned in after, (name, written)  # no tag written: :latest is added
            after = after.replace(pinned, written)
        assert after == (CORPUS / name).read_text(), name  # nothing else changed


def _read_file(path: Path) -> FileWork:
    item = read_file_work(str(path))
    assert item is not None
    return item


def test_version_tag_never_swaps_one_version_for_another(
    plain: Seeded, tmp_path: Path, run: Run
) -> None:
    """tomee tags its 10.2.0 image 10.1 too: the version name of 10.1 is 10.2.0, yet pin
    keeps the 10.1 that was written (a version is only replaced by one refining it)."""
    pushed = plain.pusher.push_image("pin/tomee", "tomee-10.2.0", tag="10.2.0")
    plain.pusher.tag(
        "pin/tomee", ["10.1", "10"], *plain.pusher.get_manifest("pin/tomee", pushed.digest)
    )
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {plain.host}/pin/tomee:10.1\n")
    result = run("pin", "--version-tag", str(dockerfile))
    assert result.code == EXIT_OK, result.err
    assert dockerfile.read_text() == f"FROM {plain.host}/pin/tomee:10.1@{pushed.digest}\n"
