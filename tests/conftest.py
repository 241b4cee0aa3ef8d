"""Fixtures: real registries (plain, TLS, htpasswd, token), seeded through the registry API."""

from __future__ import annotations

import base64
import io
import json
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import trustme
from hypothesis import settings
from testkit.front import Front, Override, Reply, Request
from testkit.registry import RegistryProcess, TLSFiles, TokenAuth
from testkit.seed import NGINX_GROUPS, Pusher, seed_fluentd, seed_groups, seed_many
from testkit.tokenserver import TokenPolicy, TokenServer

from whichtag.answer.options import Options
from whichtag.cli import main

USER, PASSWORD = "alice", "s3cret-canary-Pw!"

# No per-example deadline: a busy two-core CI machine must not turn slowness into failures.
settings.register_profile("whichtag", deadline=None)
settings.load_profile("whichtag")


@dataclass
class Seeded:
    """A running registry and what was pushed into it."""

    registry: RegistryProcess
    pusher: Pusher
    fluentd: dict[str, str] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return self.registry.host


@dataclass
class CliRun:
    code: int
    out: str
    err: str
    seconds: float = 0.0

    @property
    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.out)
        return document


@pytest.fixture(scope="session")
def plain() -> Iterator[Seeded]:
    """A plain-HTTP registry with the fluentd sample, an OCI-only image, a multi-arch index
    and a signed repository."""
    with RegistryProcess() as registry:
        pusher = Pusher(registry.url)
        seeded = Seeded(registry, pusher, seed_fluentd(pusher))
        oci = pusher.push_image("oci/only", "oci-image", oci=True, tag="v1")
        body, media_type = pusher.get_manifest("oci/only", oci.digest)
        pusher.tag("oci/only", ["stable"], body, media_type)
        pusher.push_image("oci/only", "oci-other", oci=True, tag="v2")
        seeded.extra["oci"] = oci.digest

        amd = pusher.push_image("multi/arch", "multi-amd64", oci=True)
        arm = pusher.push_image("multi/arch", "multi-arm64", oci=True, platform=("linux", "arm64"))
        index = pusher.push_index(
            "multi/arch", [(amd, ("linux", "amd64")), (arm, ("linux", "arm64"))], tag="latest"
        )
        body, media_type = pusher.get_manifest("multi/arch", index.digest)
        pusher.tag("multi/arch", ["1.0"], body, media_type)
        amd_body, amd_type = pusher.get_manifest("multi/arch", amd.digest)
        pusher.tag("multi/arch", ["1.0-amd64-only"], amd_body, amd_type)
        seeded.extra.update(index=index.digest, amd=amd.digest, arm=arm.digest)

        signed = pusher.push_image("signed/app", "signed", tag="v1")
        body, media_type = pusher.get_manifest("signed/app", signed.digest)
        hexpart = signed.digest.split(":")[1]
        pusher.tag("signed/app", ["latest"], body, media_type)
        signature = pusher.push_image("signed/app", "signature-blob")
        sig_body, sig_type = pusher.get_manifest("signed/app", signature.digest)
        pusher.tag(
            "signed/app", [f"sha256-{hexpart}.sig", f"sha256-{hexpart}.att"], sig_body, sig_type
        )
        seeded.extra.update(signed=signed.digest, signature=signature.digest)
        yield seeded


@pytest.fixture(scope="session")
def nginx(plain: Seeded) -> dict[str, str]:
    """``library/nginx`` on the plain registry: version-named groups modelled on the official
    image's (``1.27.3``, ``mainline``, ``1``, ``1.27``, ``latest``; ``stable-alpine``...)."""
    return seed_groups(plain.pusher, "library/nginx", NGINX_GROUPS)


@pytest.fixture(scope="session")
def big(plain: Seeded) -> dict[str, str]:
    """2,000+ tags in groups of four sharing a manifest (Docker, OCI and index mixed)."""
    return seed_many(plain.pusher, "big/repo", 2100)


@pytest.fixture(scope="session")
def paged(plain: Seeded, big: dict[str, str]) -> Iterator[Front]:
    """The plain registry behind a front that pages tags/list with n/last/Link."""
    with Front(plain.host, paginate=True) as front:
        yield front


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def tls(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """A TLS registry whose certificate (for 127.0.0.1) comes from a test CA."""
    directory = tmp_path_factory.mktemp("tls")
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_path))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(cert_path), append=True)
    cert.private_key_pem.write_to_path(str(key_path))
    ca_path = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    with RegistryProcess(tls=TLSFiles(str(cert_path), str(key_path))) as registry:
        pusher = Pusher(registry.url, ca_file=str(ca_path))
        seeded = Seeded(registry, pusher, seed_fluentd(pusher))
        seeded.extra["ca"] = str(ca_path)
        yield seeded


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(scope="session")
def htpasswd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """A registry behind htpasswd Basic auth."""
    directory = tmp_path_factory.mktemp("htpasswd")
    path = directory / "htpasswd"
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=5)).decode()
    path.write_text(f"{USER}:{hashed}\n")
    with RegistryProcess(htpasswd=str(path)) as registry:
        pusher = Pusher(registry.url, authorization=basic(USER, PASSWORD))
        yield Seeded(registry, pusher, seed_fluentd(pusher))


