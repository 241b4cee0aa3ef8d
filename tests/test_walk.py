"""The folder walk ``pin DIR`` and ``outdated DIR`` share (``files_to_read``): a folder it
cannot read, and an entry it cannot read, make the run "cannot tell" (exit 3), never a
silent skip; symbolic links are never followed (one inside the folder is a note, one outside
it a warning); ``*.yml`` is read as ``*.yaml`` is. Against the real registry fixtures.

Root reads any folder whatever its mode, so the unreadable-folder runs go in a child process
as another user (uid 65534) over a tree that user owns, with the whole package copied where
that user can read it (pytest's own temporary folders are root's, mode 0700)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from testkit.otheruser import runnable_copy

from conftest import CliRun, Seeded
from whichtag.cli.pin import EXIT_PIN_FAILED, EXIT_UNPINNED
from whichtag.errors import EXIT_ERROR, EXIT_INCOMPLETE, EXIT_OK
from whichtag.files.pinning import files_to_read

Run = Callable[..., CliRun]
OTHER_UID = 65534  # nobody


def _pod(image: str) -> str:
    return f"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: {image}\n"


class Shared:
    """A folder another user owns and can reach, and runs of whichtag as that user."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.locked: list[Path] = []

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def lock(self, relative: str) -> None:
        """Make a folder unreadable to the user the runs run as."""
        path = self.root / relative
        self._own()
        path.chmod(0)
        self.locked.append(path)

    def _own(self) -> None:
        if os.getuid() != 0:
            return
        for folder, _, names in os.walk(self.root):
            os.chown(folder, OTHER_UID, OTHER_UID)
            for name in names:
                os.chown(os.path.join(folder, name), OTHER_UID, OTHER_UID)

    def run(self, *argv: str) -> CliRun:
        """``python -m whichtag ARGV`` in the shared folder, as another user when root."""
        python, copy = runnable_copy(self.root.parent / (self.root.name + "-code"))
        self._own()
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root),
            "LANG": "C.UTF-8",
            **copy,
        }
        user: dict[str, object] = {}
        if os.getuid() == 0:
            user = {"user": OTHER_UID, "group": OTHER_UID, "extra_groups": []}
        done = subprocess.run(
            [python, "-m", "whichtag", *argv, "--no-cache"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,
            env=environment,
            stdin=subprocess.DEVNULL,
            **user,  # type: ignore[call-overload]
        )
        assert "Traceback" not in done.stderr, done.stderr
        return CliRun(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def shared() -> Iterator[Shared]:
    top = Path(tempfile.mkdtemp(prefix="whichtag-walk-"))
    top.chmod(0o755)
    (top / "tree").mkdir(mode=0o755)
    folder = Shared(top / "tree")
    try:
        yield folder
    finally:
        for path in folder.locked:
            path.chmod(0o755)
        shutil.rmtree(top, ignore_errors=True)


# -- a folder the walk cannot read ------------------------------------------------------------


def test_an_unreadable_folder_makes_outdated_cannot_tell(
    plain: Seeded, nginx: dict[str, str], shared: Shared
) -> None:
    """k8s/prod/ unreadable: outdated k8s/ --fail-on minor said 0 (k8s/prod's 1.26.2 has a
    newer minor); the unreadable folder named alone said "no image in use found", 0."""
    shared.write("k8s/app.yaml", _pod(f"{plain.host}/library/nginx:1.27.3"))
    shared.write("k8s/prod/app.yaml", _pod(f"{plain.host}/library/nginx:1.26.2"))
    readable = shared.run("outdated", "k8s", "--fail-on", "minor")
    assert readable.code == EXIT_ERROR, readable.err  # the control: prod's image trips it
    shared.lock("k8s/prod")
    result = shared.run("outdated", "k8s", "--fail-on", "minor")
    assert result.code == EXIT_INCOMPLETE, result.err
    assert "k8s/prod: cannot read this folder" in result.err
    alone = shared.run("outdated", "k8s/prod")
    assert alone.code == EXIT_INCOMPLETE, alone.err
    assert "k8s/prod: cannot read this folder" in alone.err


def test_an_unreadable_folder_makes_pin_cannot_tell(
    plain: Seeded, nginx: dict[str, str], shared: Shared
) -> None:
    """pin --check: 3, unless drift (1) or a pin failure (4) takes precedence; plain pin
    writes what it can and exits 3."""
    image = f"{plain.host}/library/nginx:1.27.3"
    shared.write("k8s/app.yaml", _pod(f"{image}@{nginx['1.27.3']}"))
    shared.write("k8s/prod/app.yaml", _pod(image))
    shared.lock("k8s/prod")
    check = shared.run("pin", "--check", "k8s")
    assert check.code == EXIT_INCOMPLETE, check.err
    assert "k8s/prod: cannot read this folder" in check.err
    assert "1 entry(ies) not read" in check.err
    app = shared.write("k8s/app.yaml", _pod(image))  # unpinned: drift outranks "cannot tell"
    assert shared.run("pin", "--check", "k8s").code == EXIT_UNPINNED
    written = shared.run("pin", "k8s")
    assert written.code == EXIT_INCOMPLETE, written.err
    assert f"@{nginx['1.27.3']}" in app.read_text()  # what could be read is pinned
    shared.write("k8s/bad.yaml", _pod(f"{plain.host}/library/nginx:no-such-tag"))
    assert shared.run("pin", "--check", "k8s").code == EXIT_PIN_FAILED


def test_an_unreadable_file_in_a_folder_is_a_warning_not_the_end(
    plain: Seeded, shared: Shared
) -> None:
    """A file the walk meets and cannot read is one entry not read (3); the rest is read. A
    file named that cannot be read stays an error (2)."""
    shared.write("app/Dockerfile", f"FROM {plain.host}/fluent/fluentd:latest\n")
    shared.write("app/secret/Dockerfile", "FROM scratch\n")
    shared.lock("app/secret")
    secret = shared.root / "app" / "secret"
    secret.chmod(0o711)  # searchable, so the file is found, then made unreadable itself
    (secret / "Dockerfile").chmod(0)
    result = shared.run("pin", "--check", "app")
    assert result.code == EXIT_UNPINNED, result.err  # app/Dockerfile is still checked
    assert "cannot read app/secret/Dockerfile" in result.err
    (shared.root / "app" / "Dockerfile").write_text("FROM scratch\n")
    assert shared.run("pin", "--check", "app").code == EXIT_INCOMPLETE
    assert shared.run("pin", "--check", "app/secret/Dockerfile").code == 2


def test_entries_that_are_not_regular_files_or_not_text(tmp_path: Path, run: Run) -> None:
    """A FIFO named like a Dockerfile and a compose file that is not UTF-8, met in a walk:
    each a warning naming it, the run 3 (a walked file used to stop the run with 2)."""
    os.mkfifo(tmp_path / "Dockerfile")
    (tmp_path / "compose.yml").write_bytes(b"services:\n  web:\n    image: \xff\n")
    result = run("pin", "--check", str(tmp_path))
    assert result.code == EXIT_INCOMPLETE, result.err
    assert f"{tmp_path / 'Dockerfile'}: not a regular file" in result.err
    assert "compose.yml is not UTF-8" in result.err and "2 entry(ies) not read" in result.err


# -- symbolic links ---------------------------------------------------------------------------


def test_a_link_to_a_file_is_never_followed_by_the_walk(
    plain: Seeded, tmp_path: Path, run: Run
) -> None:
    """(issue 33, scenario 6) pin DIR never rewrites a file outside DIR through a link in
    it, nor one file twice: a link inside is a note (its target is read where it is), one
    to outside is a warning and the run cannot tell (3)."""
    image = f"{plain.host}/fluent/fluentd:latest"
    outside = tmp_path / "outside" / "Dockerfile"
    outside.parent.mkdir()
    outside.write_text(f"FROM {image}\n")
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "Dockerfile").write_text(f"FROM {image}\n")
    (repo / "app" / "Dockerfile").symlink_to("../Dockerfile")
    (repo / "base.Dockerfile").symlink_to(outside)
    result = run("pin", str(repo))
    assert result.code == EXIT_INCOMPLETE, result.err
    assert outside.read_text() == f"FROM {image}\n"  # outside the folder: untouched
    assert "@sha256:" in (repo / "Dockerfile").read_text()
    assert (repo / "app" / "Dockerfile").is_symlink()
    assert len([line for line in result.out.splitlines() if " -> " in line]) == 1  # once
    notes = [line for line in result.err.splitlines() if line.startswith("whichtag: note:")]
    assert len(notes) == 1 and f"{repo / 'app' / 'Dockerfile'}: a symbolic link" in notes[0]
    assert f"{repo / 'base.Dockerfile'}: a symbolic link to {outside}" in result.err


def test_links_to_folders_and_to_nothing(plain: Seeded, tmp_path: Path, run: Run) -> None:
    """A link to a folder outside is not walked and is a warning (3); one back into the
    folder (a loop) is a note; a link to nothing is a warning."""
    image = f"{plain.host}/fluent/fluentd:latest"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "pod.yaml").write_text(_pod(image))
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Dockerfile").write_text(f"FROM {image}\n")
    (repo / "mirror").symlink_to(".")
    result = run("pin", "--check", str(repo))
    assert result.code == EXIT_UNPINNED, result.err
    assert f"note: {repo / 'mirror'}: a symbolic link to the folder" in result.err
    assert result.err.count(f"{repo / 'Dockerfile'}") == 0  # read once, warned about never
    (repo / "Dockerfile").write_text("FROM scratch\n")
    assert run("pin", "--check", str(repo)).code == EXIT_OK  # a note alone: all was read
    (repo / "shared").symlink_to(elsewhere)
    linked = run("pin", str(repo))
    assert linked.code == EXIT_INCOMPLETE, linked.err
    assert f"{repo / 'shared'}: a symbolic link to {elsewhere}, outside" in linked.err
    assert (elsewhere / "pod.yaml").read_text() == _pod(image)
    (repo / "shared").unlink()
    (repo / "compose.yaml").symlink_to(tmp_path / "gone.yaml")
    dangling = run("pin", "--check", str(repo))
    assert dangling.code == EXIT_INCOMPLETE, dangling.err
    assert "a symbolic link to nothing" in dangling.err


