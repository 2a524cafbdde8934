"""Reading a source file's bytes and writing a rewritten one back without ever losing an edit."""
from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Callable, Optional

from svcmod.run.stopping import whole_write


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


def write_if_unchanged(path: Path, original: bytes, new: bytes, force: bool = False) -> None:
    """Replace ``path`` with ``new`` atomically, only if it still holds ``original``.

    The bytes go to a temporary file in the same directory (same file system, so ``os.replace``
    is atomic), with the original's permission bits, owner and group and extended attributes
    (ACLs among them); a reader sees the old or the new file, never half of one. Symlinks are
    never written through. A read-only file, or one with several hard links, is refused unless
    ``force``: then a read-only file is replaced all the same (keeping its mode, as ``sed -i``
    does), and a hard-linked one is written in place through the same inode (as black and ruff
    write every file), so that all its names see the fix.
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
    if not mode & 0o222 and not force:
        # read-only on purpose (even root could replace it): the file is the user's to change
        raise WriteRefused("is read-only; not written (--force-write writes it)")
    if info.st_nlink > 1:
        if not force:
            # replacing one name would leave the other names with the old content
            raise WriteRefused(f"has {info.st_nlink} hard links; not written (replacing it would split them; "
                               "--force-write writes it in place)")
        with whole_write():
            _write_in_place(path, original, new, mode)
        return
    with whole_write():
        _replace(path, original, new, info)


def _replace(path: Path, original: bytes, new: bytes, info: os.stat_result) -> None:
    mode = stat.S_IMODE(info.st_mode)
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
        _copy_extended_attributes(path, temp)  # after chmod: an ACL sets the group bits of the mode
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


def _write_in_place(path: Path, original: bytes, new: bytes, mode: int) -> None:
    """Overwrite the file's own bytes (same inode: hard links, owner, attributes all kept). Not
    atomic, as for black and ruff: a crash in the middle of the write could leave part of it. A
    read-only file gets its owner's write bit for the moment of the write, then its mode back."""
    made_writable = not mode & 0o200
    if made_writable:
        os.chmod(path, mode | 0o200)
    try:
        with open(path, "r+b") as handle:
            if handle.read() != original:  # read through the handle we write with: no gap between
                raise WriteRefused("changed on disk while svcmod was running; not overwritten")
            handle.seek(0)
            handle.write(new)
            handle.truncate()
            handle.flush()
            os.fsync(handle.fileno())
    finally:
        if made_writable:
            os.chmod(path, mode)


def _copy_extended_attributes(source: Path, target: str) -> None:
    """The file's extended attributes (``user.*``, POSIX ACLs, SELinux labels) onto its replacement,
    each one that this user may set; where the file system has none, there is nothing to copy."""
    if not hasattr(os, "listxattr"):
        return
    try:
        names = os.listxattr(source, follow_symlinks=False)
    except OSError:
        return
    for name in names:
        try:
            os.setxattr(target, name, os.getxattr(source, name, follow_symlinks=False), follow_symlinks=False)
        except OSError:
            pass  # e.g. a trusted.* attribute only root may set
