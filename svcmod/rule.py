"""The contract between the engine and a rule: what a rule declares, sees and reports."""
from __future__ import annotations

import dataclasses
import re
import textwrap
import types
from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    ClassVar,
    Dict,
    FrozenSet,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import libcst as cst

from svcmod.results import SAFE, UNSAFE  # noqa: F401  (rules import SAFE and UNSAFE from here)
from svcmod.settings import FALLBACKS, SETTINGS, Setting  # rules import them from here

if TYPE_CHECKING:  # pragma: no cover
    from svcmod.check.names import Names


@dataclass(frozen=True)
class Valid:
    """Code the rule must not report."""

    code: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Invalid:
    """Code the rule must report; ``fixed`` is the code after its fixes (None: report only)."""

    code: str
    fixed: Optional[str] = None
    options: Mapping[str, Any] = field(default_factory=dict)
    count: int = 1


Example = Union[Valid, Invalid]


@dataclass(frozen=True)
class Requires:
    """A distribution the code a fix writes needs (``tenacity>=8``), and the one it replaces, if any.

    ``migrate`` adds ``requirement`` to the project's dependency manifests when the rule edited the
    project, and removes ``replaces`` once no module of the project imports ``module`` any more.
    """

    requirement: str
    replaces: Optional[str] = None
    #: the module ``replaces`` installs (default: its name with ``-`` as ``_``)
    module: Optional[str] = None

    @property
    def replaced_module(self) -> Optional[str]:
        if self.replaces is None:
            return None
        return self.module or self.replaces.replace("-", "_").lower()


@dataclass(frozen=True)
class AddImport:
    """An import a fix needs: ``import module`` (name None) or ``from module import name``."""

    module: str
    name: Optional[str] = None
    alias: Optional[str] = None


@dataclass(frozen=True)
class RemoveImport:
    """An import a fix makes unused: removed only if nothing else in the file uses it."""

    module: str
    name: Optional[str] = None
    alias: Optional[str] = None


@dataclass
class Fix:
    """Replacements of nodes of the original tree, with the imports they need.

    ``replacements`` maps an original node to its replacement (``cst.RemoveFromParent()`` to delete
    it). ``safety`` is SAFE when behaviour is identical, UNSAFE when it changes.
    """

    replacements: Dict[cst.CSTNode, Any]
    safety: str
    description: str
    add_imports: Tuple[AddImport, ...] = ()
    remove_imports: Tuple[RemoveImport, ...] = ()

    @classmethod
    def replace(cls, old: cst.CSTNode, new: Any, *, safety: str, description: str,
                add_imports: Sequence[AddImport] = (), remove_imports: Sequence[RemoveImport] = ()) -> "Fix":
        return cls({old: new}, safety, description, tuple(add_imports), tuple(remove_imports))


@dataclass
class Report:
    """What a rule reported, before the engine turns it into a located finding."""

    code: str
    name: str
    message: str
    node: cst.CSTNode
    fix: Optional[Fix]
    follow_up: bool = False


class FileContext:
    """What a rule may know about the file being checked: its path, names and how to report."""

    __slots__ = ("path", "module", "names", "reports", "scope_stack")

    def __init__(self, path: str, module: cst.Module, names: "Names") -> None:
        self.path = path
        self.module = module
        self.names = names
        self.reports: list = []
        #: The FunctionDef/ClassDef nodes enclosing the node being visited, innermost last.
        self.scope_stack: list = []


