"""The only module that talks to the network.

One aiohttp session per run: reused connections, a per-origin gate that bounds requests in
flight and adapts to throttling, retries with full-jitter backoff honouring ``Retry-After``,
capped body reads, and redirects followed by hand.

The transport never decides who gets credentials. It carries no ``Authorization`` of its own:
for every hop of a request (the first URL and each redirect target) it asks the caller's
``authorize`` callback what to attach for exactly that URL, so the authorizing layer
(:mod:`whichtag.auth.authorizer`) checks the destination at the moment the header is attached.
"""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from whichtag.errors import (
    ConnectError,
    NameResolutionError,
    ProtocolError,
    SecurityError,
    TLSError,
    TransportError,
    redact_url,
)
from whichtag.net.certs import context_for_dir, default_cert_dirs, host_cert_dir
from whichtag.net.hosts import check_redirect
from whichtag.net.proxy import Proxy, ProxySettings
from whichtag.net.resolver import InternalAddressRefused, guarded, make_resolver
from whichtag.net.throttle import OriginGate, retry_wait
from whichtag.net.urls import Origin, origin_of, resolve_server_url

if TYPE_CHECKING:
    import aiohttp
    from multidict import CIMultiDictProxy

DEFAULT_CONCURRENCY = 32
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10
MAX_ERROR_BODY = 64 * 1024
MAX_RETRY_AFTER = 60.0
#: A refused connection or an unknown name answers in milliseconds and rarely changes
#: within seconds: one quick retry, not the backoff schedule.
CONNECT_ATTEMPTS = 2
CONNECT_RETRY_DELAY = 0.2

#: What to send as ``Authorization`` to one URL (None: nothing). Called once per hop.
Authorize = Callable[[str], "str | None"]
#: Told of each response: the host it came from, its status and headers (an exporter's
#: request counters and rate-limit gauges); it must not block.
ResponseObserver = Callable[[str, int, "CIMultiDictProxy[str]"], None]


@dataclass
class TransportOptions:
    """Knobs of the network layer; defaults suit public registries."""

    concurrency: int = DEFAULT_CONCURRENCY
    attempts: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_retry_after: float = MAX_RETRY_AFTER
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    insecure: bool = False
    ca_cert: str | None = None
    user_agent: str = "whichtag"
    on_event: Callable[[str], None] | None = None  # debug lines (never secrets)
    #: told of every response received (each attempt, each hop): host, status, headers
    on_response: ResponseObserver | None = None
    #: host name -> IP address, used instead of DNS (like curl's ``--resolve``); for tests
    #: that need a public-looking name on loopback, and for pinning a registry's address.
    resolve: Mapping[str, str] | None = None
    #: HTTP(S)_PROXY / NO_PROXY rules (None: connect directly everywhere).
    proxies: ProxySettings | None = None
    #: certs.d roots searched for per-host CAs and client certificates (None: the defaults).
    cert_dirs: Sequence[Path] | None = None


