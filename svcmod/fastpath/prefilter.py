"""Cheap scans of a file's bytes that tell, before parsing, whether a rule could match it at all.

Parsing is most of the cost of a run (LibCST parses ~15k lines per second per core), so a rule
whose need is a code *shape* rather than an import can still spare the parser most files by
looking at lines. These scans may keep a file that turns out not to match (it is then parsed for
nothing), but must never drop one that does: when a line cannot be classified, the file is kept.
"""
from __future__ import annotations

import functools
import re
from typing import Callable, Iterator, List, Optional, Sequence, Set, Tuple, TypeVar

T = TypeVar("T")

#: ``try:`` (starting a line: see ``_starts_line``). Patterns that begin with a literal are found
#: by a fast search; one that begins with ``^`` in multi-line mode is tried at every byte (8x slower).
_TRY = re.compile(rb"try[ \t]*:")
_LEAVING_WORD = re.compile(rb"\b(?:return|break)\b")
#: Headers of blocks that are not loops and that the retry-loop shape does not look through.
_OTHER_BLOCKS = (b"if ", b"if(", b"elif", b"else", b"try", b"except", b"finally", b"def ", b"class ",
                 b"async def", b"match ", b"case ")
_WITH = (b"with ", b"with(", b"async with")
_FOR = (b"for ", b"for(", b"async for")
_CLAUSES = (b"except", b"else", b"finally")
#: Block words that also stand inside expressions (``(a`` + ``if c else b)``): a line starting with
#: one is a header only if it is one whole (``if x:``).
_IN_EXPRESSIONS = (b"if ", b"if(", b"else")


def answered_per_text(size: int) -> Callable[[Callable[[bytes], T]], Callable[[bytes], T]]:
    """A scan of a file's bytes that several askers put to the same file one after the other (the
    checker and the index record; four rules' prefilters): its last ``size`` answers are kept, by
    the bytes object itself (kept with its answer, so its identity is not reused meanwhile)."""
    def keeping(scan: Callable[[bytes], T]) -> Callable[[bytes], T]:
        answers: List[Tuple[bytes, T]] = []  # the latest first

        @functools.wraps(scan)
        def answered(source: bytes) -> T:
            for known, answer in answers:
                if known is source:
                    return answer
            answer = scan(source)
            answers.insert(0, (source, answer))
            del answers[size:]
            return answer
        return answered
    return keeping


def _width(indent: bytes) -> int:
    if b"\f" in indent:  # as in Python's tokenizer, a form feed sets the column back to 0
        indent = indent[indent.rfind(b"\f") + 1:]
    return len(indent.expandtabs()) if b"\t" in indent else len(indent)


def _enclosing_line(source: bytes, end: int, indent: int) -> Optional[Tuple[int, bytes, int]]:
    """(start, text, indent) of the nearest code line before ``end`` indented less than ``indent``."""
    while end > 0:
        start = source.rfind(b"\n", 0, end - 1) + 1
        line = source[start:end]
        end = start
        text = line.lstrip()
        if not text or text.startswith(b"#"):
            continue
        width = _width(line[:len(line) - len(text)])
        if width < indent:
            return start, text, width
    return None


#: String literals and comments, left to right (for counting brackets in code).
_STRINGS_AND_COMMENTS = re.compile(rb"(?s)'''.*?'''|" + rb'""".*?"""' + rb"""|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|#[^\n]*""")
#: What a line ends with when the next one continues it: an operator, a comma, an opening bracket,
#: a word that needs more after it.
_OPEN_ENDS = tuple(bytes([c]) for c in b",([{+-*/%&|^<>=.@~\\")
_OPEN_END_WORDS = re.compile(rb"(?:^|\W)(?:and|or|not|in|is|if|else|for|lambda|await|yield|from|async|as)$")
#: What only a line continuing the one above starts with (a closing bracket, an operator, ``.attr``).
_CONTINUING_STARTS = tuple(bytes([c]) for c in b")]},.:;=+-*/%&|^<>~!") + (b"and ", b"or ", b"in ", b"is ",
                                                                               b"not in ", b"else ")
#: What a line continuing the one above or a statement of its own may start with.
_EITHER_STARTS = re.compile(rb"[(\[{'\"@]|[A-Za-z]{1,2}['\"]|(?:if|for|async|not|lambda|await)\b")


