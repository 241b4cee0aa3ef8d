"""A threaded HTTP server on a free loopback port, run in the background: the base of the
test servers (the programmable front, the token server)."""

from __future__ import annotations

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, no access log on stderr, no Nagle delay.

    Headers and body go out in two writes; on a kept-alive connection Nagle's algorithm
    would hold the second until the client's delayed ACK (about 40 ms), which no real
    registry or API makes a client wait.
    """

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingHTTPServerV6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class LoopbackServer:
    """Serves ``handler`` on 127.0.0.1 (or ``address``, e.g. ``::1``) from a daemon thread
    between start() and stop(): on a free port unless ``port`` is given, over TLS when ``tls``
    is a server context."""

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        *,
        queue_size: int = 128,
        port: int = 0,
        tls: ssl.SSLContext | None = None,
        address: str = "127.0.0.1",
    ) -> None:
        kind = _ThreadingHTTPServerV6 if ":" in address else ThreadingHTTPServer
        self._server = kind((address, port), handler, bind_and_activate=False)
        self._server.daemon_threads = True
        # set before listen(): the backlog is fixed then, and a short one drops the SYNs of a
        # burst of connections, which the client resends only after a second
        self._server.request_queue_size = queue_size
        self._server.allow_reuse_address = True
        self._server.server_bind()
        self._server.server_activate()
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
