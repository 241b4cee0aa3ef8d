"""The local side: images known to a Docker-compatible engine (Docker Engine API; podman's
service speaks the same API), read over its unix socket.

Where the engine is, first found wins (docker's and podman's conventions):
``$DOCKER_HOST`` (``unix://PATH``, or ``tcp://`` without TLS to a loopback address only),
the current docker context (``currentContext`` in ``~/.docker/config.json`` → its endpoint),
``/var/run/docker.sock``, then podman's ``$XDG_RUNTIME_DIR/podman/podman.sock`` and
``/run/podman/podman.sock``. Only ``GET /images/{name}/json`` and (``whichtag outdated
--engine``) ``GET /containers/json`` are asked.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from whichtag.errors import NotFoundError, TransportError, UsageError, WhichtagError
from whichtag.files.guarded import read_regular_file
from whichtag.net.hosts import is_local_host

MAX_ENGINE_BODY = 16 * 1024 * 1024
MAX_CONTAINERS = 10_000
FIELDS = ("Id", "Image", "ImageID")  # what each entry of GET /containers/json must carry
MAX_CONFIG_BYTES = 4 * 1024 * 1024  # config.json and a context's meta.json, as credentials
DOCKER_SOCKET = "/var/run/docker.sock"
PODMAN_ROOT_SOCKET = "/run/podman/podman.sock"


@dataclass(frozen=True)
class Endpoint:
    """Where an engine listens: a unix socket path, or a loopback ``host:port``."""

    socket: str | None = None
    address: str | None = None
    source: str = ""

    def __str__(self) -> str:
        return f"unix://{self.socket}" if self.socket else f"tcp://{self.address}"


@dataclass
class LocalImage:
    """What ``docker image inspect`` says of an image: its ID, names and repo digests."""

    id: str
    repo_tags: list[str] = field(default_factory=list)
    repo_digests: list[str] = field(default_factory=list)


def _from_docker_host(value: str) -> Endpoint:
    parts = urlsplit(value)
    if parts.scheme == "unix":
        return Endpoint(socket=parts.path, source="DOCKER_HOST")
    if parts.scheme == "tcp" and parts.hostname and is_local_host(parts.hostname):
        return Endpoint(address=f"{parts.hostname}:{parts.port or 2375}", source="DOCKER_HOST")
    raise UsageError(
        f"DOCKER_HOST={value[:100]!r} is not supported",
        hint="whichtag talks to unix:// sockets, or tcp:// on a loopback address without TLS",
    )


def _current_context() -> Endpoint | None:
    """The docker CLI's current context's endpoint, if one is set (other than default)."""
    config_dir = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    name = os.environ.get("DOCKER_CONTEXT")
    if not name:
        try:
            document = json.loads(read_regular_file(config_dir / "config.json", MAX_CONFIG_BYTES))
        except (OSError, ValueError, RecursionError):
            return None
        name = document.get("currentContext") if isinstance(document, dict) else None
    if not isinstance(name, str) or name in ("", "default"):
        return None
    meta = config_dir / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    try:
        document = json.loads(read_regular_file(meta / "meta.json", MAX_CONFIG_BYTES))
        host = document["Endpoints"]["docker"]["Host"]
    except (OSError, ValueError, RecursionError, KeyError, TypeError):
        return None
    if not isinstance(host, str):
        return None
    endpoint = _from_docker_host(host)
    return Endpoint(endpoint.socket, endpoint.address, f"docker context {name!r}")


def candidate_endpoints() -> list[Endpoint]:
    """Engines to try, in order."""
    host = os.environ.get("DOCKER_HOST")
    if host:
        return [_from_docker_host(host)]
    found: list[Endpoint] = []
    context = _current_context()
    if context is not None:
        found.append(context)
    found.append(Endpoint(socket=DOCKER_SOCKET, source="docker's default socket"))
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        found.append(Endpoint(socket=f"{runtime}/podman/podman.sock", source="podman (user)"))
    found.append(Endpoint(socket=PODMAN_ROOT_SOCKET, source="podman (root)"))
    return found


@dataclass(frozen=True)
class RunningContainer:
    """What ``docker ps`` says of a running container."""

    id: str
    name: str
    image: str  # the reference it was started from (or an image ID)
    image_id: str


async def inspect_image(name: str, endpoints: list[Endpoint] | None = None) -> LocalImage:
    """``GET /images/{name}/json`` from the first engine that answers."""
    endpoint, status, body = await _get(f"/images/{quote(name, safe='')}/json", endpoints)
    return _parse_inspect(name, status, body, endpoint)


async def running_containers(endpoints: list[Endpoint] | None = None) -> list[RunningContainer]:
    """``GET /containers/json`` (running ones, as ``docker ps``) from the first engine that
    answers."""
    endpoint, status, body = await _get("/containers/json", endpoints)
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        document = None
    if status != 200 or not isinstance(document, list):
        raise WhichtagError(
            f"{endpoint} did not answer like a container engine (HTTP {status})",
            hint="point DOCKER_HOST at a docker or podman API socket",
        )
    if len(document) > MAX_CONTAINERS:
        raise WhichtagError(
            f"{endpoint} runs {len(document)} containers; at most {MAX_CONTAINERS} are asked "
            "about in one run",
            hint="ask about their images with -f instead",
        )
    return [_running(entry, endpoint) for entry in document]


def _running(entry: Any, endpoint: Endpoint) -> RunningContainer:
    """One container of ``docker ps``; an entry without its ID, image or image ID is not
    something an engine sends, and is never skipped quietly."""
    fields = [entry.get(key) if isinstance(entry, dict) else None for key in FIELDS]
    if not all(isinstance(value, str) and value for value in fields):
        raise WhichtagError(
            f"{endpoint} listed a container without {', '.join(FIELDS)}",
            hint="point DOCKER_HOST at a docker or podman API socket",
        )
    names = entry.get("Names")
    name = names[0] if isinstance(names, list) and names and isinstance(names[0], str) else ""
    container_id, image, image_id = (str(value) for value in fields)
    return RunningContainer(container_id, name.lstrip("/"), image, image_id)


async def _get(path: str, endpoints: list[Endpoint] | None) -> tuple[Endpoint, int, bytes]:
    """``GET path`` from the first engine that answers: the engine, status and body."""
    import aiohttp

    tried: list[str] = []
    for endpoint in endpoints if endpoints is not None else candidate_endpoints():
        if endpoint.socket is not None and not os.path.exists(endpoint.socket):
            tried.append(f"{endpoint} (absent)")
            continue
        connector: aiohttp.BaseConnector = (
            aiohttp.UnixConnector(path=endpoint.socket)
            if endpoint.socket is not None
            else aiohttp.TCPConnector()
        )
        base = "http://engine" if endpoint.socket is not None else f"http://{endpoint.address}"
        url = f"{base}{path}"
        timeout = aiohttp.ClientTimeout(total=30)
        try:
            async with (
                aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
                session.get(url) as response,
            ):
                body = await _read_to_end(response, endpoint)
                status = response.status
        except (aiohttp.ClientError, OSError) as error:
            cause = getattr(error, "os_error", error)
            if isinstance(cause, PermissionError):
                raise TransportError(
                    f"permission denied on the engine socket {endpoint}",
                    hint="run as a user in the docker group, or use podman's user socket",
                ) from None
            tried.append(f"{endpoint} ({error.__class__.__name__})")
            continue
        return endpoint, status, body
    raise TransportError(
        "no container engine reachable: tried " + "; ".join(tried),
        hint="start docker or `podman system service`, or set DOCKER_HOST=unix:///path/to/sock",
    )


async def _read_to_end(response: Any, endpoint: Endpoint) -> bytes:
    """The whole answer, however it is chunked (``read(n)`` returns only what has arrived),
    never more than MAX_ENGINE_BODY."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_ENGINE_BODY:
            raise WhichtagError(
                f"{endpoint} answered with more than {MAX_ENGINE_BODY} bytes",
                hint="point DOCKER_HOST at a docker or podman API socket",
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_inspect(name: str, status: int, body: bytes, endpoint: Endpoint) -> LocalImage:
    if status == 404:
        raise NotFoundError(
            f"no image {name!r} in the local engine ({endpoint})",
            hint="list local images with docker images (or podman images)",
        )
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        document = None
    if status != 200 or not isinstance(document, dict) or not isinstance(document.get("Id"), str):
        raise WhichtagError(
            f"{endpoint} did not answer like a container engine (HTTP {status})",
            hint="point DOCKER_HOST at a docker or podman API socket",
        )
    image_id = document["Id"]
    if not image_id.startswith("sha256:"):
        image_id = "sha256:" + image_id

    def strings(key: str) -> list[str]:
        values = document.get(key)
        return [v for v in values if isinstance(v, str)][:1000] if isinstance(values, list) else []

    return LocalImage(image_id, strings("RepoTags"), strings("RepoDigests"))
