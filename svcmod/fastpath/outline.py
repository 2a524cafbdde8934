"""Functions found by their text, so that Python's parser can skip those no rule could want.

Python's own parse is the largest cost of a cold run, and most of a long file is functions where no
rule can find anything. Their text says so before any parse (``svcmod.fastpath.excerpt`` tests each function
the way it tests a part). So Python first parses the file with every function *hidden*: its ``def``
line replaced by a stub that binds the same name (``def name(): pass``), its other lines (decorators
and body) blank, so every other line keeps its number and columns. The functions the rules might
want are then *revealed*: parsed alone, all other lines blank (a method under a bare ``class`` line
where its class begins), and put in the tree in place of their stubs.

The functions that may be hidden are those at the top level and the methods of top-level classes. A
function begins at a line that starts, at the indent of its module or class body, with ``@``, ``def``
or ``async def``, and ends before the next line that starts a statement at that indent (not a blank
line, a comment, a deeper line, nor a line that only continues one, such as ``) -> int:`` closing a
long signature). Text alone can be wrong about that: a line inside a triple-quoted string or inside
brackets may start at that indent. So:

- a function is hidden only if its text holds an even number of each kind of triple quote and its
  last line does not end with a backslash (one that ends inside a string or a continued line would
  swallow the code after it, or leave the rest of a string to be parsed as code);
- each stub must be, once parsed, a statement of its own on its line, at the top level or in its
  class's body (``stubs_misplaced``): a stub written inside a string or brackets is not. Misplaced
  ones are not hidden, and the file is parsed again;
- a revealed function must parse, alone, as one whole function spanning its lines.

Whatever the text cannot settle, the whole file is parsed: hiding functions makes a parse cheaper,
never different where it is read (``tests/test_outline.py`` checks that revealing every function gives
Python's own tree, positions included). What is hidden is not parsed at all, so a syntax error there
is not seen, as in a file no rule wants.
"""
from __future__ import annotations

import ast
import re
from typing import (
    Any,
    Callable,
    Dict,
    Iterator,
    List,
    Optional,
    Pattern,
    Sequence,
    Set,
    Tuple,
)

#: A name, as bytes (those of a non-ASCII letter count as letters: identifiers may be any UTF-8 word).
NAME = rb"[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*"
_DEFINITION = re.compile(rb"(async[ \t]+)?(def|class)[ \t]+(" + NAME + rb")")


class Region:
    """A ``def`` at the top level or in a top-level class, by its lines (numbered from 1): its
    decorators from ``first``, its ``def`` line ``header``, its last line of code ``last``. ``stub``
    binds its name; ``parent`` is the ``class`` line of a method, ``self_name`` its first parameter."""

    __slots__ = ("first", "header", "last", "stub", "kind", "parent", "self_name", "text")

    def __init__(self, first: int, header: int, last: int, stub: bytes, kind: type, parent: Optional[int] = None,
                 self_name: Optional[str] = None, text: bytes = b"") -> None:
        self.first, self.header, self.last = first, header, last
        self.stub = stub
        self.kind = kind  # the ast class of the stub
        self.parent = parent
        self.self_name = self_name
        self.text = text  # its lines, joined

    def __repr__(self) -> str:
        return f"Region({self.first}, {self.header}, {self.last}, {self.stub!r})"


def regions(source: bytes, lines: Sequence[bytes]) -> List[Region]:
    """The functions of ``source`` (split into ``lines`` on ``\\n``) that may be hidden: those at the
    top level and the methods of top-level classes."""
    found: List[Region] = []
    for first, header, last, match in _definitions(source, lines, b"", 0):
        if match.group(2) == b"class":
            text = b"\n".join(lines[header:last + 1])
            indent = _body_indent(text)
            if indent:
                for method in _definitions(text, lines, indent, header):
                    found.extend(_function(lines, *method, indent, header + 1))
        else:
            found.extend(_function(lines, first, header, last, match, b"", None))
    return found


