"""Reading a source file's bytes and writing a rewritten one back without ever losing an edit."""
from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Callable, Optional


class WriteRefused(Exception):
    """The file was not written; the message says why."""


#: Called just before a file is replaced; tests use it to simulate a concurrent edit.
before_write: Optional[Callable[[Path], None]] = None


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def read_bytes(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


class NotRegularFile(OSError):
    """A FIFO, socket or device named like a source file: never read (it could block forever)."""


def read_source(path: Path, limit: Optional[int] = None) -> "tuple[bytes, os.stat_result]":
    """The bytes of a regular file and its stat taken before reading.

    Opened without blocking so that a FIFO named ``x.py`` is refused instead of hanging the run;
    at most ``limit + 1`` bytes are read, enough to tell that a huge file is over the limit.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile("not a regular file")
        return (handle.read() if limit is None else handle.read(limit + 1)), info


def write_if_unchanged(path: Path, original: bytes, new: bytes) -> None:
    """Replace ``path`` with ``new`` atomically, only if it still holds ``original``.

    The bytes go to a temporary file in the same directory (same file system, so ``os.replace``
    is atomic), with the original's permission bits; a reader sees the old or the new file, never
    half of one. Symlinks are never written through.
    """
    if path.is_symlink():
        raise WriteRefused("is a symbolic link; not written through")
    if before_write is not None:
        before_write(path)
    try:
        current = read_bytes(path)
    except OSError as error:
        raise WriteRefused(f"cannot re-read before writing: {error.strerror or error}") from None
    if current != original:
        raise WriteRefused("changed on disk while svcmod was running; not overwritten")
    info = os.stat(path)
    mode = stat.S_IMODE(info.st_mode)
    if not mode & 0o222:
        # read-only on purpose (even root could replace it): the file is the user's to change
        raise WriteRefused("is read-only; not written")
    if info.st_nlink > 1:
        # replacing one name would leave the other names with the old content
        raise WriteRefused(f"has {info.st_nlink} hard links; not written (replacing it would split them)")
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".svcmod-tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(new)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        if (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()) and hasattr(os, "chown"):
            try:
                os.chown(temp, info.st_uid, info.st_gid)  # run as root, the owner must not become root
            except PermissionError:  # not root: keep at least the group, when it is one of ours
                if info.st_gid in os.getgroups():
                    os.chown(temp, -1, info.st_gid)
        # last look: an edit that landed while we wrote the temp file still wins
        if read_bytes(path) != original:
            raise WriteRefused("changed on disk while svcmod was running; not overwritten")
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