def _in_brackets(source: bytes, line_start: int, text: bytes) -> Optional[bool]:
    """Whether the line at ``line_start`` (``text``, stripped) continues the code line above it
    (Python ignores indentation inside brackets and after a backslash: such a line may be indented
    less than its block): True, False, or None when the two lines cannot tell (``(a`` + ``if c
    else b)`` and ``x = a`` + ``if c: …`` look alike)."""
    if _continues_above(source, line_start, text):
        return True
    end = line_start - 1
    above = b""
    while end > 0:
        start = source.rfind(b"\n", 0, end) + 1
        above = _code(source[start:end]).strip()
        if above:
            break
        end = start - 1
    if not above:
        return False
    if _balance(above) > 0 or above.endswith(_OPEN_ENDS) or _OPEN_END_WORDS.search(above):
        return True
    code = _code(text).strip()
    return None if _EITHER_STARTS.match(code) and not _is_header(code) else False


def _continues_above(source: bytes, line_start: int, text: bytes) -> bool:
    """The line at ``line_start`` (``text``, stripped) surely continues one above it: the line
    before it ends with a backslash, or it closes a bracket it did not open (``if fast else b):``),
    or it starts with what no statement starts with (``.get(url)``, ``, b)``, ``and x``)."""
    ending = source[max(0, line_start - 3):line_start - 1]  # the line above's last bytes (not copying the file)
    if ending.endswith(b"\\") or ending == b"\\\r":
        return True
    code = _code(text).strip()
    return _balance(code) < 0 or code.startswith(_CONTINUING_STARTS)


def _code(line: bytes) -> bytes:
    """``line`` with each string as ``s`` and without its comment."""
    return _STRINGS_AND_COMMENTS.sub(_as_code, line) if b"'" in line or b'"' in line or b"#" in line else line


def _as_code(match: "re.Match[bytes]") -> bytes:
    return b"" if match.group().startswith(b"#") else b"s"


def _balance(code: bytes) -> int:
    return code.count(b"(") + code.count(b"[") + code.count(b"{") - code.count(b")") - code.count(b"]") \
        - code.count(b"}")


def _is_header(code: bytes) -> bool:
    """A whole block header on one line (``else:``, ``if x:``, ``def f(x):``)."""
    return code.endswith(b":") and _balance(code) == 0


def _statement_end(source: bytes, start: int, indent: int) -> int:
    """Offset where the statement at ``indent`` beginning at ``start`` ends (a try with its clauses)."""
    at = source.find(b"\n", start)
    while at >= 0:
        line_end = source.find(b"\n", at + 1)
        line = source[at + 1:line_end if line_end >= 0 else len(source)]
        text = line.lstrip()
        if text and not text.startswith(b"#"):
            width = _width(line[:len(line) - len(text)])
            if (width < indent or (width == indent and not text.startswith(_CLAUSES))) \
                    and not _continues(source, start, at):
                return at
        at = line_end
    return len(source)


def _continues(source: bytes, start: int, end: int) -> bool:
    """The line after ``end`` continues the code from ``start`` (a statement's first line) to
    ``end``, whatever its indentation: its two lines say so, or a bracket opened there is still open."""
    continuing = _in_brackets(source, end + 1, source[end + 1:_line_end(source, end + 1)].strip())
    return continuing if continuing is not None else _balance(_code(source[start:end])) > 0


def may_hold_loop_with_try(source: bytes, permanent: Optional[Callable[[str], bool]] = None) -> bool:
    """True when some ``try`` that can leave by ``return``/``break``, and has a handler that may
    go round again, may be a statement of a ``while`` loop or of a ``for`` loop over
    ``range(…)``/``count(…)`` (looking through ``with``): the shape of a hand-written retry loop.
    With ``permanent`` (an exception's dotted name as written -> it is never transient), a handler
    that names only such exceptions does not count as going round.

    Measured on the bench corpus (2.5M lines of wheels and stdlib): keeps 8 % of the lines where
    "has ``except`` and ``while``/``range(``/``count(``" kept 56 % (15 % before handlers were
    looked at), for 0.7 s of scanning.
    """
    global _last
    if _last[0] is source and _last[1] is permanent:  # several rules ask about the same file in a row
        return _last[2]
    found = _scan_loops(source, permanent)
    _last = (source, permanent, found)
    return found


_last: Tuple[Optional[bytes], Optional[Callable[[str], bool]], bool] = (None, None, False)


_LEAVING = (b"raise", b"return", b"break")


