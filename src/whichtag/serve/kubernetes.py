"""The images a Kubernetes cluster runs, asked of its API server (``whichtag serve --kubernetes``).

The same reading as ``whichtag outdated --pods`` (``files/pods.py``), over the Pods API through
``kubernetes_asyncio``, which knows the credentials clusters really use: the in-cluster service
account, kubeconfig contexts with client certificates, bearer tokens and exec credential plugins
(``aws eks get-token``, ``gke-gcloud-auth-plugin``). A fresh client per listing: the service
account's rotated token and an exec plugin's short-lived one are read anew each refresh.

Pods are listed in pages (``limit``/``continue``); an expired continue token (410 Gone)
restarts that list from its start, a few times at most; a namespace the RBAC refuses (403) or
any other failure is an entry of ``errors`` for that namespace, never a crash. Everything the
server can grow is bounded: the pods counted, each page's body, the pages followed.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whichtag.answer.outdated import InUse
from whichtag.errors import WhichtagError
from whichtag.files.pods import MAX_PODS, PodImage, pod_containers
from whichtag.names.reference import parse_reference

if TYPE_CHECKING:
    import aiohttp
    from kubernetes_asyncio.client import ApiClient, CoreV1Api

PAGE_LIMIT = 500  # pods asked per page, as kubectl asks
MAX_PAGE_BYTES = 64 * 2**20  # one page's body: 500 pods with their managed fields fit well
MAX_ERROR_BYTES = 64 * 2**10  # the body of a refusal (a Status object)
MAX_RESTARTS = 3  # lists restarted after an expired continue token (410 Gone)
MAX_PAGES = MAX_PODS // PAGE_LIMIT + 100  # empty pages that still say "continue" end too
REQUEST_SECONDS = 60.0  # one page, from connecting to its last byte
MAX_REASON = 300  # characters of a server's message kept in an error
#: where a pod finds its service account (the paths the kubelet mounts)
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@dataclass(frozen=True)
class KubernetesSource:
    """Which pods to list, and how to reach the cluster."""

    namespaces: tuple[str, ...] = ()  # () = all namespaces
    selector: str | None = None  # label selector
    kubeconfig: str | None = None  # default: in-cluster config, else $KUBECONFIG / ~/.kube/config
    context: str | None = None


@dataclass
class KubernetesListing:
    """What the cluster runs, and what could not be listed: a listing with errors is incomplete."""

    uses: list[InUse] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (namespace or "", reason)


async def list_uses(source: KubernetesSource) -> KubernetesListing:
    """Every container image of the pods ``source`` names, as ``outdated --pods`` reads them."""
    listing = KubernetesListing()
    try:
        api_client = await _api_client(source)
    except Exception as error:  # the library's config errors are of many kinds
        listing.errors.append(("", f"cannot configure the Kubernetes client: {_clean(error)}"))
        return listing
    try:
        import aiohttp
        from kubernetes_asyncio.client import CoreV1Api

        api = CoreV1Api(api_client)
        for namespace in dict.fromkeys(source.namespaces or ("",)):
            try:
                await _list_namespace(api, namespace, source.selector, listing)
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ValueError) as error:
                listing.errors.append((namespace, f"cannot list pods: {_clean(error)}"))
    finally:
        await api_client.close()
    return listing


async def _api_client(source: KubernetesSource) -> ApiClient:
    """A client for the in-cluster service account when running in a pod and no kubeconfig
    is named, else for the kubeconfig's (current or named) context."""
    from kubernetes_asyncio.client import ApiClient, Configuration
    from kubernetes_asyncio.config import load_incluster_config, load_kube_config

    configuration = Configuration()
    in_cluster = os.environ.get("KUBERNETES_SERVICE_HOST")
    if in_cluster and source.kubeconfig is None and source.context is None:
        load_incluster_config(  # type: ignore[no-untyped-call]
            client_configuration=configuration,
            token_filename=str(SERVICE_ACCOUNT_DIR / "token"),
            cert_filename=str(SERVICE_ACCOUNT_DIR / "ca.crt"),
        )
    else:
        path = source.kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
        await load_kube_config(
            config_file=os.path.expanduser(path),
            context=source.context,
            client_configuration=configuration,
            persist_config=False,  # never write the user's kubeconfig
        )
    return ApiClient(configuration=configuration)


