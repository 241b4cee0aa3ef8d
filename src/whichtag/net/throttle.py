"""Sharing the pace of one origin among all requests to it: a gate and Retry-After."""

from __future__ import annotations

import asyncio
import collections
import email.utils
import math
import re
import time
from collections.abc import Mapping


class OriginGate:
    """Bounds requests in flight to one origin and shares its backoff among them.

    A 429 halves the limit and sets a shared "not before" time, so one throttled request
    slows its siblings too; a run of successes lets the limit grow back by one.
    """

    def __init__(self, limit: int) -> None:
        self.maximum = max(1, limit)
        self.limit = self.maximum
        self.active = 0
        self.not_before = 0.0
        self._successes = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self) -> None:
        if self.active >= self.limit or self._waiters:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                elif waiter.done() and not waiter.cancelled():
                    self.active -= 1
                    self._wake()
                raise
        else:
            self.active += 1
        delay = self.not_before - time.monotonic()
        if delay > 0:
            try:
                await asyncio.sleep(delay)
            except BaseException:
                self.release()  # cancelled while waiting out Retry-After: free the slot
                raise

    def release(self) -> None:
        self.active -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.active < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.active += 1
                waiter.set_result(None)

    def throttled(self, wait: float) -> None:
        self.limit = max(1, self.limit // 2)
        self._successes = 0
        self.not_before = max(self.not_before, time.monotonic() + wait)

    def succeeded(self) -> None:
        if self.limit >= self.maximum:
            return
        self._successes += 1
        if self._successes >= 2 * self.limit:
            self.limit += 1
            self._successes = 0
            self._wake()


def parse_retry_after(value: str | None, cap: float) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP-date), capped; None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]{1,10}", value, re.ASCII):
        return min(float(value), cap)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return min(max(0.0, when.timestamp() - time.time()), cap)


def parse_retry_at(value: str | None) -> float | None:
    """Seconds until the unix time in ``X-Retry-After`` (Docker Hub's API sends a timestamp
    there, not a delay: vendor-apis.md §1.1); None if unusable."""
    if value is None or not re.fullmatch(r"[0-9]{1,12}", value.strip(), re.ASCII):
        return None
    return max(0.0, int(value.strip()) - time.time())


def retry_wait(headers: Mapping[str, str]) -> float | None:
    """How long a 429 or 503 asks to wait, uncapped: ``Retry-After``, else ``X-Retry-After``."""
    wait = parse_retry_after(headers.get("Retry-After"), math.inf)
    return wait if wait is not None else parse_retry_at(headers.get("X-Retry-After"))
