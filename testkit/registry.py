"""Run the real CNCF distribution registry (Debian ``docker-registry``) on a free loopback port.

Used by the test fixtures, the demo and the benchmarks. Each instance gets its own storage
directory and configuration: plain HTTP, TLS, htpasswd Basic auth or token auth.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

REGISTRY_BINARY = os.environ.get("WHICHTAG_REGISTRY_BINARY", "/usr/bin/docker-registry")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class TLSFiles:
    certificate: str
    key: str
    client_cas: str | None = None  # require client certificates signed by these CAs


@dataclass
class TokenAuth:
    realm: str
    service: str
    issuer: str
    root_cert_bundle: str


class RegistryProcess:
    """A ``docker-registry serve`` child process; a context manager that cleans up after itself."""

    def __init__(
        self,
        *,
        tls: TLSFiles | None = None,
        htpasswd: str | None = None,
        token: TokenAuth | None = None,
        storage: str | None = None,
        detached: bool = False,
    ) -> None:
        self.port = free_port()
        self.detached = detached  # its own session: it outlives the process that started it
        self.tls = tls
        self.htpasswd = htpasswd
        self.token = token
        self._own_dir = tempfile.mkdtemp(prefix="whichtag-registry-")
        self.storage = storage or os.path.join(self._own_dir, "storage")
        self._process: subprocess.Popen[bytes] | None = None
        self.log_path = os.path.join(self._own_dir, "registry.log")

    @property
    def pid(self) -> int:
        assert self._process is not None, "registry not started"
        return self._process.pid

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}"

    def _config(self) -> str:
        lines = [
            "version: 0.1",
            "log:",
            "  level: error",
            "  accesslog:",
            "    disabled: true",
            "storage:",
            "  cache:",
            "    blobdescriptor: inmemory",
            "  filesystem:",
            f"    rootdirectory: {self.storage}",
            "  delete:",
            "    enabled: true",
            "  maintenance:",
            "    uploadpurging:",
            "      enabled: false",
            "http:",
            f"  addr: 127.0.0.1:{self.port}",
            "  secret: whichtag-test-secret",
        ]
        if self.tls:
            lines += [
                "  tls:",
                f"    certificate: {self.tls.certificate}",
                f"    key: {self.tls.key}",
            ]
            if self.tls.client_cas:
                lines += ["    clientcas:", f"      - {self.tls.client_cas}"]
        if self.htpasswd:
            lines += [
                "auth:",
                "  htpasswd:",
                "    realm: whichtag-test",
                f"    path: {self.htpasswd}",
            ]
        if self.token:
            lines += [
                "auth:",
                "  token:",
                f"    realm: {self.token.realm}",
                f"    service: {self.token.service}",
                f"    issuer: {self.token.issuer}",
                f"    rootcertbundle: {self.token.root_cert_bundle}",
            ]
        return "\n".join(lines) + "\n"

    def start(self) -> RegistryProcess:
        if not os.path.exists(REGISTRY_BINARY):
            raise RuntimeError(f"{REGISTRY_BINARY} is missing: apt-get install -y docker-registry")
        config = Path(self._own_dir, "config.yml")
        config.write_text(self._config())
        log = open(self.log_path, "wb")  # noqa: SIM115 - lives as long as the process
        self._process = subprocess.Popen(
            [REGISTRY_BINARY, "serve", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=self.detached,
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"registry exited: {Path(self.log_path).read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("registry did not start within 20 s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        shutil.rmtree(self._own_dir, ignore_errors=True)

    def __enter__(self) -> RegistryProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def wait_for_http(url: str, timeout: float = 10.0) -> None:
    """Wait until ``url`` answers anything at all."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
