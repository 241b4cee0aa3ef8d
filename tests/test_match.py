"""Platforms, platform digests and image IDs against the real registry; the manifest cache."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from testkit.front import Front
from testkit.seed import image_blobs

from conftest import CliRun, Seeded
from whichtag.errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE, UsageError
from whichtag.names.platforms import Platform, parse_platform
from whichtag.registry.cache import DigestCache

Run = Callable[..., CliRun]
REPO = "plat/app"


@dataclass
class Platforms:
    m1: str  # linux/amd64, in both indexes and tagged alone
    m2: str  # linux/arm64 of index A
    m3: str  # linux/arm64 of index B
    v7: str  # linux/arm/v7 of index A
    a: str
    b: str
    image_id: str  # the config shared by s2 (Docker schema 2) and oci (OCI)


@pytest.fixture(scope="module")
def platforms(plain: Seeded) -> Platforms:
    """Index A (amd64 M1, arm64 M2, arm/v7) on 1.0 and latest; index B (amd64 M1, arm64 M3)
    on 1.0-rebuild; M1 alone on 1.0-amd64; one image config as Docker s2 and OCI oci."""
    push = plain.pusher
    m1 = push.push_image(REPO, "m1", oci=True)
    m2 = push.push_image(REPO, "m2", oci=True, platform=("linux", "arm64"))
    m3 = push.push_image(REPO, "m3", oci=True, platform=("linux", "arm64"))
    v6 = push.push_image(REPO, "v6", oci=True, platform=("linux", "arm", "v6"))
    v7 = push.push_image(REPO, "v7", oci=True, platform=("linux", "arm", "v7"))
    a = push.push_index(
        REPO,
        [
            (m1, ("linux", "amd64")),
            (m2, ("linux", "arm64")),
            (v6, ("linux", "arm", "v6")),  # before v7: the variant must decide
            (v7, ("linux", "arm", "v7")),
        ],
        tag="latest",
    )
    body, media_type = push.get_manifest(REPO, a.digest)
    push.tag(REPO, ["1.0"], body, media_type)
    b = push.push_index(
        REPO, [(m1, ("linux", "amd64")), (m3, ("linux", "arm64"))], tag="1.0-rebuild"
    )
    m1_body, m1_type = push.get_manifest(REPO, m1.digest)
    push.tag(REPO, ["1.0-amd64"], m1_body, m1_type)
    push.push_image(REPO, "shared", oci=False, tag="s2")
    push.push_image(REPO, "shared", oci=True, tag="oci")
    config, _ = image_blobs("shared")
    return Platforms(
        m1.digest,
        m2.digest,
        m3.digest,
        v7.digest,
        a.digest,
        b.digest,
        "sha256:" + hashlib.sha256(config).hexdigest(),
    )


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_platform_amd64(plain: Seeded, platforms: Platforms, run: Run) -> None:
    result = run(f"{plain.host}/{REPO}:latest", "--platform", "linux/amd64", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ["1.0", "1.0-amd64", "1.0-rebuild", "latest"]
    assert result.json["match"] == "platform" and result.json["platform"] == "linux/amd64"
    assert result.json["digest"] == platforms.m1
    assert result.json["via"] == {
        "1.0": platforms.a,
        "latest": platforms.a,
        "1.0-rebuild": platforms.b,
    }


def test_platform_arm64_and_arm_v7(plain: Seeded, platforms: Platforms, run: Run) -> None:
    arm64 = run(f"{plain.host}/{REPO}:latest", "--platform", "linux/arm64", "--json")
    assert arm64.code == EXIT_OK, arm64.err
    assert arm64.json["tags"] == ["1.0", "latest"]
    assert arm64.json["digest"] == platforms.m2
    arm = run(f"{plain.host}/{REPO}:1.0", "--platform", "linux/arm/v7", "--json")
    assert arm.json["tags"] == ["1.0", "latest"] and arm.json["digest"] == platforms.v7
    human = run(f"{plain.host}/{REPO}:latest", "--platform", "linux/arm64")
    assert f"platform manifest (linux/arm64): {platforms.m2}" in human.out
    assert f"  latest  (via index {platforms.a})" in human.out


def test_platform_the_index_lacks(plain: Seeded, platforms: Platforms, run: Run) -> None:
    result = run(f"{plain.host}/{REPO}:1.0-rebuild", "--platform", "linux/s390x")
    assert result.code != EXIT_OK
    assert "has no linux/s390x image (it has: linux/amd64, linux/arm64)" in result.err


def test_platform_digest_as_input(plain: Seeded, platforms: Platforms, run: Run) -> None:
    result = run(f"{plain.host}/{REPO}@{platforms.m2}", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ["1.0", "latest"]
    assert result.json["via"] == {"1.0": platforms.a, "latest": platforms.a}
    assert result.json["note"] == f"{platforms.m2} is the linux/arm64 image of index {platforms.a}"
    human = run(f"{plain.host}/{REPO}@{platforms.m2}")
    assert f"{platforms.m2} is the linux/arm64 image of index {platforms.a}" in human.out


def test_image_id_matches_docker_and_oci_manifests(
    plain: Seeded, platforms: Platforms, run: Run
) -> None:
    full = run(f"{plain.host}/{REPO}", "--image-id", platforms.image_id, "--json")
    assert full.code == EXIT_OK, full.err
    assert full.json["tags"] == ["oci", "s2"]
    assert full.json["match"] == "image-id" and full.json["digest"] == platforms.image_id
    short = platforms.image_id.split(":")[1][:12]
    assert run(f"{plain.host}/{REPO}", "--image-id", short, "--json").json["tags"] == ["oci", "s2"]
    too_short = run(f"{plain.host}/{REPO}", "--image-id", short[:8])
    assert too_short.code == EXIT_USAGE and "at least its first 12 hex digits" in too_short.err


def test_image_id_through_an_index_says_which_platform(
    plain: Seeded, platforms: Platforms, run: Run
) -> None:
    config, _ = image_blobs("m2", ("linux", "arm64"))
    image_id = "sha256:" + hashlib.sha256(config).hexdigest()
    result = run(f"{plain.host}/{REPO}", "--image-id", image_id, "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ["1.0", "latest"]
    assert result.json["via"] == {"1.0": platforms.a, "latest": platforms.a}
    assert "linux/arm64 image of index" in result.json["note"]
    amd_only = run(f"{plain.host}/{REPO}", "--image-id", image_id, "--platform", "linux/amd64")
    assert "no tag points at this image ID" in amd_only.out


def test_warm_cache_makes_no_manifest_get(plain: Seeded, platforms: Platforms, run: Run) -> None:
    with Front(plain.host) as front:
        reference = f"{front.host}/{REPO}:latest"

        def gets() -> int:
            return sum(
                1 for s in front.seen if s.method == "GET" and "/manifests/sha256:" in s.path
            )

        cold = run(reference, "--platform", "linux/amd64", "--json")
        cold_gets = gets()
        front.seen.clear()
        warm = run(reference, "--platform", "linux/amd64", "--json")
        warm_gets = gets()
        front.seen.clear()
        bypass = run(reference, "--platform", "linux/amd64", "--json", "--no-cache")
        bypass_gets = gets()
    assert cold.json["tags"] == warm.json["tags"] == bypass.json["tags"]
    assert cold_gets >= 2  # the two indexes
    assert warm_gets == 0
    assert bypass_gets == cold_gets


# -- the cache on its own ------------------------------------------------------------------


def _digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def test_cache_round_trip_and_corruption(tmp_path: Path) -> None:
    cache = DigestCache(tmp_path)
    body = b'{"schemaVersion": 2}'
    cache.put(_digest(body), body)
    assert cache.get(_digest(body)) == body
    path = tmp_path / "sha256" / _digest(body).split(":")[1]
    path.write_bytes(b'{"schemaVersion": 3}')  # corrupted on disk
    assert cache.get(_digest(body)) is None
    assert not path.exists()  # dropped, never trusted
    cache.put(_digest(body), b"other bytes")  # a body that does not hash to its digest
    assert cache.get(_digest(body)) is None
    assert cache.get("sha256:../../etc/passwd") is None


def test_cache_size_bound_evicts_least_recently_used(tmp_path: Path) -> None:
    cache = DigestCache(tmp_path, max_bytes=2500)
    bodies = [bytes([65 + n]) * 1000 for n in range(3)]
    cache.put(_digest(bodies[0]), bodies[0])
    cache.put(_digest(bodies[1]), bodies[1])
    import os
    import time

    old = time.time() - 100
    os.utime(tmp_path / "sha256" / _digest(bodies[1]).split(":")[1], (old, old))
    assert cache.get(_digest(bodies[0])) == bodies[0]  # recently used
    cache.put(_digest(bodies[2]), bodies[2])  # over the bound: the least recent goes
    assert cache.get(_digest(bodies[1])) is None
    assert cache.get(_digest(bodies[0])) == bodies[0]
    assert cache.get(_digest(bodies[2])) == bodies[2]


def _write_many(root: str, seed: int) -> None:
    cache = DigestCache(Path(root))
    for round_ in range(200):
        body = json.dumps({"n": round_ % 20}).encode()
        cache.put(_digest(body), body)


def test_cache_concurrent_writers(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_many, args=(str(tmp_path), n)) for n in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
        assert writer.exitcode == 0
    cache = DigestCache(tmp_path)
    for n in range(20):
        body = json.dumps({"n": n}).encode()
        assert cache.get(_digest(body)) == body
    assert not list((tmp_path / "sha256").glob(".tmp-*"))


def test_platform_parsing() -> None:
    assert parse_platform("linux/amd64") == Platform("linux", "amd64", "")
    assert (
        parse_platform("linux/arm64")
        == Platform.of("linux", "aarch64")
        == parse_platform("linux/arm64/v8")
    )
    assert parse_platform("linux/arm") == Platform("linux", "arm", "v7")
    assert str(parse_platform("linux/arm64/v8")) == "linux/arm64"
    assert str(parse_platform("linux/arm/v6")) == "linux/arm/v6"
    assert parse_platform("local").os
    for bad in ["linux", "linux/", "a/b/c/d", "linux/amd64 ", "LINUX/AMD64/../x"]:
        with pytest.raises(UsageError):
            parse_platform(bad)


@pytest.mark.parametrize("asked", ["linux/arm64", "windows/amd64", "linux/arm/v7"])
def test_a_single_platform_image_is_no_answer_for_another_platform(
    plain: Seeded, run: Run, asked: str
) -> None:
    """fluent/fluentd:latest is one linux/amd64 image: it is not the arm64 (or windows) one."""
    result = run(f"{plain.host}/fluent/fluentd:latest", "--platform", asked, "--json")
    assert result.code == EXIT_ERROR
    assert result.out == ""
    assert "single-platform image (linux/amd64)" in result.err
    assert f"not {parse_platform(asked)}" in result.err  # docker's spelling: linux/arm is v7


def test_a_single_platform_image_answers_for_its_own_platform(plain: Seeded, run: Run) -> None:
    result = run(f"{plain.host}/fluent/fluentd:latest", "--platform", "linux/amd64", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ["latest", "stable", "v0.12", "v0.12.31"]
    assert result.json["platform"] == "linux/amd64"
