"""A content-addressed cache of manifests on disk: what is fetched by digest never changes.

Entries live at ``$XDG_CACHE_HOME/whichtag/sha256/<hex>`` (``~/.cache`` when unset). They are
written atomically (a temporary file renamed into place, so concurrent writers are harmless),
verified against their digest whenever read (a corrupt entry is deleted, never trusted), and
the whole stays under a size bound by evicting the least recently used entries (reads touch
an entry's modification time). Tag → digest answers are never cached: tags move.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from whichtag.names.reference import is_valid_digest
from whichtag.registry.manifest import compute_digest

DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "whichtag")


class DigestCache:
    """Bytes by digest, verified on every read; see the module doc."""

    def __init__(self, root: Path | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root or default_cache_dir()
        self.max_bytes = max_bytes
        self._total: int | None = None  # bytes on disk, measured once per run, then tracked

    def _path(self, digest: str) -> Path | None:
        if not is_valid_digest(digest):
            return None
        algorithm, _, hexpart = digest.partition(":")
        return self.root / algorithm / hexpart

    def get(self, digest: str) -> bytes | None:
        path = self._path(digest)
        if path is None:
            return None
        try:
            body = path.read_bytes()
        except OSError:
            return None
        if compute_digest(body, digest.partition(":")[0]) != digest:
            path.unlink(missing_ok=True)  # corrupt or tampered with: drop it
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used
        return body

    def put(self, digest: str, body: bytes) -> None:
        """Store ``body`` if it hashes to ``digest``; failures to write are not errors."""
        path = self._path(digest)
        if path is None or compute_digest(body, digest.partition(":")[0]) != digest:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as stream:
                stream.write(body)
            os.replace(temporary, path)
        except OSError:
            return
        if self._total is None:
            self._total = self._measure()
        else:
            self._total += len(body)
        if self._total > self.max_bytes:
            self._total = self._evict()

    def _entries(self) -> list[tuple[float, int, Path]]:
        entries: list[tuple[float, int, Path]] = []
        for directory in self.root.iterdir() if self.root.is_dir() else []:
            if not directory.is_dir():
                continue
            for entry in directory.iterdir():
                try:
                    info = entry.stat()
                except OSError:
                    continue
                entries.append((info.st_mtime, info.st_size, entry))
        return entries

    def _measure(self) -> int:
        return sum(size for _, size, _ in self._entries())

    def _evict(self) -> int:
        """Drop the least recently used entries until the cache fits; the bytes left."""
        entries = self._entries()
        total = sum(size for _, size, _ in entries)
        for _, size, entry in sorted(entries):
            if total <= self.max_bytes:
                break
            entry.unlink(missing_ok=True)
            total -= size
        return total
