"""``whichtag outdated`` against a real registry seeded with a version history modelled on the
official nginx image: patch, minor and major tracks, ``-alpine`` variants, a pre-release, and
``latest``/``stable``/``mainline`` moved along as releases came out."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from testkit.engine import PodmanService, answering_socket, failing_proxy
from testkit.front import Front
from testkit.registry import RegistryProcess
from testkit.seed import Pusher, image_blobs, sha256

from conftest import CliRun

Run = Callable[..., CliRun]
REPO = "library/nginx"


@dataclass
class History:
    registry: RegistryProcess
    front: Front  # records every request the registry received through it
    digests: dict[str, str]  # tag (as of now, and "old:" for the first pushes) -> digest
    amd64: str  # the amd64 manifest inside 2.0.1's index
    config_1_28_1: str  # 1.28.1's image ID (its config's digest)

    @property
    def host(self) -> str:
        return self.front.host

    def ref(self, tag: str, repo: str = REPO) -> str:
        return f"{self.host}/{repo}:{tag}"


@pytest.fixture(scope="module")
def history() -> Iterator[History]:
    with RegistryProcess() as registry:
        pusher = Pusher(registry.url)
        digests: dict[str, str] = {}
        # 1.27.3 came out as mainline and latest; later releases moved those tags along
        for tags, seed in [
            (["1.27.3", "1.27", "1", "mainline", "latest"], "1.27.3"),
            (["1.27.3-alpine", "1.27-alpine", "alpine"], "1.27.3-alpine"),
            (["1.27.4", "1.27", "1"], "1.27.4"),
            (["1.27.4-alpine", "1.27-alpine"], "1.27.4-alpine"),
            (["1.28.1", "1.28", "1", "stable"], "1.28.1"),
            (["2.1.0-rc1"], "2.1.0-rc1"),
            (["2.0.1-alpine", "2.0-alpine", "2-alpine", "alpine", "mainline-alpine"], "2.0.1a"),
        ]:
            digest = pusher.push_group(REPO, tags, seed)
            digests.update({tag: digest for tag in tags})
        amd = pusher.push_image(REPO, "2.0.1-amd64")
        arm = pusher.push_image(REPO, "2.0.1-arm64", platform=("linux", "arm64"))
        index = pusher.push_index(REPO, [(amd, ("linux", "amd64")), (arm, ("linux", "arm64"))])
        body, media_type = pusher.get_manifest(REPO, index.digest)
        moved = ["2.0.1", "2.0", "2", "mainline", "latest"]
        pusher.tag(REPO, moved, body, media_type)
        digests.update({tag: index.digest for tag in moved})
        digests["old:latest"] = digests["1.27.3"]
        # a second repository, and a first one's worth of unrelated tags to list
        for number in range(40):
            pusher.push_group(REPO, [f"build-{number}"], f"noise-{number}")
        digests["redis:7.4.2"] = pusher.push_group("redis", ["7.4.2", "7.4", "7", "latest"], "r742")
        pusher.push_group("redis", ["7.4.3", "7.4", "7", "latest"], "r743")
        with Front(registry.host) as front:
            config_id = sha256(image_blobs("1.28.1")[0])
            yield History(registry, front, digests, amd.digest, config_id)


def _lines(result: CliRun) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.out.splitlines()]


def _by_version(answers: list[dict[str, Any]]) -> dict[str | None, dict[str, Any]]:
    return {answer["version"]: answer for answer in answers}


def _pods(history: History) -> dict[str, Any]:
    """``kubectl get pods -A -o json`` as a cluster would print it: containerd's
    ``REPO@sha256:`` and docker's ``docker-pullable://`` imageIDs, an init container, a
    pod not yet scheduled (no statuses), and a runtime reporting a bare image ID."""

    def pod(name: str, spec: dict[str, Any], status: dict[str, Any] | None) -> dict[str, Any]:
        document: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "web", "uid": f"uid-{name}"},
            "spec": spec,
        }
        if status is not None:
            document["status"] = {"phase": "Running", **status}
        return document

    latest, old = history.ref("latest"), history.digests["old:latest"]
    web = pod(
        "web-7d4b9",
        {
            "initContainers": [{"name": "migrate", "image": history.ref("1.28.1")}],
            "containers": [{"name": "nginx", "image": latest}],
        },
        {
            "initContainerStatuses": [
                {
                    "name": "migrate",
                    "image": history.ref("1.28.1"),
                    "imageID": f"docker-pullable://{history.host}/{REPO}@"
                    + history.digests["1.28.1"],
                    "ready": True,
                }
            ],
            "containerStatuses": [
                {
                    "name": "nginx",
                    "image": latest,
                    "imageID": f"{history.host}/{REPO}@{old}",  # containerd's form
                    "ready": True,
                    "restartCount": 0,
                }
            ],
        },
    )
    arm = pod(
        "edge-0",
        {"containers": [{"name": "nginx", "image": latest}]},
        {
            "containerStatuses": [
                {
                    "name": "nginx",
                    "image": latest,
                    "imageID": f"{history.host}/{REPO}@{history.amd64}",  # a platform manifest
                }
            ]
        },
    )
    legacy = pod(  # a runtime that reports only the image ID (the config digest)
        "legacy-0",
        {"containers": [{"name": "nginx", "image": history.ref("1.28")}]},
        {
            "containerStatuses": [
                {
                    "name": "nginx",
                    "image": history.ref("1.28"),
                    "imageID": f"docker://{history.config_1_28_1}",
                }
            ]
        },
    )
    pending = pod(
        "queued-1", {"containers": [{"name": "cache", "image": history.ref("7.4", "redis")}]}, None
    )
    items = [web, arm, legacy, pending]
    return {"apiVersion": "v1", "kind": "List", "items": items, "metadata": {}}


def test_pods_a_running_latest_is_named_by_its_version(
    history: History, run: Run, tmp_path: Path
) -> None:
    pods = tmp_path / "pods.json"
    pods.write_text(json.dumps(_pods(history)))
    result = run("outdated", "--pods", str(pods), "--json")
    assert result.code == 0, result.err
    lines = _lines(result)
    legacy = [answer for answer in lines if answer["where"][0]["pod"] == "legacy-0"]
    assert len(legacy) == 1  # matched by image ID: the manifest whose config it is
    assert legacy[0]["version"] == "1.28.1" and legacy[0]["digest"] == history.digests["1.28.1"]
    assert legacy[0]["stale"] is False  # 1.28 still has that image
    answers = _by_version([answer for answer in lines if answer not in legacy])
    old = answers["1.27.3"]  # latest, as running: the digest latest had when it was pulled
    assert old["digest"] == history.digests["old:latest"]
    assert old["tag_digest"] == history.digests["latest"]
    assert old["stale"] is True
    assert old["newer"] == {"patch": "1.27.4", "minor": "1.28.1", "major": "2.0.1"}
    assert old["where"] == [
        {
            "source": "pod",
            "namespace": "web",
            "pod": "web-7d4b9",
            "container": "nginx",
            "reference": f"{history.host}/{REPO}:latest",  # the place's own, as written
        }
    ]
    assert old["reference"] == f"{history.host}/{REPO}:latest"
    assert (old["registry"], old["repository"], old["complete"], old["errors"]) == (
        history.host,
        REPO,
        True,
        [],
    )
    # one of the index's platform manifests running under latest: latest, not stale
    edge = answers["2.0.1"]
    assert edge["digest"] == history.amd64
    assert edge["stale"] is False
    assert edge["newer"] == {"patch": None, "minor": None, "major": None}  # no rc offered
    init = answers["1.28.1"]
    assert init["where"][0]["container"] == "migrate" and init["stale"] is False
    assert init["newer"] == {"patch": None, "minor": None, "major": "2.0.1"}
    queued = answers["7.4.3"]  # no status: the spec's tag, as it points now
    assert queued["repository"] == "redis" and queued["stale"] is False
    [place] = queued["where"]
    assert place == {
        "source": "pod",
        "namespace": "web",
        "pod": "queued-1",
        "container": "cache",
        "reference": place["reference"],
    }
    assert place["reference"].endswith("/redis:7.4")  # the spec's image, as written


def test_files_and_lists_together(history: History, run: Run, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM {history.ref('1.28.1')}\nRUN true\n")
    (tmp_path / "compose.yaml").write_text(
        f"services:\n  web:\n    image: {history.ref('1.27-alpine')}\n"
        f"  proxy:\n    image: {history.ref('1.28.1')}\n"
    )
    refs = tmp_path / "refs.txt"
    digest_only = f"{history.host}/{REPO}@{history.digests['1.27.3']}"
    refs.write_text(f"# in use elsewhere\n{digest_only}\n\n{history.ref('2.1.0-rc1')}\n")
    result = run("outdated", str(tmp_path), "-f", str(refs), "--json")
    assert result.code == 0, result.err
    answers = _by_version(_lines(result))
    assert len(_lines(result)) == 4  # 1.28.1 twice in files: one image, two places
    pinned = answers["1.28.1"]
    assert [(w["source"], Path(w["path"]).name, w["line"]) for w in pinned["where"]] == [
        ("file", "Dockerfile", 1),
        ("file", "compose.yaml", 5),
    ]
    alpine = answers["1.27.4-alpine"]  # 1.27-alpine is named by the tag refining it
    assert alpine["newer"] == {"patch": None, "minor": None, "major": "2.0.1-alpine"}
    by_digest = answers["1.27.3"]  # a digest-only reference
    assert by_digest["where"] == [{"source": "list", "line": 2, "reference": digest_only}]
    assert by_digest["tag_digest"] is None and by_digest["stale"] is None
    assert by_digest["newer"]["patch"] == "1.27.4"
    rc = answers["2.1.0-rc1"]
    assert rc["newer"] == {"patch": None, "minor": None, "major": None}


def test_one_listing_per_repository_and_no_scan_for_a_fresh_version_tag(
    history: History, run: Run, tmp_path: Path
) -> None:
    refs = tmp_path / "refs.txt"
    refs.write_text(
        "\n".join(
            [
                history.ref("latest"),
                history.ref("1.28.1"),
                history.ref("stable"),
                history.ref("2.0.1"),
                history.ref("7.4.3", "redis"),
                history.ref("latest", "redis"),
            ]
        )
    )
    history.front.seen.clear()
    result = run("outdated", "-f", str(refs), "--json")
    assert result.code == 0, result.err
    listings = [seen.path for seen in history.front.seen if "/tags/list" in seen.path]
    assert sorted(path.split("?")[0] for path in listings) == [
        f"/v2/{REPO}/tags/list",
        "/v2/redis/tags/list",
    ]
    heads = Counter(seen.path for seen in history.front.seen if seen.method == "HEAD")
    assert not any("build-" in path for path in heads)  # only version tags are ever asked
    # fresh version tags (1.28.1, 2.0.1; stable and latest are the same images) cost no scan
    assert len(heads) == 6 and set(heads.values()) == {1}, heads
    answers = _by_version(_lines(result))
    assert answers["2.0.1"]["stale"] is False and answers["7.4.3"]["stale"] is False
    assert len(answers["2.0.1"]["where"]) == 2  # latest and 2.0.1 are one image


def test_the_images_of_a_repository_share_one_scan(
    history: History, run: Run, tmp_path: Path
) -> None:
    refs = tmp_path / "refs.txt"
    old = history.digests["old:latest"]
    refs.write_text(
        f"{history.host}/{REPO}@{old}\n{history.ref('1.27-alpine')}\n{history.ref('alpine')}\n"
    )
    history.front.seen.clear()
    result = run("outdated", "-f", str(refs), "--json")
    assert result.code == 0, result.err
    assert [answer["version"] for answer in _lines(result)] == [
        "1.27.3",
        "1.27.4-alpine",
        "2.0.1-alpine",
    ]
    heads = Counter(
        seen.path.rpartition("/")[2] for seen in history.front.seen if seen.method == "HEAD"
    )
    # each version tag asked once for all three images; a place's own tag at most twice
    # (what it points at, then in the scan)
    assert all(count == 1 for tag, count in heads.items() if "alpine" not in tag), heads
    assert max(heads.values()) <= 2 and "build-1" not in heads


def test_prometheus_output_is_accepted_by_promtool(
    history: History, run: Run, tmp_path: Path
) -> None:
    promtool = shutil.which("promtool")
    assert promtool is not None, (
        "promtool (Debian package prometheus; scripts/setup.sh installs it)"
    )
    pods = tmp_path / "pods.json"
    pods.write_text(json.dumps(_pods(history)))
    result = run("outdated", "--pods", str(pods), "--format", "prometheus")
    assert result.code == 0, result.err
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=result.out, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for metric in ("whichtag_image_info", "whichtag_image_stale", "whichtag_image_checked"):
        assert result.out.count(f"# TYPE {metric} gauge") == 1
        assert result.out.count(f"# HELP {metric} ") == 1
    old = history.digests["old:latest"]
    at = (
        f'image="{history.host}/{REPO}:latest",digest="{old}",source="pod",file="",line="",'
        'namespace="web",pod="web-7d4b9",container="nginx"'
    )
    assert f'whichtag_image_info{{{at},version="1.27.3"}} 1' in result.out
    assert f"whichtag_image_stale{{{at}}} 1" in result.out
    assert f'whichtag_image_update_available{{{at},kind="major",newest="2.0.1"}} 1' in result.out


@pytest.mark.parametrize(
    ("fail_on", "refs", "code"),
    [
        ("stale", ["1.28.1"], 0),
        ("major", ["1.28.1"], 1),
        ("minor", ["1.28.1"], 1),  # a major update is out: minor or bigger
        ("patch", ["1.27.3"], 1),
        ("patch", ["2.0.1"], 0),
    ],
)
def test_fail_on(
    history: History, run: Run, tmp_path: Path, fail_on: str, refs: list[str], code: int
) -> None:
    listed = tmp_path / "refs.txt"
    listed.write_text("\n".join(history.ref(tag) for tag in refs))
    result = run("outdated", "-f", str(listed), "--fail-on", fail_on)
    assert result.code == code, result.err
    if code:
        assert f"--fail-on {fail_on}" in result.err


def test_fail_on_stale_with_a_moved_tag(history: History, run: Run, tmp_path: Path) -> None:
    listed = tmp_path / "refs.txt"
    listed.write_text(f"{history.ref('latest')}@{history.digests['old:latest']}\n")
    result = run("outdated", "-f", str(listed), "--fail-on", "stale", "--format", "tsv")
    assert result.code == 1
    header, line = [row.split("\t") for row in result.out.strip().splitlines()]
    assert line[header.index("VERSION")] == "1.27.3" and line[header.index("STALE")] == "stale"


def test_an_unknown_tag_is_an_incomplete_answer(history: History, run: Run, tmp_path: Path) -> None:
    listed = tmp_path / "refs.txt"
    listed.write_text(f"{history.ref('9.9.9')}\n{history.ref('1.28.1')}\n")
    result = run("outdated", "-f", str(listed), "--json")
    assert result.code == 3
    answers = _lines(result)
    assert [answer["complete"] for answer in answers] == [True, False]
    assert answers[1]["errors"] and "9.9.9" in result.err


def test_usage_errors(run: Run) -> None:
    result = run("outdated")
    assert result.code == 2 and "nothing to look at" in result.err and "Traceback" not in result.err
    result = run("outdated", "--pods", "-", stdin="{not json")
    assert result.code == 2 and "not JSON" in result.err
    result = run("outdated", "--pods", "/no/such/pods.json")
    assert result.code == 2 and "cannot read /no/such/pods.json" in result.err
    assert "hint: kubectl get pods -A -o json" in result.err


@pytest.fixture(scope="module")
def engine(history: History) -> Iterator[tuple[PodmanService, dict[str, str]]]:
    """podman's service running a container of ``app/web:latest`` (1.0.0), after which
    1.0.1 and 1.1.0 came out and ``latest`` moved on."""
    pusher = Pusher(history.registry.url)
    digests = {}
    for tags, seed in [(["1.0.0", "1.0", "1", "latest"], "web-1.0.0")]:
        pushed = pusher.push_image("app/web", seed, tag=tags[0], sleeper=True)
        pusher.tag("app/web", tags[1:], *pusher.get_manifest("app/web", pushed.digest))
        digests.update({tag: pushed.digest for tag in tags})
    with PodmanService() as service:
        image = f"{history.registry.host}/app/web:latest"
        service.podman("pull", "--tls-verify=false", image)
        service.run_container("web1", image)
        service.podman("tag", image, "localhost/mine:dev")  # as podman names local builds
        service.run_container("mine1", "localhost/mine:dev")
        for tags, seed in [
            (["1.0.1", "1.0", "1", "latest"], "web-1.0.1"),
            (["1.1.0", "1.1"], "web-1.1.0"),
        ]:
            pushed = pusher.push_image("app/web", seed, tag=tags[0], sleeper=True)
            pusher.tag("app/web", tags[1:], *pusher.get_manifest("app/web", pushed.digest))
            digests.update({tag: pushed.digest for tag in tags})
        digests["running"] = digests["1.0.0"]
        yield service, digests


def test_engine_a_running_container_whose_tag_moved(
    history: History,
    engine: tuple[PodmanService, dict[str, str]],
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    service, digests = engine
    monkeypatch.setenv("DOCKER_HOST", service.docker_host)
    result = run("outdated", "--engine", "--json")
    assert result.code == 0, result.err
    [answer] = _lines(result)  # the locally made one has nothing upstream: a note, no answer
    assert "container mine1: localhost/mine:dev was made locally" in result.err
    assert answer["reference"] == f"{history.registry.host}/app/web:latest"
    assert answer["digest"] == digests["running"]
    assert answer["version"] == "1.0.0"
    assert (answer["stale"], answer["tag_digest"]) == (True, digests["latest"])
    assert answer["newer"] == {"patch": "1.0.1", "minor": "1.1.0", "major": "1.1.0"}
    [place] = answer["where"]
    assert place["source"] == "engine" and place["container"] == "web1"
    assert len(place["id"]) == 64
    failing = run("outdated", "--engine", "--fail-on", "stale")
    assert failing.code == 1 and "--fail-on stale" in failing.err
    # the policy file's ignore: applies to running containers too: never asked
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"ignore: ['{history.registry.host}/app/*']\n")
    ignored = run("outdated", "--engine", "--json", "--fail-on", "stale", "--config", str(policy))
    assert ignored.code == 0 and ignored.out == "", ignored.err
    assert "1 reference(s) ignored by policy.yaml" in ignored.err


def test_an_engine_image_that_cannot_be_inspected_is_a_place_not_asked(
    engine: tuple[PodmanService, dict[str, str]],
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The running containers' image removed meanwhile (or an engine error): each container
    is a place not asked, never only a note, and the run cannot tell (3)."""
    service, _ = engine
    proxy = tmp_path / "proxy.sock"
    with failing_proxy(proxy, service.socket, "/images/") as refused:
        monkeypatch.setenv("DOCKER_HOST", f"unix://{proxy}")
        result = run("outdated", "--engine", "--json")
        gated = run("outdated", "--engine", "--fail-on", "major")
    assert refused, "the engine's image inspect was not asked through the proxy"
    assert result.code == 3, result.err
    assert result.out == ""
    assert "warning: container web1:" in result.err and "warning: container mine1:" in result.err
    assert "2 place(s) not asked" in result.err
    assert gated.code == 3, gated.err


