"""whichtag as people install it: the wheel and the sdist, and the container image.

The wheel and sdist are built with ``python -m build`` from a copy of the sources, checked by
``twine check --strict``, and the wheel is installed into a clean venv from a wheelhouse
(``pip wheel`` of its dependencies, then ``pip install --no-index``) where ``whichtag
--version`` and ``whichtag help`` must run, without the serve extra's libraries. They need
the package index (the build backend, aiohttp's wheels) and take about 25 s. The container
image is built from the Containerfile on a Debian root filesystem made here
(``mmdebstrap``, imported into podman), offline from that wheelhouse, and run read-only as it
runs in the Deployment: a slow test (``pytest -m slow``), skipped where those tools are
missing.
"""

from __future__ import annotations

import email.parser
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PODMAN = shutil.which("podman")
MMDEBSTRAP = shutil.which("mmdebstrap")
RUNC = shutil.which("runc") or "/usr/bin/runc"


def run(*argv: str | Path, cwd: Path | None = None, timeout: float = 600) -> str:
    done = subprocess.run(
        [str(arg) for arg in argv], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{argv[:3]} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done.stdout


def sources(into: Path) -> Path:
    """What an sdist is built from: the project's tracked files (no venv, no caches)."""
    listed = run("git", "ls-files", "-z", cwd=ROOT).split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, Path]]:
    """(wheel, sdist, wheelhouse): the wheelhouse holds the wheel, everything it and its serve
    extra need, and the build backend (the container build makes the wheel again, offline)."""
    work = tmp_path_factory.mktemp("packaging")
    project = sources(work / "project")
    dist = work / "dist"
    run(sys.executable, "-m", "build", "--outdir", dist, project)
    (wheel,) = dist.glob("whichtag-*.whl")
    (sdist,) = dist.glob("whichtag-*.tar.gz")
    wheelhouse = work / "wheelhouse"
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--wheel-dir",
        wheelhouse,
        f"{wheel}[serve]",
        "setuptools>=77",
    )
    yield wheel, sdist, wheelhouse


def test_wheel_and_sdist_build_and_pass_twine(built: tuple[Path, Path, Path]) -> None:
    wheel, sdist, _ = built
    run(sys.executable, "-m", "twine", "check", "--strict", wheel, sdist)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (metadata_name,) = (name for name in names if name.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(metadata_name).decode())
    assert {
        "whichtag/py.typed",
        "whichtag/serve/kubernetes.py",
        "whichtag/cli/__init__.py",
    } <= names
    assert not any(name.startswith(("tests/", "testkit/")) for name in names)
    assert "serve" in metadata.get_all("Provides-Extra", [])
    requires = metadata.get_all("Requires-Dist", [])
    assert any(r.startswith("kubernetes_asyncio") and 'extra == "serve"' in r for r in requires)
    assert any(r.startswith("aiohttp") and "extra" not in r for r in requires)
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"pyproject.toml", "README.md", "src/whichtag/py.typed"} <= members


def test_the_wheel_installs_in_a_clean_venv_and_runs(
    built: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    wheel, _, wheelhouse = built
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python, whichtag = venv / "bin" / "python", venv / "bin" / "whichtag"
    run(python, "-m", "pip", "install", "-q", "--no-index", "--find-links", wheelhouse, wheel)
    assert run(whichtag, "--version").strip() == "whichtag 0.1.0"
    assert "commands:" in run(whichtag, "help")
    # the serve extra is an extra: the CLI runs without its libraries
    missing = subprocess.run([python, "-c", "import kubernetes_asyncio"], capture_output=True)
    assert missing.returncode != 0


@pytest.mark.slow
@pytest.mark.skipif(not (PODMAN and MMDEBSTRAP), reason="needs podman and mmdebstrap")
def test_the_container_image_builds_offline_and_runs_read_only_as_65532(
    built: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, wheelhouse = built
    monkeypatch.delenv("DOCKER_CONFIG")  # the tests' empty one: podman run would look for it
    base, image = "localhost/whichtag-test-base:bookworm", "localhost/whichtag-test:latest"
    rootfs = tmp_path / "rootfs.tar"
    run(
        MMDEBSTRAP or "mmdebstrap",
        "--variant=minbase",
        "--include=python3,python3-venv,ca-certificates",
        "bookworm",
        rootfs,
        timeout=900,
    )
    assert PODMAN
    run(PODMAN, "import", rootfs, base)
    context = sources(tmp_path / "context")
    shutil.copytree(wheelhouse, context / "wheelhouse")
    dangling = ["images", "-q", "--no-trunc", "--filter", "dangling=true"]
    before = set(run(PODMAN, *dangling).split())
    try:
        build: list[str | Path] = [
            PODMAN,
            "build",
            "--network",
            "none",
            "-f",
            context / "Containerfile",
        ]
        arguments = ["--build-arg", f"BASE={base}", "--build-arg", "PIP_OPTIONS=--no-index"]
        run(*build, *arguments, "-t", image, context, timeout=900)
        # as the Deployment runs it: read-only root, a writable /tmp, no network
        podman_run = [PODMAN, "--runtime", RUNC, "run", "--rm", "--network", "none"]
        limits = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
        locked = [*podman_run, *limits, "--read-only", "--tmpfs", "/tmp"]
        assert run(*locked, image, "--version").strip() == "whichtag 0.1.0"
        assert "commands:" in run(*locked, image, "help")
        assert run(*locked, "--entrypoint", "id", image, "-u").strip() == "65532"
        check = "import kubernetes_asyncio, prometheus_client, whichtag.serve.kubernetes"
        run(*locked, "--entrypoint", "python3", image, "-c", check)
    finally:
        subprocess.run([PODMAN, "rmi", "-f", image, base], capture_output=True, timeout=120)
        stages = set(run(PODMAN, *dangling).split()) - before  # the build stage this test made
        if stages:
            subprocess.run([PODMAN, "rmi", "-f", *stages], capture_output=True, timeout=120)
