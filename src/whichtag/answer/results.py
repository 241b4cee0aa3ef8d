"""What whichtag answers: one reference's :class:`Result`, a repository's :class:`TagMap`.
Their ``to_json`` documents are a public interface: keys are only ever added."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from whichtag.names.reference import Reference


def reference_json(reference: Reference) -> dict[str, Any]:
    """The keys every JSON answer starts with: the reference as normalised, its parts."""
    return {
        "reference": str(reference),
        "registry": reference.registry,
        "repository": reference.repository,
    }


@dataclass
class TagError:
    """A tag whose digest could not be learned, and why."""

    tag: str
    error: str


@dataclass
class Result:
    """The answer for one reference; ``complete`` is False when any tag could not be asked."""

    reference: Reference
    digest: str
    tags: list[str]
    total: int
    scanned: int
    skipped: int
    errors: list[TagError] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict, repr=False)
    warnings: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # listed, then deleted during the scan
    match: str = "digest"  # what "same image" meant: digest, platform or image-id
    platform: str | None = None
    via: dict[str, str] = field(default_factory=dict)  # tag -> the index it matched through
    note: str | None = None  # what the target turned out to be, where that needs saying
    local: dict[str, Any] | None = None  # --local: the local image and whether it is stale
    lister: str = "generic"  # which lister answered
    requests: int = 0  # HTTP requests the answer took
    version: str | None = None  # the most specific version tag among ``tags`` (versions.py)
    #: why the answer may miss tags: a vendor API asked for by name, which can lag behind the
    #: registry (None: exact, what asking every listed tag gives)
    lag: str | None = None

    @property
    def complete(self) -> bool:
        return not self.errors

    @property
    def exact(self) -> bool:
        """False when the answer came from a source that can lag behind the registry."""
        return self.lag is None

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document: a public interface, keys are only ever added."""
        return {
            **reference_json(self.reference),
            "digest": self.digest,
            "tags": self.tags,
            "total": self.total,
            "scanned": self.scanned,
            "skipped": self.skipped,
            "complete": self.complete,
            "errors": [{"tag": error.tag, "error": error.error} for error in self.errors],
            "warnings": self.warnings,
            "gone": self.gone,
            "match": self.match,
            **({"platform": self.platform} if self.platform else {}),
            **({"via": self.via} if self.via else {}),
            **({"note": self.note} if self.note else {}),
            **({"local": self.local} if self.local is not None else {}),
            "lister": self.lister,
            "requests": self.requests,
            "version": self.version,
            "exact": self.exact,
            **({"lag": self.lag} if self.lag else {}),
        }


@dataclass
class Group:
    """Tags that point at one digest, in natural order, and the version name among them."""

    digest: str
    tags: list[str]
    version: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"digest": self.digest, "version": self.version, "tags": self.tags}


@dataclass
class TagMap:
    """A repository's map of tag aliases: every selected tag grouped by digest, groups by
    version name (newest first, unversioned last). ``complete`` is False when any selected
    tag could not be asked: the map may then lack tags, and says which."""

    reference: Reference
    groups: list[Group]
    total: int  # tags the registry listed
    selected: int  # tags left after --match/--exclude and the signature-tag rule
    skipped: int  # signature tags left out
    errors: list[TagError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    requests: int = 0

    @property
    def complete(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        """The ``map --json`` document: a public interface, keys are only ever added."""
        return {
            "registry": self.reference.registry,
            "repository": self.reference.repository,
            "groups": [group.to_json() for group in self.groups],
            "total": self.total,
            "selected": self.selected,
            "skipped": self.skipped,
            "complete": self.complete,
            "errors": [{"tag": error.tag, "error": error.error} for error in self.errors],
            "warnings": self.warnings,
            "gone": self.gone,
            "requests": self.requests,
        }