async def _list_namespace(
    api: CoreV1Api, namespace: str, selector: str | None, listing: KubernetesListing
) -> None:
    """One list (all namespaces when ``namespace`` is empty), page by page; restarted from
    its start when the server has expired the continue token."""
    restarts = 0
    found: list[InUse] = []
    token: str | None = None
    tokens: set[str] = set()
    pods = pages = 0
    while True:
        status, body = await _page(api, namespace, selector, token)
        if status == 410 and token is not None and restarts < MAX_RESTARTS:
            restarts += 1  # an inconsistent rest would mix two moments: start again
            found, token, tokens, pods, pages = [], None, set(), 0, 0
            continue
        if status != 200:
            listing.errors.append((namespace, _refusal(status, body)))
            break
        try:  # a page of 500 pods is megabytes: parsed beside the loop, which serves metrics
            document = await asyncio.to_thread(json.loads, body)
        except (ValueError, RecursionError):
            listing.errors.append((namespace, "the API server's pod list is not JSON"))
            break
        items = document.get("items") if isinstance(document, dict) else None
        metadata = document.get("metadata") if isinstance(document, dict) else None
        if not isinstance(items, list) or not isinstance(metadata, dict):
            listing.errors.append((namespace, "the API server's answer is not a PodList"))
            break
        pods, pages = pods + len(items), pages + 1
        if pods > MAX_PODS:
            listing.errors.append((namespace, f"more than {MAX_PODS} pods; the rest not read"))
            break
        for pod in items:
            found += _uses(pod, namespace, listing)
        after = metadata.get("continue")
        if not after or not isinstance(after, str):
            break
        if after in tokens or pages >= MAX_PAGES:
            listing.errors.append((namespace, "the API server's pages do not end; list cut"))
            break
        tokens.add(after)
        token = after
    listing.uses += found


async def _page(
    api: CoreV1Api, namespace: str, selector: str | None, token: str | None
) -> tuple[int, bytes]:
    """One page of the list: the status and the body, read no further than its cap."""
    import aiohttp

    arguments: dict[str, Any] = {
        "limit": PAGE_LIMIT,
        "_preload_content": False,  # the raw body: capped here, read as kubectl's JSON
        "_request_timeout": aiohttp.ClientTimeout(total=REQUEST_SECONDS),
    }
    if selector:
        arguments["label_selector"] = selector
    if token:
        arguments["_continue"] = token
    # with _preload_content=False the library answers aiohttp's response, not a V1PodList
    response: aiohttp.ClientResponse
    if namespace:
        response = await api.list_namespaced_pod(namespace, **arguments)  # type: ignore[assignment]
    else:
        response = await api.list_pod_for_all_namespaces(**arguments)  # type: ignore[assignment]
    try:
        cap = MAX_PAGE_BYTES if response.status == 200 else MAX_ERROR_BYTES
        return response.status, await _read_capped(response, cap)
    finally:
        response.release()


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes:
    if (response.content_length or 0) > cap:
        raise ValueError(f"the API server's answer is larger than {cap} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(2**16):
        size += len(chunk)
        if size > cap:
            raise ValueError(f"the API server's answer is larger than {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _uses(pod: Any, namespace: str, listing: KubernetesListing) -> list[InUse]:
    """The containers of one pod of the list; a pod that cannot be read is an error of its
    namespace (the listing is incomplete), never skipped quietly, never a crash."""
    if not isinstance(pod, dict):
        listing.errors.append((namespace, "the API server listed an item that is not a Pod"))
        return []
    try:
        images = pod_containers(pod)
    except WhichtagError as error:
        listing.errors.append((namespace, _clean(error.message)))
        return []
    uses: list[InUse] = []
    for image in images:
        try:
            uses.append(_in_use(image))
        except WhichtagError as error:
            where = f"pod {image.namespace}/{image.pod} container {image.container}"
            listing.errors.append((namespace, _clean(f"{where}: {error.message}")))
    return uses


def _in_use(image: PodImage) -> InUse:
    """Where ``outdated --pods`` puts the same container: the same place, the same digest."""
    place: dict[str, Any] = {
        "source": "pod",
        "namespace": image.namespace,
        "pod": image.pod,
        "container": image.container,
        "reference": image.image,
    }
    reference = parse_reference(image.image)
    return InUse(reference, place, digest=image.digest, image_id=image.image_id)


def _refusal(status: int, body: bytes) -> str:
    """A refusal as the API server's ``Status`` object tells it (403: who may not list pods
    where), else its HTTP status."""
    message = ""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        document = None
    if isinstance(document, dict) and isinstance(document.get("message"), str):
        message = document["message"]
    return _clean(f"HTTP {status}: {message}" if message else f"HTTP {status}")


def _clean(value: object) -> str:
    """A server's or library's text made one short printable line (it reaches a terminal and
    a metric's label)."""
    text = " ".join(str(value).split())
    return "".join(c if c.isprintable() else "?" for c in text)[:MAX_REASON]
