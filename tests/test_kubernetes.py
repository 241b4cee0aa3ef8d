"""The Kubernetes source of ``whichtag serve``: pods listed through the API server.

No API server can run here, so a replaying one does (aiohttp over HTTPS with a trustme CA):
it answers the documented shapes recorded in ``tests/data/kubernetes/`` (a ``PodList`` paged
by ``limit``/``continue``, a 403 ``Status`` for a namespace the RBAC refuses, a 410 ``Status``
for an expired continue token) and records what it received. It is reached the ways clusters
really are: kubeconfigs with a bearer token, a client certificate (which it requires and
checks) and an exec credential plugin, and the in-cluster service account.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import ssl
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml
from aiohttp import web

from whichtag.files.pods import document_images
from whichtag.serve import kubernetes
from whichtag.serve.kubernetes import KubernetesListing, KubernetesSource, list_uses

DATA = Path(__file__).parent / "data" / "kubernetes"
PODS: list[dict[str, Any]] = json.loads((DATA / "pods.json").read_text())["items"]
FORBIDDEN = json.loads((DATA / "status-403.json").read_text())
EXPIRED = json.loads((DATA / "status-410.json").read_text())
UNAUTHORIZED = json.loads((DATA / "status-401.json").read_text())


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    query: dict[str, str]
    authorization: str | None
    client_certificate: bool


@dataclass
class ApiServer:
    """Replays the Pods API over ``PODS``: pages of ``limit`` pods with an opaque continue
    token, 403 for ``refused`` namespaces, 410 for the first ``expire`` continue requests."""

    token: str | None = None  # the bearer token it accepts (None: a client certificate)
    refused: frozenset[str] = frozenset()
    expire: int = 0  # continue requests answered 410 Gone before serving again
    page_bytes: int = 0  # pad each page's body to this size
    repeat_token: str = ""  # "growing": a new token on every page forever; "same": one token
    seen: list[Seen] = field(default_factory=list)
    generation: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peercert") if request.transport else None
        self.seen.append(
            Seen(
                request.path,
                dict(request.query),
                request.headers.get("Authorization"),
                bool(peer),
            )
        )
        if self.token is not None and request.headers.get("Authorization") != (
            f"Bearer {self.token}"
        ):
            return web.json_response(UNAUTHORIZED, status=401)
        namespace = request.match_info.get("namespace", "")
        if namespace in self.refused:
            return web.json_response(FORBIDDEN, status=403)
        pods = [pod for pod in PODS if not namespace or pod["metadata"]["namespace"] == namespace]
        selector = request.query.get("labelSelector")
        if selector:
            key, _, value = selector.partition("=")
            pods = [pod for pod in pods if pod["metadata"]["labels"].get(key) == value]
        start = 0
        if "continue" in request.query:
            if self.expire:
                self.expire -= 1
                self.generation += 1  # the list's moment is gone: a new list starts anew
                return web.json_response(EXPIRED, status=410)
            state = json.loads(base64.urlsafe_b64decode(request.query["continue"]))
            assert state["generation"] == self.generation, "a token of an expired list"
            start = state["start"]
        limit = int(request.query.get("limit", "0")) or len(pods)
        page = pods[start : start + limit]
        metadata: dict[str, Any] = {"resourceVersion": "4242"}
        if start + limit < len(pods) or self.repeat_token:
            after = start if self.repeat_token == "same" and start else start + limit
            state = {"generation": self.generation, "start": after}
            metadata["continue"] = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
        if self.page_bytes:
            metadata["padding"] = "x" * self.page_bytes
        body = {"apiVersion": "v1", "kind": "PodList", "metadata": metadata, "items": page}
        return web.json_response(body)


@dataclass
class Cluster:
    """The server's address, and the files a client needs to reach it."""

    port: int
    ca_file: Path
    folder: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def kubeconfig(self, user: dict[str, Any], name: str = "kubeconfig") -> str:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "test",
                    "cluster": {"server": self.url, "certificate-authority": str(self.ca_file)},
                }
            ],
            "users": [{"name": "someone", "user": user}],
            "contexts": [
                {"name": "other", "context": {"cluster": "test", "user": "nobody"}},
                {"name": "test", "context": {"cluster": "test", "user": "someone"}},
            ],
            "current-context": "other",  # the tests name their context
        }
        path = self.folder / name
        path.write_text(yaml.safe_dump(config))
        return str(path)


