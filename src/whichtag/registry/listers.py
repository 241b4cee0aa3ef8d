"""Ways to learn tag → digest pairs for a repository.

The generic lister asks each tag's digest with one HEAD (GET + hash where HEAD falls short),
many in flight over reused connections. Vendor bulk listers, when added, fall back to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from whichtag.errors import (
    AccessDeniedError,
    AuthError,
    NotFoundError,
    TransportError,
    WhichtagError,
)
from whichtag.registry.distribution import RegistryClient

ProgressCallback = Callable[[int, int], None]


@dataclass
class DigestScan:
    """What a lister learned: a digest per tag, an error for every tag it could not ask, and
    the tags that were listed but no longer exist (deleted while the scan ran)."""

    digests: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)
    media_types: dict[str, str] = field(default_factory=dict)  # digest -> type, where said


class GenericLister:
    """tags/list + one manifest HEAD per tag, through a fixed pool of workers.

    A pool (not one task per tag) keeps memory flat for repositories of tens of thousands
    of tags. Authentication failures end the scan at once (a 403 on one tag is that tag's
    error: registries deny single tags by policy); so does a registry that stops
    answering at all (every request of a long run failing to connect), rather than
    retrying each remaining tag against a dead host.
    """

    def __init__(self, client: RegistryClient, *, workers: int, algorithm: str = "sha256") -> None:
        self.client = client
        self.workers = max(1, workers)
        self.algorithm = algorithm

    async def scan(
        self,
        repository: str,
        tags: Iterable[str],
        *,
        known: dict[str, str] | None = None,
        progress: ProgressCallback | None = None,
    ) -> DigestScan:
        result = DigestScan()
        pending = [tag for tag in tags if not (known and tag in known)]
        if known:
            result.digests.update(known)
        total = len(pending) + len(result.digests)
        iterator = iter(pending)
        failures_in_a_row = 0
        give_up_after = max(8, 2 * self.workers)
        fatal: list[WhichtagError] = []

        async def work() -> None:
            nonlocal failures_in_a_row
            for tag in iterator:
                if fatal:
                    return
                try:
                    descriptor = await self.client.manifest_digest(
                        repository, tag, algorithm=self.algorithm
                    )
                except AccessDeniedError as error:
                    result.errors[tag] = str(error)
                except NotFoundError as error:
                    # Only the registry's own word that the manifest is unknown means the tag
                    # was deleted (and so cannot be missing from the answer); a bare 404 (a
                    # proxy, a broken mirror) or NAME_UNKNOWN is that tag's error.
                    if error.code == "MANIFEST_UNKNOWN":
                        result.gone.append(tag)
                    else:
                        result.errors[tag] = str(error)
                except AuthError as error:
                    fatal.append(error)
                    return
                except TransportError as error:
                    result.errors[tag] = str(error)
                    failures_in_a_row += 1
                    if failures_in_a_row >= give_up_after:
                        fatal.append(error)
                        return
                except WhichtagError as error:
                    result.errors[tag] = str(error)
                else:
                    failures_in_a_row = 0
                    result.digests[tag] = descriptor.digest
                    if descriptor.media_type:
                        result.media_types[descriptor.digest] = descriptor.media_type
                if progress is not None:
                    progress(len(result.digests) + len(result.errors) + len(result.gone), total)

        await asyncio.gather(*(work() for _ in range(min(self.workers, max(1, len(pending))))))
        if fatal:
            raise fatal[0]
        return result
