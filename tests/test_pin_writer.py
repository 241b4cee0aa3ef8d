"""``whichtag pin``'s writes, race-free (docs/reliability.md, "pin's writes, race-free"):
nothing chmodded, chowned or opened for writing by path; a file that changed while pin waited
on the registry is refused (exit 4, no file changed); diff headers quote names as git does;
the mode is kept whoever owns the file; exit codes as the table says."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from testkit.front import Front, Reply, Request
from testkit.otheruser import runnable_copy

import whichtag
from conftest import CliRun, Seeded

Run = Callable[..., CliRun]
Event = dict[str, Any]  # one audit event the hook saw
SOURCE = str(Path(whichtag.__file__).resolve().parents[1])
EXIT_PIN_FAILED = 4
ROOT = os.getuid() == 0


def _environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join([SOURCE, environment.get("PYTHONPATH", "")])
    return environment


def _dockerfile(path: Path, host: str, tag: str = "latest") -> Path:
    path.write_text(f"FROM {host}/fluent/fluentd:{tag}\n")
    return path


# -- 1. nothing by name: owner and mode set on the descriptor, the staging file made O_EXCL ----

AUDITED = r"""
import json, os, sys

WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
seen = []


def name(path):
    return path if isinstance(path, int) else os.fsdecode(path)


def hook(event, args):
    if event == "open":
        path, mode, flags = args
        writes = any(c in mode for c in "wax+") if isinstance(mode, str) else flags & WRITES
        if writes and not isinstance(path, int):
            seen.append({"event": "open", "path": name(path), "flags": flags, "mode": mode})
    elif event in ("os.chmod", "os.chown", "os.remove", "os.truncate"):
        seen.append({"event": event, "path": name(args[0]), "dir_fd": args[-1]})
    elif event == "os.rename":
        source, target, source_fd, target_fd = args
        seen.append({"event": event, "path": name(source), "target": name(target),
                     "dir_fd": source_fd, "target_dir_fd": target_fd})


sys.addaudithook(hook)
from whichtag.cli import main