@dataclass(frozen=True)
class Parts:
    """Which parts of a long file (its functions, with their decorators) can hold a finding.

    A rule declaring ``parts`` may be given an *excerpt* of a long file (``svcmod/fastpath/excerpt.py``)
    instead of the whole of it. Declare it only when a finding in a function depends on nothing but
    that function, the module's imports and top-level statements, and its class's ``self.<name>``
    assignments. A part can hold a finding when it mentions:

    - one of ``tokens`` (None: the rule's ``FastPath.tokens``);
    - and, with ``via_imports`` or when there are no such tokens, a name bound by importing one of
      ``imports`` (None: the rule's ``FastPath.imports``): every finding is on code whose meaning the
      resolver traces to those imports;
    - and, when ``calls`` is given, a call of one of those names (``run(``, ``.run(``) or of a name
      made from one (``sh`` after ``from subprocess import run as sh``): every finding is on such a call.

    ``test``, given a part's text and whether it mentions what the above ask for, may add a condition
    (the shape of a retry loop) or replace them. A part mentioning one of ``context`` is kept whatever
    it holds, as findings elsewhere depend on it.
    """

    tokens: Optional[Tuple[bytes, ...]] = None
    imports: Optional[Tuple[str, ...]] = None
    via_imports: bool = False
    calls: Tuple[str, ...] = ()
    context: Tuple[bytes, ...] = ()
    test: Optional[Callable[[bytes, bool], bool]] = None


@dataclass(frozen=True)
class Callees:
    """A rule whose finding in a function depends on that function, the module's top level and the
    functions and classes of the module it names (a call of ``fetch()`` or ``self.fetch()`` reads
    whether ``fetch`` retries), and on no other part of the file.

    An editor's buffer (``svcmod.run.buffer``) may then be checked for the rule with a function an
    edit left alone as a stub, and its findings taken from the version before, when no code checked
    names it and it names nothing the edit touched. ``across``: tokens that, mentioned anywhere in a
    file, make the rule read all of it (what it carries from one function to the next in the order
    they come).
    """

    across: Tuple[bytes, ...] = ()


@dataclass(frozen=True)
class FastPath:
    """What a rule needs from the fast path, declared once; ``FastPath()`` (the default) is always
    sound: the rule sees every file, whole, as LibCST parses it.

    - ``imports``: the file must import one of these modules (top-level or dotted prefix) …
    - ``tokens``: … and contain one of these byte strings (empty: no condition), read as Python
      reads them (``mentions``: ``.get(`` is also ``. get (`` and ``.\\n get(``) …
    - ``test``: … and pass this test of its bytes and imported modules.
    - ``parts``: the rule may see an excerpt of a long file (``Parts``); None: whole files only.
    - ``callees``: in an editor's buffer, the rule may see a function apart from those it does not
      name (``Callees``); None: every function, unless it declares ``parts``.
    - ``sketch``: the rule reads nothing a sketch (``svcmod/fastpath/sketch.py``) leaves out:
      whitespace, comments and brackets. Its findings may then come from a sketch, built from
      Python's own parse, with LibCST parsing only what is to be fixed.

    Every condition may only drop a file or part the rule could not report anything in: the fast
    path never changes a result (``svcmod lint --no-fast-path`` is the reference;
    ``bench/differential.py`` and ``tests/test_differential.py`` compare; docs/ARCHITECTURE.md
    lists the guards).
    """

    imports: Tuple[str, ...] = ()
    tokens: Tuple[bytes, ...] = ()
    test: Optional[Callable[[bytes, FrozenSet[str]], bool]] = None
    parts: Optional[Parts] = None
    callees: Optional[Callees] = None
    sketch: bool = False

    def wants(self, source: bytes, imported: FrozenSet[str]) -> bool:
        """Cheap test, before parsing, of whether the rule can possibly match ``source``, which
        imports ``imported`` (as ``svcmod.check.names.imported_modules`` reads them)."""
        if self.imports and not any(m in imported for m in self.imports):
            return False
        if self.tokens and not mentions_any(source, self.tokens):
            return False
        return self.test is None or self.test(source, imported)

    @property
    def part_tokens(self) -> Tuple[bytes, ...]:
        """What a part must mention (one of), when the rule sees parts."""
        given = self.parts.tokens if self.parts is not None else None
        return given if given is not None else self.tokens

    @property
    def part_imports(self) -> Tuple[str, ...]:
        """The modules whose imported names a part may mention instead of (or besides) a token."""
        given = self.parts.imports if self.parts is not None else None
        return given if given is not None else self.imports

    def wants_part(self, text: bytes, mentioned: bool) -> bool:
        """Whether a part (``text``) can hold a finding, given whether it mentions what ``parts`` asks."""
        test = self.parts.test if self.parts is not None else None
        return mentioned if test is None else test(text, mentioned)

    @property
    def declares_something(self) -> bool:
        return bool(self.imports or self.tokens or self.test is not None)


