"""Run the real CNCF distribution registry (Debian ``docker-registry``) on a free loopback port.

Used by the test fixtures, the demo and the benchmarks. Each instance gets its own storage
directory and configuration: plain HTTP, TLS, htpasswd Basic auth or token auth.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from testkit.service import Service

REGISTRY_BINARY = os.environ.get("WHICHTAG_REGISTRY_BINARY", "/usr/bin/docker-registry")


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


class RegistryProcess(Service):
    """A ``docker-registry serve`` child process; a context manager that cleans up after itself."""

    name = "registry"

    def __init__(
        self,
        *,
        tls: TLSFiles | None = None,
        htpasswd: str | None = None,
        token: TokenAuth | None = None,
        storage: str | None = None,
        detached: bool = False,
    ) -> None:
        super().__init__()
        self.detached = detached  # its own session: it outlives the process that started it
        self.tls = tls
        self.htpasswd = htpasswd
        self.token = token
        self.storage = storage or str(self.folder / "storage")

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
        config = self.folder / "config.yml"
        config.write_text(self._config())
        self._launch([REGISTRY_BINARY, "serve", str(config)], detached=self.detached)
        return self


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
