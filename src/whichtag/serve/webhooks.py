"""Change events POSTed to incoming webhooks (Slack- and Teams-compatible: ``{"text": …}``).

A session of its own, not the registries' transport: no ``Authorization``, no registry
credential, no certs.d client certificate can ride along. A webhook URL is a secret (its path
is the key): only its host is ever logged.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from whichtag.serve.logs import log

ATTEMPTS = 4  # each event is tried at most this often per webhook
BACKOFF = 0.5  # seconds before the second attempt; doubled after each
TIMEOUT = 10.0  # seconds for one attempt


def host_of(url: str) -> str:
    """What may be logged of a webhook URL: its host."""
    return urlsplit(url).hostname or "?"


def proxy_for(url: str) -> str | None:
    """The proxy HTTPS_PROXY / HTTP_PROXY name for ``url``, unless NO_PROXY exempts it."""
    parts = urlsplit(url)
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if bypass(parts.hostname or ""):
        return None
    proxy: str | None = urllib.request.getproxies_environment().get(parts.scheme)
    return proxy


class Webhooks:
    """POSTs each event to every webhook, retried with a bounded backoff."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self._session: Any = None

    async def __aenter__(self) -> Webhooks:
        if self.urls:
            import aiohttp

            # trust_env would also attach ~/.netrc's credentials: proxies are read below instead
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=TIMEOUT), trust_env=False
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, events: list[dict[str, Any]]) -> None:
        """Every event to every webhook, in order per webhook."""
        await asyncio.gather(*(self._send_all(url, events) for url in self.urls))

    async def _send_all(self, url: str, events: list[dict[str, Any]]) -> None:
        for event in events:
            await self._post(url, event)

    async def _post(self, url: str, event: dict[str, Any]) -> bool:
        import aiohttp

        payload = {"text": event["text"], "event": event}
        delay = BACKOFF
        problem = ""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with self._session.post(
                    url, json=payload, allow_redirects=False, proxy=proxy_for(url)
                ) as reply:
                    if reply.status < 300:
                        return True
                    problem = f"HTTP {reply.status}"
                    if reply.status < 500 and reply.status != 429:
                        break
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                problem = type(error).__name__
            if attempt < ATTEMPTS:
                await asyncio.sleep(delay)
                delay *= 2
        log(logging.WARNING, "webhook not delivered", host=host_of(url), problem=problem)
        return False