#: What Python lets stand between two tokens: spaces, tabs, form feeds, backslash continuations and,
#: inside brackets, line ends and comments. A comment is taken whole, up to its line end: were it
#: taken in part too, a text of many comments could be split in exponentially many ways.
_COMMENT = rb"#[^\r\n]*(?=[\r\n])"
_GAP = rb"(?:[ \t\f\r\n\\]|" + _COMMENT + rb")*"
#: After ``import``, a from-import's list may name others first (``import (a as b,`` + ``warn``).
_IMPORT_GAP = rb"(?:[\w \t\f\r\n\\(),.]|" + _COMMENT + rb")*?"
_PIECE = re.compile(rb"\w+|[^\w\s]")
_SPACED: Dict[bytes, Tuple[bytes, Any]] = {}


def mentions(text: bytes, token: bytes) -> bool:
    """Whether ``text`` holds ``token`` as Python reads it: its pieces (words, punctuation) in
    order, with whatever Python lets stand between them (``requests . get (url)``, ``(pool`` +
    ``.get(url))``, ``loop = loop``, ``from logging import (getLogger, warn)``). May say yes
    for text that is not code (a comment, a string): the fast path then just parses more; never no
    where Python would read the token. Costs one substring search when the token is written as given."""
    return token in text or mentions_spaced(text, token)


def mentions_any(text: bytes, tokens: Sequence[bytes]) -> bool:
    """``mentions`` for any of ``tokens``: first each as written (a plain search), then spaced out."""
    return any(token in text for token in tokens) or any(mentions_spaced(text, token) for token in tokens)


def written_apart(text: bytes, token: bytes) -> bool:
    """Whether ``text`` holds ``token`` spaced out somewhere (``. get (``), not only as written."""
    pattern = _spaced(token)[1]
    return pattern is not None and len(pattern.findall(text)) > text.count(token)


def mentions_spaced(text: bytes, token: bytes) -> bool:
    """``mentions`` but for the token as written, which the caller has looked for already."""
    longest, pattern = _spaced(token)
    return pattern is not None and longest in text and pattern.search(text) is not None


def _spaced(token: bytes) -> Tuple[bytes, Any]:
    """The longest word of ``token`` and the pattern of its pieces spaced out (None: one piece)."""
    spaced = _SPACED.get(token)
    if spaced is None:
        pieces = _PIECE.findall(token)
        words = [piece for piece in pieces if piece[:1].isalnum() or piece[:1] == b"_"]
        pattern = b"".join(re.escape(piece) + (_IMPORT_GAP if piece == b"import" else _GAP)
                           for piece in pieces[:-1]) + re.escape(pieces[-1]) if len(pieces) > 1 else None
        spaced = _SPACED[token] = (max(words, key=len) if words else b"", pattern and re.compile(pattern))
    return spaced


@dataclass(frozen=True)
class FixStep:
    """The rule's fixes are applied by a step of a built-in migration: ``FixStep("v2", "deadlines")``."""

    migration: str
    step: str


@dataclass(frozen=True)
class FollowUp:
    """A built-in migration lists the rule's findings as manual follow-ups: ``FollowUp("v2")``."""

    migration: str


MigrationRole = Union[FixStep, FollowUp]
#: A rule that is, on purpose, in no built-in migration.
NOT_IN_MIGRATIONS: Tuple[MigrationRole, ...] = ()


