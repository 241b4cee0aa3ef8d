"""--local against podman's Docker-compatible Engine API service and the real registry."""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from testkit.engine import PodmanService, answering_socket

from conftest import CliRun, Seeded
from whichtag.errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from whichtag.local.engine import Endpoint, candidate_endpoints, inspect_image

Run = Callable[..., CliRun]
REPO = "local/app"


@pytest.fixture(scope="module")
def engine(plain: Seeded) -> Iterator[PodmanService]:
    """podman's service with ``local/app:v1`` (also tagged ``stable``) pulled from the registry."""
    plain.pusher.push_image(REPO, "local-v1", tag="v1", runnable=True)
    body, media_type = plain.pusher.get_manifest(REPO, "v1")
    plain.pusher.tag(REPO, ["stable"], body, media_type)
    with PodmanService() as service:
        service.podman("pull", "--tls-verify=false", f"{plain.host}/{REPO}:v1")
        yield service


@pytest.fixture
def docker_host(engine: PodmanService, monkeypatch: pytest.MonkeyPatch) -> PodmanService:
    monkeypatch.setenv("DOCKER_HOST", engine.docker_host)
    return engine


def test_local_image_is_current_then_stale(
    plain: Seeded, docker_host: PodmanService, run: Run
) -> None:
    name = f"{plain.host}/{REPO}:v1"
    before = run("--local", name, "--json")
    assert before.code == EXIT_OK, before.err
    assert before.json["tags"] == ["stable", "v1"]
    local = before.json["local"]
    assert local["stale"] is False
    assert local["id"].startswith("sha256:") and name in local["repo_tags"]
    assert local["now"]["digest"] == before.json["digest"]
    assert f"{name} is current" in run("--local", name).out
    assert run("--local", name, "--fail-on", "stale").code == EXIT_OK

    moved = plain.pusher.push_image(REPO, "local-v1-rebuilt", tag="v1", runnable=True)
    plain.pusher.tag(REPO, ["v1.1"], *plain.pusher.get_manifest(REPO, moved.digest))
    after = run("--local", name, "--json")
    assert after.code == EXIT_OK, after.err
    assert after.json["local"]["stale"] is True
    assert after.json["local"]["now"] == {"digest": moved.digest, "tags": ["v1", "v1.1"]}
    assert after.json["tags"] == ["stable"]  # what the local image still is upstream
    human = run("--local", name)
    assert f"{name} is stale: v1 now points at {moved.digest} (v1.1)" in human.out
    assert after.json["local"]["status"] == "stale"
    failing = run("--local", name, "--json", "--fail-on", "stale")
    assert failing.code == EXIT_ERROR and failing.json["local"]["stale"] is True
    assert "stale (--fail-on stale)" in failing.err