@dataclass
class Response:
    """A fully read response: status, headers, capped body, and the URL it came from."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    url: str

    def header_values(self, name: str) -> list[str]:
        return list(self.headers.getall(name, []))


class Transport:
    """Shared HTTP machinery for one run; use as ``async with Transport(options) as t``."""

    def __init__(self, options: TransportOptions | None = None) -> None:
        self.options = options or TransportOptions()
        self._session: aiohttp.ClientSession | None = None
        self._gates: dict[str, OriginGate] = {}
        self._proxy_said: set[str] = set()
        self._host_tls: dict[tuple[str, bool], ssl.SSLContext | None] = {}
        self.requests = 0  # HTTP requests sent this run (each hop and retry counts)
        #: names that resolved to internal addresses this run (a registry named so is local)
        self.internal_names: set[str] = set()
        self._random = random.Random()

    async def __aenter__(self) -> Transport:
        import aiohttp

        connector = aiohttp.TCPConnector(
            limit=0,
            ssl=self._ssl_context(),
            # no DNS cache: every new connection's addresses are judged (net/resolver.py)
            use_dns_cache=False,
            enable_cleanup_closed=False,
            resolver=make_resolver(self.options.resolve, self.internal_names),
        )
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=self.options.connect_timeout,
            sock_read=self.options.read_timeout,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            # identity: manifests are hashed over the exact bytes, and with decompression
            # off a compressed answer would be garbage to every parser.
            headers={"User-Agent": self.options.user_agent, "Accept-Encoding": "identity"},
            auto_decompress=False,
            trust_env=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _ssl_context(self) -> ssl.SSLContext | bool:
        """False to skip verification; True for aiohttp's own verifying default context
        (built once at import: a second one would cost another CA-store load per run)."""
        if self.options.insecure:
            return False
        if not self.options.ca_cert:
            return True
        context = ssl.create_default_context()
        try:
            context.load_verify_locations(cafile=self.options.ca_cert)
        except (OSError, ssl.SSLError) as error:
            raise TLSError(
                f"cannot load CA certificate {self.options.ca_cert!r} ({error.__class__.__name__})",
                hint="the CA file must hold PEM certificates",
                cli_hint="--ca-cert takes a PEM file of CA certificates",
            ) from None
        return context

    def gate(self, url: str) -> OriginGate:
        key = str(origin_of(url))
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = OriginGate(self.options.concurrency)
        return gate

    def _debug(self, line: str) -> None:
        if self.options.on_event is not None:
            self.options.on_event(line)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body_cap: int = MAX_ERROR_BODY,
        data: Mapping[str, str] | bytes | None = None,
        local_ok: bool = True,
        authorize: Authorize | None = None,
        patience: float | None = None,
        certificate_origin: Origin | None = None,
        guard_first_hop: bool = False,
    ) -> Response:
        """Send one request (with retries and checked redirects) and read its body.

        ``body_cap`` bounds a 2xx body; exceeding it raises ProtocolError. Error bodies are
        read up to a smaller cap and truncated (they are only shown, never trusted).
        ``local_ok`` is False when the first URL is public: redirects to internal addresses
        are then refused. ``authorize`` is asked for each hop's ``Authorization``; the
        transport adds none itself and refuses one passed in ``headers``. ``patience`` is the
        longest wait a 429 or 503 is retried after; one asking for longer is returned as is.
        A certs.d client certificate is a credential: it is presented only on hops to
        ``certificate_origin`` (the registry the user asked about, as its Authorizer says),
        never on a hop a redirect led elsewhere, never to a host a challenge named.
        Without ``local_ok``, redirect hops (and the first one with ``guard_first_hop``, for a
        URL a server named) may not resolve to an internal address (net/resolver.py).
        """
        if headers and any(key.lower() == "authorization" for key in headers):
            raise ValueError("Authorization is attached per hop by `authorize`, not in headers")
        attempt = 0
        while True:
            attempt += 1
            gate = self.gate(url)
            try:
                await gate.acquire()
                try:
                    response = await self._send_following_redirects(
                        method,
                        url,
                        headers or {},
                        body_cap,
                        data,
                        local_ok,
                        authorize,
                        certificate_origin,
                        guard_first_hop,
                    )
                finally:
                    gate.release()
            except (TransportError, _Retryable) as error:
                connect = isinstance(error, ConnectError)
                attempts = self.options.attempts
                if connect:
                    attempts = min(CONNECT_ATTEMPTS, attempts)
                if isinstance(error, (TLSError, NameResolutionError)) or attempt >= attempts:
                    raise _surface(error) from None
                self._debug(f"retrying {method} {redact_url(url)}: {error}")
                if connect:
                    await asyncio.sleep(CONNECT_RETRY_DELAY)
                else:
                    await self._backoff(attempt, None)
                continue
            if response.status in RETRY_STATUSES and attempt < self.options.attempts:
                wait = None
                if response.status in (429, 503):
                    wait = retry_wait(response.headers)
                    if patience is not None and wait is not None and wait > patience:
                        return response  # not worth waiting for: the caller has another way
                    if wait is not None:
                        wait = min(wait, self.options.max_retry_after)
                if response.status == 429:
                    gate.throttled(wait or 0.0)
                    self._debug(f"429 from {origin_of(url)}; concurrency now {gate.limit}")
                self._debug(f"retrying {method} {redact_url(url)}: HTTP {response.status}")
                await self._backoff(attempt, wait)
                continue
            if response.status < 400:
                gate.succeeded()
            return response

    async def _backoff(self, attempt: int, wait: float | None) -> None:
        """Full jitter over an exponential ceiling; a server's Retry-After is a floor."""
        exponential = min(self.options.backoff_cap, self.options.backoff_base * 2 ** (attempt - 1))
        delay = self._random.uniform(0, exponential)  # full jitter
        if wait is not None:
            delay = max(delay, wait)
        await asyncio.sleep(delay)

    async def _send_following_redirects(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body_cap: int,
        data: Mapping[str, str] | bytes | None,
        local_ok: bool,
        authorize: Authorize | None,
        certificate_origin: Origin | None,
        guard_first_hop: bool,
    ) -> Response:
        current_url = url
        for hop in range(MAX_REDIRECTS + 1):
            hop_headers = dict(headers)
            authorization = authorize(current_url) if authorize is not None else None
            if authorization is not None:
                hop_headers["Authorization"] = authorization
            present = (
                certificate_origin is not None and origin_of(current_url) == certificate_origin
            )
            with guarded(not local_ok and (hop > 0 or guard_first_hop)):
                response = await self._send_once(
                    method, current_url, hop_headers, body_cap, data, client_certificate=present
                )
            if response.status not in REDIRECT_STATUSES:
                return response
            location = response.headers.get("Location")
            if not location:
                raise ProtocolError(f"redirect without a Location from {redact_url(current_url)}")
            target = resolve_server_url(
                current_url, location, f"Location of a redirect from {redact_url(current_url)}"
            )
            check_redirect(current_url, target, method, local_ok)
            if response.status == 303 and method == "POST":
                method, data = "GET", None
            current_url = target
        raise ProtocolError(f"more than {MAX_REDIRECTS} redirects from {redact_url(url)}")

    def _tls_for(self, url: str, *, client_certificate: bool) -> ssl.SSLContext | None:
        """A host's own TLS context from its certs.d directory (its CAs, and its client
        certificate only where ``client_certificate`` allows), or None for the default."""
        if self.options.insecure or not url.startswith("https:"):
            return None
        host_port = urlsplit(url).netloc.rsplit("@", 1)[-1].lower()
        key = (host_port, client_certificate)
        if key not in self._host_tls:
            roots = self.options.cert_dirs
            directory = host_cert_dir(host_port, default_cert_dirs() if roots is None else roots)
            context = None
            if directory is not None:
                context = context_for_dir(
                    directory, self.options.ca_cert, client_certificate=client_certificate
                )
                self._debug(f"TLS material for {host_port} from {directory}")
            self._host_tls[key] = context
        return self._host_tls[key]

    def _proxy_for(self, url: str) -> Proxy | None:
        """The proxy for ``url`` (None: direct); said once per origin under --debug."""
        settings = self.options.proxies
        if settings is None or not settings.active:
            return None
        proxy = settings.proxy_for(url)
        origin = str(origin_of(url))
        if origin not in self._proxy_said:
            self._proxy_said.add(origin)
            self._debug(f"proxy for {origin}: {proxy.url if proxy else 'none (direct)'}")
        return proxy

    async def _send_once(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body_cap: int,
        data: Mapping[str, str] | bytes | None,
        *,
        client_certificate: bool,
    ) -> Response:
        import aiohttp

        assert self._session is not None, "Transport used outside 'async with'"
        proxy = self._proxy_for(url)
        tls = self._tls_for(url, client_certificate=client_certificate)
        self.requests += 1
        proxy_headers = None
        if proxy is not None and proxy.authorization is not None:
            # Plain HTTP goes to the proxy whole, so the header rides on the request itself;
            # HTTPS puts it on the CONNECT only. Either way only the proxy receives it.
            if url.startswith("https:"):
                proxy_headers = {"Proxy-Authorization": proxy.authorization}
            else:
                headers = {**headers, "Proxy-Authorization": proxy.authorization}
        try:
            async with self._session.request(
                method,
                url,
                headers=headers,
                data=data,
                allow_redirects=False,
                proxy=proxy.url if proxy else None,
                proxy_headers=proxy_headers,
                **({"ssl": tls} if tls is not None else {}),
            ) as raw:
                if method == "HEAD":
                    body = b""
                else:
                    cap = body_cap if raw.status < 300 else MAX_ERROR_BODY
                    body = await _read_capped(raw, cap, truncate=raw.status >= 300, url=url)
                if self.options.on_response is not None:
                    self.options.on_response(_host_of(raw.url), raw.status, raw.headers)
                return Response(raw.status, raw.headers, body, url)
        except aiohttp.ClientConnectorCertificateError as error:
            raise TLSError(
                f"TLS certificate of {urlsplit(url).netloc} not trusted: {error.certificate_error}"
            ) from None
        except aiohttp.ClientSSLError as error:
            raise TLSError(
                f"TLS handshake with {urlsplit(url).netloc} failed: {error.__class__.__name__}",
                certificate=False,
            ) from None
        except aiohttp.ClientConnectorError as error:
            if isinstance(error.os_error, InternalAddressRefused):
                raise SecurityError(
                    f"refused to connect to {urlsplit(url).netloc}: {error.os_error}",
                    hint="a public registry or its token service named an internal host",
                ) from None
            failure = (
                NameResolutionError if isinstance(error.os_error, socket.gaierror) else ConnectError
            )
            raise failure(
                f"cannot connect to {urlsplit(url).netloc}: {_connect_failure(error)}",
                hint="check the registry host and port, and that it is up",
            ) from None
        except asyncio.TimeoutError:
            raise TransportError(
                f"timed out talking to {urlsplit(url).netloc}",
                hint="the registry or the network is slow or stalled; retry later",
            ) from None
        except aiohttp.ClientPayloadError:
            raise _Retryable(f"truncated response from {redact_url(url)}") from None
        except aiohttp.ServerDisconnectedError:
            raise _Retryable(f"{urlsplit(url).netloc} closed the connection") from None
        except (aiohttp.ClientOSError, ConnectionError) as error:
            raise _Retryable(f"connection to {urlsplit(url).netloc} failed: {error}") from None
        except aiohttp.ClientResponseError as error:
            raise _Retryable(
                f"bad HTTP response from {urlsplit(url).netloc}: {error.message}"
            ) from None
        except aiohttp.InvalidURL:
            raise ProtocolError(f"invalid URL {redact_url(url)}") from None


