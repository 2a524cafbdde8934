"""Spreading one run over several machines: ``--shard K/N`` picks a part and says which it is.

A file belongs to shard ``1 + hash(path) mod N``, with the path taken relative to the path given on
the command line that holds it (so every CI job, whatever its checkout directory, makes the same
split) and a stable hash (not Python's ``hash``, which is salted per process). Every file is in
exactly one shard, so the ``--format json`` outputs of the N jobs, merged (``svcmod.outputs.shards``),
hold exactly the findings of one unsharded run, in the same order. Each output carries its shard's
identity, so that a missing, doubled or foreign shard is refused rather than merged.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str) -> Tuple[int, int]:
    """``"2/4"`` → (2, 4). Raises ValueError for anything but 1 ≤ K ≤ N."""
    match = _SHARD.match(text)
    if not match:
        raise ValueError(f"expected K/N (e.g. 2/4), got '{text}'")
    k, n = int(match.group(1)), int(match.group(2))
    if n < 1 or not 1 <= k <= n:
        raise ValueError(f"expected 1 <= K <= N, got {k}/{n}")
    return k, n


def shard_of(relative: str, n: int) -> int:
    """The shard (1..n) of a file, from its path relative to the given root (``/``-separated)."""
    number = int.from_bytes(hashlib.blake2b(relative.encode("utf-8", "surrogateescape"), digest_size=8).digest(), "big")
    return 1 + number % n


def relative_name(path: Path, roots: Sequence[str]) -> str:
    """``path`` relative to the first given directory that holds it, else to the working directory."""
    absolute = os.path.abspath(path)
    for root in roots:
        if absolute.startswith(root):
            return absolute[len(root):].replace(os.sep, "/")
    return os.path.relpath(absolute).replace(os.sep, "/")


def select_shard(files: Sequence[Path], given: Sequence[Path], k: int, n: int) -> List[Path]:
    """The files of shard ``k`` of ``n``."""
    roots = given_roots(given)
    return [f for f in files if shard_of(relative_name(f, roots), n) == k]


def given_roots(given: Sequence[Path]) -> List[str]:
    return [os.path.join(os.path.abspath(p), "") for p in given if os.path.isdir(p)]


# -- a shard's identity ---------------------------------------------------------------------------
def names_digest(names: Sequence[str]) -> str:
    joined = "\n".join(sorted(names)).encode("utf-8", "surrogateescape")
    return hashlib.sha256(joined).hexdigest()[:16]


def shard_identity(k: int, n: int, shard_names: Sequence[str], all_names: Sequence[str],
                   config_digest: str) -> Dict[str, Any]:
    """What ``report merge`` checks before joining shards: which part of which whole this is.

    ``shard_names`` and ``all_names`` are relative to the given paths (as the split is), so jobs that
    check out in different directories agree; the whole's digest tells two checkouts apart.
    """
    from svcmod import __version__
    return {"k": k, "n": n, "files": len(shard_names), "files_digest": names_digest(shard_names),
            "all_files": len(all_names), "all_files_digest": names_digest(all_names),
            "svcmod": __version__, "config_digest": config_digest}


def config_digest(fingerprints: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(sorted(set(fingerprints))).encode()).hexdigest()[:16]
