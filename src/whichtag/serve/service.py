"""``whichtag serve``: refresh the answers at start and every interval, export them for
Prometheus, and say what changed.

One refresh at a time (a lock; a SIGHUP during a refresh waits for it), one :class:`Client`
(so one listing per repository) per refresh. ``/readyz`` answers 200 once the first refresh
has finished, complete or not; ``/healthz`` while the process runs. SIGTERM (and SIGINT)
stop the service, cancelling a refresh in flight; SIGHUP re-reads the file sources and
refreshes now.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import random
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from whichtag.answer.metrics import image_series
from whichtag.answer.options import Options
from whichtag.answer.outdated import InUse
from whichtag.errors import WhichtagError
from whichtag.files.policy import Policy
from whichtag.serve.collector import Collector, State
from whichtag.serve.events import Snapshot, changes, snapshot
from whichtag.serve.logs import log
from whichtag.serve.webhooks import Webhooks, host_of

JITTER = 0.1  # each wait is the interval ±10%


@dataclass
class Gathered:
    """The places of the file sources, and how many entries could not be read."""

    uses: list[InUse] = field(default_factory=list)
    skipped: int = 0
    policy: Policy = field(default_factory=Policy)  # the policy file, read with the files


@dataclass
class Config:
    listen_host: str = "127.0.0.1"
    listen_port: int = 9105
    interval: float = 3600.0
    engine: bool = False
    kubernetes: Any = None  # a whichtag.serve.kubernetes.KubernetesSource, or None
    webhooks: list[str] = field(default_factory=list)
    compat_version_checker: bool = False


def reason_of(message: str) -> str:
    """A bounded reason label for an error message (the message itself is unbounded)."""
    text = message.lower()
    for reason, words in (
        ("throttled", ("429", "too many requests", "rate limit")),
        ("denied", ("401", "403", "denied", "unauthorized", "forbidden", "credential")),
        ("timeout", ("timed out", "timeout", "gave up after")),
        ("not_found", ("404", "not found", "unknown", "no such")),
        ("unreachable", ("connect", "unreachable", "refused", "resolve", "reset")),
        ("tls", ("certificate", "tls", "ssl")),
    ):
        if any(word in text for word in words):
            return reason
    return "error"


class Service:
    """The refresh loop and its state; :meth:`run` adds the HTTP server and signals."""

    def __init__(
        self,
        config: Config,
        options: Options,
        read_files: Callable[[], Gathered],
        emit: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.options = options
        self.read_files = read_files
        self.state = State(compat_version_checker=config.compat_version_checker)
        options.on_response = self.state.observe
        self.files = Gathered()
        self.ready = False
        self.refreshes = 0
        self._lock = asyncio.Lock()
        self._previous: Snapshot | None = None
        self._emit = emit or _stdout_line
        self._wake = asyncio.Event()
        self._webhooks = Webhooks(config.webhooks)

    async def reload(self) -> None:
        """Re-read the file sources (on SIGHUP), off the event loop as every file read is;
        when they cannot be read, the places read before are kept and the error logged."""
        try:
            self.files = await asyncio.to_thread(self.read_files)
        except WhichtagError as error:
            log(logging.ERROR, f"file sources not re-read: {error.message}")
            self.state.count_error("files", "unreadable")
            return
        log(logging.INFO, "file sources read", places=len(self.files.uses))

    async def refresh(self) -> list[dict[str, Any]]:
        """One refresh: gather the places, check them, export, compare; the events."""
        async with self._lock:
            return await self._refresh()

    async def _refresh(self) -> list[dict[str, Any]]:
        from whichtag.answer.client import Client
        from whichtag.answer.outdated import check_outdated

        started = time.monotonic()
        uses = await self._places()
        async with Client(self.options) as client:
            answers = await check_outdated(client, uses, policy=self.files.policy) if uses else []
        for answer in answers:
            if answer.errors:
                reason = reason_of(answer.errors[0])
                self.state.count_error(answer.reference.registry, reason)
                log(logging.WARNING, f"{answer.reference}: {answer.errors[0]}", reason=reason)
        self.state.series = image_series(answers)
        self.state.answers = answers
        self.state.duration = time.monotonic() - started
        self.state.last_success = time.time()
        now = snapshot(answers)
        # against nothing (the first refresh after a start), nothing is news: the baseline
        events = changes(self._previous or Snapshot(), now)
        self._previous = now
        self.refreshes += 1
        self.ready = True
        unchecked = sum(1 for answer in answers if not answer.complete)
        log(
            logging.INFO,
            "refresh finished",
            images=len(answers),
            unchecked=unchecked,
            events=len(events),
            seconds=round(self.state.duration, 3),
        )
        for event in events:
            self._emit(json.dumps({"time": _now_text(), **event}))
        if events:
            await self._webhooks.send(events)
        return events

    async def _places(self) -> list[InUse]:
        from whichtag.cli.outdated import Places

        for _ in range(self.files.skipped):
            self.state.count_error("files", "unreadable")
        # the files' places were sorted by the policy as they were read; the live ones are
        # sorted here, by the same rule outdated --engine follows
        live = Places(self.files.policy)
        if self.config.engine:
            live.add_uses(await self._engine())
        if self.config.kubernetes is not None:
            live.add_uses(await self._kubernetes())
        return [*self.files.uses, *live.uses]

    async def _engine(self) -> list[InUse]:
        from whichtag.local.running import engine_uses

        def skip(line: str) -> None:
            log(logging.WARNING, line)
            self.state.count_error("engine", "unreadable")

        try:
            return await engine_uses(lambda line: log(logging.INFO, line), skip)
        except WhichtagError as error:
            log(logging.WARNING, f"engine: {error.message}")
            self.state.count_error("engine", reason_of(error.message))
            return []

    async def _kubernetes(self) -> list[InUse]:
        kubernetes = importlib.import_module("whichtag.serve.kubernetes")
        try:
            listing = await kubernetes.list_uses(self.config.kubernetes)
        except WhichtagError as error:
            log(logging.WARNING, f"kubernetes: {error.message}")
            self.state.count_error("kubernetes", reason_of(error.message))
            return []
        for namespace, reason in listing.errors:
            log(logging.WARNING, f"kubernetes: {reason}", namespace=namespace)
            self.state.count_error("kubernetes", reason_of(reason))
        uses: list[InUse] = listing.uses
        return uses

    async def loop(self) -> None:
        """Refresh now, then every interval (±10%), or at once when woken (SIGHUP)."""
        while True:
            try:
                await self.refresh()
            except WhichtagError as error:
                log(logging.ERROR, f"refresh failed: {error.message}")
            except Exception as error:  # a long-running service outlives one bad refresh
                log(logging.ERROR, f"refresh failed: {type(error).__name__}: {error}")
            delay = self.config.interval * random.uniform(1 - JITTER, 1 + JITTER)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            if self._wake.is_set():
                self._wake.clear()
                await self.reload()

    def wake(self) -> None:
        """Re-read the files and refresh, after any refresh in flight (SIGHUP)."""
        self._wake.set()

    async def run(self) -> int:
        """Serve until SIGTERM or SIGINT; 0 when stopped so."""
        from aiohttp import web

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGHUP, self.wake)
        runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.config.listen_host, self.config.listen_port)
        await site.start()
        log(
            logging.INFO,
            "listening",
            address=f"{self.config.listen_host}:{self.config.listen_port}",
            webhooks=[host_of(url) for url in self.config.webhooks],
        )
        async with self._webhooks:
            task = asyncio.ensure_future(self.loop())
            await stop.wait()
            log(logging.INFO, "stopping")
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 3)
        await runner.cleanup()
        return 0

    def app(self) -> Any:
        from aiohttp import web
        from prometheus_client import CollectorRegistry, generate_latest
        from prometheus_client.exposition import CONTENT_TYPE_LATEST

        registry = CollectorRegistry(auto_describe=False)
        registry.register(Collector(self.state))

        async def metrics(request: web.Request) -> web.Response:
            body = generate_latest(registry)
            return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

        async def healthz(request: web.Request) -> web.Response:
            return web.Response(text="ok\n")

        async def readyz(request: web.Request) -> web.Response:
            if self.ready:
                return web.Response(text="ready\n")
            return web.Response(status=503, text="the first refresh has not finished\n")

        app = web.Application()
        app.router.add_get("/metrics", metrics)
        app.router.add_get("/healthz", healthz)
        app.router.add_get("/readyz", readyz)
        return app


def _stdout_line(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _now_text() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def run_service(config: Config, options: Options, read_files: Callable[[], Gathered]) -> int:
    """Start the service and serve until told to stop; the file sources are read first
    (an error there is the command's usage error)."""
    service = Service(config, options, read_files)
    service.files = read_files()
    return asyncio.run(service.run())
