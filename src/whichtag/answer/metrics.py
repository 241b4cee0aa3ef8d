"""Prometheus series of ``whichtag outdated`` answers: one model, no library, read by the CLI's
``--format prometheus`` (:meth:`Series.text`) and by ``whichtag serve``'s collector
(:meth:`Series.families`), so both export the same series.

One series per *place* an image is used (a file line, a pod's container, an engine
container, a line of a list), so that an alert names where to act. Every per-place series
carries the same place labels (``source, file, line, namespace, pod, container``; empty where
one does not apply), so no two places share a label set. A sample that was not measured is
absent, never 0: an image whose lookup failed has ``whichtag_image_checked 0`` and no stale
or update samples.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from whichtag.names.versions import KINDS

if TYPE_CHECKING:
    from whichtag.answer.outdated import Outdated

PLACE_LABELS = ("source", "file", "line", "namespace", "pod", "container")

HELP = {
    "whichtag_image_info": "An image in use at a place: its reference, version name, digest.",
    "whichtag_image_checked": "1 when the image in use at the place was fully checked.",
    "whichtag_image_stale": "1 when the place's own tag has moved off the image in use.",
    "whichtag_image_update_available": (
        "1 for each update kind (patch, minor, major: exclusive) with a newer release out; "
        "newest names it."
    ),
    "whichtag_last_run_timestamp_seconds": "When the last run ended (Unix time).",
    "whichtag_last_run_complete": "1 when the last run checked everything it was asked.",
}


def label(value: object) -> str:
    """A label value: backslash, double quote and newline escaped."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def place_labels(place: dict[str, Any]) -> dict[str, str]:
    """The place labels of a ``where`` entry (file → file, line; pod → namespace, pod,
    container; workload → namespace, pod ``KIND/NAME``, container; engine → container; list →
    line)."""
    source = str(place.get("source", ""))
    pod = str(place.get("pod", ""))
    if source == "workload":  # no label of its own: pod="Deployment/web" (no pod has a /)
        pod = f"{place.get('kind', '')}/{place.get('name', '')}"
    return {
        "source": source,
        "file": str(place.get("path", "")) if source == "file" else "",
        "line": str(place.get("line", "")) if source in ("file", "list") else "",
        "namespace": str(place.get("namespace", "")) if source in ("pod", "workload") else "",
        "pod": pod if source in ("pod", "workload") else "",
        "container": (
            str(place.get("container", "")) if source in ("pod", "workload", "engine") else ""
        ),
    }


#: the series of each image in use at each place (the rest are a run's)
IMAGE_SERIES = (
    "whichtag_image_info",
    "whichtag_image_checked",
    "whichtag_image_stale",
    "whichtag_image_update_available",
)


@dataclass(frozen=True)
class Sample:
    """One sample of a gauge: its labels (in order) and value."""

    labels: dict[str, str]
    value: float


@dataclass
class Series:
    """Samples by metric name, each label set once (the first sample kept)."""

    samples: dict[str, dict[str, Sample]] = field(default_factory=lambda: {n: {} for n in HELP})

    def add(self, name: str, labels: dict[str, str], value: float) -> None:
        text = ",".join(f'{key}="{label(item)}"' for key, item in labels.items())
        sample = Sample(dict(labels), float(value))
        self.samples[name].setdefault(text, sample)

    def families(self, names: Iterable[str] = HELP) -> Iterator[tuple[str, str, list[Sample]]]:
        """Each metric's name, help text and samples, in a fixed order."""
        for name in names:
            yield name, HELP[name], list(self.samples[name].values())

    def text(self) -> str:
        """The text exposition format: one ``# HELP`` and ``# TYPE`` per metric."""
        lines: list[str] = []
        for name, help_text, samples in self.families():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
            lines += [_line(name, sample) for sample in samples]
        return "\n".join(lines) + "\n"


def _line(name: str, sample: Sample) -> str:
    text = ",".join(f'{key}="{label(item)}"' for key, item in sample.labels.items())
    value = sample.value
    number = str(int(value)) if value.is_integer() else repr(value)
    return f"{name}{{{text}}} {number}" if text else f"{name} {number}"


def image_series(answers: Iterable[Outdated], series: Series | None = None) -> Series:
    """The per-place series of answers (added to ``series`` when given)."""
    series = series or Series()
    for answer in answers:
        image = {"image": str(answer.reference), "digest": answer.digest or ""}
        checked = answer.complete
        updates = [
            (kind, newest)
            for kind in KINDS
            if (newest := getattr(answer.updates, kind)) is not None
        ]
        for index, place in enumerate(answer.where):
            at = {**image, **place_labels(place)}
            series.add("whichtag_image_info", {**at, "version": answer.version or ""}, 1)
            series.add("whichtag_image_checked", at, 1 if checked else 0)
            if not checked:
                continue
            stale = answer.place_stale(index)
            if stale is not None:
                series.add("whichtag_image_stale", at, 1 if stale else 0)
            for kind, newest in updates:
                series.add(
                    "whichtag_image_update_available", {**at, "kind": kind, "newest": newest}, 1
                )
    return series


def run_series(series: Series, *, finished: float, complete: bool) -> Series:
    """The per-run series: when the run ended and whether it checked everything."""
    series.add("whichtag_last_run_timestamp_seconds", {}, finished)
    series.add("whichtag_last_run_complete", {}, 1 if complete else 0)
    return series
