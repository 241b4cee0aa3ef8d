"""podman's Docker-compatible Engine API service for tests, with throw-away storage.

Rootful, ``vfs`` storage in a temporary folder, no events or cgroup manager: what was measured
to run on this kind of machine. :meth:`PodmanService.podman` runs podman against the same
store, e.g. to pull from a loopback test registry.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from testkit.service import Service

PODMAN = shutil.which("podman") or "/usr/bin/podman"
RUNC = shutil.which("runc") or "/usr/bin/runc"


class PodmanService(Service):
    name = "podman"

    def __init__(self) -> None:
        super().__init__()
        self.socket = self.folder / "engine.sock"

    def _global_flags(self) -> list[str]:
        return [
            "--root",
            str(self.folder / "root"),
            "--runroot",
            str(self.folder / "run"),
            "--tmpdir",
            str(self.folder / "tmp"),
            "--storage-driver",
            "vfs",
            "--events-backend",
            "none",
            "--cgroup-manager",
            "cgroupfs",
        ]

    def podman(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a podman command against this service's store; raise with its output on failure."""
        done = subprocess.run(
            [PODMAN, *self._global_flags(), *args], capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise RuntimeError(f"podman {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done

    def run_container(self, name: str, image: str) -> str:
        """Start a container of ``image`` (one a sleeper image, which runs ``sleep``); its ID.
        runc, not crun (which refuses this machine's hybrid cgroups), and ulimits within the
        machine's hard limits (the defaults are above them)."""
        done = self.podman(
            "--runtime",
            RUNC,
            "run",
            "-d",
            "--name",
            name,
            "--network",
            "none",
            "--ulimit",
            "nofile=1024:1024",
            "--ulimit",
            "nproc=1024:1024",
            image,
        )
        return done.stdout.strip()

    def stop(self) -> None:
        """Remove every container first (a running one outlives the service otherwise)."""
        if self._process is not None:
            subprocess.run(
                [PODMAN, *self._global_flags(), "rm", "--all", "--force", "--time", "0"],
                capture_output=True,
                timeout=120,
            )
        super().stop()

    def start(self) -> PodmanService:
        command = [PODMAN, *self._global_flags(), "system", "service", "--time=0"]
        self._launch([*command, f"unix://{self.socket}"], ready=self.socket.exists, timeout=30)
        return self

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket}"


@contextmanager
def answering_socket(path: Path, response: bytes) -> Iterator[None]:
    """A unix socket at ``path`` that answers one request with ``response`` (a whole raw
    HTTP response), for engines that answer what no real one does."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()

    def answer() -> None:
        connection, _ = server.accept()
        connection.recv(65536)
        connection.sendall(response)
        connection.close()

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.close()


@contextmanager
def failing_proxy(path: Path, upstream: Path, fails: str) -> Iterator[list[str]]:
    """A unix socket at ``path`` in front of the engine socket ``upstream``: a request whose
    path holds ``fails`` is answered 500 (an engine error, an image removed meanwhile),
    any other is passed through. whichtag opens one connection per engine request, so the
    first request of a connection decides it. Yields the paths of the requests refused."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()
    refused: list[str] = []

    def pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                target.shutdown(socket.SHUT_WR)

    def serve(connection: socket.socket) -> None:
        request = connection.recv(65536)
        target = request.split(b" ", 2)[1].decode() if request.count(b" ") >= 2 else ""
        if fails in target:
            refused.append(target)
            body = b'{"cause":"refused by the test","message":"image not known","response":500}'
            connection.sendall(
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
            )
            connection.close()
            return
        engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        engine.connect(str(upstream))
        engine.sendall(request)
        back = threading.Thread(target=pipe, args=(engine, connection), daemon=True)
        back.start()
        pipe(connection, engine)
        back.join(timeout=30)
        connection.close()
        engine.close()

    def accept() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield refused
    finally:
        server.close()