class Rule:
    """Base class of every lint rule. Subclasses live one per module in ``svcmod.lint_rules``.

    The docstring of a rule is its documentation: a first line saying what it does, then sections
    ``Why is this bad?`` and ``Fix safety`` (and optionally ``Options``, ``References``), as ruff's
    rule pages. ``Example`` and ``Use instead`` are generated from the first ``Invalid`` example.
    """

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    message: ClassVar[str] = ""
    #: "safe" or "unsafe": the class of the fix this rule usually offers; None: the rule only
    #: reports (a migration lists its findings as manual follow-ups, never as edits).
    fix_safety: ClassVar[Optional[str]] = None
    #: What the rule needs to see (``FastPath``); the default, nothing declared, is every file whole.
    fast_path: ClassVar[FastPath] = FastPath()
    #: Where the rule stands in the built-in migrations: ``(FixStep("v2", "deadlines"),)``,
    #: ``(FollowUp("v2"),)``, or ``NOT_IN_MIGRATIONS``. None (not declared) fails the rule tests.
    in_migrations: ClassVar[Optional[Tuple[MigrationRole, ...]]] = None
    #: Option defaults; a value may be a ``Setting`` to take a project-wide setting.
    options: ClassVar[Mapping[str, Any]] = {}
    #: Options that take one of a few values: option -> the allowed values.
    choices: ClassVar[Mapping[str, Tuple[Any, ...]]] = {}
    examples: ClassVar[Tuple[Example, ...]] = ()
    #: Distributions the code its fixes write needs: a migration edits the dependency manifests.
    requires: ClassVar[Tuple[Requires, ...]] = ()

    def __init__(self, options: Optional[Mapping[str, Any]] = None,
                 settings: Optional[Mapping[str, Any]] = None) -> None:
        self.config = self.resolve_options(options or {}, settings or {})
        self.file: FileContext  # set by the engine for each file

    @classmethod
    def resolve_options(cls, options: Mapping[str, Any], settings: Mapping[str, Any]) -> Dict[str, Any]:
        resolved = {}
        for key, default in cls.options.items():
            if key in options:
                resolved[key] = options[key]
            elif isinstance(default, Setting):
                setting = default.key
                value = settings.get(setting, SETTINGS[setting])
                while value is None and setting in FALLBACKS:  # connect-timeout unset: default-timeout
                    setting = FALLBACKS[setting]
                    value = settings.get(setting, SETTINGS[setting])
                resolved[key] = value
            else:
                resolved[key] = default
        return resolved

    @classmethod
    def wants(cls, source: bytes, imported: FrozenSet[str]) -> bool:
        """Cheap test, before parsing, of whether this rule can possibly match ``source``
        (``fast_path.wants``; declare a ``FastPath`` rather than overriding this)."""
        return cls.fast_path.wants(source, imported)

    # -- called by the engine -------------------------------------------------------------
    def start_file(self, file: FileContext) -> None:
        """Begin a file. Rules with per-file state override ``reset`` to clear it."""
        self.file = file
        self.reset()

    def reset(self) -> None:
        pass

    def end_file(self) -> None:
        """Called after the whole module was walked; rules that report late override it."""

    def release(self) -> None:
        """Let go of the file's tree once its reports are taken: a tree still referenced when the
        cyclic collector next runs is scanned by it, node by node, for nothing."""
        self.file = None  # type: ignore[assignment]

    # -- for rules -------------------------------------------------------------------------
    def report(self, node: cst.CSTNode, message: Optional[str] = None, fix: Optional[Fix] = None) -> None:
        self.file.reports.append(Report(self.code, self.name, message or self.message, node, fix))

    def report_missing_timeout(self, call: cst.Call, slot: Optional[int], message: Optional[str] = None) -> None:
        """Report ``call`` when it gives no ``timeout`` (or None), by keyword or at ``slot``, with the
        fix that sets the rule's ``timeout`` option; nothing when ``**kwargs`` or ``*args`` hide
        what it passes."""
        if has_star_kwargs(call) or positional_count(call) is None:
            return
        given = argument(call, "timeout", slot)
        if given is not None and not is_none(given.value):
            return
        timeout = self.config["timeout"]
        if timeout is None:  # no deadline configured for this family: the finding alone
            self.report(call, message)
            return
        fixed = with_argument(call, "timeout", repr(timeout), slot)
        self.report(call, message, Fix.replace(call, fixed, safety=UNSAFE, description=f"add timeout={timeout!r}"))

    def qualified_name(self, expr: cst.BaseExpression) -> Optional[str]:
        """``requests.get`` for ``rq.get`` after ``import requests as rq``; None if unknown."""
        return self.file.names.qualified_name(expr, self.file.scope_stack)

    def callee(self, call: cst.Call) -> Optional[str]:
        """The qualified name of what ``call`` calls (``requests.get``); None if unknown."""
        return self.file.names.qualified_name(call.func, self.file.scope_stack)

    def created_by(self, expr: cst.BaseExpression) -> Optional[str]:
        """The qualified name of the callable whose call made the value ``expr`` refers to."""
        return self.file.names.created_by(expr, self.file.scope_stack)

    def uses_elsewhere(self, local: str) -> FrozenSet[Tuple[str, str]]:
        """How other modules of the project use this module's top-level name ``local`` (``conn``;
        ``get_client()`` for a function's return value): (module, use) pairs, a use being
        ``.blpop(timeout)`` (a method called, with the keywords given), ``arg:rq.Worker`` (passed to
        that callee) or ``.pubsub().listen()``."""
        return self.file.names.uses_elsewhere(local)

    def reference(self, qualified: str) -> Tuple[str, Tuple[AddImport, ...]]:
        """Source text that refers to ``qualified`` here, and the imports needed for it."""
        return self.file.names.reference(qualified)

    @property
    def enclosing_function(self) -> Optional[cst.FunctionDef]:
        for node in reversed(self.file.scope_stack):
            if isinstance(node, cst.FunctionDef):
                return node
        return None

    # -- documentation ---------------------------------------------------------------------
    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or cls.message).strip().splitlines()[0]

    @classmethod
    def documentation(cls) -> str:
        """The rule page: docstring sections plus Example / Use instead from the examples."""
        doc = textwrap.dedent("\n".join((cls.__doc__ or "").splitlines()[1:])).strip()
        parts = [f"# {cls.code} {cls.name}", "", cls.summary(), ""]
        if doc:
            parts += [doc, ""]
        invalid = next((e for e in cls.examples if isinstance(e, Invalid)), None)
        if invalid is not None:
            parts += ["## Example", "```python", invalid.code.strip("\n"), "```", ""]
            if invalid.fixed is not None:
                parts += ["## Use instead", "```python", invalid.fixed.strip("\n"), "```", ""]
        if cls.options:
            parts += ["## Options"]
            for key, default in cls.options.items():
                shown = f"project setting `{default.key}`" if isinstance(default, Setting) else repr(default)
                parts.append(f"- `{key}` (default: {shown})")
            parts.append("")
        return "\n".join(parts)


def descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node below ``node`` and ``node`` itself, as ``libcst.matchers.findall`` visits them,
    without importing the matchers (a third of a second in every process that does)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(child_nodes(current)))


def child_nodes(node: cst.CSTNode) -> List[cst.CSTNode]:
    """``node.children``: the same nodes in the same order, read from the node's fields in the
    order LibCST's ``_visit_and_replace_children`` visits them. LibCST's own property rebuilds the
    node to collect them (a walk over every node of the stdlib: 0.46 s of a cold run)."""
    plan = _CHILD_FIELDS.get(type(node))
    if plan is None:
        plan = _CHILD_FIELDS[type(node)] = _child_fields(type(node))
    if plan is False:
        return list(node.children)
    found: List[cst.CSTNode] = []
    kinds = _VALUE_KINDS
    for name in plan:
        value = getattr(node, name)
        kind = kinds.get(type(value))
        if kind is None:
            kind = kinds[type(value)] = _value_kind(type(value))
        if kind == 1:
            found.append(value)
        elif kind == 2:
            for item in value:
                item_kind = kinds.get(type(item))
                if item_kind is None:
                    item_kind = kinds[type(item)] = _value_kind(type(item))
                if item_kind == 1:
                    found.append(item)
    return found


#: Per node class, the fields ``child_nodes`` reads in LibCST's visiting order, or False when they
#: cannot be read (LibCST's own property is used then).
_CHILD_FIELDS: Dict[type, Any] = {}
#: What a field's value is to ``child_nodes``: 0 no node, 1 a node, 2 a sequence that may hold nodes.
_VALUE_KINDS: Dict[type, int] = {type(None): 0, str: 0, bool: 0, tuple: 2, list: 2}