def test_the_table_is_the_same_through_a_pipe_and_names_every_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A header line and the same columns on a terminal and off one; short digests (whole in
    TSV); every place in WHERE through a pipe, the first two and ``+N more`` only on a
    terminal too narrow for them; server text escaped."""
    from whichtag.answer.outdated import Outdated
    from whichtag.cli.outdated import _print_table
    from whichtag.names.reference import parse_reference
    from whichtag.names.versions import Updates

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    places = [{"source": "file", "path": f"k8s/app{n}.yaml", "line": n} for n in range(1, 5)]
    answer = Outdated(
        parse_reference("registry.example/app:latest"),
        "sha256:" + "a" * 64,
        version="1.27.3\u202e",  # server text: escaped, never a control character
        stale=True,
        updates=Updates("1.27.4", "1.28.1", None),
        where=places,
        place_tags=["latest", "stable", "latest", None],
    )
    piped = io.StringIO()
    _print_table([answer], piped, tsv=False, wide=False)
    header, row = piped.getvalue().splitlines()
    assert header.split() == [
        "IMAGE",
        "TAG",
        "IN",
        "USE",
        "VERSION",
        "PATCH",
        "MINOR",
        "MAJOR",
        "STALE",
        "WHERE",
    ]
    assert row.split(None, 8) == [
        "registry.example/app",
        "latest,stable",
        "sha256:aaaaaaaaaaaa",
        "1.27.3\\u202e",
        "1.27.4",
        "1.28.1",
        "-",
        "stale",
        "k8s/app1.yaml:1, k8s/app2.yaml:2, k8s/app3.yaml:3, k8s/app4.yaml:4",
    ]
    assert header.index("VERSION") == row.index("1.27.3")  # columns line up
    monkeypatch.setenv("NO_COLOR", "1")
    wide_terminal = Terminal()
    monkeypatch.setattr("shutil.get_terminal_size", lambda: os.terminal_size((300, 40)))
    _print_table([answer], wide_terminal, tsv=False, wide=False)
    assert wide_terminal.getvalue() == piped.getvalue()  # no colour asked for: the same text
    narrow = Terminal()
    monkeypatch.setattr("shutil.get_terminal_size", lambda: os.terminal_size((80, 40)))
    _print_table([answer], narrow, tsv=False, wide=False)
    assert narrow.getvalue().splitlines()[1].endswith("k8s/app2.yaml:2, +2 more")
    tsv = io.StringIO()
    _print_table([answer], tsv, tsv=True, wide=False)
    fields = tsv.getvalue().splitlines()[1].split("\t")
    assert fields[2] == "sha256:" + "a" * 64 and fields[3] == "1.27.3\\u202e"


@pytest.mark.parametrize(
    ("image_id", "digest", "config"),
    [
        ("docker-pullable://nginx@sha256:" + "1" * 64, "sha256:" + "1" * 64, None),
        ("docker.io/library/nginx@sha256:" + "2" * 64, "sha256:" + "2" * 64, None),
        ("containerd://sha256:" + "3" * 64, None, "sha256:" + "3" * 64),
        ("sha256:" + "4" * 64, None, "sha256:" + "4" * 64),
        ("", None, None),  # not started yet
    ],
)
def test_pod_image_ids(image_id: str, digest: str | None, config: str | None) -> None:
    from whichtag.files.pods import pod_images

    pod = {
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
        "status": {"containerStatuses": [{"name": "c", "image": "x", "imageID": image_id}]},
    }
    [found] = pod_images(json.dumps(pod))
    assert (found.image, found.digest, found.image_id) == ("nginx:1.27", digest, config)


@pytest.mark.parametrize(
    "image_id", ["docker-pullable://nginx@sha256:short", "sha256:xyz", "@sha256:" + "1" * 64]
)
def test_an_unreadable_image_id_is_an_error(image_id: str) -> None:
    """Asking about the tag instead would answer for another image than the one running."""
    from whichtag.errors import UsageError
    from whichtag.files.pods import pod_images

    pod = {
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
        "status": {"containerStatuses": [{"name": "c", "imageID": image_id}]},
    }
    with pytest.raises(UsageError) as raised:
        pod_images(json.dumps(pod))
    assert "pod ns/p c: unreadable imageID" in raised.value.message


@pytest.mark.parametrize("document", ["[]", '{"kind": "Service"}', '"text"', "{"])
def test_pods_that_are_not_pods(document: str) -> None:
    from whichtag.errors import UsageError
    from whichtag.files.pods import pod_images

    with pytest.raises(UsageError) as raised:
        pod_images(document, "pods.json")
    assert "pods.json" in raised.value.message and raised.value.hint
    if "Service" in document:
        assert "pods.json is a Service, not a Pod" in raised.value.message


def test_every_source_at_once(history: History, run: Run, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM {history.ref('1.28.1')}\n")
    refs = tmp_path / "refs.txt"
    refs.write_text(history.ref("stable") + "\n")
    pods = tmp_path / "pods.json"
    pods.write_text(json.dumps(_pods(history)))
    result = run(
        "outdated",
        str(tmp_path / "Dockerfile"),
        "-f",
        str(refs),
        "--pods",
        str(pods),
        "--format",
        "tsv",
    )
    assert result.code == 0, result.err
    rows = [line.split("\t") for line in result.out.splitlines()[1:]]
    current = [row for row in rows if row[3] == "1.28.1" and row[2] != "-"]
    # the init container (by digest), the Dockerfile and stable (same image): one row
    assert len([row for row in current if "1.28.1" in row[1].split(",")]) == 1
    json_run = run(
        "outdated", str(tmp_path / "Dockerfile"), "-f", str(refs), "--pods", str(pods), "--json"
    )
    sources = {
        tuple(sorted({place["source"] for place in answer["where"]}))
        for answer in _lines(json_run)
        if answer["digest"] == history.digests["1.28.1"]
    }
    assert ("file", "list", "pod") in sources


def test_nothing_in_use_is_nothing_outdated(run: Run, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    result = run("outdated", str(tmp_path), "--format", "prometheus")
    assert result.code == 0 and "no image in use found" in result.err
    assert result.out.count("# TYPE ") == 6 and "whichtag_image_info{" not in result.out
    assert "whichtag_last_run_complete 1" in result.out


def test_the_library_answers_the_same(history: History) -> None:
    import asyncio

    from whichtag import Client, InUse, Options, check_outdated, parse_reference

    async def ask() -> list[Any]:
        async with Client(Options(plain_http=True)) as client:
            place = {"source": "list", "line": 1}
            return await check_outdated(
                client, [InUse(parse_reference(history.ref("1.27")), place)]
            )

    [answer] = asyncio.run(ask())
    assert (answer.version, answer.stale, answer.newer.patch) == ("1.27.4", False, None)
    assert answer.to_json()["newer"] == {"patch": None, "minor": "1.28.1", "major": "2.0.1"}


def test_a_moved_tag_beside_a_version_tag_is_stale(
    history: History, run: Run, tmp_path: Path
) -> None:
    """nginx:1.27.3 names the image without a scan; latest pinned to the same digest has
    moved on since, so the image is stale."""
    refs = tmp_path / "refs.txt"
    old = history.digests["old:latest"]
    refs.write_text(f"{history.ref('1.27.3')}\n{history.ref('latest')}@{old}\n")
    result = run("outdated", "-f", str(refs), "--json")
    assert result.code == 0, result.err
    [answer] = _lines(result)
    assert (answer["version"], answer["digest"], answer["stale"]) == ("1.27.3", old, True)
    assert answer["tag_digest"] == old  # the first place's tag, 1.27.3, still points at it
    assert len(answer["where"]) == 2


def test_places_not_asked_make_the_answer_incomplete(
    history: History, run: Run, tmp_path: Path
) -> None:
    (tmp_path / "Dockerfile").write_text(
        f"ARG BASE\nFROM ${{BASE}}\nFROM {history.ref('1.28.1')}\n"  # BASE: --build-arg only
    )
    refs = tmp_path / "refs.txt"
    refs.write_text(f"{history.ref('1.28.1')}\nNot A/Reference!\n")
    result = run("outdated", str(tmp_path / "Dockerfile"), "-f", str(refs), "--json")
    assert result.code == 3, result.err
    [answer] = _lines(result)  # what could be asked is answered
    assert answer["version"] == "1.28.1" and answer["complete"] is True
    assert "line 2:" in result.err  # each place not asked is named
    assert "2 place(s) not asked" in result.err and "Traceback" not in result.err
    failing = run("outdated", "-f", str(refs), "--fail-on", "major")
    assert failing.code == 1  # --fail-on still says what it was asked


def test_a_container_without_a_status_is_asked_as_its_spec_says() -> None:
    from whichtag.files.pods import pod_images

    pod = {  # initialising: the init container has a status, the container none yet
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {
            "initContainers": [{"name": "init", "image": "busybox:1.37"}],
            "containers": [{"name": "app", "image": "nginx:1.27"}],
        },
        "status": {
            "initContainerStatuses": [
                {"name": "init", "image": "busybox:1.37", "imageID": "sha256:" + "5" * 64}
            ]
        },
    }
    found = [
        (image.container, image.image, image.image_id) for image in pod_images(json.dumps(pod))
    ]
    assert found == [("init", "busybox:1.37", "sha256:" + "5" * 64), ("app", "nginx:1.27", None)]


@pytest.mark.parametrize(
    ("pod", "said"),
    [
        ({"spec": {"containers": {"name": "c"}}}, "spec.containers is not a list"),
        ({"spec": {"containers": [{"name": "c"}]}}, "container 'c' names no image"),
        ({"status": {"containerStatuses": ["text"]}}, "status.containerStatuses is not a list"),
    ],
)
def test_a_pod_container_is_never_skipped_quietly(pod: dict[str, Any], said: str) -> None:
    from whichtag.errors import UsageError
    from whichtag.files.pods import pod_images

    document = {"kind": "List", "items": [{"kind": "Pod", "metadata": {"name": "p"}, **pod}]}
    with pytest.raises(UsageError) as raised:
        pod_images(json.dumps(document))
    assert said in raised.value.message and "pod default/p" in raised.value.message
    with pytest.raises(UsageError):
        pod_images(json.dumps({"kind": "List", "items": ["not a pod"]}))


@pytest.mark.parametrize(
    ("containers", "bound", "said"),
    [
        ([{"Id": "a" * 64, "Image": "nginx:1.27"}], 10, "listed a container without Id, Image"),
        ([{"Id": "a", "Image": "x", "ImageID": "sha256:b"}] * 3, 2, "runs 3 containers"),
    ],
)
def test_an_engine_list_is_taken_whole_or_refused(
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    containers: list[dict[str, str]],
    bound: int,
    said: str,
) -> None:
    import whichtag.local.engine

    monkeypatch.setattr(whichtag.local.engine, "MAX_CONTAINERS", bound)
    body = json.dumps(containers).encode()
    response = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    path = tmp_path / "engine.sock"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    with answering_socket(path, response):
        result = run("outdated", "--engine")
    assert result.code == 1 and said in result.err and "hint:" in result.err


WORKLOADS = Path(__file__).parent / "data" / "kubernetes" / "workloads.json"


def _workloads(history: History) -> str:
    """``tests/data/kubernetes/workloads.json`` with the test registry's host and digests."""
    text = WORKLOADS.read_text().replace("REGISTRY", history.host)
    for tag in ("1.27.3", "1.27.4"):
        text = text.replace("DIGEST_" + tag.replace(".", "_"), history.digests[tag])
    return text