#: ``except A:``, ``except (A, b.C) as error:`` on one line: the dotted names it catches.
_CAUGHT = re.compile(rb"except[ \t]+\(?[ \t]*([A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*)[ \t]*,?[ \t]*\)?"
                     rb"[ \t]*(?:as[ \t]+\w+[ \t]*)?:")


def _may_go_round(source: bytes, start: int, indent: int, end: int,
                  permanent: Optional[Callable[[str], bool]] = None) -> bool:
    """Whether some ``except`` of the ``try`` at ``start`` may end otherwise than by ``raise``,
    ``return`` or ``break`` on a line of its own at the end of its block (what the rules call a
    handler that goes round again). Anything unclear counts as going round."""
    handler_body: Optional[int] = None  # indent of the handler being read
    last = b""  # its last code line so far
    inline = False
    at = source.find(b"\n", start)
    while 0 <= at < end:
        line_end = source.find(b"\n", at + 1)
        line = source[at + 1:line_end if 0 <= line_end < end else end]
        at = line_end
        text = line.lstrip()
        if not text or text.startswith(b"#"):
            continue
        width = _width(line[:len(line) - len(text)])
        if width <= indent:
            if handler_body is not None and not _leaves(last, inline):
                return True
            handler_body = None
            if width == indent and text.startswith(b"except") and not _only_permanent(text, permanent):
                head, colon, rest = text.partition(b":")
                rest = rest.strip()
                if rest and not rest.startswith(b"#"):  # except E: continue
                    handler_body, last, inline = width + 1, rest, True
                else:
                    handler_body, last, inline = -1, b"", False
            continue
        if handler_body is None:
            continue
        if inline:
            return True  # more lines after a one-line handler: cannot tell
        if handler_body == -1:
            handler_body = width
        last = text if width == handler_body else b"?"  # a deeper last line: cannot tell
    return handler_body is not None and not _leaves(last, inline)


def _only_permanent(header: bytes, permanent: Optional[Callable[[str], bool]]) -> bool:
    """The ``except`` line names only exceptions that ``permanent`` says are never transient: its
    handler does not make a retry, whatever it does."""
    if permanent is None:
        return False
    caught = _CAUGHT.match(header)
    if caught is None:
        return False  # a bare except, a computed type, a header over several lines: may be anything
    return all(permanent(name.strip().decode()) for name in caught.group(1).split(b","))


def _leaves(last: bytes, inline: bool) -> bool:
    """Whether a handler whose last code line is ``last`` surely leaves the loop."""
    if not last.startswith(_LEAVING):
        return False
    word = next(w for w in _LEAVING if last.startswith(w))
    after = last[len(word):len(word) + 1]
    if after and (after.isalnum() or after == b"_"):
        return False  # returned_value = …: not the statement
    # one whole statement on its line: not the end of a string or of brackets opened above
    return not last.rstrip().endswith((b"\\", b",")) and last.count(b"(") == last.count(b")") \
        and last.count(b"[") == last.count(b"]") and last.count(b"{") == last.count(b"}") \
        and last.count(b'"') % 2 == 0 and last.count(b"'") % 2 == 0


def _starts_line(source: bytes, line_start: int, at: int) -> bool:
    """Only spaces, tabs and form feeds are between the start of the line and ``at``."""
    return not source[line_start:at].strip(b" \t\f")


def _leaves_somewhere(source: bytes, start: int, end: int) -> bool:
    """``return`` or ``break`` between ``start`` and ``end``, starting a line or after ``:`` or ``;``
    (``try: return f()``, ``if ok: break``)."""
    for match in _LEAVING_WORD.finditer(source, start, end):
        before = source[source.rfind(b"\n", 0, match.start()) + 1:match.start()].rstrip(b" \t\f")
        if not before or before.endswith((b":", b";")):
            return True
    return False


_TRIPLE_QUOTES = re.compile(rb'"""|\'\'\'')
#: Every byte but the line ends as a space.
_SPACES = bytes(b if b in (10, 13) else 32 for b in range(256))


def string_lines(source: bytes) -> List[Tuple[int, int]]:
    """The (start, end) offsets of the lines inside triple-quoted strings, from the first line end
    in the string to the end of its closing line: an SQL query or a usage text at column 0 inside
    a function or loop is not the end of its block. Quotes are paired by their text alone (a
    triple quote in a comment or a one-line string can pair them wrongly: this is only ever used
    alongside the plain scan)."""
    spans = []
    opened = None
    for match in _TRIPLE_QUOTES.finditer(source):
        if opened is None:
            opened = match
            continue
        if match.group() != opened.group():
            continue
        start, end, opened = opened.end(), match.start(), None
        at = source.find(b"\n", start, end)
        if at >= 0:
            spans.append((at + 1, _line_end(source, end)))
    return spans