def test_local_by_image_id(plain: Seeded, docker_host: PodmanService, run: Run) -> None:
    image_id = docker_host.podman(
        "image", "inspect", "--format", "{{.Id}}", f"{plain.host}/{REPO}:v1"
    )
    short = image_id.stdout.strip().removeprefix("sha256:")[:12]
    result = run("--local", short, "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["local"]["id"].removeprefix("sha256:").startswith(short)
    assert "stable" in result.json["tags"]  # stable never moves: the pulled image is stable


def test_local_image_with_unknown_repo_digests_is_matched_by_image_id(
    plain: Seeded, docker_host: PodmanService, run: Run, tmp_path: Path
) -> None:
    """An image whose repo digests the registry does not know (saved and loaded, so
    re-packed; or built locally) is matched upstream by its image ID."""
    local = f"{plain.host}/{REPO}:v1"
    image_id = docker_host.podman("image", "inspect", "--format", "{{.Id}}", local).stdout.strip()
    docker_host.podman("save", "-o", str(tmp_path / "image.tar"), local)
    docker_host.podman("rmi", "-f", image_id)
    docker_host.podman("load", "-i", str(tmp_path / "image.tar"))
    result = run("--local", local, "--json")
    assert result.code == EXIT_OK, result.err
    # podman load records a digest of the re-packed manifest, which the registry never saw
    assert result.json["match"] == "image-id"
    assert result.json["local"]["matched_by"] == "image-id"
    assert result.json["digest"] == "sha256:" + image_id.removeprefix("sha256:")
    assert "stable" in result.json["tags"]
    # its repo digest is unknown upstream: "current" if the tag still has this content,
    # else not the registry's image (never "stale": no known pull to compare with)
    assert result.json["local"]["stale"] is (False if "v1" in result.json["tags"] else None)
    assert "matched by image ID" in run("--local", local).out


def test_image_unknown_locally(docker_host: PodmanService, run: Run) -> None:
    result = run("--local", "no/such-image:here")
    assert result.code == EXIT_ERROR
    assert "no image 'no/such-image:here' in the local engine" in result.err
    assert "hint:" in result.err


def test_no_engine_names_the_sockets_tried(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nothing.sock")
    result = run("--local", "app:v1")
    assert result.code == EXIT_ERROR
    assert f"no container engine reachable: tried unix://{tmp_path}/nothing.sock" in result.err


def test_a_socket_that_is_not_an_engine(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "not-an-engine.sock"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    with answering_socket(path, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"):
        result = run("--local", "app:v1")
    assert result.code == EXIT_ERROR
    assert "did not answer like a container engine" in result.err


def test_reference_and_local_are_exclusive(run: Run) -> None:
    assert run().code == EXIT_USAGE
    assert run("nginx", "--local", "nginx").code == EXIT_USAGE


def test_endpoint_discovery(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/1000")
    paths = [str(endpoint) for endpoint in candidate_endpoints()]
    assert paths == [
        "unix:///var/run/docker.sock",
        "unix:///run/user/1000/podman/podman.sock",
        "unix:///run/podman/podman.sock",
    ]
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")
    assert candidate_endpoints() == [Endpoint(address="127.0.0.1:2375", source="DOCKER_HOST")]
    monkeypatch.setenv("DOCKER_HOST", "tcp://10.0.0.5:2375")
    with pytest.raises(Exception, match="not supported"):
        candidate_endpoints()


def test_current_docker_context_comes_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import hashlib
    import json

    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    config = tmp_path / "docker-config"
    meta = config / "contexts" / "meta" / hashlib.sha256(b"colima").hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(
        json.dumps({"Name": "colima", "Endpoints": {"docker": {"Host": "unix:///tmp/colima.sock"}}})
    )
    (config / "config.json").write_text(json.dumps({"currentContext": "colima"}))
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    endpoints = candidate_endpoints()
    assert endpoints[0] == Endpoint(socket="/tmp/colima.sock", source="docker context 'colima'")
    assert str(endpoints[1]) == "unix:///var/run/docker.sock"
    monkeypatch.setenv("DOCKER_CONTEXT", "default")
    assert str(candidate_endpoints()[0]) == "unix:///var/run/docker.sock"


def test_an_image_with_many_tags_is_read_whole(
    plain: Seeded, docker_host: PodmanService, run: Run
) -> None:
    """podman sends a long answer in chunks; one read() returns only what has arrived."""
    name = f"{plain.host}/{REPO}:v1"
    many = [f"localhost/many/app:t{number}" for number in range(120)]
    docker_host.podman("tag", name, *many)
    try:
        for _ in range(3):
            result = run("--local", name, "--json")
            assert result.code == EXIT_OK, result.err
            assert set(many) <= set(result.json["local"]["repo_tags"])
    finally:
        docker_host.podman("untag", name, *many)


@pytest.mark.parametrize("planted", ["fifo", "zero"])
def test_a_planted_docker_config_neither_hangs_nor_floods(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, planted: str
) -> None:
    config = tmp_path / "config.json"
    if planted == "fifo":
        os.mkfifo(config)
    else:
        config.symlink_to("/dev/zero")
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    found: list[list[Endpoint]] = []
    reader = threading.Thread(target=lambda: found.append(candidate_endpoints()), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "reading the planted config.json hung"
    assert found[0][0].source == "docker's default socket"  # no context read from the plant


def test_an_answer_arriving_in_pieces_is_read_whole(tmp_path: Path) -> None:
    """What podman's service does with a long answer, made deterministic: the chunked body
    arrives in two pieces a moment apart, so one read() would see only the first."""
    path = tmp_path / "slow-engine.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()
    tags = [f"localhost/many/app:t{number}" for number in range(80)]
    document = json.dumps(
        {"Id": "sha256:" + "ab" * 32, "RepoTags": tags, "RepoDigests": []}
    ).encode()
    half = len(document) // 2

    def answer() -> None:
        connection, _ = server.accept()
        connection.recv(65536)
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        connection.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n")
        connection.sendall(b"%x\r\n%s\r\n" % (half, document[:half]))
        time.sleep(0.3)
        rest = document[half:]
        connection.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(rest), rest))
        connection.close()

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        image = asyncio.run(inspect_image("localhost/many/app:t1", [Endpoint(socket=str(path))]))
    finally:
        server.close()
    assert image.repo_tags == tags


def test_a_tag_made_locally_is_matched_by_image_id(
    plain: Seeded, docker_host: PodmanService, run: Run
) -> None:
    """podman tag REG/app:v1 REG/app:built: the registry has no tag built, but it has the
    content under other tags; that is the answer, and "not the registry's image" the status."""
    pulled = f"{plain.host}/{REPO}:v1"
    built = f"{plain.host}/{REPO}:built-here"
    docker_host.podman("tag", pulled, built)
    try:
        result = run("--local", built, "--json")
        gated = run("--local", built, "--fail-on", "stale")
    finally:
        docker_host.podman("untag", pulled, built)
    # whether it is stale cannot be told: 3, never a silent pass
    assert gated.code == 3 and "cannot tell whether the local image is stale" in gated.err
    assert result.code == EXIT_OK, result.err
    assert result.json["local"]["matched_by"] == "image-id"
    assert result.json["local"]["status"] == "not-upstream"
    assert result.json["local"]["stale"] is None  # never "stale": it was not pulled as that tag
    assert "the tag built-here is not in the registry" in result.json["note"]
    assert "stable" in result.json["tags"]


def test_a_podman_localhost_image_is_local_only(
    docker_host: PodmanService, run: Run, tmp_path: Path
) -> None:
    """podman names local builds localhost/NAME: no registry to ask, nothing sent anywhere."""
    rootfs = tmp_path / "rootfs.tar"
    with tarfile.open(rootfs, "w") as archive:
        info = tarfile.TarInfo("hello.txt")
        payload = b"built here"
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    docker_host.podman("import", str(rootfs), "localhost/myapp:1.0.2")
    try:
        result = run("--local", "localhost/myapp:1.0.2", "--json", "--timeout", "20")
        human = run("--local", "localhost/myapp:1.0.2", "--timeout", "20")
        gated = run("--local", "localhost/myapp:1.0.2", "--fail-on", "stale", "--timeout", "20")
    finally:
        docker_host.podman("rmi", "-f", "localhost/myapp:1.0.2")
    assert result.code == EXIT_OK, result.err
    assert gated.code == EXIT_OK, gated.err  # nothing upstream to be stale against
    assert result.json["local"]["status"] == "local-only"
    assert result.json["requests"] == 0 and result.json["tags"] == []
    assert "is a local image" in result.json["note"]
    lines = human.out.splitlines()
    assert lines[1] == f"image ID: {result.json['local']['id']}"
    assert "local only (no upstream tags)" in lines[2]
    assert "digest:" not in human.out and "scanned" not in human.out
