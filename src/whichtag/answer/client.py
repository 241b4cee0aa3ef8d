"""The library's entry points: a reusable :class:`Client`, and one-shot functions on top.

A client holds one transport (connections, concurrency, throttling) for its whole life, one
registry client (and so one token per scope) per repository, and each repository's listing
and scans, so many references cost about what the largest repository does on its own::

    async with whichtag.Client(options) as client:
        first = await client.find_same_tags("nginx:latest")
        again = await client.find_same_tags("nginx:stable-alpine")  # no second listing
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Callable
from types import TracebackType

from whichtag.answer.connect import connect, transport_options, with_deadline
from whichtag.answer.lookup import (
    Repository,
    close_repository,
    map_repository,
    repository_tags,
    resolve_digest,
    scan_for_target,
)
from whichtag.answer.match import ManifestSource
from whichtag.answer.options import Options
from whichtag.answer.results import Result, TagMap
from whichtag.errors import UsageError
from whichtag.names.platforms import Platform
from whichtag.names.reference import Reference, parse_reference
from whichtag.net.transport import Transport
from whichtag.registry.manifest import index_entries


class Client:
    """Answers many questions over one transport; use it as an async context manager."""

    def __init__(self, options: Options | None = None) -> None:
        self.options = options or Options()
        self.options.validate()
        self._transport: Transport | None = None
        self._repositories: dict[tuple[str, str], asyncio.Future[Repository]] = {}

    async def __aenter__(self) -> Client:
        self._transport = await Transport(transport_options(self.options)).__aenter__()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Leave nothing running: every repository's shared work, then the transport."""
        transport, self._transport = self._transport, None
        opened = list(self._repositories.values())
        self._repositories.clear()
        for future in opened:
            future.cancel()
        for outcome in await asyncio.gather(*opened, return_exceptions=True):
            if isinstance(outcome, Repository):
                await close_repository(outcome)
        if transport is not None:
            await transport.__aexit__(kind, error, trace)

    async def find_same_tags(
        self,
        reference: str | Reference,
        *,
        among: Callable[[str], bool] | None = None,
        image_id: str | None = None,
    ) -> Result:
        """Every tag of the reference's repository that is the same image (see
        :func:`find_same_tags`), sharing this client's connections and scans. ``among``
        limits the tags asked (the answer's tags are then among them, with the tag asked);
        ``image_id`` matches by image ID instead, as ``Options.image_id``."""
        ref = _reference(reference)
        options = self.options
        if image_id is not None:
            options = dataclasses.replace(options, image_id=image_id)
            options.validate()
        return await with_deadline(self._find(ref, options, among), self.options.timeout)

    async def tags_of(self, repository: str | Reference) -> list[str]:
        """The repository's tags, as listed once for this client's whole life."""
        ref = _reference(repository)
        return await with_deadline(self._tags(ref), self.options.timeout)

    async def tag_map(
        self,
        repository: str | Reference,
        *,
        match: str | None = None,
        exclude: str | None = None,
    ) -> TagMap:
        """The repository's tags grouped by digest (see :func:`tag_map`)."""
        ref = _reference(repository)
        patterns = _pattern(match, "match"), _pattern(exclude, "exclude")
        work = self._map(ref, *patterns)
        return await with_deadline(work, self.options.timeout)

    async def platforms_of(self, reference: str | Reference) -> list[Platform]:
        """The platforms an image (by tag or digest) offers: an index's entries, or what a
        single image's config states (nothing for an artifact)."""
        ref = parse_reference(reference) if isinstance(reference, str) else reference
        repository = await self._repository(ref)
        source = ManifestSource(repository.client, ref.repository, None)
        try:
            manifest = await source.get(ref.digest or ref.tag or "latest")
            if manifest.is_index:
                return [entry.platform for entry in index_entries(manifest)]
            offered = await source.platform_of(manifest)
            return [offered] if offered is not None else []
        finally:
            await source.close()

    async def digest_of(self, reference: str | Reference) -> str:
        """The manifest digest the reference's tag has now (what ``docker pull`` resolves)."""
        ref = _reference(reference)
        work = self._digest(ref)
        return await with_deadline(work, self.options.timeout)

    async def _digest(self, ref: Reference) -> str:
        return await resolve_digest(await self._repository(ref), ref)

    async def _find(
        self, ref: Reference, options: Options, among: Callable[[str], bool] | None
    ) -> Result:
        return await scan_for_target(await self._repository(ref), ref, options, among)

    async def _tags(self, ref: Reference) -> list[str]:
        return await repository_tags(await self._repository(ref), ref, self.options)

    async def _map(
        self, ref: Reference, match: re.Pattern[str] | None, exclude: re.Pattern[str] | None
    ) -> TagMap:
        repository = await self._repository(ref)
        return await map_repository(repository, ref, self.options, match=match, exclude=exclude)

    async def _repository(self, ref: Reference) -> Repository:
        """The repository's shared state, connected by its first asker."""
        if self._transport is None:
            raise UsageError("use the Client inside `async with`")
        key = (ref.registry, ref.repository)
        if key not in self._repositories:
            self._repositories[key] = asyncio.ensure_future(self._open(ref, self._transport))
        return await asyncio.shield(self._repositories[key])

    async def _open(self, ref: Reference, transport: Transport) -> Repository:
        client, ping = await connect(transport, ref, self.options)
        return Repository(client, ping)


def _reference(reference: str | Reference) -> Reference:
    return parse_reference(reference) if isinstance(reference, str) else reference


def _pattern(text: str | None, name: str) -> re.Pattern[str] | None:
    if text is None:
        return None
    try:
        return re.compile(text)
    except re.error as error:
        raise UsageError(
            f"--{name} is not a regular expression: {error}",
            hint="Python's re syntax, matched anywhere in the tag: '^1\\.27' or 'alpine$'",
        ) from None


async def find_same_tags(reference: str | Reference, options: Options | None = None) -> Result:
    """Every tag of the reference's repository whose manifest digest equals the reference's.

    Given a digest reference this is the reverse lookup: the tags pointing at that digest.
    """
    ref = _reference(reference)
    async with Client(options) as client:
        return await client.find_same_tags(ref)


async def tag_map(
    repository: str | Reference,
    options: Options | None = None,
    *,
    match: str | None = None,
    exclude: str | None = None,
) -> TagMap:
    """Group the repository's tags by digest: its map of tag aliases, newest version first.

    ``match``/``exclude`` (regular expressions, searched in tag names) choose the tags before
    any is scanned. A map that could not ask every chosen tag comes back with ``complete``
    False and the tags in ``errors``; it is not raised.
    """
    ref = _reference(repository)
    async with Client(options) as client:
        return await client.tag_map(ref, match=match, exclude=exclude)


def find_same_tags_sync(reference: str | Reference, options: Options | None = None) -> Result:
    """Blocking wrapper of :func:`find_same_tags` for scripts."""
    _not_in_a_running_loop("find_same_tags")
    return asyncio.run(find_same_tags(reference, options))


def _not_in_a_running_loop(name: str) -> None:
    """asyncio.run cannot nest: say what to do instead (before a coroutine is made)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise UsageError(
        f"{name}_sync was called inside a running event loop",
        hint=f"await {name}(...) there instead",
    )


def tag_map_sync(
    repository: str | Reference,
    options: Options | None = None,
    *,
    match: str | None = None,
    exclude: str | None = None,
) -> TagMap:
    """Blocking wrapper of :func:`tag_map`."""
    _not_in_a_running_loop("tag_map")
    return asyncio.run(tag_map(repository, options, match=match, exclude=exclude))
