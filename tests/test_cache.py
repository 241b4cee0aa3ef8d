"""The manifest cache treats its folder as hostile: it may have been planted (a CI cache of
~/.cache restored from elsewhere). A broken cache never changes an answer or the exit code."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CliRun, Seeded
from whichtag.errors import EXIT_OK
from whichtag.registry.cache import DigestCache


def _digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _entry(root: Path, body: bytes) -> Path:
    return root / "sha256" / _digest(body).split(":")[1]


def test_eviction_never_follows_a_planted_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    for number in range(5):
        (victim / f"precious-{number}").write_bytes(b"x" * 1000)
    root = tmp_path / "cache"
    root.mkdir(mode=0o700)
    (root / "planted").symlink_to(victim, target_is_directory=True)
    cache = DigestCache(root, max_bytes=1500)
    for number in range(3):
        body = bytes([65 + number]) * 1000
        cache.put(_digest(body), body)
    assert sorted(path.name for path in victim.iterdir()) == [f"precious-{n}" for n in range(5)]


def _within(seconds: float, call: Callable[[], object]) -> object:
    found: list[object] = []
    reader = threading.Thread(target=lambda: found.append(call()), daemon=True)
    reader.start()
    reader.join(seconds)
    assert not reader.is_alive(), "the cache read hung"
    return found[0]


@pytest.mark.parametrize("planted", ["fifo", "zero", "link"])
def test_a_planted_entry_is_never_read(tmp_path: Path, planted: str) -> None:
    body = b'{"schemaVersion": 2}'
    cache = DigestCache(tmp_path / "cache")
    cache.put(_digest(b"first"), b"first")  # the folders exist
    path = _entry(tmp_path / "cache", body)
    if planted == "fifo":
        os.mkfifo(path)
    elif planted == "zero":
        path.symlink_to("/dev/zero")
    else:
        real = tmp_path / "elsewhere"
        real.write_bytes(body)  # the right bytes, behind a link: still not read
        path.symlink_to(real)
    assert _within(10, lambda: cache.get(_digest(body))) is None


def test_a_folder_owned_by_another_user_is_not_used(tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("needs root to give the folder away")
    root = tmp_path / "cache"
    body = b'{"schemaVersion": 2}'
    DigestCache(root).put(_digest(body), body)
    os.chown(root, 12345, 12345)
    assert DigestCache(root).get(_digest(body)) is None
    DigestCache(root).put(_digest(b"new"), b"new")
    assert not _entry(root, b"new").exists()


def test_the_folder_is_created_private(tmp_path: Path) -> None:
    root = tmp_path / "deep" / "cache"
    DigestCache(root).put(_digest(b"x"), b"x")
    assert (root.stat().st_mode & 0o777) == 0o700
    assert ((root / "sha256").stat().st_mode & 0o777) == 0o700


def test_a_broken_cache_never_changes_the_answer(
    plain: Seeded, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file where the algorithm's folder should be, and a FIFO in the cache."""
    cache_home = tmp_path / "xdg"
    root = cache_home / "whichtag"
    root.mkdir(parents=True, mode=0o700)
    (root / "sha256").write_text("not a folder")
    os.mkfifo(root / "fifo")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    result = run(f"{plain.host}/multi/arch:latest", "--json", "--platform", "linux/arm64")
    baseline = run(
        f"{plain.host}/multi/arch:latest", "--json", "--platform", "linux/arm64", "--no-cache"
    )
    assert result.code == EXIT_OK == baseline.code, result.err
    assert result.json["tags"] == baseline.json["tags"]


Run = Callable[..., CliRun]
