"""Excerpts of long files: only the functions a rule could find something in.

LibCST's parse is most of a cold run, and in a long file most functions hold nothing any rule
looks for. Python's own parser (``ast``) reads a file about ten times faster and tells where
every statement begins and ends, so for a long file the checker first asks it for the *parts*:
functions (with their decorators), and module- or class-level docstrings and literal tables. A
part is kept when it mentions what some rule looks for; every other part is replaced by a
one-line *stub* on its own first line (``def name(): pass``, ``async def name(): pass``,
``NAME = 0``, ``pass``) that binds the same names, the same way, as the original did. LibCST then
parses the *excerpt*: the kept lines, unchanged, with the stubs; the lines of stubbed parts and the
blank lines and comments between statements are left out, and ``Excerpt.line_of`` maps each line
back, so findings are located exactly as on the whole file. A file where nothing could match
anywhere gives an ``empty`` excerpt: it is not parsed at all.

What a part must mention, per rule (rules whose ``FastPath`` declares ``parts`` only; any other
rule sees whole files), as its ``svcmod.rule.Parts`` says:

- one of its ``tokens`` (by default the rule's ``FastPath.tokens``);
- and, with ``via_imports`` or when it has no tokens, a name the file binds by importing one of
  its ``imports`` (by default the ``FastPath``'s; ``rq`` after ``import requests as rq``), or the
  module's own name when the file imports it somewhere (an import inside the function);
- and, with ``calls``, a call of one of those names (``run(``, ``.run(``);
- where a name *derived* from any of those counts too: assigned, at module or class level or to
  ``self.<name>`` in a method, from an expression that mentions them (``session =
  requests.Session()`` makes ``session`` one), or a class whose bases mention them (``class
  Api(requests.Session)``), repeated until nothing new is derived.

The ``Parts.test`` may add a condition on the text (the shape of a retry loop), or replace
these; a part mentioning one of its ``context`` tokens is kept whatever it holds.

Python does not even parse what it need not: a function (at the top level or a method of a
top-level class) is first *hidden* from its parse (``svcmod/fastpath/outline.py``), tested by its text as
a part, and parsed only if some rule could want it (until no hidden one is wanted).

Given a ``screen`` (the checker's, when every rule's ``FastPath`` has ``sketch``), the rules then run on a
*sketch* of the kept parts (``svcmod/fastpath/sketch.py``), and only the parts where they report something
stay kept (with the context parts and attribute binders they depend on); a file where they report
nothing is ``empty``. A file too short for parts, one seen by a rule without ``parts`` or one
where a rule must see everything is screened whole. The checker takes the findings from the
sketch when it can place them, and LibCST parses the excerpt only when it cannot.

Name resolution (``svcmod.check.names``) only ever looks outside a function at module- and class-level
statements (kept: imports and assignments are context, never stubbed unless they are literal
tables) and at ``self.<name>`` assignments in other methods of its class; so every method that
assigns an attribute a kept method of its class reads is kept too.
"""
from __future__ import annotations

import ast
import gc
import re
import warnings
from functools import lru_cache
from typing import (
    TYPE_CHECKING,
    AbstractSet,
    Callable,
    Dict,
    FrozenSet,
    Iterable,
    List,
    Mapping,
    Optional,
    Pattern,
    Sequence,
    Set,
    Tuple,
)

import libcst as cst

from svcmod.fastpath.outline import NAME, Outline, Region, first_line
from svcmod.rule import mentions as mentions_token, mentions_spaced, written_apart

if TYPE_CHECKING:  # pragma: no cover
    from svcmod.fastpath.sketch import Sketcher

#: Shorter files are parsed whole: an excerpt would not pay for Python's own parse.
MIN_LINES = 150

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_BLOCKS = tuple(getattr(ast, name) for name in ("If", "Try", "TryStar", "With", "AsyncWith", "For",
                                                "AsyncFor", "While", "Match") if hasattr(ast, name))
_NON_UTF8_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*(?!utf-?8\b)[-\w.]+", re.M | re.I)
_WORD = re.compile(NAME)
#: What may stand between two tokens: spaces, backslash continuations, and inside brackets line
#: ends and comments (``(pool  # why`` + ``.get(url))``).
_GAP = rb"(?:\s|\\|#[^\r\n]*(?=[\r\n]))*"  # a comment whole: no backtracking into it
#: A name followed by an opening bracket: what a call looks like (``f(``, ``obj.f (``, ``f\\\n(``).
_CALLED = re.compile(rb"(" + NAME + rb")(?:\s|\\)*\(")
#: The same across comments (``subprocess.run  # why`` + ``(cmd)`` in brackets): slower, so only
#: for a text where a comment is followed by an opening bracket.
_CALLED_ACROSS_COMMENTS = re.compile(rb"(" + NAME + rb")" + _GAP + rb"\(")
_COMMENT_THEN_BRACKET = re.compile(rb"#[^\r\n]*(?=[\r\n])" + _GAP + rb"\(")
#: Where a token is more than one word or sign: Python may read it spaced out.
_PIECES = re.compile(rb"\W")
#: A line ended by a backslash: the next line continues it, even a blank one.
_CONTINUED = re.compile(rb"\\\r?\n")
_LITERALS = (ast.Constant, ast.Dict, ast.List, ast.Tuple, ast.Set, ast.JoinedStr, ast.BinOp, ast.UnaryOp,
             ast.DictComp, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.Compare, ast.BoolOp)


