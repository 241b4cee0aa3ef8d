"""Manifest media types, digests over exact bytes, and the checks a fetched manifest passes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from whichtag.errors import ProtocolError
from whichtag.names.platforms import Platform
from whichtag.names.reference import is_valid_digest

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
IMAGE_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})

#: Index types first: without them a registry substitutes one platform's manifest, and the
#: digest would differ from the one ``docker pull`` reports.
MANIFEST_ACCEPT = ", ".join([OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST])

MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_INDEX_ENTRIES = 10_000


def compute_digest(body: bytes, algorithm: str = "sha256") -> str:
    """``algorithm:hex`` over the exact bytes received (never re-serialised JSON)."""
    return f"{algorithm}:{hashlib.new(algorithm, body).hexdigest()}"


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    folded: set[str] = set()
    for key, value in pairs:
        if key.lower() in folded:
            raise ProtocolError(f"manifest has a duplicate key {key[:40]!r}")
        folded.add(key.lower())
        seen[key] = value
    return seen


def _reject_constant(name: str) -> Any:
    raise ProtocolError(f"manifest contains {name}, which is not JSON")


def parse_json_object(body: bytes, what: str) -> dict[str, Any]:
    """Strict JSON: an object, UTF-8, no duplicate keys, no NaN; clean errors for garbage."""
    try:
        document = json.loads(
            body.decode("utf-8"),
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
        )
    except ProtocolError as error:
        raise ProtocolError(f"{what}: {error}") from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ProtocolError(f"{what} is not valid JSON") from None
    if not isinstance(document, dict):
        raise ProtocolError(f"{what} is not a JSON object")
    return document


def media_type_of(content_type: str | None) -> str:
    """The bare media type of a ``Content-Type`` header (parameters ignored)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class Manifest:
    """A manifest as fetched: its exact bytes, media type and digest."""

    body: bytes
    media_type: str
    digest: str

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES


def check_manifest(body: bytes, content_type: str | None) -> str:
    """Validate a fetched manifest; return its media type.

    Rejects the ambiguous documents of CVE-2021-41190 (``manifests`` together with
    ``layers``/``config``) and a ``mediaType`` field that contradicts ``Content-Type``.
    """
    document = parse_json_object(body, "manifest")
    header_type = media_type_of(content_type)
    field_type = document.get("mediaType")
    if field_type is not None and not isinstance(field_type, str):
        raise ProtocolError("manifest mediaType is not a string")
    if "manifests" in document and ("layers" in document or "config" in document):
        raise ProtocolError("manifest has both 'manifests' and 'layers'/'config': ambiguous")
    if field_type and header_type and field_type != header_type:
        raise ProtocolError(
            f"manifest mediaType {field_type!r} differs from Content-Type {header_type!r}"
        )
    if field_type or header_type:
        return field_type or header_type
    # OCI allows mediaType to be left out: what the document holds says what it is
    return OCI_INDEX if "manifests" in document else OCI_MANIFEST


@dataclass(frozen=True)
class Descriptor:
    """What a HEAD tells of a manifest: its digest, and its media type ("" if not said)."""

    digest: str
    media_type: str = ""


@dataclass(frozen=True)
class IndexEntry:
    """One platform manifest listed by an index."""

    digest: str
    platform: Platform


def index_entries(manifest: Manifest) -> list[IndexEntry]:
    """The platform manifests of an index (entries without a valid digest are skipped)."""
    document = parse_json_object(manifest.body, "index")
    entries = document.get("manifests")
    if not isinstance(entries, list):
        raise ProtocolError(f"index {manifest.digest} lists no manifests")
    found: list[IndexEntry] = []
    for entry in entries[:MAX_INDEX_ENTRIES]:
        if not isinstance(entry, dict):
            continue
        digest = entry.get("digest")
        described = entry.get("platform")
        if not isinstance(digest, str) or not is_valid_digest(digest):
            continue
        if not isinstance(described, dict):
            described = {}
        fields = [described.get(key, "") for key in ("os", "architecture", "variant")]
        if not all(isinstance(value, str) for value in fields):
            continue
        found.append(IndexEntry(digest, Platform.of(*fields)))
    return found


def config_digest(manifest: Manifest) -> str | None:
    """The config blob's digest (the image ID) of an image manifest, or None."""
    document = parse_json_object(manifest.body, "manifest")
    config = document.get("config")
    digest = config.get("digest") if isinstance(config, dict) else None
    return digest if isinstance(digest, str) and is_valid_digest(digest) else None
