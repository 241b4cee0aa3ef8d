"""Tag names: natural ordering and the tags that name signatures, not images."""

from __future__ import annotations

import re

_DIGITS_RE = re.compile(r"(\d+)", re.ASCII)
_SIGNATURE_TAG_RE = re.compile(
    r"(?:sha256-[a-f0-9]{64}|sha512-[a-f0-9]{128})(?:\.[A-Za-z0-9_-]+)?", re.ASCII
)


def natural_key(tag: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key where runs of digits compare as numbers: ``1.9 < 1.10``, ``v0.12 < v0.12.31``.

    Each piece is ``(kind, number, text)``: numbers sort before text (as digits do before
    letters in ASCII and in ``sort -V``), and ``01`` sorts next to ``1`` but stays distinct.
    """
    key: list[tuple[int, int, str]] = []
    for index, piece in enumerate(_DIGITS_RE.split(tag)):
        if index % 2:
            key.append((0, int(piece), piece))
        elif piece:
            key.append((1, 0, piece))
    return tuple(key)


def natural_sorted(tags: list[str]) -> list[str]:
    """``tags`` in natural order, duplicates removed."""
    return sorted(set(tags), key=natural_key)


def is_signature_tag(tag: str) -> bool:
    """True for ``sha256-<hex>[.sig|.att|.sbom…]`` tags: cosign signatures and attestations,
    and the referrers-API fallback tags. They name artefacts attached to an image, never an image.
    """
    return _SIGNATURE_TAG_RE.fullmatch(tag) is not None