class _Part:
    """A stretch of whole lines that can be replaced by one stub line."""

    __slots__ = ("first", "header", "last", "stub", "text", "klass", "assigns", "self_name", "kept", "context",
                 "statement", "region")

    def __init__(self, statement: ast.stmt, first: int, header: int, last: int, stub: bytes, klass: Optional[int],
                 assigns: FrozenSet[str] = frozenset(), self_name: Optional[str] = None,
                 region: Optional[Region] = None) -> None:
        self.statement = statement  # what the part is in Python's tree
        self.first, self.header, self.last = first, header, last
        self.stub = stub
        self.text = _Text(b"")
        self.klass = klass  # which class the part is a method of (an index), if any
        self.assigns = assigns  # self.<name> attributes a method assigns (of a hidden one: see may_assign)
        self.self_name = self_name  # a method's first parameter
        self.kept = False
        self.context = False  # kept for what it holds, which findings elsewhere depend on
        self.region = region  # a hidden region (``svcmod.fastpath.outline``): the statement is its stub

    def may_assign(self, attributes: AbstractSet[bytes]) -> bool:
        """Whether the method may assign one of ``attributes`` of ``self_name`` (of a hidden one, read
        from its text: see ``targets``)."""
        if not attributes or self.self_name is None:
            return False
        if self.region is not None:
            return not self.targets().isdisjoint(attributes)
        return any(name.encode() in attributes for name in self.assigns)

    def targets(self) -> FrozenSet[bytes]:
        """The attributes of ``self_name`` a hidden method's text writes where a target may be:
        ``self.a =``, ``self.a +=``, ``self.a: T =``, ``as self.a``, ``for self.a in``, or an element
        ``self.a,``/``self.a)``/``self.a]`` of what may be a tuple or list of targets."""
        return frozenset() if self.self_name is None else self.text.targets(self.self_name)


