"""Reaching a registry: which URLs to try, whose credentials, the client and its ping, the
transport settings a run's options make, and the run's deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

from whichtag.answer.options import Options
from whichtag.auth.sources import Lookup, find_credentials
from whichtag.errors import TLSError, TransportError
from whichtag.names.reference import Reference
from whichtag.net.hosts import is_local_host
from whichtag.net.proxy import ProxySettings
from whichtag.net.transport import Transport, TransportOptions
from whichtag.registry.distribution import RegistryClient

_T = TypeVar("_T")


def registry_urls(reference: Reference, options: Options) -> list[str]:
    """Base URLs to try, in order.

    HTTPS only, as Docker does, except: ``plain_http`` means HTTP only, and a loopback
    registry (localhost, 127.0.0.0/8, ::1) is tried over HTTPS first and then over plain
    HTTP if it does not speak TLS at all (never after a certificate failure).
    """
    host = reference.endpoint_host
    hostname = host if host.endswith("]") else host.rsplit(":", 1)[0]
    if options.plain_http:
        return [f"http://{host}"]
    if is_local_host(hostname):
        return [f"https://{host}", f"http://{host}"]
    return [f"https://{host}"]


async def resolve_credentials(reference: Reference, options: Options) -> Lookup:
    """Explicit credentials, else the user's credential files and helpers, else anonymous."""
    if options.credentials is not None:
        if options.debug is not None:
            options.debug(f"credentials: using {options.credentials.source}")
        return Lookup(options.credentials)
    if not options.use_credential_files:
        return Lookup()
    deadline = None if options.timeout is None else time.monotonic() + options.timeout
    return await asyncio.to_thread(
        find_credentials,
        reference.registry,
        reference.repository,
        report=options.warn,
        debug=options.debug,
        deadline=deadline,
    )


async def connect(
    transport: Transport, reference: Reference, options: Options
) -> tuple[RegistryClient, asyncio.Future[None]]:
    """A client for the reference's registry, and its ``GET /v2/`` ping.

    With one URL to try, the ping is left running so the first real requests go out in the
    same round trip (they learn the challenge themselves if they meet a 401); its failure
    (not a registry, TLS) is the answer the caller must give first. When a loopback
    registry may need the fallback to plain HTTP, the ping has already been awaited.
    """
    found = await resolve_credentials(reference, options)
    urls = registry_urls(reference, options)
    for index, url in enumerate(urls):
        client = RegistryClient(
            transport,
            url,
            found.credentials,
            debug=options.debug,
            failed_helper=found.failed_helper,
        )
        ping = asyncio.ensure_future(client.ping())
        if len(urls) == 1:
            return client, ping
        try:
            await ping
        except TLSError as error:
            await client.aclose()
            if error.certificate or index == len(urls) - 1:
                raise
            if options.debug is not None:
                options.debug(f"{reference.endpoint_host} does not speak TLS; using plain HTTP")
            continue
        return client, ping
    raise AssertionError("registry_urls returned no URL")


def transport_options(options: Options) -> TransportOptions:
    return TransportOptions(
        concurrency=options.concurrency,
        attempts=options.attempts,
        backoff_base=options.backoff_base,
        insecure=options.insecure,
        ca_cert=options.ca_cert,
        read_timeout=options.read_timeout,
        connect_timeout=options.connect_timeout,
        on_event=options.debug,
        on_response=options.on_response,
        resolve=options.resolve,
        proxies=ProxySettings.from_environment() if options.use_proxy_env else None,
        cert_dirs=options.cert_dirs,
    )


async def with_deadline(coroutine: Awaitable[_T], timeout: float | None) -> _T:
    if timeout is None:
        return await coroutine
    try:
        return await asyncio.wait_for(coroutine, timeout)
    except asyncio.TimeoutError:
        raise TransportError(
            f"gave up after {timeout:g} s (the lookup's time limit)",
            hint="allow more time (Options.timeout), or check that the registry is answering",
            cli_message=f"gave up after {timeout:g} s (--timeout)",
            cli_hint="raise --timeout, or check that the registry is answering",
        ) from None