def _place(answer: dict[str, Any], **wanted: str) -> dict[str, Any]:
    places: list[dict[str, Any]] = answer["where"]
    [place] = [p for p in places if all(p.get(k) == v for k, v in wanted.items())]
    return place


def test_pods_reads_workloads_through_their_templates(
    history: History, run: Run, tmp_path: Path
) -> None:
    workloads = tmp_path / "workloads.json"
    workloads.write_text(_workloads(history))
    result = run("outdated", "--pods", str(workloads), "--json")
    assert result.code == 0, result.err
    answers = _by_version(_lines(result))
    nginx = f"{history.host}/{REPO}"
    # a Deployment's and its ReplicaSet's template ask for 1.27 as written: what it is now
    now = answers["1.27.4"]
    assert now["digest"] == history.digests["1.27.4"]
    assert _place(now, kind="Deployment") == {
        "source": "workload",
        "namespace": "web",
        "kind": "Deployment",
        "name": "web",
        "container": "nginx",
        "reference": f"{nginx}:1.27",
    }
    assert _place(now, kind="ReplicaSet")["name"] == "web-7d4b9"
    assert _place(now, source="pod")["container"] == "nginx"  # the pod running it
    assert now["stale"] is False  # the pod's tag still has it; templates are never stale
    assert now["updates"]["minor"] == "1.28.1"
    # the Job's template (1.27.3) and the debug container that runs 1.27.3 under 1.27:
    # stale by the pod alone
    old = answers["1.27.3"]
    assert _place(old, kind="Job")["container"] == "migrate"
    assert _place(old, source="pod")["container"] == "debugger"  # ephemeralContainerStatuses
    assert old["stale"] is True
    # only templates: nothing runs, nothing is stale
    for version, kind, container in [
        ("2.0.1", "DaemonSet", "proxy"),
        ("1.28.1", "DaemonSet", "setup"),  # an init container of a template
        ("7.4.3", "StatefulSet", "redis"),
        ("7.4.2", "CronJob", "report"),  # through spec.jobTemplate.spec.template
    ]:
        answer = answers[version]
        assert _place(answer, kind=kind)["container"] == container, version
        assert answer["stale"] is None and answer["complete"], version
    assert answers["7.4.2"]["updates"]["patch"] == "7.4.3"
    assert answers["7.4.2"]["digest"] == history.digests["redis:7.4.2"]
    # the per-place series: a template's pod label is KIND/NAME, and it has no stale sample
    metrics = run("outdated", "--pods", str(workloads), "--format", "prometheus")
    assert metrics.code == 0, metrics.err
    stale = [line for line in metrics.out.splitlines() if line.startswith("whichtag_image_stale{")]
    assert stale and not [line for line in stale if 'source="workload"' in line]
    assert 'source="pod",file="",line="",namespace="web",pod="web-7d4b9-x2k4q"' in metrics.out
    assert (
        'source="workload",file="",line="",namespace="web",pod="Deployment/web",'
        'container="nginx"' in metrics.out
    )
    table = run("outdated", "--pods", str(workloads), "--format", "tsv")
    assert "web/CronJob/report/report" in table.out