class _Reader:
    """One pass over the statements (never the expressions) of a module's tree."""

    def __init__(self, lines: List[bytes], hidden: Sequence[Region] = ()) -> None:
        self.lines = lines
        self.hidden = {region.header: region for region in hidden}
        self.parts: List[_Part] = []
        #: statements outside parts that bind names: (names bound, first line, last line)
        self.bindings: List[Tuple[FrozenSet[str], int, int]] = []
        #: per method part: its ``self.<attr> = …`` statements as (attr, first line, last line)
        self.attribute_bindings: List[Tuple[str, int, int]] = []
        self.imports: List[ast.stmt] = []
        self.classes = 0
        #: lines between two statements of a module or class body: only blank lines and comments
        self.gaps: List[Tuple[int, int]] = []

    def body(self, statements: Sequence[ast.stmt], klass: Optional[int], gaps: bool = False) -> None:
        previous_end = 0
        for statement in statements:
            if gaps:
                start = first_line(statement)
                if previous_end and start > previous_end + 1:
                    self.gaps.append((previous_end + 1, start - 1))
                previous_end = statement.end_lineno or statement.lineno
            region = self.hidden.get(statement.lineno) if self.hidden else None
            if region is not None:  # only its stub is on a hidden region's line
                self.parts.append(_Part(statement, region.first, region.header, region.last, region.stub, klass,
                                        frozenset(), region.self_name, region))
            elif isinstance(statement, _DEFS):
                self.function(statement, klass)
            elif isinstance(statement, ast.ClassDef):
                self.classes += 1
                # ``class Api(requests.Session)``: the resolver makes instances of the class values
                # of its base, so its name derives from what its bases mention
                bases = [*statement.bases, *(keyword.value for keyword in statement.keywords)]
                if bases:
                    self.bindings.append((frozenset({statement.name}), statement.lineno,
                                          max(base.end_lineno or base.lineno for base in bases)))
                self.body(statement.body, self.classes, gaps=True)
            elif isinstance(statement, _BLOCKS):
                for block in _blocks_of(statement):
                    self.body(block, klass)
                self.binding(statement)
            elif isinstance(statement, (ast.Import, ast.ImportFrom)):
                self.imports.append(statement)
                names = frozenset(alias.asname or alias.name.split(".")[0] for alias in statement.names)
                self.bindings.append((names, statement.lineno, statement.end_lineno or statement.lineno))
            elif not self.literal(statement, klass):
                self.binding(statement)

    def function(self, fn: ast.stmt, klass: Optional[int]) -> None:
        assert isinstance(fn, _DEFS)
        first = first_line(fn)
        indent = _indent(self.lines[fn.lineno - 1])
        assigns: FrozenSet[str] = frozenset()
        self_name = None
        if klass is not None:
            arguments = fn.args
            params = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            if arguments.vararg is not None:
                params.append(arguments.vararg)
            if params:
                self_name = params[0].arg
                assigns = self.attributes(fn.body, self_name)
        self.parts.append(_Part(fn, first, fn.lineno, fn.end_lineno or fn.lineno,
                                indent + (b"async def " if isinstance(fn, ast.AsyncFunctionDef) else b"def ")
                                + fn.name.encode() + b"(): pass", klass, assigns, self_name))

    def attributes(self, statements: Sequence[ast.stmt], self_name: str) -> FrozenSet[str]:
        """Attributes of ``self_name`` that the statements assign (not looking into nested defs)."""
        found: Set[str] = set()
        for statement in statements:
            if isinstance(statement, (_DEFS, ast.ClassDef)):
                continue
            for target in _targets_of(statement):
                for name in _attributes_of(target, self_name):
                    found.add(name)
                    self.attribute_bindings.append((name, statement.lineno, statement.end_lineno or statement.lineno))
            if isinstance(statement, _BLOCKS):
                for block in _blocks_of(statement):
                    found.update(self.attributes(block, self_name))
        return frozenset(found)

    def literal(self, statement: ast.stmt, klass: Optional[int]) -> bool:
        """A docstring or a table (``X = {…}``) on lines of its own becomes a part."""
        if not self._whole_lines(statement):
            return False
        indent = _indent(self.lines[statement.lineno - 1])
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) \
                and isinstance(statement.value.value, (str, bytes)):
            stub = indent + b"pass"
        elif isinstance(statement, ast.Assign) and isinstance(statement.value, _LITERALS) \
                and not (isinstance(statement.value, ast.Constant) and statement.value.value is None) \
                and all(isinstance(t, ast.Name) for t in statement.targets):
            stub = indent + b" = ".join(t.id.encode() for t in statement.targets  # type: ignore[attr-defined]
                                        ) + b" = 0"
        else:
            return False
        self.parts.append(_Part(statement, statement.lineno, statement.lineno, statement.end_lineno or statement.lineno,
                                stub, klass))
        return True

    def _whole_lines(self, statement: ast.stmt) -> bool:
        first = self.lines[statement.lineno - 1]
        if first[:statement.col_offset].strip():
            return False
        last = self.lines[(statement.end_lineno or statement.lineno) - 1]
        rest = last[statement.end_col_offset:].strip()
        return not rest or rest.startswith(b"#")

    def binding(self, statement: ast.stmt) -> None:
        names: Set[str] = set()
        for target in _targets_of(statement):
            names.update(_names_of(target))
        if names:
            self.bindings.append((frozenset(names), statement.lineno, statement.end_lineno or statement.lineno))