def test_the_walk_says_what_it_did_not_read() -> None:
    """The library answer: files, problems and notes apart (no terminal involved)."""
    with tempfile.TemporaryDirectory() as top:
        root = Path(top)
        (root / "Dockerfile").write_text("FROM scratch\n")
        (root / "link.yaml").symlink_to(root / "Dockerfile")
        walk = files_to_read([top])
        assert walk.files == [(str(root / "Dockerfile"), False)]
        assert walk.problems == [] and len(walk.notes) == 1


# -- *.yml as *.yaml --------------------------------------------------------------------------


def test_yml_files_are_pinned_and_checked(
    plain: Seeded, nginx: dict[str, str], tmp_path: Path, run: Run
) -> None:
    """(issue 33, scenario 5) docker-compose.yml and k8s/deploy.yml are read by pin DIR and
    outdated DIR as their *.yaml twins are."""
    image = f"{plain.host}/library/nginx:1.27.3"
    compose = tmp_path / "docker-compose.yml"
    compose.write_text(f"services:\n  web:\n    image: {image}\n")
    deploy = tmp_path / "k8s" / "deploy.yml"
    deploy.parent.mkdir()
    deploy.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
        f"      containers:\n        - name: web\n          image: {image}\n"
    )
    outdated = run("outdated", str(tmp_path), "--json", "--no-cache")
    assert outdated.code == EXIT_OK, outdated.err
    [answer] = [json.loads(line) for line in outdated.out.splitlines()]
    assert sorted(Path(place["path"]).name for place in answer["where"]) == [
        "deploy.yml",
        "docker-compose.yml",
    ]
    assert run("pin", "--check", str(tmp_path)).code == EXIT_UNPINNED
    result = run("pin", str(tmp_path))
    assert result.code == EXIT_OK, result.err
    for path in (compose, deploy):
        assert f"{image}@{nginx['1.27.3']}" in path.read_text(), path
    assert run("pin", "--check", str(tmp_path)).code == EXIT_OK
