"""An editor buffer's text as svcmod sees it: lines, positions in the client's units, minimal edits."""
from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

#: Where the Language Server Protocol ends a line: CR LF, CR or LF (as Python's parser does, and
#: not at the form feeds and Unicode separators that ``str.splitlines`` also cuts at).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def lines_of(text: str) -> List[str]:
    """The lines of ``text`` with their endings; a last empty line when ``text`` ends with one."""
    lines = _LINE.findall(text)
    if not lines or lines[-1].endswith(("\n", "\r")):
        lines.append("")
    return lines


def encoding_of(text: str) -> str:
    """The encoding the file's coding cookie names (LibCST decodes the bytes with it), else UTF-8."""
    for line in lines_of(text)[:2]:
        match = _CODING.match(line)
        if match:
            try:
                "".encode(match.group(1))
                return match.group(1)
            except LookupError:
                break
    return "utf-8"


class Text:
    """One version of a buffer: its text, lines and the offsets where they start."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = lines_of(text)
        self.starts: List[int] = []
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            offset += len(line)
        self.encoding = encoding_of(text)

    def encoded(self) -> bytes:
        try:
            return self.text.encode(self.encoding)
        except UnicodeEncodeError:  # a character the cookie's codec lacks: LibCST will say so
            return self.text.encode("utf-8", errors="surrogateescape")

    def decoded(self, data: bytes) -> str:
        return data.decode(self.encoding, errors="surrogateescape")

    def line(self, number: int) -> str:
        """Line ``number`` (from 0) without its ending; "" past the end."""
        if 0 <= number < len(self.lines):
            return self.lines[number].rstrip("\r\n")
        return ""

    def offset(self, line: int, character: int) -> int:
        """The offset in ``text`` of a position in characters (clamped to the text)."""
        if line >= len(self.lines):
            return len(self.text)
        line = max(line, 0)
        return self.starts[line] + min(max(character, 0), len(self.line(line)))

    def position(self, offset: int) -> Tuple[int, int]:
        """The (line, character) of an offset in ``text``."""
        line = bisect.bisect_right(self.starts, offset) - 1
        return line, offset - self.starts[line]


def to_client(line: str, character: int, encoding: str) -> int:
    """A column in characters as the client counts: UTF-16 code units (the default), UTF-8 bytes or characters."""
    if encoding == "utf-32" or line.isascii():
        return character
    head = line[:character]
    if encoding == "utf-8":
        return len(head.encode("utf-8", errors="surrogatepass"))
    return len(head.encode("utf-16-le", errors="surrogatepass")) // 2


def from_client(line: str, units: int, encoding: str) -> int:
    """A client's column (in ``encoding``'s units) as characters into ``line``."""
    if encoding == "utf-32" or line.isascii():
        return min(units, len(line))
    counted = 0
    for index, char in enumerate(line):
        if counted >= units:
            return index
        if encoding == "utf-8":
            counted += len(char.encode("utf-8", errors="surrogatepass"))
        else:
            counted += 2 if ord(char) > 0xFFFF else 1
    return len(line)


@dataclass(frozen=True)
class Change:
    """Replace ``text[start:end]`` with ``new``; ``first_line``/``last_line``: the lines it touches."""

    start: int
    end: int
    new: str
    first_line: int
    last_line: int


def changes(old: Text, new: str) -> List[Change]:
    """The smallest replacements that make ``old`` into ``new``: changed lines found by difflib,
    then cut down to the characters that differ (an added keyword argument is one insertion, not
    the whole call written again)."""
    new_lines = lines_of(new)
    matcher = difflib.SequenceMatcher(None, old.lines, new_lines, autojunk=False)
    found = []
    opcodes = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace" and i2 - i1 == j2 - j1:
            # as many lines as before: line by line, so fixes on neighbouring lines stay apart
            opcodes.extend(("replace", i1 + k, i1 + k + 1, j1 + k, j1 + k + 1) for k in range(i2 - i1)
                           if old.lines[i1 + k] != new_lines[j1 + k])
        elif tag != "equal":
            opcodes.append((tag, i1, i2, j1, j2))
    for _, i1, i2, j1, j2 in opcodes:
        start = old.starts[i1] if i1 < len(old.starts) else len(old.text)
        end = old.starts[i2] if i2 < len(old.starts) else len(old.text)
        before, after = old.text[start:end], "".join(new_lines[j1:j2])
        prefix = _common_prefix(before, after)
        suffix = _common_prefix(before[prefix:][::-1], after[prefix:][::-1])
        found.append(Change(start + prefix, end - suffix, after[prefix:len(after) - suffix],
                            i1, max(i1, i2 - 1)))
    return found


def _common_prefix(a: str, b: str) -> int:
    size = 0
    for x, y in zip(a, b):
        if x != y:
            break
        size += 1
    # never between the CR and LF of one line ending: no editor position is there
    if 0 < size < len(a) and a[size - 1] == "\r" and a[size] == "\n":
        size -= 1
    return size


def comment_insertion(old: Text, line: int, code: str) -> Optional[Change]:
    """The edit that silences ``code`` on ``line``: a ``# noqa: CODE`` at its end, or the code added
    to the ``# noqa:`` / ``# svcmod: ignore[...]`` comment already there."""
    text = old.line(line)
    start = old.starts[line] if line < len(old.starts) else len(old.text)
    ignore = re.search(r"#\s*svcmod:\s*ignore\[(?P<codes>[^\]]*)", text)
    if ignore:
        at = start + ignore.end("codes")
        separator = ", " if ignore.group("codes").strip() else ""
        return Change(at, at, f"{separator}{code}", line, line)
    noqa = re.search(r"#\s*noqa:\s*[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*", text, re.IGNORECASE)
    if noqa:
        at = start + noqa.end()
        return Change(at, at, f", {code}", line, line)
    stripped = text.rstrip()
    return Change(start + len(stripped), start + len(text), f"{'  ' if stripped else ''}# noqa: {code}", line, line)
