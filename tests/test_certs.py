"""certs.d: a registry's own CA and client certificate, found where docker and podman keep them."""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
from testkit.front import Front, Reply, Request
from testkit.registry import RegistryProcess, TLSFiles
from testkit.seed import Pusher, seed_fluentd

from conftest import CliRun, Seeded
from whichtag import Options, find_same_tags_sync
from whichtag.errors import EXIT_ERROR, EXIT_OK, TLSError, WhichtagError
from whichtag.net.transport import Transport, TransportOptions
from whichtag.net.urls import Origin, origin_of

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]


def _containers_certs_d(host: str) -> Path:
    """``$HOME/.config/containers/certs.d/<host>``: HOME is a fresh folder in every test."""
    directory = Path(os.environ["HOME"], ".config", "containers", "certs.d", host)
    directory.mkdir(parents=True)
    return directory


def test_ca_only_in_certs_d(tls: Seeded, run: Run) -> None:
    reference = f"{tls.host}/fluent/fluentd:latest"
    assert run(reference).code == EXIT_ERROR  # not trusted without it
    directory = _containers_certs_d(tls.host)
    (directory / "ca.crt").write_bytes(Path(str(tls.extra["ca"])).read_bytes())
    result = run(reference, "--json", "--debug")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert f"TLS material for {tls.host} from {directory}" in result.err


def test_docker_certs_d_root_and_host_scoping(tls: Seeded, tmp_path: Path) -> None:
    """The docker layout under another root; the CA applies to that host:port only."""
    docker_root = tmp_path / "etc-docker-certs.d"
    (docker_root / tls.host).mkdir(parents=True)
    (docker_root / tls.host / "registry-ca.crt").write_bytes(
        Path(str(tls.extra["ca"])).read_bytes()
    )
    options = Options(cert_dirs=[docker_root], attempts=1)
    assert find_same_tags_sync(f"{tls.host}/fluent/fluentd:latest", options).tags == ALIASES
    # the same server reached as localhost:port is another host: its certs.d entry is absent
    port = tls.registry.port
    with pytest.raises(TLSError, match="not trusted"):
        find_same_tags_sync(f"localhost:{port}/fluent/fluentd:latest", options)


@pytest.fixture(scope="module")
def mutual_tls(
    ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RegistryProcess, Path]]:
    """A registry that requires a client certificate signed by its client CA."""
    directory = tmp_path_factory.mktemp("mtls")
    server = ca.issue_cert("127.0.0.1", "localhost")
    client_ca = trustme.CA()
    client = client_ca.issue_cert("whichtag-test-client")
    paths = {name: directory / f"{name}.pem" for name in ("cert", "key", "ca", "clientca")}
    server.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    server.private_key_pem.write_to_path(str(paths["key"]))
    ca.cert_pem.write_to_path(str(paths["ca"]))
    client_ca.cert_pem.write_to_path(str(paths["clientca"]))
    material = directory / "client"
    material.mkdir()
    client.cert_chain_pems[0].write_to_path(str(material / "client.cert"))
    client.private_key_pem.write_to_path(str(material / "client.key"))
    ca.cert_pem.write_to_path(str(material / "ca.crt"))
    tls = TLSFiles(str(paths["cert"]), str(paths["key"]), client_cas=str(paths["clientca"]))
    with RegistryProcess(tls=tls) as registry:
        pusher = Pusher(
            registry.url,
            ca_file=str(paths["ca"]),
            client_cert=(str(material / "client.cert"), str(material / "client.key")),
        )
        seed_fluentd(pusher)
        yield registry, material


