"""``whichtag serve --kubernetes`` end to end: the exporter as a process, reaching the replaying
Kubernetes API server through a kubeconfig, exporting one series per container it lists and
counting a namespace the RBAC refuses, never crashing on it.

The images the replayed pods run live on registries this machine cannot reach, so every image
is honestly ``whichtag_image_checked 0``: what is asserted here is the wiring from the API to
the metrics, with the registry side covered by tests/test_serve.py."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
from aiohttp import web

from test_kubernetes import PODS, ApiServer, Cluster
from test_serve import Served, _sample, serve  # noqa: F401 - serve is the fixture


@pytest.fixture
def cluster(ca: trustme.CA, tmp_path: Path) -> Iterator[tuple[ApiServer, Cluster]]:
    """The replaying API server on its own thread and event loop, for a serve process."""
    server = ApiServer(token="token-s", refused=frozenset({"locked"}))
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, object] = {}

    async def start() -> None:
        app = web.Application()
        app.router.add_get("/api/v1/pods", server.handle)
        app.router.add_get("/api/v1/namespaces/{namespace}/pods", server.handle)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        holder["runner"] = runner
        holder["port"] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        started.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()))
    thread.start()
    assert started.wait(10)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    try:
        yield server, Cluster(int(str(holder["port"])), ca_file, tmp_path)
    finally:
        runner = holder["runner"]
        assert isinstance(runner, web.AppRunner)
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def test_serve_lists_the_cluster_and_counts_a_refused_namespace(
    cluster: tuple[ApiServer, Cluster],
    serve: Callable[..., Served],  # noqa: F811 - the fixture imported above
) -> None:
    server, api = cluster
    kubeconfig = api.kubeconfig({"token": "token-s"})
    policy = api.folder / "policy.yaml"
    policy.write_text("ignore:\n  - redis\n")  # the policy file applies to the cluster too
    served = serve(
        "--config",
        str(policy),
        "--kubernetes",
        "--kubeconfig",
        kubeconfig,
        "--context",
        "test",
        "--namespace",
        "default",
        "--namespace",
        "locked",
        "--interval",
        "1h",
        "--timeout",
        "5",
        "--no-cache",
    )
    text = served.scrape()
    code, _, stderr = served.stop()
    assert code == 0, stderr
    # the API was asked for the two namespaces named, with the kubeconfig's token
    paths = {seen.path for seen in server.seen}
    assert paths == {"/api/v1/namespaces/default/pods", "/api/v1/namespaces/locked/pods"}
    assert {seen.authorization for seen in server.seen} == {"Bearer token-s"}
    # one info series per container of the namespace listed, none of the refused one
    in_default = {
        (pod["metadata"]["name"], container["name"])
        for pod in PODS
        if pod["metadata"]["namespace"] == "default"
        for container in pod["spec"].get("containers", [])
        if not container["image"].startswith("redis")
    }
    assert in_default
    assert not _sample(text, "whichtag_image_info", 'pod="redis-0"')  # ignored: not asked
    for pod, container in in_default:
        assert _sample(text, "whichtag_image_info", f'pod="{pod}"', f'container="{container}"')
    assert not _sample(text, "whichtag_image_info", 'namespace="locked"')
    assert not _sample(text, "whichtag_image_info", 'namespace="web"')
    # registries out of reach: checked 0, never a stale or update sample made up
    checked = _sample(text, "whichtag_image_checked", 'namespace="default"')
    assert checked and all(line.endswith(" 0.0") or line.endswith(" 0") for line in checked)
    assert not _sample(text, "whichtag_image_stale")
    assert not _sample(text, "whichtag_image_update_available")
    assert _sample(text, "whichtag_check_errors_total", 'registry="kubernetes"')
