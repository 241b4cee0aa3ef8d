"""The one authorizing layer of a registry: every ``Authorization`` whichtag sends comes from here.

Modelled on go-containerregistry's ``transport`` bearer/basic round-trippers, an
:class:`Authorizer` owns, for one registry origin (scheme, host, port):

- the ping (``GET /v2/``) and the challenge, learned only from a 401 whose final URL is the
  registry's own origin (a redirect target cannot choose where credentials go);
- the token exchange: one token per (realm, service, scope) however many requests wait for it,
  renewed before it expires; the realm checked by :func:`validate_realm` first;
- the one retry after a 401, and the error when credentials are refused;
- attaching the header. :meth:`Authorizer._attach` is the single place that decides whether a
  URL may carry a credential: it compares the URL's origin with the origin the credential was
  meant for (the registry for its token or Basic credentials, the realm for the token
  request), and the transport calls it for every hop, at the moment the header is attached.

No other module adds or forwards ``Authorization``: the transport refuses it in ``headers``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from whichtag.auth.challenge import Challenge, parse_challenges, preferred_challenge
from whichtag.auth.credentials import Credentials
from whichtag.errors import AuthError, ProtocolError, SecurityError, redact_url
from whichtag.net.hosts import is_internal_address, is_local_host
from whichtag.net.transport import Authorize, Response, Transport
from whichtag.net.urls import Origin, origin_of, parse_server_url

MAX_TOKEN_BODY = 128 * 1024
DEFAULT_TOKEN_LIFETIME = 60
MAX_TOKEN_LIFETIME = 24 * 3600
# What may stand in an Authorization header value: visible ASCII, no spaces or controls
# (JWTs and opaque tokens fit; CR, LF or NUL would split or break the header).
_TOKEN_RE = re.compile(r"[\x21-\x7e]{1,65536}", re.ASCII)
# Token services that answer these to an OAuth2 POST have none: fall back to GET, as
# containerd does (Artifactory and ACR answer 400/401 rather than 404/405).
_NO_OAUTH2_POST = frozenset({400, 401, 404, 405})


@dataclass
class _Token:
    value: str
    renew_at: float


def basic_header(credentials: Credentials) -> str:
    """Basic credentials; an identity token stands in for the password where there is no
    OAuth2 endpoint to exchange it at."""
    secret = credentials.password or credentials.identity_token
    raw = f"{credentials.username or '<token>'}:{secret}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def within_scope(asked_for: str, scope: str) -> str:
    """What of a challenge's scope may be asked: only the repositories of ``scope`` and only
    its actions (pull, or ACR's metadata_read), never push, delete or ``*``. A challenge
    asking for anything else gets ``scope`` itself again."""
    allowed: dict[str, set[str]] = {}
    for item in scope.split():
        kind, _, rest = item.partition(":")
        name, _, actions = rest.rpartition(":")
        if kind == "repository" and name:
            allowed.setdefault(name, set()).update(actions.split(","))
    kept = []
    for item in asked_for.split():
        kind, _, rest = item.partition(":")
        name, _, actions = rest.rpartition(":")
        wanted = [action for action in actions.split(",") if action in allowed.get(name, set())]
        if kind == "repository" and wanted:
            kept.append(f"repository:{name}:{','.join(wanted)}")
    return " ".join(kept) or scope


def validate_realm(
    realm: str,
    registry_url: str,
    *,
    with_credentials: bool = False,
    registry_internal: bool = False,
) -> str:
    """Refuse a token realm that could leak credentials or reach internal services.

    - not an absolute HTTP(S) URL, or carrying user info: refused;
    - plain HTTP for an HTTPS registry: refused;
    - plain HTTP with credentials: only to the registry's own host (the host the user named),
      or to a loopback realm of a loopback registry;
    - an internal address, unless it is the registry's own host or the registry is internal
      (written as an internal address, or ``registry_internal``: its name resolved to one).
    A realm named by a host name is judged again by what it resolves to (net/resolver.py).
    """
    parts = parse_server_url(realm, "token realm")
    registry = urlsplit(registry_url)
    realm_host = (parts.hostname or "").lower()
    registry_host = (registry.hostname or "").lower()
    same_host = realm_host == registry_host
    if parts.scheme.lower() == "http":
        if registry.scheme == "https":
            raise SecurityError(
                f"refused a plain-HTTP token realm ({redact_url(realm)}) for an HTTPS registry",
                hint="an HTTPS registry must use an HTTPS token service",
            )
        both_loopback = is_local_host(realm_host) and is_local_host(registry_host)
        if with_credentials and not (same_host or both_loopback):
            raise SecurityError(
                f"refused to send credentials in clear text to the token realm "
                f"{redact_url(realm)} (plain HTTP, not the registry's host)",
                hint="the token service must use HTTPS, or live on the registry's own host",
            )
    internal_registry = registry_internal or is_internal_address(registry_host)
    if is_internal_address(realm_host) and not (same_host or internal_registry):
        raise SecurityError(f"refused a token realm on an internal address ({redact_url(realm)})")
    return realm


def _retrieve(future: asyncio.Future[_Token]) -> None:
    """Mark a shared token fetch's failure as seen: its waiters may all have gone."""
    if not future.cancelled():
        future.exception()


class Authorizer:
    """Authentication for one registry origin (``https://host:port``): see the module doc."""

    def __init__(
        self,
        transport: Transport,
        registry_url: str,
        credentials: Credentials | None,
        *,
        debug: Callable[[str], None] | None = None,
        failed_helper: str | None = None,
    ) -> None:
        self.transport = transport
        self.registry_url = registry_url.rstrip("/")
        self.origin: Origin = origin_of(self.registry_url)
        self.host = urlsplit(self.registry_url).netloc
        self.credentials = credentials
        self.failed_helper = failed_helper
        self._hostname = (urlsplit(self.registry_url).hostname or "").lower()
        self.challenge: Challenge | None = None
        self._tokens: dict[tuple[str, str, str], _Token] = {}
        self._pending: dict[tuple[str, str, str], asyncio.Future[_Token]] = {}
        self._debug = debug or (lambda line: None)

    # -- the one rule: a credential goes only to the origin it is meant for ------------------

    @staticmethod
    def _attach(value: str | None, home: Origin) -> Authorize:
        """The per-hop callback the transport asks before each request it sends."""

        def authorize(url: str) -> str | None:
            if value is None or origin_of(url) != home:
                return None
            return value

        return authorize

    def basic_at_home(self) -> Authorize:
        """The user's Basic credentials for APIs on the registry's own origin that take them
        (Harbor's: ``security: [basic, {}]``), attached per hop to that origin only, as the
        registry's own requests are; nothing where there is no password."""
        credentials = self.credentials
        value = basic_header(credentials) if credentials and credentials.has_password else None
        return self._attach(value, self.origin)

    @property
    def local(self) -> bool:
        """A registry on an internal address (written so, or a name that resolved to one) may
        redirect and name realms internally; a public one may not."""
        return (
            is_internal_address(self._hostname) or self._hostname in self.transport.internal_names
        )

    def is_registry_origin(self, url: str) -> bool:
        return origin_of(url) == self.origin

    # -- requests to the registry ------------------------------------------------------------

    async def ping(self) -> Response:
        """``GET /v2/``: learn the registry's challenge. The caller judges the rest."""
        response = await self.transport.request(
            "GET", f"{self.registry_url}/v2/", local_ok=self.local, certificate_origin=self.origin
        )
        if response.status == 401 and self.learn(response) is None:
            raise ProtocolError(
                f"{self.host} answered 401 without a usable WWW-Authenticate challenge"
            )
        return response

    async def send(
        self,
        method: str,
        url: str,
        scope: str,
        *,
        accept: str | None = None,
        body_cap: int = 64 * 1024,
    ) -> Response:
        """Send with authentication; on a 401 learn the challenge and try once more."""
        headers = {"Accept": accept} if accept else {}
        for attempt in (1, 2):
            authorization = await self.header(scope)
            response = await self.transport.request(
                method,
                url,
                headers=headers,
                body_cap=body_cap,
                local_ok=self.local,
                authorize=self._attach(authorization, self.origin),
                certificate_origin=self.origin,
            )
            if response.status != 401:
                return response
            challenge = self.learn(response)
            if challenge is None:
                raise AuthError(f"{self.host} answered 401 without a usable challenge")
            if attempt == 1:
                if authorization:
                    self.forget(scope, authorization)
                wider = challenge.get("scope")
                if challenge.get("error") == "insufficient_scope" and wider and wider != scope:
                    # Never wider than what was asked: a challenge naming another
                    # repository or push would have whichtag fetch (with the user's
                    # credentials or certificate) a token it must not hold.
                    allowed = within_scope(wider, scope)
                    self._debug(
                        f"registry asked for scope {wider[:200]!r}; retrying with {allowed!r}"
                    )
                    scope = allowed
                if challenge.scheme == "basic" and not authorization and self.credentials is None:
                    break
        raise self.failure()

    def failure(self) -> AuthError:
        """The error for a registry that refused us: what was (not) sent, and why."""
        credentials = self.credentials
        if credentials is None:
            if self.failed_helper:
                return AuthError(
                    f"authentication required by {self.host}; the configured credential "
                    f"helper {self.failed_helper} failed, so no credentials were sent",
                    hint=f"check that {self.failed_helper} is installed and works",
                )
            return AuthError(f"authentication required by {self.host}")
        return AuthError(
            f"{self.host} refused the credentials from {credentials.source}",
            hint="check the username and password, and that this account may pull the repository",
        )

    # -- challenges and tokens ---------------------------------------------------------------

    def learn(self, response: Response) -> Challenge | None:
        """Remember the challenge of a 401 from the registry's origin; return it (None if
        none is usable). A 401 from a host a redirect led to is refused: its challenge is not
        the registry's to answer, and answering it would send credentials there."""
        if not self.is_registry_origin(response.url):
            raise AuthError(
                f"{urlsplit(response.url).netloc} (redirected to by {self.host}) asked for "
                "credentials; whichtag does not send them to another host",
                hint="the registry redirected to a host that wants its own login",
            )
        values = response.header_values("WWW-Authenticate")
        if not values:
            return None
        challenge = preferred_challenge(parse_challenges(values))
        if challenge is not None:
            self.challenge = challenge
        return challenge

    async def header(self, scope: str) -> str | None:
        """The ``Authorization`` value for a registry request needing ``scope``, or None."""
        challenge = self.challenge
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            if self.credentials is not None and self.credentials.has_password:
                return basic_header(self.credentials)
            return None
        token = await self._token(challenge, scope)
        return f"Bearer {token.value}"

    def forget(self, scope: str, refused: str) -> None:
        """Drop the cached token for ``scope`` if it is the one the registry just refused.

        Comparing with the refused header keeps many requests that fail together from
        throwing away the fresh token the first of them already fetched.
        """
        challenge = self.challenge
        if challenge is None:
            return
        key = self._key(challenge, scope)
        token = self._tokens.get(key)
        if token is not None and f"Bearer {token.value}" == refused:
            del self._tokens[key]

    async def aclose(self) -> None:
        """Cancel token fetches still under way (a timed-out run leaves nothing running)."""
        pending = list(self._pending.values())
        for future in pending:
            future.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _key(self, challenge: Challenge, scope: str) -> tuple[str, str, str]:
        return (challenge.get("realm") or "", challenge.get("service") or "", scope)

    async def _token(self, challenge: Challenge, scope: str) -> _Token:
        key = self._key(challenge, scope)
        token = self._tokens.get(key)
        if token is not None and time.monotonic() < token.renew_at:
            return token
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch_and_keep(key, challenge, scope))
            pending.add_done_callback(_retrieve)
            self._pending[key] = pending
        return await asyncio.shield(pending)

    async def _fetch_and_keep(
        self, key: tuple[str, str, str], challenge: Challenge, scope: str
    ) -> _Token:
        """One shared fetch: it outlives any single waiter, and caches what it got."""
        try:
            token = await self._fetch_token(challenge, scope)
            self._tokens[key] = token
            return token
        finally:
            self._pending.pop(key, None)

    async def _fetch_token(self, challenge: Challenge, scope: str) -> _Token:
        realm = challenge.get("realm")
        if not realm:
            raise ProtocolError("the registry's Bearer challenge names no realm")
        credentials = self.credentials
        validate_realm(
            realm,
            self.registry_url,
            with_credentials=credentials is not None,
            registry_internal=self.local,
        )
        query = {}
        service = challenge.get("service")
        if service:
            query["service"] = service
        if scope:
            query["scope"] = scope
        who = "anonymous" if credentials is None else f"as {credentials.username!r}"
        self._debug(f"token request to {redact_url(realm)} ({who}, scope {scope or '-'})")
        if credentials is not None and credentials.identity_token:
            form = {"grant_type": "refresh_token", "refresh_token": credentials.identity_token}
            response = await self._post_form(realm, query, form)
            if response.status not in _NO_OAUTH2_POST:
                return self._read_token(response)
            self._debug(f"token service answered the OAuth2 POST {response.status}; trying GET")
        response = await self._get_token(realm, query, credentials)
        if response.status in (404, 405) and credentials is not None and credentials.has_password:
            self._debug("token service has no GET; using the OAuth2 password grant")
            form = {
                "grant_type": "password",
                "username": credentials.username,
                "password": credentials.password,
            }
            response = await self._post_form(realm, query, form)
        return self._read_token(response)

    async def _get_token(
        self, realm: str, query: dict[str, str], credentials: Credentials | None
    ) -> Response:
        """The token request ``docker pull`` makes: GET, with Basic credentials if any."""
        value = None
        if credentials is not None and (credentials.has_password or credentials.identity_token):
            value = basic_header(credentials)
        separator = "&" if urlsplit(realm).query else "?"
        url = realm + (separator + urlencode(query) if query else "")
        return await self.transport.request(
            "GET",
            url,
            body_cap=MAX_TOKEN_BODY,
            local_ok=self.local,
            authorize=self._attach(value, origin_of(realm)),
            # a realm gets the registry's client certificate only on the registry's own origin
            certificate_origin=self.origin,
            guard_first_hop=True,  # the registry named it: judged by what it resolves to
        )

    async def _post_form(
        self, realm: str, query: dict[str, str], grant: dict[str, str]
    ) -> Response:
        """An OAuth2 token POST; the transport refuses to replay it to another origin."""
        form = {**grant, "client_id": "whichtag", **query}
        return await self.transport.request(
            "POST",
            realm,
            data=form,
            body_cap=MAX_TOKEN_BODY,
            local_ok=self.local,
            certificate_origin=self.origin,
            guard_first_hop=True,
        )

    def _read_token(self, response: Response) -> _Token:
        if response.status in (401, 403):
            if self.credentials is None:
                raise AuthError(
                    "authentication required: the token service refused anonymous access"
                )
            raise AuthError(
                f"authentication failed: the token service refused the credentials "
                f"from {self.credentials.source}",
                hint="check the username and password",
            )
        if response.status != 200:
            raise AuthError(f"the token service answered HTTP {response.status}", hint=None)
        try:
            document = json.loads(response.body)
        except (ValueError, RecursionError):
            raise ProtocolError("the token service answered with invalid JSON") from None
        if not isinstance(document, dict):
            raise ProtocolError("the token service answered with JSON that is not an object")
        value = document.get("token") or document.get("access_token")
        if not isinstance(value, str) or not _TOKEN_RE.fullmatch(value):
            raise ProtocolError(
                "the token service's answer holds no usable token "
                "(missing, empty, or with spaces or control characters)"
            )
        lifetime = document.get("expires_in")
        if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0:
            lifetime = DEFAULT_TOKEN_LIFETIME
        lifetime = min(lifetime, MAX_TOKEN_LIFETIME)
        margin = min(30.0, lifetime / 4)
        return _Token(value=value, renew_at=time.monotonic() + lifetime - margin)