def test_client_certificate_from_certs_d(
    mutual_tls: tuple[RegistryProcess, Path], run: Run
) -> None:
    registry, material = mutual_tls
    reference = f"{registry.host}/fluent/fluentd:latest"
    directory = _containers_certs_d(registry.host)
    (directory / "ca.crt").write_bytes((material / "ca.crt").read_bytes())
    refused = run(reference, "--timeout", "20")
    assert refused.code == EXIT_ERROR  # the registry wants a client certificate
    assert "Traceback" not in refused.err
    for name in ("client.cert", "client.key"):
        (directory / name).write_bytes((material / name).read_bytes())
    result = run(reference, "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES


@pytest.mark.parametrize("lonely", ["client.cert", "client.key"])
def test_half_a_client_pair_is_a_clear_error(tls: Seeded, run: Run, lonely: str) -> None:
    directory = _containers_certs_d(tls.host)
    (directory / lonely).write_text("-----BEGIN nothing-----\n")
    result = run(f"{tls.host}/fluent/fluentd:latest")
    assert result.code == EXIT_ERROR
    assert "without its" in result.err and str(directory) in result.err
    assert "Traceback" not in result.err


def _trust_and_certificate(registry: RegistryProcess, material: Path) -> Path:
    directory = _containers_certs_d(registry.host)
    for name in ("ca.crt", "client.cert", "client.key"):
        (directory / name).write_bytes((material / name).read_bytes())
    return directory


def test_a_redirect_does_not_borrow_the_client_certificate(
    mutual_tls: tuple[RegistryProcess, Path], plain: Seeded, run: Run
) -> None:
    """Hostile registry B redirects its tag list to registry A, which wants the user's client
    certificate: presented there, A's private tag names would be read as B's and then asked
    of B by HEAD. The certificate goes only to the registry asked about."""
    registry, material = mutual_tls
    _trust_and_certificate(registry, material)
    private = f"https://{registry.host}/v2/fluent/fluentd/tags/list"

    def redirect_the_list(request: Request) -> Reply | None:
        if "/tags/list" in request.path:
            return Reply(307, {"Location": private}, b"")
        return None

    with Front(plain.host, override=redirect_the_list) as hostile:
        result = run(f"{hostile.host}/fluent/fluentd:latest", "--json", "--timeout", "20")
        asked = [s.path for s in hostile.seen if "/manifests/" in s.path]
    assert result.code == EXIT_ERROR, result.err
    assert all(path.endswith("/manifests/latest") for path in asked), asked
    # the same certificate still works for the registry it belongs to
    direct = run(f"{registry.host}/fluent/fluentd:latest", "--json")
    assert direct.code == EXIT_OK, direct.err


def test_the_client_certificate_goes_only_to_the_origin_named(
    mutual_tls: tuple[RegistryProcess, Path],
) -> None:
    """The transport's per-hop rule, asserted on the TLS handshake A accepts or refuses."""
    registry, material = mutual_tls
    _trust_and_certificate(registry, material)
    url = f"https://{registry.host}/v2/"

    async def ask(origin: Origin | None) -> int:
        async with Transport(TransportOptions(attempts=1)) as transport:
            return (await transport.request("GET", url, certificate_origin=origin)).status

    assert asyncio.run(ask(origin_of(url))) == 200
    with pytest.raises(WhichtagError):
        asyncio.run(ask(None))  # A wants a certificate; none is presented
    with pytest.raises(WhichtagError):
        asyncio.run(ask(origin_of("https://elsewhere.example/")))


def test_a_token_realm_on_another_host_never_gets_its_hosts_client_certificate(
    ca: trustme.CA, plain: Seeded, tmp_path: Path
) -> None:
    """A registry naming another host as its token realm, where certs.d holds a client
    certificate for that host: the token request presents none. The certificate belongs to
    that host as a registry asked about, never as a realm a registry named (whichtag would
    authenticate there as the user because a server said so). The realm's server asks for a
    certificate but does not require one, and records whether one came."""
    client_ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    context.verify_mode = ssl.CERT_OPTIONAL
    context.load_verify_locations(cadata=client_ca.cert_pem.bytes().decode())
    token = Reply(200, {"Content-Type": "application/json"}, b'{"token":"t","expires_in":300}')
    with Front(None, override=lambda request: token, tls=context) as realm:
        certs_d = tmp_path / "certs.d"
        directory = certs_d / realm.host
        directory.mkdir(parents=True)
        ca.cert_pem.write_to_path(str(directory / "ca.crt"))
        client = client_ca.issue_cert("whichtag-test-client")
        client.cert_chain_pems[0].write_to_path(str(directory / "client.cert"))
        client.private_key_pem.write_to_path(str(directory / "client.key"))
        challenge = f'Bearer realm="https://{realm.host}/token",service="registry"'

        def wants_a_token(request: Request) -> Reply | None:
            if request.headers.get("Authorization") != "Bearer t":
                return Reply(401, {"WWW-Authenticate": challenge}, b"")
            return None

        options = Options(cert_dirs=[certs_d], attempts=1)
        with Front(plain.host, override=wants_a_token) as registry:
            result = find_same_tags_sync(f"{registry.host}/fluent/fluentd:latest", options)
        asked = [(seen.path.split("?")[0], seen.client_certificate) for seen in realm.seen]

        async def as_the_registry_asked_about() -> int:
            url = f"https://{realm.host}/token"
            async with Transport(TransportOptions(attempts=1, cert_dirs=[certs_d])) as transport:
                response = await transport.request("GET", url, certificate_origin=origin_of(url))
                return response.status

        # the certificate works, and the realm's server sees it when it is presented
        assert asyncio.run(as_the_registry_asked_about()) == 200
        assert realm.seen[-1].client_certificate
    assert result.tags == ALIASES
    assert asked and asked == [("/token", False)] * len(asked)