def _targets_of(statement: ast.stmt) -> List[ast.expr]:
    """What a statement assigns to (``x``, ``self.x``, ``a, b``): the bindings the resolver reads."""
    if isinstance(statement, ast.Assign):
        return list(statement.targets)
    if isinstance(statement, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
        return [statement.target]
    if isinstance(statement, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in statement.items if item.optional_vars is not None]
    return []


def _blocks_of(statement: ast.stmt) -> Iterable[Sequence[ast.stmt]]:
    for attr in ("body", "orelse", "finalbody"):
        block = getattr(statement, attr, None)
        if block:
            yield block
    for handler in getattr(statement, "handlers", ()):
        yield handler.body
    for case in getattr(statement, "cases", ()):
        yield case.body


def _names_of(target: ast.expr) -> Iterable[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Attribute):
        yield target.attr
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _names_of(element)
    elif isinstance(target, ast.Starred):
        yield from _names_of(target.value)


def _attributes_of(target: ast.expr, self_name: str) -> Iterable[str]:
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == self_name:
        yield target.attr
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _attributes_of(element, self_name)
    elif isinstance(target, ast.Starred):
        yield from _attributes_of(target.value, self_name)


def _indent(line: bytes) -> bytes:
    return line[:len(line) - len(line.lstrip(b" \t\f"))]


def _import_names(statements: Sequence[ast.stmt], modules: Sequence[str],
                  imported: FrozenSet[str]) -> Optional[Set[str]]:
    """Names the imports bind to one of ``modules`` (or below), plus the top names of those the
    file imports anywhere (inside a function, too); None when a star import of one of them hides
    which names it binds."""
    names = {module.split(".")[0] for module in modules if module in imported}
    for statement in statements:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if _under(alias.name, modules):
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(statement, ast.ImportFrom) and statement.module and not statement.level \
                and _under(statement.module, modules):
            for alias in statement.names:
                if alias.name == "*":
                    return None
                names.add(alias.asname or alias.name)
    return names


def _lent_names(lent: Mapping[str, FrozenSet[str]], modules: Sequence[str]) -> Set[str]:
    """The local names through which other modules of the project lend the file one of ``modules``."""
    return {local for local, lends in lent.items() if any(_under(module, modules) for module in lends)}


def _under(module: str, modules: Sequence[str]) -> bool:
    return any(module == m or module.startswith(m + ".") for m in modules)


class _Text:
    """Some lines of the file, with the words in them and the names called in them (each found
    once, then asked about by every rule)."""

    __slots__ = ("text", "_words", "_called", "_targets")

    def __init__(self, text: bytes) -> None:
        self.text = text
        self._words: Optional[FrozenSet[bytes]] = None
        self._called: Optional[FrozenSet[bytes]] = None
        self._targets: Optional[FrozenSet[bytes]] = None

    @property
    def words(self) -> FrozenSet[bytes]:
        if self._words is None:
            self._words = frozenset(_WORD.findall(self.text))
        return self._words

    @property
    def called(self) -> FrozenSet[bytes]:
        if self._called is None:
            across = b"#" in self.text and _COMMENT_THEN_BRACKET.search(self.text) is not None
            self._called = frozenset((_CALLED_ACROSS_COMMENTS if across else _CALLED).findall(self.text))
        return self._called

    def targets(self, self_name: str) -> FrozenSet[bytes]:
        """The attributes of ``self_name`` written where a target may be (the text of one method,
        whose first parameter ``self_name`` is)."""
        if self._targets is None:
            self._targets = frozenset(name for pattern in _targets(self_name) for name in pattern.findall(self.text))
        return self._targets


class _Mentions:
    """Does a text mention any of some byte strings or words (or, with ``calls``, call one of the
    words: ``word(``, ``.word(``)?"""

    def __init__(self, tokens: Sequence[bytes], words: Iterable[str], calls: bool = False,
                 spaced: Sequence[bytes] = ()) -> None:
        self.tokens = tuple(tokens)
        # the tokens the file also writes spaced out (``. get (`` for ``.get(``): looked for so in parts
        self.spaced = tuple(spaced)
        self.words: Set[bytes] = {word.encode() for word in words}
        self.calls = calls

    def add(self, words: Iterable[str]) -> bool:
        new = {word.encode() for word in words} - self.words
        if new:
            self.words |= new
        return bool(new)

    def names(self, text: _Text) -> bool:
        """Whether ``text`` mentions a token or a word (what makes an assignment derive a name)."""
        body = text.text
        for token in self.tokens:
            if token in body:
                return True
        for token in self.spaced:
            if mentions_spaced(body, token):
                return True
        return bool(self.words) and not text.words.isdisjoint(self.words)

    def __call__(self, text: _Text) -> bool:
        if not self.calls:
            return self.names(text)
        return bool(self.words) and not text.called.isdisjoint(self.words)


class Excerpt:
    """The text LibCST reads, and for each of its lines the line of the file it came from; both
    made only when asked for (when a sketch placed the findings, LibCST reads nothing)."""

    __slots__ = ("_cut", "_source", "_lines")

    def __init__(self, cut: Optional[Callable[[], Tuple[bytes, List[int]]]] = None) -> None:
        self._cut = cut  # None: an empty excerpt
        self._source = b""
        self._lines: Optional[List[int]] = None if cut is not None else []

    @property
    def empty(self) -> bool:
        """Nothing in the file could hold a finding: it need not be parsed at all."""
        return self._cut is None

    @property
    def source(self) -> bytes:
        self._make()
        return self._source

    @property
    def lines(self) -> List[int]:
        self._make()
        return self._lines  # type: ignore[return-value]

    def _make(self) -> None:
        if self._lines is None:
            self._source, self._lines = self._cut()  # type: ignore[misc]

    def line_of(self, line: int) -> int:
        """The file's line number for line ``line`` of the excerpt."""
        return self.lines[line - 1] if 0 < line <= len(self.lines) else line


#: Given a sketch of a file and its sketcher (``svcmod.fastpath.sketch``), the nodes the rules report in it.
Screen = Callable[[cst.Module, "Sketcher"], Sequence[cst.CSTNode]]


def excerpt(source: bytes, rules: Sequence[type], imported: FrozenSet[str],
            screen: Optional[Screen] = None, lent: Optional[Mapping[str, FrozenSet[str]]] = None) -> Optional[Excerpt]:
    """``source`` with the parts none of ``rules`` could find anything in replaced by stubs, and
    the blank lines and comments between statements left out (an ``empty`` excerpt when that is
    everything); or None when it should be parsed whole (short, a rule without ``parts``, not
    parsed by Python, nothing to leave out). ``imported``: the modules the file imports, as
    ``svcmod.check.names.imported_modules`` reads them, and those other modules of the project lend it
    (``lent``: by the local name it reaches them through, ``logger`` of ``from pkg.log import logger``
    lending ``logging``: a part mentioning the name counts as mentioning what the module's import
    would bind). With ``screen``, the rules are run on a sketch
    of the parts that mention what they look for, and only the parts where they report something
    are kept (with what those depend on); a file too short for an excerpt or seen by a rule that
    has no ``parts`` is screened whole, and is empty when the rules report nothing on its sketch."""
    if not rules:
        return None
    if b"\r" in source and source.count(b"\r") != source.count(b"\r\n"):
        return None  # lone CR line ends: Python's line numbers and ours would differ
    if _NON_UTF8_COOKIE.search(source, 0, 400):
        return None  # ast's columns and names are UTF-8; this file's bytes are not
    whole = source.count(b"\n") < MIN_LINES or not all(rule.fast_path.parts is not None for rule in rules)
    if whole and screen is None:
        return None
    lines = source.split(b"\n")
    if whole:
        whole_tree = _parse(source)
        return None if whole_tree is None else _screened_whole(whole_tree, lines, screen)  # type: ignore[arg-type]
    # Python parses the file with the functions no rule could want hidden (svcmod/fastpath/outline.py),
    # revealing those the rules might want until none of them is hidden
    outline = Outline(source, lines, _parse)
    texts = {(region.first, region.last): _Text(region.text) for region in outline.hidden}
    choice: Optional[_Choice] = None
    while True:
        tree = outline.tree
        if tree is None:
            return None
        reader = _Reader(lines, outline.hidden)
        reader.body(tree.body, None, gaps=True)
        parts = reader.parts
        if not parts:
            return _screened_whole(tree, lines, screen) if screen is not None else None
        choice = _choose(parts, reader, source, lines, rules, imported, texts, choice, lent or {})
        if choice is None:  # a rule must see it all: the rules screen the whole of it
            if outline.hidden:
                outline.whole()
                continue
            return _screened_whole(tree, lines, screen) if screen is not None else None
        _keep_attribute_binders(parts)
        revealed = [part.region for part in parts if part.kept and part.region is not None]
        if not revealed:
            break
        outline.reveal(revealed)  # type: ignore[arg-type]
    if not choice.outside and not any(part.kept for part in parts):
        return Excerpt()  # no rule could find anything anywhere in the file
    if screen is not None:
        reported = _screened(tree, lines, parts, screen)
        if reported is not None:
            if not reported:
                return Excerpt()  # the rules found nothing in any part that could hold something
            for index, part in enumerate(parts):
                part.kept = part.context or index in reported
            _keep_attribute_binders(parts)
    del tree
    if all(part.kept for part in parts):
        return None
    return Excerpt(lambda: _cut(source, lines, parts, reader.gaps))


class _Choice:
    """What ``_choose`` decided for a file, to be carried on once the hidden parts it kept are parsed:
    the same parts are there, and their new attribute bindings can only derive more names, so each
    rule's tests are made again only when one of its names grew, on the parts not kept yet."""

    def __init__(self, outside: bool, tests: List[Tuple[type, Callable[[_Text], bool], List[_Mentions]]],
                 reader: "_Reader") -> None:
        self.outside = outside  # whether the lines outside every part could hold something
        self.tests = tests  # per rule: what a part must mention, and the mentions that is made of
        self.derivers = [check for _, _, checks in tests for check in checks if not check.calls]
        self.bindings = set(reader.bindings)
        self.attribute_bindings = set(reader.attribute_bindings)
        self.decided: Dict[Tuple[int, int, int], Tuple[bool, bool]] = {}

    def decide(self, parts: Sequence[_Part]) -> None:
        self.decided = {(part.first, part.header, part.last): (part.kept, part.context) for part in parts}

    def fits(self, parts: Sequence[_Part], reader: "_Reader") -> bool:
        """Whether the parts (by their lines) and the bindings outside them are those decided on."""
        return all((part.first, part.header, part.last) in self.decided for part in parts) \
            and set(reader.bindings) == self.bindings

    def carry_on(self, parts: Sequence[_Part], reader: "_Reader", lines: List[bytes],
                 bindings: Sequence[Tuple[FrozenSet[str], "_Text"]],
                 attribute_bindings: Sequence[Tuple[str, "_Text"]]) -> None:
        """The choice again, given the parts and what they bind as ``reader`` read them now."""
        for part in parts:
            part.kept, part.context = self.decided[(part.first, part.header, part.last)]
        new = [bound for (name, bound), key in zip(attribute_bindings, reader.attribute_bindings)
               if key not in self.attribute_bindings]
        if new:
            outside = None
            for rule, mentioned, checks in self.tests:
                grown = [check for check in checks if any(check.names(bound) for bound in new)]
                if not grown:
                    continue  # the same names: the same answers
                for check in grown:
                    _derive(check, bindings, attribute_bindings)
                if outside is None and not self.outside:
                    outside = _outside(parts, lines)
                self.outside = _mark(rule, mentioned, parts, None if self.outside else outside) or self.outside
            self.attribute_bindings = set(reader.attribute_bindings)
        self.decide(parts)


def _choose(parts: Sequence[_Part], reader: _Reader, source: bytes, lines: List[bytes], rules: Sequence[type],
            imported: FrozenSet[str], texts: Dict[Tuple[int, int], "_Text"],
            previous: Optional[_Choice] = None, lent: Mapping[str, FrozenSet[str]] = {}) -> Optional[_Choice]:
    """Marks the parts some rule could find something in (or that are context) as kept, and what
    that choice was; None when a rule must see it all. ``texts``: the parts' texts so far, by their
    first and last lines. ``previous``: the choice before the last hidden parts were revealed.

    A hidden method (``svcmod.fastpath.outline``) kept is then parsed. It is kept also when it may derive a
    name another method of its class depends on (``_reveal_binders``)."""

    def text(first: int, last: int) -> _Text:
        key = (first, last)
        found = texts.get(key)
        if found is None:
            found = texts[key] = _Text(b"\n".join(lines[first - 1:last]))
        return found

    for part in parts:
        part.text = text(part.first, part.last)
    bindings = [(names, text(first, last)) for names, first, last in reader.bindings]
    attribute_bindings = [(name, text(first, last)) for name, first, last in reader.attribute_bindings]
    if previous is not None and previous.fits(parts, reader):
        previous.carry_on(parts, reader, lines, bindings, attribute_bindings)
        _reveal_binders(parts, previous.derivers)
        return previous
    outside = _outside(parts, lines)
    anything_outside = False
    tests = []
    derivations: Dict[Tuple[Tuple[bytes, ...], FrozenSet[bytes]], FrozenSet[bytes]] = {}
    for rule in rules:
        criterion = _criterion(rule, source, reader.imports, imported, bindings, attribute_bindings, derivations,
                               lent)
        if criterion is None:
            return None
        mentioned, checks = criterion
        tests.append((rule, mentioned, checks))
        anything_outside = _mark(rule, mentioned, parts, None if anything_outside else outside) or anything_outside
    choice = _Choice(anything_outside, tests, reader)
    choice.decide(parts)
    _reveal_binders(parts, choice.derivers)
    return choice


def _outside(parts: Sequence[_Part], lines: List[bytes]) -> _Text:
    """The lines in no part."""
    in_part = bytearray(len(lines))
    for part in parts:
        in_part[part.first - 1:part.last] = b"\1" * (part.last - part.first + 1)
    return _Text(b"\n".join([line for line, flag in zip(lines, in_part) if not flag]))


def _mark(rule: type, mentioned: Callable[[_Text], bool], parts: Sequence[_Part], outside: Optional[_Text]) -> bool:
    """Keeps the parts ``rule`` could find something in or needs as context; whether it could find
    something in ``outside``, the lines outside every part (None: that is known already)."""
    fast_path = rule.fast_path  # type: ignore[attr-defined]
    wants_part = fast_path.wants_part
    if fast_path.parts.context:
        context = _Mentions(fast_path.parts.context, (),
                            spaced=[token for token in fast_path.parts.context if _PIECES.search(token)])
        for part in parts:
            if not part.context and context(part.text):
                part.kept = part.context = True
    for part in parts:
        if not part.kept and wants_part(part.text.text, mentioned(part.text)):
            part.kept = True
    return outside is not None and wants_part(outside.text, mentioned(outside))


def _cut(source: bytes, lines: List[bytes], parts: Sequence[_Part],
         gaps: Sequence[Tuple[int, int]]) -> Tuple[bytes, List[int]]:
    """The excerpt's text and the file's number of each of its lines: the parts left out become
    their stubs (written into ``lines``), the ``gaps`` between statements go."""
    keep = bytearray(b"\1") * len(lines)
    for first, last in gaps:
        keep[max(first - 1, 2):last] = bytes(max(0, last - max(first - 1, 2)))  # not an encoding line
    for part in parts:
        if not part.kept:
            keep[part.first - 1:part.last] = bytes(part.last - part.first + 1)
            end = b"\r" if lines[part.header - 1].endswith(b"\r") else b""
            lines[part.header - 1] = part.stub + end
            keep[part.header - 1] = 1
    keep[-1] = 1  # what follows the last line end
    if _CONTINUED.search(source):
        for number in range(1, len(lines)):  # `x = f \` and a blank line: both stay, or the next
            if not keep[number] and keep[number - 1] and lines[number - 1].rstrip(b"\r").endswith(b"\\"):
                keep[number] = 1  # line kept would continue the statement
    numbers = [number for number, flag in enumerate(keep, 1) if flag]
    return b"\n".join([lines[number - 1] for number in numbers]), numbers


def _screened_whole(tree: ast.Module, lines: List[bytes], screen: Screen) -> Optional[Excerpt]:
    """An empty excerpt when the rules report nothing on a sketch of the whole file (which LibCST
    then need not parse); else None: parse it whole."""
    return Excerpt() if _screened(tree, lines, (), screen) == set() else None


def _screened(tree: ast.Module, lines: List[bytes], parts: Sequence[_Part],
              screen: Screen) -> Optional[Set[Optional[int]]]:
    """The parts (their indexes; None for outside every part) where the rules report something on
    a sketch of the kept parts; None when the file cannot be sketched or a report cannot be traced."""
    from svcmod.fastpath.sketch import Sketcher
    part_of = {id(part.statement): index for index, part in enumerate(parts)}
    sketcher = Sketcher(lines, part_of, {index for index, part in enumerate(parts) if not part.kept})
    try:
        reported = screen(sketcher.module(tree), sketcher)
    except Exception:  # syntax the sketch does not build, or a rule surprised by it: screen by text
        return None
    owners: Set[Optional[int]] = set()
    missing = -1
    for node in reported:
        owner = sketcher.owner.get(id(node), missing)
        if owner == missing:
            return None
        owners.add(owner)
    return owners


def _parse(source: bytes) -> Optional[ast.AST]:
    # ast builds a million small objects that nothing will free before the tree is dropped:
    # the cyclic collector scanning them would cost more than the parse (5x on the bench corpus)
    enabled = gc.isenabled()
    gc.disable()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings about the user's code are not ours to print
            return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # LibCST parses the whole file and reports the problem
    finally:
        if enabled:
            gc.enable()


def _criterion(rule: type, source: bytes, imports: Sequence[ast.stmt], imported: FrozenSet[str],
               bindings: Sequence[Tuple[FrozenSet[str], _Text]],
               attribute_bindings: Sequence[Tuple[str, _Text]],
               derivations: Dict[Tuple[Tuple[bytes, ...], FrozenSet[bytes]], FrozenSet[bytes]],
               lent: Mapping[str, FrozenSet[str]] = {}) -> Optional[Tuple[Callable[[_Text], bool], List[_Mentions]]]:
    """What a part of ``source`` must mention for ``rule`` to find something in it, and the
    mentions that test is made of; None: it must see it all. (Tokens and called names that are
    nowhere in ``source`` are in no part of it: they are not looked for.) ``derivations``: the
    words derived for each test so far (rules importing the same modules test the same names)."""
    fast_path = rule.fast_path  # type: ignore[attr-defined]
    parts = fast_path.parts
    tokens = fast_path.part_tokens
    checks = []
    if tokens:
        present = [token for token in tokens if mentions_token(source, token)]
        checks.append(_Mentions(present, (), spaced=[token for token in present if _PIECES.search(token)
                                                     and written_apart(source, token)]))
    if parts.via_imports or not tokens:
        modules = fast_path.part_imports
        if not modules:
            return None  # nothing says what a part must mention
        names = _import_names(imports, modules, imported)
        if names is None:
            return None
        checks.append(_Mentions((), names | _lent_names(lent, fast_path.part_imports)))
    if parts.calls:
        # a name lent by another module of the project may be one of the calls itself (``sh`` of
        # ``from .compat import sh``, where ``sh = subprocess.run``)
        calls = [name for name in parts.calls if name.encode() in source]
        checks.append(_Mentions((), [*calls, *sorted(_lent_names(lent, fast_path.part_imports))], calls=True))
    for mentions in checks:
        key = (mentions.tokens, frozenset(mentions.words))
        derived = derivations.get(key)
        if derived is None:
            _derive(mentions, bindings, attribute_bindings)
            derivations[key] = frozenset(mentions.words)
        else:
            mentions.words = set(derived)
    if any(not mentions.tokens and not mentions.words for mentions in checks):
        return _nothing, checks  # a test no part can pass
    if len(checks) == 1:
        return checks[0], checks
    return (lambda text: all(check(text) for check in checks)), checks


def _nothing(text: _Text) -> bool:
    return False


def _derive(mentions: _Mentions, bindings: Sequence[Tuple[FrozenSet[str], _Text]],
            attribute_bindings: Sequence[Tuple[str, _Text]]) -> None:
    """Add the names assigned from what ``mentions`` already finds, until nothing new is added."""
    changed = True
    while changed:
        changed = False
        for names, text in bindings:
            if not all(name.encode() in mentions.words for name in names) and mentions.names(text):
                changed |= mentions.add(names)
        for name, text in attribute_bindings:
            if name.encode() not in mentions.words and mentions.names(text):
                changed |= mentions.add((name,))


def _attributes_read(self_name: str, text: bytes) -> Set[bytes]:
    """The names of ``self.name`` in ``text`` (any spacing, across a line end in brackets)."""
    # the pattern has no look-behind for a name character before ``self``: re then finds it by a fast
    # search instead of trying at every byte (10x); what follows another name is dropped here
    return {match.group(1) for match in _attribute_pattern(self_name).finditer(text)
            if not _NAME_CHARACTER.match(text, match.start() - 1, match.start())}


@lru_cache(maxsize=64)
def _attribute_pattern(self_name: str) -> Pattern[bytes]:
    return re.compile(re.escape(self_name.encode()) + _GAP + rb"\." + _GAP + rb"(" + NAME + rb")")


_NAME_CHARACTER = re.compile(rb"[A-Za-z0-9_\x80-\xff]")


def _reveal_binders(parts: Sequence[_Part], derivers: Sequence[_Mentions]) -> None:
    """Keep (so parse) each hidden method that may assign an attribute another method of its class,
    not kept, mentions, and that mentions what a rule derives names from (``derivers``, the tests
    of names and tokens): deriving that attribute's name, it might make the other method one a rule
    could find something in. (Names derived from a class's attributes are resolved only in its
    methods: no other part depends on them.)"""
    for methods in _methods_by_class(parts).values():
        unkept = [part for part in methods if not part.kept]
        feeders = [part for part in unkept if part.region is not None and part.targets()
                   and any(check.names(part.text) for check in derivers)]
        if not feeders:
            continue
        # how many of the methods not kept mention each name (a substring is enough: a part kept
        # for nothing costs time, never a finding)
        mentions = {name: sum(name in part.text.text for part in unkept)
                    for name in set().union(*(feeder.targets() for feeder in feeders))}
        for feeder in feeders:
            text = feeder.text.text
            if any(mentions[name] > (name in text) for name in feeder.targets()):
                feeder.kept = True


def _methods_by_class(parts: Sequence[_Part]) -> Dict[int, List[_Part]]:
    by_class: Dict[int, List[_Part]] = {}
    for part in parts:
        if part.klass is not None:
            by_class.setdefault(part.klass, []).append(part)
    return by_class


@lru_cache(maxsize=64)
def _targets(self_name: str) -> Tuple[Pattern[bytes], Pattern[bytes]]:
    """An attribute of ``self_name`` written where a target may be (see ``_Part.may_assign``): before
    what may follow a target, or after ``as`` (the attributes of ``myself`` too, which only keeps more)."""
    attribute = _attribute_pattern(self_name).pattern
    return (re.compile(attribute + _GAP + rb"(?:(?:[-+*/%&|^@]|<<|>>|\*\*|//)?=(?!=)|[,)\]]|:[^=\n]*=(?!=)|in\b)"),
            re.compile(rb"as" + _GAP + attribute))


def _keep_attribute_binders(parts: Sequence[_Part]) -> None:
    """Keep each method that assigns an attribute a kept method of its class reads (``self.name``)."""
    for methods in _methods_by_class(parts).values():
        if not any(part.kept for part in methods):
            continue
        binders = [part for part in methods if not part.kept and (part.assigns or part.region is not None)]
        seen: Set[int] = set()
        used: Set[bytes] = set()
        while binders:
            for index, part in enumerate(methods):
                if part.kept and index not in seen:
                    seen.add(index)
                    if part.self_name is not None:
                        used |= _attributes_read(part.self_name, part.text.text)
            now = [part for part in binders if part.may_assign(used)]
            if not now:
                break
            for part in now:
                part.kept = True
            binders = [part for part in binders if not part.kept]