def _value_kind(value_type: type) -> int:
    if issubclass(value_type, cst.CSTNode):
        return 1
    return 2 if issubclass(value_type, (tuple, list)) else 0


def _child_fields(node_type: type) -> Any:
    """The field names LibCST's ``_visit_and_replace_children`` passes to its visit helpers, in
    the order they appear in its code (string constants, also in nested code such as a
    generator), or False when they cannot be read."""
    method = getattr(node_type, "_visit_and_replace_children", None)
    code = getattr(method, "__code__", None)
    if code is None or not dataclasses.is_dataclass(node_type):
        return False
    fields = {f.name for f in dataclasses.fields(node_type)}
    order: List[str] = []

    def read(code: types.CodeType) -> None:
        for constant in code.co_consts:
            if isinstance(constant, str) and constant in fields and constant not in order:
                order.append(constant)
            elif isinstance(constant, types.CodeType):
                read(constant)

    read(code)
    return tuple(order)  # none: a leaf (Name, SimpleWhitespace…), whose fields hold only text


def keyword(call: cst.Call, name: str) -> Optional[cst.Arg]:
    """The argument ``name=`` of ``call``, if given."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def has_star_kwargs(call: cst.Call) -> bool:
    """True when ``call`` passes ``**kwargs`` (any keyword may hide in it)."""
    return any(arg.star == "**" for arg in call.args)


def positional_count(call: cst.Call) -> Optional[int]:
    """Number of positional arguments, or None when ``*args`` makes it unknown."""
    count = 0
    for arg in call.args:
        if arg.star == "*":
            return None
        if arg.keyword is None and arg.star == "":
            count += 1
    return count


def argument(call: cst.Call, name: str, slot: Optional[int] = None) -> Optional[cst.Arg]:
    """The argument ``name`` of ``call``: given by keyword, or positionally at index ``slot``."""
    found = keyword(call, name)
    if found is not None or slot is None:
        return found
    positional = [a for a in call.args if a.keyword is None and a.star == ""]
    return positional[slot] if slot < len(positional) else None


def with_argument(call: cst.Call, name: str, value: Union[str, cst.BaseExpression],
                  slot: Optional[int] = None) -> cst.Call:
    """``call`` with its ``name`` argument set to ``value``: in place when given (by keyword or at
    ``slot``), else appended as ``name=value``."""
    given = argument(call, name, slot)
    if given is not None and given.keyword is None:
        if isinstance(value, str):
            value = cst.parse_expression(value)
        return call.with_deep_changes(given, value=value)
    return with_keyword(call, name, value)


def is_none(expr: Optional[cst.BaseExpression]) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def with_keyword(call: cst.Call, name: str, value: Union[str, cst.BaseExpression]) -> cst.Call:
    """``call`` with ``name=value`` set: replaced if present, else appended in the call's own layout.

    One argument per line: the new one gets a line of its own, indented as the others, and the
    call keeps its trailing comma (or its lack of one); the closing bracket stays where it was.
    Arguments on one line (hugging the brackets or on a line of their own): appended to that line.
    """
    if isinstance(value, str):
        value = cst.parse_expression(value)
    existing = keyword(call, name)
    if existing is not None:
        return call.with_deep_changes(existing, value=value)
    new_arg = cst.Arg(keyword=cst.Name(name), value=value,
                      equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                            whitespace_after=cst.SimpleWhitespace("")))
    return call.with_changes(args=appended(list(call.args), new_arg, call.whitespace_before_args))


def appended(args: list, new_arg: cst.Arg, opening: cst.BaseParenthesizableWhitespace) -> list:
    """``args`` of a call with ``new_arg`` after the last one, in their layout (``opening``: the
    whitespace after the opening bracket)."""
    if not args:
        return [new_arg]
    last = args[-1]
    separator = args[-2].comma.whitespace_after if len(args) > 1 and isinstance(args[-2].comma, cst.Comma) \
        else None
    one_per_line = isinstance(separator, cst.ParenthesizedWhitespace) or (
        separator is None and isinstance(opening, cst.ParenthesizedWhitespace) and isinstance(last.comma, cst.Comma))
    arg_line = separator if isinstance(separator, cst.ParenthesizedWhitespace) else opening
    if isinstance(last.comma, cst.Comma) and isinstance(last.comma.whitespace_after, cst.ParenthesizedWhitespace):
        closing = last.comma.whitespace_after  # a trailing comma, then ")" on a line of its own
        if one_per_line and isinstance(arg_line, cst.ParenthesizedWhitespace):
            last = last.with_changes(comma=last.comma.with_changes(whitespace_after=_next_line(closing, arg_line)))
            new_arg = new_arg.with_changes(comma=cst.Comma(whitespace_after=_fresh_line(closing)))
        else:  # ``f(\n    a, b,\n)``: the trailing comma stays last
            last = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            new_arg = new_arg.with_changes(comma=cst.Comma(whitespace_after=closing))
        return args[:-1] + [last, new_arg]
    if isinstance(last.whitespace_after_arg, cst.ParenthesizedWhitespace):
        closing = last.whitespace_after_arg  # no trailing comma, ")" on a line of its own
        if one_per_line and isinstance(arg_line, cst.ParenthesizedWhitespace):
            comma = cst.Comma(whitespace_after=_next_line(closing, arg_line))
            new_arg = new_arg.with_changes(whitespace_after_arg=_fresh_line(closing))
        else:  # the arguments on one line of their own: the new one joins them there
            comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            new_arg = new_arg.with_changes(whitespace_after_arg=closing)
        last = last.with_changes(comma=comma, whitespace_after_arg=cst.SimpleWhitespace(""))
        return args[:-1] + [last, new_arg]
    # on the line of the closing bracket: on a line of its own before it when the others are one
    # per line, else appended to that line (a trailing comma stays last)
    after = _fresh_line(separator).with_changes(empty_lines=[]) if isinstance(separator, cst.ParenthesizedWhitespace) \
        else cst.SimpleWhitespace(" ")
    new_arg = new_arg.with_changes(comma=last.comma, whitespace_after_arg=last.whitespace_after_arg)
    last = last.with_changes(comma=cst.Comma(whitespace_after=after), whitespace_after_arg=cst.SimpleWhitespace(""))
    return args[:-1] + [last, new_arg]


def _next_line(end_of_line: cst.ParenthesizedWhitespace, like: cst.ParenthesizedWhitespace) -> cst.ParenthesizedWhitespace:
    """The end of a line (with its comment), then the next line indented as ``like``."""
    return end_of_line.with_changes(empty_lines=[], indent=like.indent, last_line=like.last_line)


def _fresh_line(line: cst.ParenthesizedWhitespace) -> cst.ParenthesizedWhitespace:
    """``line`` without the comment at the end of the line it ends (that stays where it was)."""
    return line.with_changes(first_line=cst.TrailingWhitespace())


def without_keyword(call: cst.Call, name: str) -> cst.Call:
    """``call`` without its ``name=`` argument."""
    args: list = []
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            # the argument before takes the removed one's comma, and so its line break if any
            if args:
                args[-1] = args[-1].with_changes(comma=arg.comma)
            continue
        args.append(arg)
    return call.with_changes(args=args)


def dotted(expr: cst.BaseExpression) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if not isinstance(expr, cst.Name):
        return None
    parts.append(expr.value)
    return ".".join(reversed(parts))
