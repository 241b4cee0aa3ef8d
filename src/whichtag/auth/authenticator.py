"""Turns a registry's challenge into an ``Authorization`` header, for one registry origin.

Bearer tokens are fetched once per (realm, service, scope) however many requests wait for
them, renewed before they expire, and sent only to the registry that asked for them. Basic
credentials go only to the registry host and to the token realm it named, and a realm that
would leak them (plain HTTP for an HTTPS registry, an internal address) is refused.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from whichtag.auth.challenge import Challenge, parse_challenges, preferred_challenge
from whichtag.auth.credentials import Credentials
from whichtag.errors import AuthError, ProtocolError, SecurityError, redact_url
from whichtag.hosts import is_internal_address
from whichtag.transport import Response, Transport

MAX_TOKEN_BODY = 128 * 1024
DEFAULT_TOKEN_LIFETIME = 60
MAX_TOKEN_LIFETIME = 24 * 3600


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


def validate_realm(realm: str, registry_url: str) -> str:
    """Refuse a token realm that could leak credentials or reach internal services."""
    parts = urlsplit(realm)
    registry = urlsplit(registry_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SecurityError(
            "the registry named a token realm that is not an absolute HTTP(S) URL; refused"
        )
    if parts.scheme == "http" and registry.scheme == "https":
        raise SecurityError(
            f"refused a plain-HTTP token realm ({redact_url(realm)}) for an HTTPS registry",
            hint="an HTTPS registry must use an HTTPS token service",
        )
    same_host = (parts.hostname or "").lower() == (registry.hostname or "").lower()
    registry_is_internal = is_internal_address(registry.hostname or "")
    if is_internal_address(parts.hostname) and not (same_host or registry_is_internal):
        raise SecurityError(f"refused a token realm on an internal address ({redact_url(realm)})")
    return realm


class Authenticator:
    """Authentication state for one registry origin (``https://host:port``)."""

    def __init__(
        self,
        transport: Transport,
        registry_url: str,
        credentials: Credentials | None,
        *,
        debug: Callable[[str], None] | None = None,
        local: bool = False,
    ) -> None:
        self.transport = transport
        self.registry_url = registry_url
        self.credentials = credentials
        self.challenge: Challenge | None = None
        self._tokens: dict[tuple[str, str, str], _Token] = {}
        self._pending: dict[tuple[str, str, str], asyncio.Future[_Token]] = {}
        self._debug = debug or (lambda line: None)
        self._local = local  # the registry is internal: its token service may be too

    def learn(self, response: Response) -> Challenge | None:
        """Remember the challenge of a 401 response; return it (None if none usable)."""
        values = response.header_values("WWW-Authenticate")
        if not values:
            return None
        challenge = preferred_challenge(parse_challenges(values))
        if challenge is not None:
            self.challenge = challenge
        return challenge

    async def header(self, scope: str) -> str | None:
        """The ``Authorization`` value for a request needing ``scope``, or None."""
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

    def _key(self, challenge: Challenge, scope: str) -> tuple[str, str, str]:
        return (challenge.get("realm") or "", challenge.get("service") or "", scope)

    async def _token(self, challenge: Challenge, scope: str) -> _Token:
        key = self._key(challenge, scope)
        token = self._tokens.get(key)
        if token is not None and time.monotonic() < token.renew_at:
            return token
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch_token(challenge, scope))
            self._pending[key] = pending
            try:
                token = await asyncio.shield(pending)
                self._tokens[key] = token
            finally:
                self._pending.pop(key, None)
            return token
        return await asyncio.shield(pending)

    async def _fetch_token(self, challenge: Challenge, scope: str) -> _Token:
        realm = challenge.get("realm")
        if not realm:
            raise ProtocolError("the registry's Bearer challenge names no realm")
        validate_realm(realm, self.registry_url)
        query = {}
        service = challenge.get("service")
        if service:
            query["service"] = service
        if scope:
            query["scope"] = scope
        credentials = self.credentials
        who = "anonymous" if credentials is None else f"as {credentials.username!r}"
        self._debug(f"token request to {redact_url(realm)} ({who}, scope {scope or '-'})")
        if credentials is not None and credentials.identity_token:
            form = {"grant_type": "refresh_token", "refresh_token": credentials.identity_token}
            response = await self._post_form(realm, query, form)
            if response.status not in (404, 405):
                return self._read_token(response)
            self._debug("token service has no OAuth2 POST; falling back to GET")
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
        headers = {}
        if credentials is not None and (credentials.has_password or credentials.identity_token):
            headers["Authorization"] = basic_header(credentials)
        separator = "&" if urlsplit(realm).query else "?"
        url = realm + (separator + urlencode(query) if query else "")
        return await self.transport.request(
            "GET", url, headers=headers, body_cap=MAX_TOKEN_BODY, local_ok=self._local
        )

    async def _post_form(
        self, realm: str, query: dict[str, str], grant: dict[str, str]
    ) -> Response:
        """An OAuth2 token POST; the transport refuses to replay it to another origin."""
        form = {**grant, "client_id": "whichtag", **query}
        return await self.transport.request(
            "POST", realm, data=form, body_cap=MAX_TOKEN_BODY, local_ok=self._local
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
        if not isinstance(value, str) or not value or not value.isascii() or "\n" in value:
            raise ProtocolError("the token service's answer holds no usable token")
        lifetime = document.get("expires_in")
        if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0:
            lifetime = DEFAULT_TOKEN_LIFETIME
        lifetime = min(lifetime, MAX_TOKEN_LIFETIME)
        margin = min(30.0, lifetime / 4)
        return _Token(value=value, renew_at=time.monotonic() + lifetime - margin)