def _definitions(text: bytes, lines: Sequence[bytes], indent: bytes,
                 offset: int) -> Iterator[Tuple[int, int, int, Any]]:
    """(first line, ``def``/``class`` line, last line, its match), 0-based, of the definitions that
    are statements at ``indent`` in ``text``, which starts at line ``offset`` of ``lines``."""
    starts = _STARTS.get(indent)
    if starts is None:
        # a form feed may begin a statement: Python ignores it before a line's indent (``\fdef f():``)
        starts = _STARTS[indent] = re.compile(b"\n" + re.escape(indent) + rb"[^ \t\r\n#)\]},:=<>|&^%/!]")
    numbers: List[int] = []
    if not indent and lines and starts.match(b"\n" + lines[0][:1]):
        numbers.append(0)
    number, at = offset, 0
    for match in starts.finditer(text):
        number += text.count(b"\n", at, match.start() + 1)
        at = match.start() + 1
        numbers.append(number)
    decorated: Optional[int] = None  # first line of the decorators read so far
    for index, number in enumerate(numbers):
        line = lines[number]
        if line[len(indent):len(indent) + 1] == b"@":
            if decorated is None:
                decorated = number
            continue
        first, decorated = (number if decorated is None else decorated), None
        definition = _DEFINITION.match(line, len(indent))
        if definition is None:
            continue
        last = (numbers[index + 1] if index + 1 < len(numbers) else offset + text.count(b"\n") + 1) - 1
        while last > number and _blank_or_comment(lines[last]):
            last -= 1
        yield first, number, last, definition


_STARTS: Dict[bytes, Pattern[bytes]] = {}
_METHOD_INDENT = re.compile(rb"\n([ \t]+)(?:@|(?:async[ \t]+)?def[ \t])")
_FIRST_PARAMETER = re.compile(rb"[ \t]*\([ \t\r\n\\]*(" + NAME + rb")")


def _body_indent(text: bytes) -> bytes:
    """The indent of the body of the class whose text is ``text``: that of its first line of code
    after a ``class`` line ending with ``:``, else the least before one of its ``def``s (when the
    guess is wrong, stubs are not where ``stubs_misplaced`` looks for them)."""
    header = text[:text.find(b"\n")] if b"\n" in text else text
    if header.rstrip(b" \t\r").endswith(b":"):
        body = _FIRST_CODE.search(text)
        return body.group(1) if body else b""
    indents = set(_METHOD_INDENT.findall(text))
    return min(indents, key=len) if indents else b""


_FIRST_CODE = re.compile(rb"\n([ \t]+)[^ \t\f\r\n#]")


def _function(lines: Sequence[bytes], first: int, header: int, last: int, definition: Any, indent: bytes,
              parent: Optional[int]) -> List[Region]:
    """The region of one function, if it may be hidden."""
    if definition.group(2) != b"def":
        return []
    text = b"\n".join(lines[first:last + 1])
    if text.count(b'"""') % 2 or text.count(b"'''") % 2 or lines[last].rstrip(b"\r").endswith(b"\\"):
        return []  # may end inside a string or a continued line
    self_name = None
    if parent is not None:  # a method: its first parameter, as written
        at = sum(len(line) + 1 for line in lines[first:header]) + definition.end()
        parameter = _FIRST_PARAMETER.match(text, at)
        if parameter is None:
            return []
        self_name = parameter.group(1).decode("utf-8", "replace")
    name = definition.group(3)
    asynchronous = definition.group(1) is not None
    stub = indent + (b"async def " if asynchronous else b"def ") + name + b"(): pass"
    return [Region(first + 1, header + 1, last + 1, stub, ast.AsyncFunctionDef if asynchronous else ast.FunctionDef,
                   parent, self_name, text)]


def _blank_or_comment(line: bytes) -> bool:
    text = line.strip(b" \t\f\r")
    return not text or text.startswith(b"#")


