"""Name resolution with the internal-address guard applied to what a name resolves to.

A public registry may not send whichtag (by a redirect or a token realm) to a loopback,
link-local or private address; judging only how an address is written lets a name that
resolves to 127.0.0.1 through. So the check is made here, at connect time, on the resolved
addresses: a hop marked guarded (:func:`guarded`) that resolves to an internal address is
refused before any connection is made. Names answered by the ``resolve`` table (curl's
``--resolve``) are resolved here too. What each name resolved to is remembered, so a registry
whose name resolves to an internal address counts as local afterwards (its realms and
redirects may then be internal too, as they are for a registry written as an address).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING

from whichtag.net.hosts import ip_literal, is_internal_address

if TYPE_CHECKING:
    from aiohttp.abc import AbstractResolver

_GUARDED: ContextVar[bool] = ContextVar("whichtag_internal_guard", default=False)


class InternalAddressRefused(OSError):
    """A guarded hop's name resolved to an internal address."""


@contextlib.contextmanager
def guarded(on: bool) -> Iterator[None]:
    """Resolutions made inside (in this task) refuse internal addresses when ``on``."""
    token = _GUARDED.set(on)
    try:
        yield
    finally:
        _GUARDED.reset(token)


def make_resolver(table: Mapping[str, str] | None, internal_names: set[str]) -> AbstractResolver:
    """An aiohttp resolver: the ``table``'s names answered from it, others through the system
    resolver; internal results refused on guarded hops and recorded in ``internal_names``."""
    import aiohttp
    from aiohttp.abc import AbstractResolver, ResolveResult

    pinned = {name.lower(): address for name, address in (table or {}).items()}

    class GuardedResolver(AbstractResolver):
        def __init__(self) -> None:
            self._fallback = aiohttp.ThreadedResolver()
            # a name that failed to resolve fails the same way for the rest of the run: one
            # slow lookup is the answer for every request to that host
            self._failed: dict[str, OSError] = {}
            self._pending: dict[tuple[str, int, int], asyncio.Future[list[ResolveResult]]] = {}

        async def _lookup(
            self, host: str, port: int, family: socket.AddressFamily
        ) -> list[ResolveResult]:
            """The system resolver's answer, one lookup shared by the requests that ask at
            once; a failure remembered for the run."""
            failed = self._failed.get(host.lower())
            if failed is not None:
                raise failed
            key = (host.lower(), port, int(family))
            pending = self._pending.get(key)
            if pending is None:
                pending = asyncio.ensure_future(self._fallback.resolve(host, port, family))
                self._pending[key] = pending
                pending.add_done_callback(lambda done: self._pending.pop(key, None))
            try:
                return await asyncio.shield(pending)
            except OSError as error:
                self._failed[host.lower()] = error
                raise

        async def resolve(
            self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[ResolveResult]:
            address = pinned.get(host.lower())
            if address is None:
                results = await self._lookup(host, port, family)
            else:
                kind = socket.AF_INET6 if ":" in address else socket.AF_INET
                results = [
                    ResolveResult(
                        hostname=host,
                        host=address,
                        port=port,
                        family=kind,
                        proto=0,
                        flags=socket.AI_NUMERICHOST,
                    )
                ]
            internal = [r["host"] for r in results if is_internal_address(r["host"])]
            if internal and ip_literal(host) is None:
                internal_names.add(host.lower())
                if _GUARDED.get():
                    raise InternalAddressRefused(
                        f"{host} resolves to an internal address ({internal[0]})"
                    )
            return results

        async def close(self) -> None:
            await self._fallback.close()

    return GuardedResolver()