def _host_of(url: Any) -> str:
    """``host`` or ``host:port`` (a port other than the scheme's), as registries are named."""
    host = str(url.host or "")
    return host if url.is_default_port() else f"{host}:{url.port}"


def _connect_failure(error: aiohttp.ClientConnectorError) -> str:
    """Why a connection failed, in words (not the library's "Connect call failed (addr)")."""
    import errno

    cause = error.os_error
    if isinstance(cause, socket.gaierror):
        return "the host name does not resolve"
    if cause.errno == errno.ECONNREFUSED:
        return "connection refused"
    if cause.errno in (errno.ETIMEDOUT, errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "the host is unreachable"
    return cause.strerror or "the connection failed"


class _Retryable(Exception):
    """A transient failure worth another attempt; surfaces as TransportError."""


def _surface(error: Exception) -> Exception:
    if isinstance(error, _Retryable):
        return TransportError(
            str(error), hint="the registry or the network is failing; retry later"
        )
    return error


async def _read_capped(raw: aiohttp.ClientResponse, cap: int, *, truncate: bool, url: str) -> bytes:
    length = raw.content_length
    if length is not None and length > cap and not truncate:
        raise ProtocolError(
            f"response from {redact_url(url)} is {length} bytes, over the {cap}-byte limit"
        )
    body = bytearray()
    async for chunk in raw.content.iter_chunked(65536):
        body += chunk
        if len(body) > cap:
            if truncate:
                return bytes(body[:cap])
            raise ProtocolError(f"response from {redact_url(url)} is over the {cap}-byte limit")
    return bytes(body)
