"""Spreading one lint over several machines: ``--shard K/N`` picks a part, ``report merge`` joins them.

A file belongs to shard ``1 + hash(path) mod N``, with the path taken relative to the path given on
the command line that holds it (so every CI job, whatever its checkout directory, makes the same
split) and a stable hash (not Python's ``hash``, which is salted per process). Every file is in
exactly one shard, so the ``--format json`` outputs of the N jobs, merged, hold exactly the findings
of one unsharded run, in the same order.
"""
from __future__ import annotations

import hashlib
import json
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
    roots = [os.path.join(os.path.abspath(p), "") for p in given if os.path.isdir(p)]
    return [f for f in files if shard_of(relative_name(f, roots), n) == k]


# -- merging reports ------------------------------------------------------------------------------
def merge_reports(reports: Sequence[List[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """The findings of several ``--format json`` outputs as one unsharded run would list them:
    ordered by file (the order of one run), each file's findings in their own order."""
    findings = [finding for report in reports for finding in report]
    # sorted() is stable: a file's findings stay as its shard listed them
    return sorted(findings, key=lambda f: str(f.get("filename", "")))


def read_report(path: str) -> List[Dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError("not a svcmod --format json report (expected a JSON array of findings)")
    return data
