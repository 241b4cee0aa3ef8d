"""A programmable HTTP front for tests: proxies to a real registry and can change its answers.

- ``paginate``: serve the spec's ``n``/``last``/``Link`` paging of ``tags/list`` over the
  registry's full, lexically sorted list (Debian's distribution 2.8 does not page tag lists).
- ``faults``: fail a fraction of requests at random (5xx, 429 with Retry-After, connection
  reset, truncated body, stall) with a seeded generator, never the same request twice in a row
  so every request can succeed within the client's retries.
- ``override``: a function that may answer a request itself (hostile-server scenarios).
Every request is recorded (method, path, Authorization) for assertions.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from testkit.httpserver import LoopbackServer, QuietHandler

_TAGS_PATH = re.compile(r"/v2/(?P<name>.+)/tags/list")


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None
    headers: dict[str, str]
    client_certificate: bool = False  # a TLS client certificate was presented (and verified)


@dataclass
class Reply:
    """A canned answer: status, headers, body; ``raw`` bytes replace the whole response."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    raw: bytes | None = None
    close: bool = False


FAULT_KINDS = ("500", "502", "503", "429", "reset", "truncate", "stall")


@dataclass
class Faults:
    rate: float = 0.1
    seed: int = 0
    kinds: tuple[str, ...] = FAULT_KINDS
    stall_seconds: float = 3.0
    retry_after: str = "0"


Override = Callable[["Request"], Reply | None]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Front:
    """A threaded proxy on a free loopback port in front of ``upstream`` (host:port)."""

    def __init__(
        self,
        upstream: str | None,
        *,
        paginate: bool = False,
        faults: Faults | None = None,
        override: Override | None = None,
        port: int = 0,
        tls: ssl.SSLContext | None = None,
        address: str = "127.0.0.1",
    ) -> None:
        self.upstream = upstream
        self.address = address
        self.paginate = paginate
        self.faults = faults
        self.override = override
        self.seen: list[Seen] = []
        self.fault_counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._random = random.Random(faults.seed if faults else 0)
        self._last_faulted: set[str] = set()
        self._local = threading.local()
        front = self

        class Handler(QuietHandler):
            def handle_one(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(self.command, self.path, dict(self.headers.items()), body)
                peer = getattr(self.connection, "getpeercert", None)
                front._record(request, client_certificate=bool(peer and peer()))
                reply = front._answer(request)
                self._write(reply)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_one

            def _write(self, reply: Reply) -> None:
                if reply.raw is not None:
                    self.wfile.write(reply.raw)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                length = str(len(reply.body))
                if self.command == "HEAD":
                    length = reply.headers.get("Content-Length", length)
                self.send_header("Content-Length", length)
                if reply.close:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

        self._server = LoopbackServer(Handler, queue_size=256, port=port, tls=tls, address=address)
        self.port = self._server.port

    @property
    def host(self) -> str:
        address = f"[{self.address}]" if ":" in self.address else self.address
        return f"{address}:{self.port}"

    def start(self) -> Front:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Front:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, request: Request, *, client_certificate: bool = False) -> None:
        with self._lock:
            self.seen.append(
                Seen(
                    request.method,
                    request.path,
                    request.headers.get("Authorization"),
                    request.headers,
                    client_certificate,
                )
            )

    def _answer(self, request: Request) -> Reply:
        if self.override is not None:
            reply = self.override(request)
            if reply is not None:
                return reply
        fault = self._pick_fault(request)
        if fault is not None:
            return self._fault(fault, request)
        match = _TAGS_PATH.fullmatch(urlsplit(request.path).path)
        if self.paginate and match and request.method == "GET":
            return self.paged_tags(match.group("name"), request)
        return self.forward(request)

    def _pick_fault(self, request: Request) -> str | None:
        faults = self.faults
        if faults is None or request.path == "/v2/":
            return None
        with self._lock:
            if request.path in self._last_faulted:
                self._last_faulted.discard(request.path)
                return None
            if self._random.random() >= faults.rate:
                return None
            kind = self._random.choice(faults.kinds)
            self._last_faulted.add(request.path)
            self.fault_counts[kind] = self.fault_counts.get(kind, 0) + 1
            return kind

    def _fault(self, kind: str, request: Request) -> Reply:
        assert self.faults is not None
        if kind in ("500", "502", "503"):
            return Reply(int(kind), {"Content-Type": "text/plain"}, b"upstream trouble")
        if kind == "429":
            body = json.dumps({"errors": [{"code": "TOOMANYREQUESTS", "message": "slow down"}]})
            return Reply(429, {"Retry-After": self.faults.retry_after}, body.encode())
        if kind == "reset":
            return Reply(raw=b"")
        if kind == "stall":
            time.sleep(self.faults.stall_seconds)
            return Reply(raw=b"")
        # truncate: promise more bytes than are sent, then close
        real = self.forward(request)
        if request.method == "HEAD" or not real.body:
            return Reply(raw=b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        head = f"HTTP/1.1 {real.status} OK\r\nContent-Length: {len(real.body) + 100}\r\n"
        for key, value in real.headers.items():
            if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                head += f"{key}: {value}\r\n"
        return Reply(raw=head.encode() + b"\r\n" + real.body[: len(real.body) // 2])

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            assert self.upstream is not None
            connection = http.client.HTTPConnection(self.upstream, timeout=30)
            self._local.connection = connection
        return connection

    def forward(self, request: Request, path: str | None = None) -> Reply:
        """Send ``request`` to the upstream registry and return its answer."""
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "connection")
        }
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request(
                    request.method, path or request.path, body=request.body or None, headers=headers
                )
                response = connection.getresponse()
                body = response.read()
                answer = {k: v for k, v in response.getheaders()}
                if request.method == "HEAD" and "Content-Length" in answer:
                    body = b""
                return (
                    Reply(response.status, answer, body)
                    if request.method != "HEAD"
                    else _head_reply(response.status, answer)
                )
            except (TimeoutError, http.client.HTTPException, ConnectionError):
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    return Reply(502, {}, b"front: upstream failed")
        raise AssertionError("unreachable")

    def paged_tags(self, name: str, request: Request) -> Reply:
        full = self.forward(Request("GET", f"/v2/{name}/tags/list", request.headers, b""))
        if full.status != 200:
            return full
        tags = sorted(json.loads(full.body).get("tags") or [])
        query = {k: v[-1] for k, v in parse_qs(urlsplit(request.path).query).items()}
        last = query.get("last")
        if last is not None:
            tags = [tag for tag in tags if tag > last]
        headers = {"Content-Type": "application/json"}
        if "n" in query:
            size = int(query["n"])
            if size > 1000:
                body = json.dumps(
                    {"errors": [{"code": "PAGINATION_NUMBER_INVALID", "message": "n too large"}]}
                )
                return Reply(400, headers, body.encode())
            page = tags[:size]
            if len(tags) > size and page:
                headers["Link"] = f'</v2/{name}/tags/list?n={size}&last={page[-1]}>; rel="next"'
            tags = page
        return Reply(200, headers, json.dumps({"name": name, "tags": tags}).encode())


def _head_reply(status: int, headers: dict[str, str]) -> Reply:
    reply = Reply(status, headers, b"")
    return reply