code = main(sys.argv[1:])
sys.stderr.write("AUDIT " + json.dumps(seen) + "\n")
sys.exit(code)
"""


def _audited_pin(folder: Path, *argv: str) -> tuple[subprocess.CompletedProcess[str], list[Event]]:
    """``whichtag pin ARGV`` in its own process under an audit hook (hooks cannot be removed,
    so not in the test's); the file events it saw, the work folder's only."""
    elsewhere = folder.parent / "cwd"
    elsewhere.mkdir(exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-c", AUDITED, "pin", "--no-cache", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=elsewhere,
        env=_environment(),
    )
    line = next(line for line in done.stderr.splitlines() if line.startswith("AUDIT "))
    events = json.loads(line.removeprefix("AUDIT "))
    inside = str(folder.resolve())

    def ours(event: Event) -> bool:
        path = event["path"]
        return isinstance(path, int) or "/" not in path or path.startswith(inside)

    return done, [event for event in events if ours(event)]


def test_pin_touches_nothing_by_path(plain: Seeded, tmp_path: Path) -> None:
    """A plain file, one owned by another user with its own mode, a symbolic link (its target
    rewritten) and a hard-linked file: every write is relative to the folder's descriptor,
    never through a link; owner and mode are set on the open staging file; the one operation
    by name is the rename in that folder."""
    folder = tmp_path / "work"
    (folder / "real").mkdir(parents=True)
    plain_file = _dockerfile(folder / "Dockerfile", plain.host)
    other = _dockerfile(folder / "Dockerfile.other", plain.host, "stable")
    os.chmod(other, 0o640)
    if ROOT:
        os.chown(other, 65534, 65534)
    target = _dockerfile(folder / "real" / "Dockerfile", plain.host)
    link = folder / "Dockerfile.link"
    link.symlink_to(target)
    linked = _dockerfile(folder / "Dockerfile.hard", plain.host)
    os.link(linked, folder / "Dockerfile.twin")
    paths = [plain_file, other, link, linked]
    done, events = _audited_pin(folder, *map(str, paths))
    assert done.returncode == 0, done.stderr
    assert all("@sha256:" in path.read_text() for path in [plain_file, other, target, linked])
    assert link.is_symlink() and os.path.samefile(linked, folder / "Dockerfile.twin")
    assert stat.S_IMODE(other.stat().st_mode) == 0o640
    by_name = [event for event in events if not isinstance(event["path"], int)]
    assert [e for e in by_name if e["event"] in ("os.chmod", "os.chown", "os.truncate")] == []
    opened = [event for event in by_name if event["event"] == "open"]
    assert opened, "the staging files are opened for writing"
    for event in opened:
        assert "/" not in event["path"], event  # relative to the folder's descriptor
        assert event["flags"] & os.O_NOFOLLOW, event
        if event["flags"] & os.O_CREAT:
            assert event["flags"] & os.O_EXCL, event  # a new file, never one planted there
    renames = [event for event in by_name if event["event"] == "os.rename"]
    assert len(renames) == 3  # the plain file, the other user's, the link's target
    for event in renames:
        assert "/" not in event["path"] and "/" not in event["target"], event
        assert event["dir_fd"] is not None and event["target_dir_fd"] is not None, event
    left = ["Dockerfile", "Dockerfile.hard", "Dockerfile.link", "Dockerfile.other"]
    assert sorted(os.listdir(folder)) == [*left, "Dockerfile.twin", "real"]  # nothing staged


# -- 2. a file that changed while pin waited on the registry is refused -----------------------


@pytest.fixture
def racing(plain: Seeded) -> Iterator[tuple[Front, list[Callable[[], None]]]]:
    """A front to the plain registry that, when pin first asks for a manifest, runs the race
    it is given (in the front's thread, while pin waits for the answer), then answers."""
    races: list[Callable[[], None]] = []
    lock = threading.Lock()

    def override(request: Request) -> Reply | None:
        if "/manifests/" in request.path:
            with lock:
                while races:
                    races.pop(0)()
        return None

    with Front(plain.host, override=override) as front:
        yield front, races


def _swap_in_a_link(path: Path, victim: Path) -> None:
    planted = path.with_name(".planted")
    planted.symlink_to(victim)
    os.rename(planted, path)


def _save_as_an_editor_does(path: Path) -> None:
    saved = path.with_name(".saved")
    saved.write_text(path.read_text() + "RUN echo edited\n")
    os.rename(saved, path)


def _edit_keeping_size_and_time(path: Path) -> None:
    """Same inode, same size, same modification time: only the bytes tell."""
    before = path.stat()
    path.write_text(path.read_text().upper())
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


@pytest.mark.parametrize(
    "race", ["a link swapped in", "saved by an editor", "edited, same size and time"]
)
def test_a_file_changed_while_pin_waits_is_not_written(
    racing: tuple[Front, list[Callable[[], None]]], tmp_path: Path, run: Run, race: str
) -> None:
    """Two files; the second changes while pin waits on the registry: exit 4, neither file
    written (every file is checked before the first is replaced), the change kept, and a
    link swapped in does not lead pin's text to its target."""
    front, races = racing
    first = _dockerfile(tmp_path / "Dockerfile", front.host)
    (tmp_path / "app").mkdir()
    second = _dockerfile(tmp_path / "app" / "Dockerfile", front.host, "stable")
    victim = tmp_path / "victim.txt"
    victim.write_text("not a Dockerfile\n")
    first_before, second_before = first.read_bytes(), second.read_text()
    if race == "a link swapped in":
        races.append(lambda: _swap_in_a_link(second, victim))
        expected = "not a Dockerfile\n"  # read through the link: the victim, untouched
    elif race == "saved by an editor":
        races.append(lambda: _save_as_an_editor_does(second))
        expected = second_before + "RUN echo edited\n"
    else:
        races.append(lambda: _edit_keeping_size_and_time(second))
        expected = second_before.upper()
    result = run("pin", "--no-cache", str(first), str(second))
    assert not races, "the race ran while pin waited"
    assert result.code == EXIT_PIN_FAILED, result.err
    assert f"{second} changed while pin was running; no file was changed" in result.err
    assert "run whichtag pin again" in result.err
    assert first.read_bytes() == first_before
    assert second.read_text() == expected
    assert second.is_symlink() == (race == "a link swapped in")
    assert victim.read_text() == "not a Dockerfile\n"
    assert sorted(os.listdir(tmp_path / "app")) == ["Dockerfile"]  # nothing staged is left
    assert "pinned" not in result.out and "->" not in result.out


# -- 3. diff headers: names quoted as git quotes them -----------------------------------------

NAMES = [
    'Dockerfile.\x1b[31mred\x07\r"q\\',
    "Dockerfile.new\nline",
    "Dockerfile.caf\u00e9",
    "Dockerfile.tab\tx",
    "Dockerfile.a b",
    "Dockerfile",
]


def _git(folder: Path, *argv: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *argv],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _headers(diff: str) -> list[str]:
    return sorted(line for line in diff.split("\n") if line.startswith(("--- ", "+++ ")))


def test_diff_headers_quote_names_as_git_does(plain: Seeded, tmp_path: Path) -> None:
    """ESC, BEL, CR, a newline, a quote, a backslash, a tab, é, a space: ``pin --dry-run``
    through a pipe writes no control character, each header stays one line, the headers are
    git's own for the same change, and ``git apply`` takes the diff."""
    for name in NAMES:
        _dockerfile(tmp_path / name, plain.host)
    _git(tmp_path, "init", "-q", ".")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "files")
    done = subprocess.run(
        [sys.executable, "-m", "whichtag", "pin", "--dry-run", "--no-cache", *NAMES],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=_environment(),
    )
    assert done.returncode == 0, done.stderr
    diff = done.stdout
    assert not any(char in diff for char in "\x1b\x07\r"), diff
    assert "--- a/Dockerfile\n" in diff  # a plain name is written as it is
    assert len(_headers(diff)) == 2 * len(NAMES)  # no header split by a newline in a name
    (tmp_path.parent / "pin.patch").write_text(diff)
    _git(tmp_path, "apply", "--check", str(tmp_path.parent / "pin.patch"))
    _git(tmp_path, "apply", str(tmp_path.parent / "pin.patch"))
    assert _headers(_git(tmp_path, "-c", "core.quotePath=true", "diff")) == _headers(diff)


# -- 4. owner, group and mode kept, whoever owns the file (issue 33, scenario 11) -------------


@pytest.mark.skipif(not ROOT, reason="makes files owned by root and by uid 65534")
@pytest.mark.parametrize(
    ("owner", "mode"), [(0, 0o644), (0, 0o755), (65534, 0o640), (65534, 0o755)]
)
def test_mode_kept_whether_or_not_the_owner_differs(
    plain: Seeded, tmp_path: Path, run: Run, owner: int, mode: int
) -> None:
    """A file owned by whoever runs pin (root here) keeps its mode, not the staging file's
    0600; a file of another user keeps owner, group and mode."""
    path = _dockerfile(tmp_path / "Dockerfile", plain.host)
    os.chown(path, owner, owner)
    os.chmod(path, mode)
    result = run("pin", "--no-cache", str(path))
    assert result.code == 0, result.err
    info = path.stat()
    assert "@sha256:" in path.read_text()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (owner, owner, mode)


# -- 5. exit codes: 4 could not pin, in every mode; 2 before 4 before 1 -----------------------


@pytest.mark.parametrize("mode", ["--check", "--dry-run", None])
def test_a_reference_that_fails_is_exit_4_in_every_mode(
    plain: Seeded, tmp_path: Path, run: Run, mode: str | None
) -> None:
    """A missing tag beside a drifted file: 4 (not 1, not 0), whatever the mode; nothing
    written."""
    drifted = _dockerfile(tmp_path / "Dockerfile", plain.host)
    (tmp_path / "app").mkdir()
    missing = _dockerfile(tmp_path / "app" / "Dockerfile", plain.host, "no-such-tag")
    before = [drifted.read_bytes(), missing.read_bytes()]
    result = run("pin", "--no-cache", *([mode] if mode else []), str(drifted), str(missing))
    assert result.code == EXIT_PIN_FAILED, result.err
    assert "no-such-tag" in result.err
    assert [drifted.read_bytes(), missing.read_bytes()] == before


def test_usage_comes_before_could_not_pin(plain: Seeded, tmp_path: Path, run: Run) -> None:
    missing = _dockerfile(tmp_path / "Dockerfile", plain.host, "no-such-tag")
    fifo = tmp_path / "Dockerfile.fifo"
    os.mkfifo(fifo)
    assert run("pin", "--check", str(missing), str(fifo)).code == 2


def test_the_help_states_the_exit_codes(run: Run) -> None:
    text = run("pin", "--help").out
    for line in [
        "0  pinned, or all pins current",
        "1  --check found a reference unpinned or drifted",
        "2  bad usage",
        "3  cannot tell",
        "4  could not pin (in every mode, --check and --dry-run too)",
    ]:
        assert line in text, line


def test_a_write_that_fails_is_exit_4_and_changes_nothing(plain: Seeded, tmp_path: Path) -> None:
    """The second file cannot be written (a file size limit): exit 4 with one line naming it;
    the first, which could be staged, is not replaced either, and no staging file is left."""
    small = tmp_path / "Dockerfile"
    small.write_text(f"FROM {plain.host}/fluent/fluentd:latest\n")
    (tmp_path / "app").mkdir()
    large = tmp_path / "app" / "Dockerfile"
    large.write_text("# " + "x" * 300 + f"\nFROM {plain.host}/fluent/fluentd:latest\n")
    before = [small.read_bytes(), large.read_bytes()]

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    done = subprocess.run(
        [sys.executable, "-m", "whichtag", "pin", "--no-cache", str(small), str(large)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_environment(),
        preexec_fn=limited,
    )
    assert done.returncode == EXIT_PIN_FAILED, done.stderr
    assert f"cannot write {large}" in done.stderr and "no file was changed" in done.stderr
    assert "Traceback" not in done.stderr
    assert [small.read_bytes(), large.read_bytes()] == before
    assert sorted(os.listdir(tmp_path)) == ["Dockerfile", "app"]
    assert sorted(os.listdir(tmp_path / "app")) == ["Dockerfile"]


@pytest.mark.skipif(not ROOT, reason="runs pin as uid 65534 on a file of uid 1000")
def test_an_owner_that_cannot_be_kept_is_refused(plain: Seeded) -> None:
    """pin run by a user who may not give a file away, on another user's file it may write in
    a folder it may write: exit 4 naming the file; the file keeps its owner and text."""
    folder = Path(tempfile.mkdtemp(prefix="whichtag-owner-"))
    try:
        folder.chmod(0o777)
        path = _dockerfile(folder / "Dockerfile", plain.host)
        os.chown(path, 1000, 1000)
        path.chmod(0o666)
        before = path.read_bytes()
        # whichtag where uid 65534 can read it (the copy tested), whatever the checkout's mode
        python, copy = runnable_copy(folder / "library")

        def nobody() -> None:
            os.setgid(65534)
            os.setuid(65534)

        done = subprocess.run(
            [python, "-m", "whichtag", "pin", "--no-cache", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **copy, "HOME": str(folder)},
            preexec_fn=nobody,
            cwd=folder,
        )
        assert done.returncode == EXIT_PIN_FAILED, done.stderr
        assert f"cannot write {path}: cannot keep its owner and group (1000:1000)" in done.stderr
        assert path.read_bytes() == before and path.stat().st_uid == 1000
        assert sorted(os.listdir(folder)) == ["Dockerfile", "library"]
    finally:
        shutil.rmtree(folder)