def string_lines_blanked(source: bytes, spans: Optional[Sequence[Tuple[int, int]]] = None) -> bytes:
    """``source`` with ``spans`` (by default its ``string_lines``) blanked: spaces, same length,
    same line ends."""
    spans = string_lines(source) if spans is None else spans
    if not spans:
        return source
    out = bytearray(source)
    for start, end in spans:
        out[start:end] = source[start:end].translate(_SPACES)
    return bytes(out)


def _line_end(source: bytes, at: int) -> int:
    end = source.find(b"\n", at)
    return len(source) if end < 0 else end


def _scan_loops(source: bytes, permanent: Optional[Callable[[str], bool]] = None) -> bool:
    """Whether some ``try`` of ``source`` may be an attempt of a retry loop (see
    ``may_hold_loop_with_try``), judged on the plain text and, for each ``try`` whose verdict read
    a line inside a triple-quoted string (which can look like the end of a block), again with
    those lines blanked. Only those are judged again: a verdict depends only on the bytes it read,
    and blanking changes no other byte (judging every ``try`` again cost 4 % of a cold run)."""
    if b"try" not in source:
        return False
    read: List[Tuple[int, int, int]] = []  # each rejected try: its offset, the bytes its verdict read
    for at, kept, low, high in _verdicts(source, permanent):
        if kept:
            return True
        read.append((at, low, high))
    if not read or (b'"""' not in source and b"'''" not in source):
        return False
    spans = string_lines(source)
    again = {at for at, low, high in read if any(start <= high and end > low for start, end in spans)}
    if not again:
        return False
    blanked = string_lines_blanked(source, spans)
    return any(kept for _, kept, _, _ in _verdicts(blanked, permanent, again))


def _verdicts(source: bytes, permanent: Optional[Callable[[str], bool]],
              only: Optional[Set[int]] = None) -> Iterator[Tuple[int, bool, int, int]]:
    """For each ``try`` starting a line (those at the offsets ``only``, if given): its offset,
    whether it may be an attempt of a retry loop, and the first and last offsets of the bytes
    that verdict was read from."""
    for match in _TRY.finditer(source):
        if only is not None and match.start() not in only:
            continue
        line_start = source.rfind(b"\n", 0, match.start()) + 1
        if not _starts_line(source, line_start, match.start()):
            continue  # retry:, "try: again"
        indent = _width(source[line_start:match.start()])
        end = _statement_end(source, line_start, indent)
        high = _line_end(source, end + 1)  # the line that ended the statement was read too
        if not _leaves_somewhere(source, match.end(), end):
            yield match.start(), False, line_start, high  # nothing leaves the loop on success: not an attempt
        elif not _may_go_round(source, line_start, indent, end, permanent):
            yield match.start(), False, line_start, high  # every handler raises, returns or breaks
        else:
            kept, low = _in_loop(source, line_start, indent)
            yield match.start(), kept, low, high


def _in_loop(source: bytes, at: int, indent: int) -> Tuple[bool, int]:
    """Whether the statement at ``at`` may be in a ``while`` loop or a ``for`` loop over
    ``range(…)``/``count(…)`` (looking through ``with``), and the first offset read to tell."""
    while True:
        found = _enclosing_line(source, at, indent)
        if found is None:
            return False, 0  # module level (every line above was read)
        at, text, indent = found
        low = max(0, at - 3)  # _continues_above reads the end of the line above too
        if _continues_above(source, at, text):
            return True, low  # a line in brackets, indented less than the block: cannot tell, keep the file
        if text.startswith(_WITH):
            continue  # looked through, as the rules do
        if text.startswith(b"while"):
            return True, low
        if text.startswith(_FOR):
            return b"range" in text or b"count" in text or not text.rstrip().endswith(b":"), low
        if text.startswith(_OTHER_BLOCKS) and (not text.startswith(_IN_EXPRESSIONS)
                                               or _is_header(_code(text).strip())) or text.startswith(b"@"):
            return False, low
        return True, low  # a continuation line (of a longer header, in brackets): cannot tell, keep the file