class Outline:
    """A file's ``ast`` tree with the regions that may be hidden hidden, until ``reveal`` parses them.

    ``parse`` is Python's parse (None for what it refuses). When the text misled (the file with its
    regions hidden does not parse, or not as stubs where they were), the whole file is parsed and
    nothing is hidden; ``tree`` is None only when that fails too.
    """

    def __init__(self, source: bytes, lines: Sequence[bytes], parse: Callable[[bytes], Optional[ast.Module]]) -> None:
        self.source, self.lines, self.parse = source, lines, parse
        self.hidden: List[Region] = regions(source, lines)
        self.tree: Optional[ast.Module] = None
        self.tree = parse(hidden_text(lines, self.hidden)) if self.hidden else parse(source)
        if self.hidden and self.tree is not None:
            misplaced = stubs_misplaced(self.tree, self.hidden)
            if misplaced:  # a def in a docstring, a nested function: parsed again without them
                self.hidden = [region for region in self.hidden if id(region) not in misplaced]
                self.tree = parse(hidden_text(lines, self.hidden))
                if self.tree is not None and stubs_misplaced(self.tree, self.hidden):
                    self.tree = None
        if self.tree is None and self.hidden:
            self.whole()

    def whole(self) -> None:
        """Parse the file as it is: nothing hidden."""
        self.hidden = []
        self.tree = self.parse(self.source)

    def reveal(self, revealed: Sequence[Region]) -> None:
        """Parse the ``revealed`` regions (alone: every other line blank, a method under a bare ``class``
        line where its class begins) and put them in the tree in place of their stubs."""
        assert self.tree is not None
        text = [b""] * len(self.lines)
        for region in revealed:
            text[region.first - 1:region.last] = self.lines[region.first - 1:region.last]
            if region.parent is not None:
                text[region.parent - 1] = b"class _:"
        parsed = self.parse(b"\n".join(text))
        found = _definitions_in(parsed) if parsed is not None else {}
        stubs = _definitions_in(self.tree)
        statements = 0 if parsed is None else sum(len(s.body) if type(s) is ast.ClassDef else 1  # type: ignore
                                                  for s in parsed.body)
        if statements != len(revealed):
            return self.whole()  # a function's lines held more than the function: the text misled
        for region in revealed:
            definition = found.get(region.header)
            if definition is None or first_line(definition[0]) != region.first \
                    or (definition[0].end_lineno or 0) > region.last:
                return self.whole()  # not one whole function: the text misled
        for region in revealed:
            body, index = stubs[region.header][1:3]
            body[index] = found[region.header][0]
            if region.parent is not None:  # the class ends where its last statement now ends
                klass = stubs[region.header][3]
                klass.end_lineno, klass.end_col_offset = body[-1].end_lineno, body[-1].end_col_offset
        revealing = {id(region) for region in revealed}
        self.hidden = [region for region in self.hidden if id(region) not in revealing]


def _definitions_in(tree: ast.Module) -> Dict[int, Tuple[ast.stmt, List[ast.stmt], int, Optional[ast.stmt]]]:
    """The functions at the top level and in top-level classes of ``tree`` by their ``def`` line:
    (the function, the body it is in, its index there, the class)."""
    found: Dict[int, Tuple[ast.stmt, List[ast.stmt], int, Optional[ast.stmt]]] = {}
    for index, statement in enumerate(tree.body):
        if type(statement) is ast.ClassDef:
            for inner, method in enumerate(statement.body):  # type: ignore[attr-defined]
                if type(method) in _FUNCTIONS:
                    found[method.lineno] = (method, statement.body, inner, statement)  # type: ignore[attr-defined]
        elif type(statement) in _FUNCTIONS:
            found[statement.lineno] = (statement, tree.body, index, None)
    return found


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def first_line(statement: ast.stmt) -> int:
    """Where a statement starts, decorators included."""
    decorators = getattr(statement, "decorator_list", None)
    return min([statement.lineno] + [d.lineno for d in decorators]) if decorators else statement.lineno


def hidden_text(lines: Sequence[bytes], hidden: Sequence[Region]) -> bytes:
    """The file with the ``hidden`` regions' ``def`` lines replaced by their stubs and their other
    lines blank: every other line where it was (line ends are ``\\n``, ``\\r\\n`` or a mix of both:
    Python reads them all alike)."""
    changed = list(lines)
    for region in hidden:
        changed[region.first - 1:region.last] = [b""] * (region.last - region.first + 1)
        changed[region.header - 1] = region.stub
    return b"\n".join(changed)


def stubs_misplaced(tree: ast.Module, hidden: Sequence[Region]) -> Set[int]:
    """The hidden regions (by ``id``) that are not, in ``tree``, one stub on their own line: at the top
    level, or in the body of the class of a method."""
    top: Dict[int, ast.stmt] = {statement.lineno: statement for statement in tree.body}
    bodies: Dict[int, Dict[int, ast.stmt]] = {}
    misplaced: Set[int] = set()
    for region in hidden:
        if region.parent is None:
            statement = top.get(region.header)
        else:
            body = bodies.get(region.parent)
            if body is None:
                klass = top.get(region.parent)
                body = bodies[region.parent] = {s.lineno: s for s in klass.body} \
                    if type(klass) is ast.ClassDef else {}  # type: ignore[attr-defined]
            statement = body.get(region.header)
        if statement is None or type(statement) is not region.kind or statement.end_lineno != region.header:
            misplaced.add(id(region))
    return misplaced
