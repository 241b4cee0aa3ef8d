"""One guarded reader for every file a user or another program can plant: credential files,
docker contexts, the manifest cache, files to pin.

Regular files only (a FIFO would hang the run, ``/dev/zero`` would never end), opened
non-blocking and checked with ``fstat`` before any byte is read, never larger than a cap; with
``follow_links=False`` a symbolic link at the path itself is refused (``O_NOFOLLOW``), for
folders whichtag owns (the cache), where a planted link could point anywhere.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class UnsafeFile(ValueError):
    """The path exists but is not a file whichtag will read; the message says why."""


def read_regular_file(path: Path | str, cap: int, *, follow_links: bool = True) -> bytes:
    """The bytes of a regular file of at most ``cap`` bytes. FileNotFoundError and other
    OSErrors pass through; UnsafeFile says why a file that is there was not read."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        if not follow_links and os.path.islink(path):
            raise UnsafeFile("is a symbolic link") from None
        raise error from None
    return _read_open(descriptor, cap)[1]


def read_regular_file_at(folder: int, name: str, cap: int) -> tuple[os.stat_result, bytes]:
    """The ``fstat`` and bytes of the regular file ``name`` in the open folder ``folder``,
    never through a symbolic link (``O_NOFOLLOW``): the file read is the one that is there,
    which a rewrite later checks it still is."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        descriptor = os.open(name, flags, dir_fd=folder)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnsafeFile("is a symbolic link") from None
        raise error from None
    return _read_open(descriptor, cap)


def _read_open(descriptor: int, cap: int) -> tuple[os.stat_result, bytes]:
    """What ``fstat`` says of the open file and its bytes; the descriptor is closed."""
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile("is not a regular file")
        if info.st_size > cap:
            raise UnsafeFile(f"is larger than {cap} bytes")
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            raw = stream.read(cap + 1)
    finally:
        os.close(descriptor)
    if len(raw) > cap:
        raise UnsafeFile(f"is larger than {cap} bytes")
    return info, raw
