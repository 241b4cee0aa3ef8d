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
import stat
import tempfile
from pathlib import Path

from whichtag.files.guarded import UnsafeFile, read_regular_file
from whichtag.names.reference import is_valid_digest
from whichtag.registry.manifest import compute_digest

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
MAX_ENTRY_BYTES = 4 * 1024 * 1024  # a manifest's own cap


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "whichtag")


class DigestCache:
    """Bytes by digest, verified on every read; see the module doc.

    The cache is an optimisation and its folder may have been planted (a CI cache restored
    from elsewhere): only a real directory owned by this user is used (created 0700), only
    real subdirectories and regular files are read, listed or evicted (links are never
    followed), reads are size-capped, and every error is ignored: a broken cache never
    changes an answer or the exit code. Callers on the event loop read it in a thread."""

    def __init__(self, root: Path | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root or default_cache_dir()
        self.max_bytes = max_bytes
        self._total: int | None = None  # bytes on disk, measured once per run, then tracked
        self._usable: bool | None = None

    def _owned_directory(self, path: Path) -> bool:
        """``path`` exists (created 0700 if not) as a real directory owned by this user."""
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700, parents=path == self.root)
        info = os.lstat(path)
        return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()

    def _root_ok(self) -> bool:
        if self._usable is None:
            try:
                self._usable = self._owned_directory(self.root)
            except OSError:
                self._usable = False
        return self._usable

    def _path(self, digest: str) -> Path | None:
        if not is_valid_digest(digest):
            return None
        algorithm, _, hexpart = digest.partition(":")
        return self.root / algorithm / hexpart

    def get(self, digest: str) -> bytes | None:
        path = self._path(digest)
        if path is None or not self._root_ok():
            return None
        try:
            body = read_regular_file(path, MAX_ENTRY_BYTES, follow_links=False)
        except (OSError, UnsafeFile):
            return None
        if compute_digest(body, digest.partition(":")[0]) != digest:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)  # corrupt or tampered with: drop it
            return None
        with contextlib.suppress(OSError):
            os.utime(path, follow_symlinks=False)  # recently used
        return body

    def put(self, digest: str, body: bytes) -> None:
        """Store ``body`` if it hashes to ``digest``; failures to write are not errors."""
        path = self._path(digest)
        if path is None or len(body) > MAX_ENTRY_BYTES or not self._root_ok():
            return
        if compute_digest(body, digest.partition(":")[0]) != digest:
            return
        try:
            if not self._owned_directory(path.parent):
                return
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as stream:
                stream.write(body)
            os.replace(temporary, path)
            if self._total is None:
                self._total = self._measure()
            else:
                self._total += len(body)
            if self._total > self.max_bytes:
                self._total = self._evict()
        except OSError:
            return

    def _entries(self) -> list[tuple[float, int, Path]]:
        """Regular files in real subdirectories of the root: never through a link."""
        entries: list[tuple[float, int, Path]] = []
        with os.scandir(self.root) as directories:
            for directory in directories:
                if not directory.is_dir(follow_symlinks=False):
                    continue
                with contextlib.suppress(OSError), os.scandir(directory.path) as files:
                    for entry in files:
                        with contextlib.suppress(OSError):
                            if entry.is_file(follow_symlinks=False):
                                info = entry.stat(follow_symlinks=False)
                                entries.append((info.st_mtime, info.st_size, Path(entry.path)))
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
            with contextlib.suppress(OSError):
                entry.unlink(missing_ok=True)
            total -= size
        return total
