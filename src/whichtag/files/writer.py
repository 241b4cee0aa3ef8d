"""Rewriting files whichtag read (``pin``; ``upgrade`` next): all or nothing, and race-free.

A file is read through its real folder's descriptor (a symbolic link at the path named is
resolved once, at read time: its target is rewritten, the link kept), and what was read is
remembered: device, inode, size, modification time and the SHA-256 of the bytes. Between
reading and writing a run waits on registries, seconds to minutes, so before the first file is
replaced every file is checked to still be that same, unchanged file; if one is not (an edit
saved meanwhile, a link swapped in), nothing is written. Everything is done relative to the
folder's descriptor and never through a link: the staging file is created ``O_EXCL`` under a
random name, its owner and mode set on the open descriptor, and the one operation by name is
the final ``rename`` in that folder. A file with hard links is rewritten in place through a
descriptor, so that every name sees the change.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import stat
from contextlib import ExitStack, suppress
from dataclasses import dataclass

from whichtag.errors import WhichtagError
from whichtag.files.guarded import UnsafeFile, read_regular_file_at

#: the exit code of a rewrite that was refused or failed (``pin``'s "could not pin")
EXIT_NOT_WRITTEN = 4
_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW | os.O_CLOEXEC


class NotWritten(WhichtagError):
    """A rewrite refused (a file changed since it was read) or failed: no file was changed."""

    exit_code = EXIT_NOT_WRITTEN


@dataclass(frozen=True)
class Original:
    """A file as it was read: where it is, and what it was."""

    path: str  # as the user named it, for messages
    folder: str  # the real folder of the file (a link at ``path`` resolved once)
    name: str  # its name in that folder
    folder_id: tuple[int, int]  # the folder's device and inode
    device: int
    inode: int
    size: int
    mtime_ns: int
    sha256: str


def read_original(path: str, cap: int) -> tuple[Original, bytes]:
    """The bytes of the regular file at ``path`` (at most ``cap``) and what to check before
    writing it back. OSError and UnsafeFile pass through, as from the guarded reader."""
    real = os.path.realpath(path, strict=True)
    folder, name = os.path.split(real)
    descriptor = os.open(folder, _FOLDER_FLAGS)
    try:
        where = os.fstat(descriptor)
        info, raw = read_regular_file_at(descriptor, name, cap)
    finally:
        os.close(descriptor)
    original = Original(
        path=path,
        folder=folder,
        name=name,
        folder_id=(where.st_dev, where.st_ino),
        device=info.st_dev,
        inode=info.st_ino,
        size=info.st_size,
        mtime_ns=info.st_mtime_ns,
        sha256=hashlib.sha256(raw).hexdigest(),
    )
    return original, raw


@dataclass
class _Checked:
    """A file found unchanged just before writing: its folder, an open descriptor, what
    ``fstat`` says now, and its bytes (to put back should an in-place rewrite fail)."""

    original: Original
    folder: int
    info: os.stat_result
    raw: bytes
    staged: str | None = None  # the staging file's name in the folder; None: in place
    in_place: int | None = None  # a descriptor open for writing, for a hard-linked file


def write_all(files: list[tuple[Original, bytes]], *, command: str = "whichtag") -> None:
    """Write each file's new bytes, all or nothing: every file is checked unchanged, then
    staged, before any is replaced. NotWritten says which file stopped it; ``command``
    names the run in that message ("Dockerfile changed while pin was running")."""
    with ExitStack() as stack:
        folders: dict[str, int] = {}
        checked = [_check(original, folders, stack, command) for original, _ in files]
        try:
            for item, (_, body) in zip(checked, files, strict=True):
                _stage(item, body, stack)
        except OSError as error:
            _discard(checked)
            raise _failed(item.original, error) from None
        _commit(list(zip(checked, (body for _, body in files), strict=True)))
        for folder in folders.values():
            _sync(folder)


def _check(original: Original, folders: dict[str, int], stack: ExitStack, command: str) -> _Checked:
    """The file as it is now, refused unless it is the file read and unchanged."""
    changed = NotWritten(
        f"{original.path} changed while {command} was running; no file was changed",
        hint=f"run whichtag {command} again" if command != "whichtag" else "run again",
    )
    try:
        if original.folder not in folders:
            folder = os.open(original.folder, _FOLDER_FLAGS)
            stack.callback(os.close, folder)
            folders[original.folder] = folder
        folder = folders[original.folder]
        where = os.fstat(folder)
        if (where.st_dev, where.st_ino) != original.folder_id:
            raise changed
        info, raw = read_regular_file_at(folder, original.name, original.size + 1)
    except (FileNotFoundError, NotADirectoryError, UnsafeFile):
        raise changed from None
    except OSError as error:
        raise _failed(original, error) from None
    now = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    then = (original.device, original.inode, original.size, original.mtime_ns)
    if now != then or hashlib.sha256(raw).hexdigest() != original.sha256:
        raise changed
    return _Checked(original, folder, info, raw)


def _stage(item: _Checked, body: bytes, stack: ExitStack) -> None:
    """A file with one name: its new bytes in a new file beside it, with its owner, group and
    mode. A file with hard links: opened for writing in place (checked to be the same file)."""
    folder, info = item.folder, item.info
    if info.st_nlink > 1:
        descriptor = os.open(item.original.name, os.O_RDWR | _READ_FLAGS, dir_fd=folder)
        stack.callback(os.close, descriptor)
        again = os.fstat(descriptor)
        if (again.st_dev, again.st_ino) != (info.st_dev, info.st_ino):
            raise OSError(errno.ESTALE, "replaced while it was being written")
        item.in_place = descriptor
        return
    name = f".{item.original.name[:200]}.{secrets.token_hex(8)}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    descriptor = os.open(name, flags, 0o600, dir_fd=folder)
    item.staged = name
    try:
        _write_through(descriptor, body)
        if (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
            _keep_owner(descriptor, info)
        os.fchmod(descriptor, stat.S_IMODE(info.st_mode))  # after fchown, which clears setuid
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _keep_owner(descriptor: int, info: os.stat_result) -> None:
    """The file's owner and group on the staging file; a user who may not give a file away
    (not root, or not in the group) is refused rather than leaving it their own."""
    try:
        os.fchown(descriptor, info.st_uid, info.st_gid)
    except PermissionError:
        raise PermissionError(
            errno.EPERM, f"cannot keep its owner and group ({info.st_uid}:{info.st_gid})"
        ) from None


def _commit(items: list[tuple[_Checked, bytes]]) -> None:
    """Hard-linked files rewritten in place first (put back as they were if one fails), then
    every staged file renamed over its file, in its folder."""
    done: list[_Checked] = []
    for item, body in items:
        if item.in_place is None:
            continue
        try:
            _write_through(item.in_place, body)
            os.fsync(item.in_place)
        except OSError as error:
            for undo in [*done, item]:
                _put_back(undo)
            _discard([checked for checked, _ in items])
            raise _failed(item.original, error) from None
        done.append(item)
    renamed = 0
    for item, _ in items:
        if item.staged is None:
            continue
        try:
            os.rename(
                item.staged, item.original.name, src_dir_fd=item.folder, dst_dir_fd=item.folder
            )
        except OSError as error:
            _discard([checked for checked, _ in items])
            raise NotWritten(
                f"cannot replace {item.original.path}: {error.strerror or error}; "
                f"{renamed + len(done)} file(s) before it were written",
                hint="check the folder, then run again",
            ) from None
        item.staged = None
        renamed += 1


def _write_through(descriptor: int, body: bytes) -> None:
    """``body`` from the start of the open file, which ends where it ends."""
    os.lseek(descriptor, 0, os.SEEK_SET)
    view = memoryview(body)
    while view:
        view = view[os.write(descriptor, view) :]
    os.ftruncate(descriptor, len(body))


def _put_back(item: _Checked) -> None:
    """Best effort: the bytes a hard-linked file had, after its rewrite failed."""
    if item.in_place is not None:
        with suppress(OSError):
            _write_through(item.in_place, item.raw)


def _discard(items: list[_Checked]) -> None:
    """Remove the staging files made so far (by name, in their folder)."""
    for item in items:
        if item.staged is not None:
            with suppress(OSError):
                os.unlink(item.staged, dir_fd=item.folder)
            item.staged = None


def _sync(folder: int) -> None:
    """The renames on disk; a folder that cannot be synced (some file systems) is no error."""
    with suppress(OSError):
        os.fsync(folder)


def _failed(original: Original, error: OSError) -> NotWritten:
    return NotWritten(
        f"cannot write {original.path}: {error.strerror or error}; no file was changed",
        hint="check the file's folder (permissions, space) and owner, then run again",
    )
