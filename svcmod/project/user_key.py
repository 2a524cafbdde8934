"""The user's own key, kept outside any repository, that signs what svcmod keeps inside one.

A cache directory (results of unchanged files, the record of the installed rules) may have been
committed, copied or planted, and whatever svcmod reads back from it decides what is reported. So
svcmod trusts only what carries an HMAC under this key: ``$XDG_CACHE_HOME/svcmod/key``, else
``~/.cache/svcmod/key``, made on first use, mode 0600, owned by the user.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path
from typing import List


def key_path() -> Path:
    """Where the user's key lives: in the user's cache directory, outside any repository."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "svcmod" / "key"


def sign(data: bytes) -> str:
    """The HMAC-SHA256 of ``data`` under the user's key (hex)."""
    return hmac.new(_key(), data, hashlib.sha256).hexdigest()


def signed(data: bytes, signature: object) -> bool:
    """Whether ``signature`` is ``sign(data)``: what this user's svcmod wrote, unchanged since."""
    return isinstance(signature, str) and hmac.compare_digest(signature, sign(data))


_KEY: List[bytes] = []


def _key() -> bytes:
    """The user's key, made on first use (0600). When it cannot be read or made, a key of this
    process only: nothing stored before is trusted, which only costs speed."""
    if not _KEY:
        path = key_path()
        key = b""
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
                with os.fdopen(fd, "w") as handle:
                    handle.write(os.urandom(32).hex())
            except FileExistsError:
                pass
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as handle:
                info = os.fstat(handle.fileno())
                if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077:
                    key = handle.read(256).strip()
        except (OSError, AttributeError):
            key = b""
        _KEY.append(key if len(key) >= 32 else os.urandom(32))
    return _KEY[0]