def test_pods_refuses_kinds_it_does_not_read_and_an_empty_list_is_empty(
    run: Run, tmp_path: Path
) -> None:
    listing = {
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"resourceVersion": ""},
        "items": [
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"}},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "conf"}},
        ],
    }
    services = tmp_path / "services.json"
    services.write_text(json.dumps(listing))
    result = run("outdated", "--pods", str(services), "--json")
    assert result.code == 2 and result.out == ""
    assert "lists kinds --pods does not read: Service (2), ConfigMap" in result.err
    assert "no image in use" not in result.err
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({**listing, "items": []}))
    result = run("outdated", "--pods", str(empty), "--json")
    assert result.code == 0 and result.out == ""
    assert "empty.json lists no pods or workloads" in result.err


def test_a_workload_without_a_template_is_an_error() -> None:
    from whichtag.errors import UsageError
    from whichtag.files.pods import pod_images

    cronjob = {"kind": "CronJob", "metadata": {"name": "r", "namespace": "ns"}, "spec": {}}
    with pytest.raises(UsageError) as raised:
        pod_images(json.dumps(cronjob))
    assert "cronjob ns/r has no spec.jobTemplate.spec.template" in raised.value.message
    deployment = {
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "ns"},
        "spec": {"template": {"spec": {"containers": [{"name": "c"}]}}},
    }
    with pytest.raises(UsageError) as raised:
        pod_images(json.dumps(deployment))
    assert "deployment ns/d: container 'c' names no image" in raised.value.message
