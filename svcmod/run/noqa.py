"""``lint --add-noqa``: a ``# noqa: CODE`` on each line with findings, to switch a rule on in old code."""
from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path
from typing import Dict, Iterable, List, Set, Tuple

from svcmod.results import ENGINE_CODES, Finding
from svcmod.run.source import WriteRefused, write_if_unchanged

_NOQA = re.compile(rb"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)?")


def _commentable(source: bytes) -> Set[int]:
    """Lines a comment can end: not inside a string that spans lines, not continued with a backslash."""
    lines = _LINE.findall(source)
    usable = set(range(1, len(lines) + 1))
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type == tokenize.STRING or getattr(tokenize, "FSTRING_MIDDLE", -1) == token.type:
                usable.difference_update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        return set()
    return {n for n in usable if n <= len(lines) and not lines[n - 1].rstrip(b"\r\n").endswith(b"\\")}


def with_noqa(source: bytes, findings: Iterable[Finding]) -> Tuple[bytes, int]:
    """``source`` with the codes of ``findings`` added as ``# noqa`` comments, and how many lines got one."""
    usable = _commentable(source)
    wanted: Dict[int, List[str]] = {}
    for finding in findings:
        if finding.code in ENGINE_CODES:
            continue
        line = next((n for n in (finding.line, finding.end_line) if n in usable), None)
        if line is not None and finding.code not in wanted.setdefault(line, []):
            wanted[line].append(finding.code)
    lines = _LINE.findall(source)
    changed = 0
    for number, codes in wanted.items():
        text = lines[number - 1]
        body = text.rstrip(b"\r\n")
        ending = text[len(body):]
        match = _NOQA.search(body)
        if match and match.group("codes") is None:
            continue  # a bare noqa already silences every code
        if match:
            have = re.split(rb"[\s,]+", match.group("codes").upper())
            extra = [c for c in codes if c.encode() not in have]
            if not extra:
                continue
            body = body[:match.end()] + b"".join(b", " + c.encode() for c in extra) + body[match.end():]
        else:
            body = body.rstrip() + b"  # noqa: " + ", ".join(sorted(codes)).encode()
        lines[number - 1] = body + ending
        changed += 1
    return b"".join(lines), changed


def add_noqa(path: Path, findings: Iterable[Finding]) -> int:
    """Write ``path`` with the comments added (only if it still holds what was read); lines changed."""
    source = path.read_bytes()
    new, changed = with_noqa(source, findings)
    if changed:
        write_if_unchanged(path, source, new)
    return changed


__all__ = ["WriteRefused", "add_noqa", "with_noqa"]
