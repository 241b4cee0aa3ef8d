"""The exporter's series as a ``prometheus_client`` collector: each scrape reads the last
refresh's model (the per-place series of :mod:`whichtag.answer.metrics`, the very ones
``outdated --format prometheus`` prints) and the per-refresh figures of :class:`State`."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from whichtag.answer.metrics import IMAGE_SERIES, Series, place_labels
from whichtag.answer.outdated import Outdated
from whichtag.names.versions import KINDS

VERSION_CHECKER_LABELS = (
    "image",
    "current_version",
    "latest_version",
    "namespace",
    "pod",
    "container",
    "container_type",
)


@dataclass
class State:
    """What a scrape shows: the last refresh's series and the counters so far."""

    series: Series = field(default_factory=Series)
    answers: list[Outdated] = field(default_factory=list)
    last_success: float | None = None  # when a refresh last ran to its end (Unix time)
    duration: float | None = None  # how long that refresh took (seconds)
    check_errors: dict[tuple[str, str], int] = field(default_factory=dict)
    requests: dict[tuple[str, str], int] = field(default_factory=dict)
    ratelimit: dict[str, float] = field(default_factory=dict)
    compat_version_checker: bool = False

    def observe(self, host: str, status: int, headers: Any) -> None:
        """The transport's response observer: request counts and Docker Hub's remaining
        pulls (``ratelimit-remaining: 100;w=21600``), the latter only where sent."""
        key = (host, str(status))
        self.requests[key] = self.requests.get(key, 0) + 1
        remaining = headers.get("ratelimit-remaining")
        if remaining is not None:
            with contextlib.suppress(ValueError):
                self.ratelimit[host] = float(remaining.split(";")[0].strip())

    def count_error(self, registry: str, reason: str) -> None:
        key = (registry, reason)
        self.check_errors[key] = self.check_errors.get(key, 0) + 1


def version_checker_samples(answers: list[Outdated]) -> Iterator[tuple[list[str], float]]:
    """``version_checker_is_latest_version``: 1 when no newer release of the image's
    variant is out, 0 when one is; absent where the image could not be checked or has no
    version name (version-checker leaves those to its failure counter too)."""
    for answer in answers:
        if not answer.complete or answer.version is None:
            continue
        newest = [getattr(answer.updates, kind) for kind in reversed(KINDS)]
        latest = next((name for name in newest if name is not None), answer.version)
        image = str(dataclasses.replace(answer.reference, tag=None, digest=None))
        for place in answer.where:
            where = place_labels(place)
            kind = "container" if where["source"] == "pod" else where["source"]
            values = [
                image,
                answer.version,
                latest,
                where["namespace"],
                where["pod"],
                where["container"],
                kind,
            ]
            yield values, 1.0 if latest == answer.version else 0.0


class Collector:
    """Reads :class:`State` at each scrape."""

    def __init__(self, state: State) -> None:
        self.state = state

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        state = self.state
        for name, help_text, samples in state.series.families(IMAGE_SERIES):
            labels = list(samples[0].labels) if samples else []
            family = GaugeMetricFamily(name, help_text, labels=labels)
            for sample in samples:
                family.add_metric(list(sample.labels.values()), sample.value)
            yield family
        success = GaugeMetricFamily(
            "whichtag_last_refresh_success_timestamp_seconds",
            "When a refresh last ran to its end (Unix time), complete or not.",
        )
        duration = GaugeMetricFamily(
            "whichtag_refresh_duration_seconds", "How long the last refresh took."
        )
        if state.last_success is not None:
            success.add_metric([], state.last_success)
        if state.duration is not None:
            duration.add_metric([], state.duration)
        yield success
        yield duration
        errors = CounterMetricFamily(
            "whichtag_check_errors",
            "Images (or sources) that could not be checked, by registry and reason.",
            labels=["registry", "reason"],
        )
        for (registry, reason), count in sorted(state.check_errors.items()):
            errors.add_metric([registry, reason], count)
        yield errors
        requests = CounterMetricFamily(
            "whichtag_registry_requests",
            "Responses received from registries, by registry and HTTP status.",
            labels=["registry", "code"],
        )
        for (registry, code), count in sorted(state.requests.items()):
            requests.add_metric([registry, code], count)
        yield requests
        remaining = GaugeMetricFamily(
            "whichtag_registry_ratelimit_remaining",
            "Requests left in the registry's rate-limit window, where it says.",
            labels=["registry"],
        )
        for registry, value in sorted(state.ratelimit.items()):
            remaining.add_metric([registry], value)
        yield remaining
        if state.compat_version_checker:
            latest = GaugeMetricFamily(
                "version_checker_is_latest_version",
                "Where the container in use is using the latest upstream registry version "
                "(whichtag's reading: no newer release of the same variant).",
                labels=list(VERSION_CHECKER_LABELS),
            )
            for values, value in version_checker_samples(state.answers):
                latest.add_metric(values, value)
            yield latest
