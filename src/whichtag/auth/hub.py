"""Docker Hub's API token (vendor-apis.md §1.1): the user's Docker Hub credentials exchanged
with ``POST /v2/auth/token`` (``{"identifier", "secret"}``: a username with a password or
personal access token) for a bearer token, used for private repositories' tag listings.

This module owns the one rule about where Docker Hub credentials go besides the registry:
only to the Hub API's own origin (``https://hub.docker.com``), both the exchange and the token
it gives, checked when the header is attached. An API base given with ``--lister-url`` is
asked anonymously, whatever it is; so is every API when the reference is not on Docker Hub
(those credentials belong to another registry). The exchange is made only after an anonymous
page was refused, so public repositories never see a credential.
"""

from __future__ import annotations

import asyncio
import json
import re

from whichtag.auth.credentials import Credentials
from whichtag.errors import WhichtagError
from whichtag.net.hosts import is_internal_address
from whichtag.net.transport import Authorize, Transport
from whichtag.net.urls import Origin, origin_of

HUB_API = "https://hub.docker.com"
MAX_TOKEN_BODY = 64 * 1024
_TOKEN_RE = re.compile(r"[\x21-\x7e]{1,65536}", re.ASCII)


class HubToken:
    """A bearer token for the Hub API at ``home``, fetched once, on demand."""

    def __init__(
        self, transport: Transport, credentials: Credentials | None, home: str = HUB_API
    ) -> None:
        self.transport = transport
        self.credentials = credentials
        self.home: Origin = origin_of(home)
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._tried = False

    def serves(self, api: str) -> bool:
        """Whether requests to ``api`` may carry the token: credentials to use, and the API
        is the token's own origin."""
        usable = self.credentials is not None and self.credentials.has_password
        return usable and origin_of(api) == self.home

    async def authorize(self) -> Authorize | None:
        """The per-hop callback attaching the token to the Hub API's origin only; None when
        no token can be had (no credentials, refused, or the API is elsewhere)."""
        async with self._lock:
            if not self._tried:
                self._tried = True
                self._token = await self._exchange()
        token, home = self._token, self.home
        if token is None:
            return None

        def authorize(url: str) -> str | None:
            return f"Bearer {token}" if origin_of(url) == home else None

        return authorize

    async def _exchange(self) -> str | None:
        credentials = self.credentials
        if credentials is None or not credentials.has_password:
            return None
        body = json.dumps({"identifier": credentials.username, "secret": credentials.password})
        try:
            response = await self.transport.request(
                "POST",
                f"{self.home}/v2/auth/token",
                headers={"Content-Type": "application/json", "Accept": "application/json"},
                data=body.encode(),
                body_cap=MAX_TOKEN_BODY,
                local_ok=is_internal_address(self.home.host),
            )
        except WhichtagError:
            return None
        if response.status != 200:
            return None
        try:
            document = json.loads(response.body)
        except (ValueError, RecursionError):
            return None
        value = document.get("access_token") if isinstance(document, dict) else None
        return value if isinstance(value, str) and _TOKEN_RE.fullmatch(value) else None