Scenario = Callable[[Cluster], Awaitable[KubernetesListing]]


def serve(
    server: ApiServer, ca: trustme.CA, tmp_path: Path, scenario: Scenario, *, certs: bool = False
) -> KubernetesListing:
    """Run ``scenario`` against ``server`` over HTTPS (requiring a client certificate signed
    by ``ca`` when ``certs``), and answer what it listed."""

    async def main() -> KubernetesListing:
        app = web.Application()
        app.router.add_get("/api/v1/pods", server.handle)
        app.router.add_get("/api/v1/namespaces/{namespace}/pods", server.handle)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        if certs:
            ca.configure_trust(context)
            context.verify_mode = ssl.CERT_REQUIRED
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ca_file = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        try:
            return await scenario(Cluster(port, ca_file, tmp_path))
        finally:
            await runner.cleanup()

    return asyncio.run(main())


@pytest.fixture(autouse=True)
def _no_cluster_around(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the machine's cluster nor a proxy: only the replaying server is reached."""
    for name in ("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "KUBECONFIG"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(kubernetes, "PAGE_LIMIT", 2)  # five pods: pages of two


def places(listing: KubernetesListing) -> list[tuple[str, str, str, str | None]]:
    return [
        (use.place["namespace"], use.place["pod"], use.place["container"], use.digest)
        for use in listing.uses
    ]


def expected(namespaces: set[str] | None = None) -> list[tuple[str, str, str, str | None]]:
    """What ``outdated --pods`` reads of the same pods."""
    document = {"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": PODS}
    return [
        (image.namespace, image.pod, image.container, image.digest)
        for image in document_images(document)
        if namespaces is None or image.namespace in namespaces
    ]


def continues(server: ApiServer) -> list[str | None]:
    return [seen.query.get("continue") for seen in server.seen]


def test_a_bearer_token_lists_all_namespaces_page_by_page(ca: trustme.CA, tmp_path: Path) -> None:
    server = ApiServer(token="token-a")

    async def scenario(cluster: Cluster) -> KubernetesListing:
        config = cluster.kubeconfig({"token": "token-a"})
        return await list_uses(KubernetesSource(kubeconfig=config, context="test"))

    listing = serve(server, ca, tmp_path, scenario)
    assert listing.errors == []
    assert places(listing) == expected()
    # init, ephemeral, a bare image ID and a pending pod's container are all there
    assert ("default", "web-7d4b9c-x2x9q", "debugger-abcde", "sha256:" + "c" * 64) in places(
        listing
    )
    assert ("web", "pending-job-zzz", "job", None) in places(listing)
    sidecar = next(use for use in listing.uses if use.place["container"] == "sidecar")
    assert (sidecar.digest, sidecar.image_id) == (None, "sha256:" + "f" * 64)
    assert sidecar.place["reference"] == "envoyproxy/envoy:v1.30.1"
    assert [seen.path for seen in server.seen] == ["/api/v1/pods"] * 3
    assert [seen.query["limit"] for seen in server.seen] == ["2"] * 3
    tokens = continues(server)
    assert tokens[0] is None and tokens[1] and tokens[2] and tokens[1] != tokens[2]
    assert {seen.authorization for seen in server.seen} == {"Bearer token-a"}


def test_a_namespace_the_rbac_refuses_is_an_error_of_that_namespace(
    ca: trustme.CA, tmp_path: Path
) -> None:
    server = ApiServer(token="token-a", refused=frozenset({"kube-system"}))

    async def scenario(cluster: Cluster) -> KubernetesListing:
        config = cluster.kubeconfig({"token": "token-a"})
        source = KubernetesSource(("web", "kube-system", "default"), "app=web", config, "test")
        return await list_uses(source)

    listing = serve(server, ca, tmp_path, scenario)
    assert len(listing.errors) == 1
    namespace, reason = listing.errors[0]
    assert namespace == "kube-system"
    assert reason.startswith("HTTP 403: pods is forbidden: User")
    web_pods = {("web", "frontend-5c9f-abcde"), ("web", "pending-job-zzz")}
    assert {(n, p) for n, p, _, _ in places(listing)} == web_pods | {
        ("default", "web-7d4b9c-x2x9q")
    }
    assert [seen.path for seen in server.seen] == [
        "/api/v1/namespaces/web/pods",
        "/api/v1/namespaces/kube-system/pods",
        "/api/v1/namespaces/default/pods",
    ]
    assert {seen.query["labelSelector"] for seen in server.seen} == {"app=web"}


def test_an_expired_continue_token_restarts_the_list(ca: trustme.CA, tmp_path: Path) -> None:
    server = ApiServer(token="token-a", expire=1)

    async def scenario(cluster: Cluster) -> KubernetesListing:
        config = cluster.kubeconfig({"token": "token-a"})
        return await list_uses(KubernetesSource(kubeconfig=config, context="test"))

    listing = serve(server, ca, tmp_path, scenario)
    assert listing.errors == []
    assert places(listing) == expected()  # each pod once: the first page's were dropped
    tokens = continues(server)
    assert tokens[0] is None and tokens[1] is not None  # the 410
    assert tokens[2] is None  # started again from the start
    assert len(server.seen) == 5


def test_restarts_after_expired_tokens_are_bounded(ca: trustme.CA, tmp_path: Path) -> None:
    server = ApiServer(token="token-a", expire=1_000)

    async def scenario(cluster: Cluster) -> KubernetesListing:
        config = cluster.kubeconfig({"token": "token-a"})
        return await list_uses(KubernetesSource(kubeconfig=config, context="test"))

    listing = serve(server, ca, tmp_path, scenario)
    assert len(server.seen) == 2 * (kubernetes.MAX_RESTARTS + 1)
    assert listing.errors == [("", listing.errors[0][1])]
    assert listing.errors[0][1].startswith("HTTP 410: The provided continue parameter")
    assert len(listing.uses) == 4  # the first page (two pods, four containers) is kept:
    # the error marks the listing incomplete


def test_a_client_certificate_the_server_checks(ca: trustme.CA, tmp_path: Path) -> None:
    server = ApiServer(token=None)
    client = ca.issue_cert("whichtag@example.org")
    cert, key = tmp_path / "client.crt", tmp_path / "client.key"
    cert.write_bytes(b"".join(blob.bytes() for blob in client.cert_chain_pems))
    key.write_bytes(client.private_key_pem.bytes())

    async def scenario(cluster: Cluster) -> KubernetesListing:
        with_cert = cluster.kubeconfig(
            {"client-certificate": str(cert), "client-key": str(key)}, "with-cert"
        )
        without = cluster.kubeconfig({"token": "token-a"}, "without")
        refused = await list_uses(KubernetesSource(kubeconfig=without, context="test"))
        assert [namespace for namespace, _ in refused.errors] == [""]
        assert refused.uses == []
        return await list_uses(KubernetesSource(kubeconfig=with_cert, context="test"))

    listing = serve(server, ca, tmp_path, scenario, certs=True)
    assert listing.errors == []
    assert places(listing) == expected()
    assert server.seen and all(seen.client_certificate for seen in server.seen)
    assert {seen.authorization for seen in server.seen} == {None}


def test_an_exec_credential_plugin_token_is_used(ca: trustme.CA, tmp_path: Path) -> None:
    server = ApiServer(token="token-from-exec")
    plugin = tmp_path / "get-token"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": "token-from-exec", "expirationTimestamp": "2099-01-01T00:00:00Z"},
    }
    asked = tmp_path / "asked"
    plugin.write_text(
        f"#!/bin/sh\nprintf '%s' \"$KUBERNETES_EXEC_INFO\" > {asked}\n"
        f"cat <<'EOF'\n{json.dumps(credential)}\nEOF\n"
    )
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)

    async def scenario(cluster: Cluster) -> KubernetesListing:
        config = cluster.kubeconfig(
            {
                "exec": {
                    "apiVersion": "client.authentication.k8s.io/v1",
                    "command": str(plugin),
                    "args": ["token", "--cluster", "test"],
                    "interactiveMode": "Never",
                }
            }
        )
        return await list_uses(KubernetesSource(kubeconfig=config, context="test"))

    listing = serve(server, ca, tmp_path, scenario)
    assert listing.errors == []
    assert places(listing) == expected()
    assert {seen.authorization for seen in server.seen} == {"Bearer token-from-exec"}
    assert json.loads(asked.read_text())["kind"] == "ExecCredential"  # the plugin was asked