@dataclass
class TokenSetup(Seeded):
    server: TokenServer | None = None


def token_registry(
    directory: str, policy: TokenPolicy, admin: str = "admin"
) -> tuple[TokenServer, RegistryProcess]:
    policy.users.setdefault(admin, "admin-password")
    server = TokenServer(directory, policy).start()
    registry = RegistryProcess(
        token=TokenAuth(server.realm, server.service, server.issuer, server.root_cert_bundle)
    ).start()
    return server, registry


def admin_pusher(server: TokenServer, registry: RegistryProcess, repositories: list[str]) -> Pusher:
    """A pusher holding a token with push rights (granted by a one-off wide policy)."""
    import time

    import jwt

    now = int(time.time())
    claims = {
        "iss": server.issuer,
        "sub": "admin",
        "aud": server.service,
        "exp": now + 3600,
        "nbf": now - 10,
        "iat": now,
        "jti": "seed",
        "access": [
            {"type": "repository", "name": name, "actions": ["pull", "push"]}
            for name in repositories
        ],
    }
    token = jwt.encode(claims, server._key, algorithm="RS256", headers={"x5c": [server._x5c]})
    return Pusher(registry.url, authorization=f"Bearer {token}")


@pytest.fixture(scope="session")
def token_anonymous(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenSetup]:
    """Token auth where anonymous pulls are allowed (Docker Hub's public model)."""
    server, registry = token_registry(str(tmp_path_factory.mktemp("tokanon")), TokenPolicy())
    pusher = admin_pusher(server, registry, ["fluent/fluentd"])
    setup = TokenSetup(registry, pusher, seed_fluentd(pusher), server=server)
    yield setup
    registry.stop()
    server.stop()


@pytest.fixture(scope="session")
def token_private(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenSetup]:
    """Token auth where pulls need credentials; tokens live a short time."""
    policy = TokenPolicy(users={USER: PASSWORD}, anonymous_pull=False, expires_in=300)
    server, registry = token_registry(str(tmp_path_factory.mktemp("tokpriv")), policy)
    pusher = admin_pusher(server, registry, ["fluent/fluentd"])
    setup = TokenSetup(registry, pusher, seed_fluentd(pusher), server=server)
    yield setup
    registry.stop()
    server.stop()


@pytest.fixture
def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., CliRun]:
    """Run the whichtag CLI in-process: ``run("REF", "--json", stdin="pw\\n")``."""

    def runner(*argv: str, stdin: str = "") -> CliRun:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(argv))
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return runner


def run_via_lister(
    run: Callable[..., CliRun],
    lister: str,
    api: Front,
    reference: str,
    *extra: str,
    stdin: str = "",
) -> CliRun:
    """``whichtag REF --json`` with a vendor lister pointed at a replay of its API."""
    return run(
        reference,
        "--json",
        "--lister",
        lister,
        "--lister-url",
        f"http://{api.host}",
        *extra,
        stdin=stdin,
    )


def run_process(*argv: str, timeout: float = 60) -> CliRun:
    """The CLI as a user runs it, in its own process: shutdown noise and hangs would show."""
    start = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "whichtag", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    elapsed = time.monotonic() - start
    return CliRun(completed.returncode, completed.stdout, completed.stderr, elapsed)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's own credential files."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DOCKER_CONFIG", os.path.join(str(tmp_path), ".docker"))
    monkeypatch.delenv("REGISTRY_AUTH_FILE", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)


@dataclass
class NamedHosts:
    """Several host names served by one TLS front on 127.0.0.1:443 (the resolver hook and
    certs.d trusting the test CA): ``route`` sends each host's requests to its override
    (None: through to the front's upstream) and answers 421 for any other host."""

    context: ssl.SSLContext
    resolve: dict[str, str]
    route: Override
    certs_d: Path

    def options(self, **settings: Any) -> Options:
        """Options that reach these hosts (resolved to 127.0.0.1, their CA trusted through
        certs.d) and nothing of this machine's: no proxy variables, no manifest cache."""
        return Options(
            resolve=self.resolve,
            cert_dirs=[self.certs_d],
            use_proxy_env=False,
            use_cache=False,
            **settings,
        )


def named_hosts(ca: trustme.CA, certs_d: Path, routes: dict[str, Override | None]) -> NamedHosts:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(*routes).configure_cert(context)
    for host in routes:
        (certs_d / host).mkdir()
        ca.cert_pem.write_to_path(str(certs_d / host / "ca.crt"))

    def route(request: Request) -> Reply | None:
        host = request.headers.get("Host", "")
        if host not in routes:
            return Reply(421, {}, b"")
        override = routes[host]
        return override(request) if override is not None else None

    return NamedHosts(context, {host: "127.0.0.1" for host in routes}, route, certs_d)