def test_in_cluster_service_account(
    ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = ApiServer(token="service-account-token")
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text("service-account-token")
    ca.cert_pem.write_to_path(str(account / "ca.crt"))
    monkeypatch.setattr(kubernetes, "SERVICE_ACCOUNT_DIR", account)

    async def scenario(cluster: Cluster) -> KubernetesListing:
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(cluster.port))
        return await list_uses(KubernetesSource(namespaces=("default",)))

    listing = serve(server, ca, tmp_path, scenario)
    assert listing.errors == []
    assert places(listing) == expected({"default"})
    assert {seen.path for seen in server.seen} == {"/api/v1/namespaces/default/pods"}
    assert {seen.authorization for seen in server.seen} == {"Bearer service-account-token"}


@pytest.mark.parametrize("bound", ["pods", "page-bytes", "pages", "same-token"])
def test_what_a_server_can_grow_is_bounded(
    bound: str, ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = ApiServer(token="token-a")
    if bound == "pods":
        monkeypatch.setattr(kubernetes, "MAX_PODS", 3)
    elif bound == "page-bytes":
        monkeypatch.setattr(kubernetes, "MAX_PAGE_BYTES", 200_000)
        server.page_bytes = 300_000
    elif bound == "pages":
        server.repeat_token = "growing"
        monkeypatch.setattr(kubernetes, "MAX_PAGES", 6)
    else:
        server.repeat_token = "same"

    async def scenario(cluster: Cluster) -> KubernetesListing:
        config = cluster.kubeconfig({"token": "token-a"})
        return await list_uses(KubernetesSource(kubeconfig=config, context="test"))

    listing = serve(server, ca, tmp_path, scenario)
    assert len(listing.errors) == 1 and listing.errors[0][0] == ""
    reason = listing.errors[0][1]
    assert {
        "pods": "more than 3 pods",
        "page-bytes": "larger than 200000 bytes",
        "pages": "pages do not end",
        "same-token": "pages do not end",
    }[bound] in reason
    assert len(server.seen) <= 6


def test_no_cluster_is_an_error_not_a_crash(tmp_path: Path) -> None:
    missing = KubernetesSource(kubeconfig=str(tmp_path / "nothing"))
    listing = asyncio.run(list_uses(missing))
    assert listing.uses == [] and len(listing.errors) == 1
    assert listing.errors[0][0] == ""
    assert listing.errors[0][1].startswith("cannot configure the Kubernetes client")


def test_an_unreachable_server_is_an_error_of_each_namespace(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    source = KubernetesSource(namespaces=("a", "b"), kubeconfig=str(config))
    listing = asyncio.run(list_uses(source))
    assert [namespace for namespace, _ in listing.errors] == ["a", "b"]
    assert all(reason.startswith("cannot list pods") for _, reason in listing.errors)
    assert os.environ.get("KUBERNETES_SERVICE_HOST") is None
