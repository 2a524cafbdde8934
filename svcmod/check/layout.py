"""Black-style layout of the statements a fix rewrote, so a file ``ruff format`` accepted still is."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

#: The line length of a project that does not say (black's and ruff's default).
DEFAULT_LINE_LENGTH = 88
_INDENT = 4
#: The first Python whose parser accepts ``with`` items between parentheses (3.8 rejects them).
PARENTHESISED_WITH = (3, 9)


class Unsupported(Exception):
    """The statement holds something this layout does not know how ruff lays out (a comment, a
    multi-line string, a lambda over several lines…): it is left as the fix wrote it."""


# -- a document of text and possible line breaks (the model ruff's and Prettier's printers use) ---
@dataclass
class _Group:
    """Printed on one line if it fits, else with each of its own line breaks taken."""

    parts: list
    broken: bool = False  # a magic trailing comma inside forces it (and every group around it) open


@dataclass
class _Indent:
    parts: list


@dataclass
class _IfBroken:
    """Text printed only when the enclosing group is broken (the trailing comma)."""

    text: str


@dataclass(frozen=True)
class _Break:
    """A possible line break: ``flat`` when the enclosing group fits on one line."""

    flat: str


@dataclass(frozen=True)
class _Comment:
    """A statement's trailing comment: printed after its last line, counted in the line's width
    unless it is a pragma (``# noqa``, ``# type:``…), which ruff does not count."""

    text: str

    @property
    def width(self) -> int:
        return 0 if _PRAGMA.match(self.text) else len(self.text) + 2


_PRAGMA = re.compile(r"#\s*(noqa|type:|pyright:|pylint:|mypy:)", re.IGNORECASE)
_SOFT = _Break("")
_LINE = _Break(" ")
_Doc = Union[str, list, _Group, _Indent, _IfBroken, _Break, _Comment]


def _broken(doc: _Doc) -> bool:
    if isinstance(doc, _Group):
        return doc.broken
    if isinstance(doc, _Indent):
        return any(_broken(part) for part in doc.parts)
    if isinstance(doc, list):
        return any(_broken(part) for part in doc)
    return False


def _group(parts: list, magic: bool = False) -> _Group:
    return _Group(parts, magic or any(_broken(part) for part in parts))


_FLAT, _BROKEN = 0, 1


def _fits(head: Tuple[int, int, _Doc], rest: List[Tuple[int, int, _Doc]], width: int) -> bool:
    """Whether ``head`` printed flat, and what follows it up to the next line break, fit ``width``."""
    stack = [head]
    rest_index = len(rest)
    while width >= 0:
        if not stack:
            if rest_index == 0:
                return True
            rest_index -= 1
            stack.append(rest[rest_index])
            continue
        indent, mode, doc = stack.pop()
        if isinstance(doc, str):
            width -= len(doc)
        elif isinstance(doc, list):
            stack.extend((indent, mode, part) for part in reversed(doc))
        elif isinstance(doc, _Indent):
            stack.extend((indent, mode, part) for part in reversed(doc.parts))
        elif isinstance(doc, _Group):
            group_mode = _BROKEN if doc.broken else mode
            stack.extend((indent, group_mode, part) for part in reversed(doc.parts))
        elif isinstance(doc, _IfBroken):
            if mode == _BROKEN:
                width -= len(doc.text)
        elif isinstance(doc, _Comment):
            width -= doc.width
        elif isinstance(doc, _Break):
            if mode == _BROKEN:
                return True
            width -= len(doc.flat)
    return False


def render(doc: _Doc, width: int) -> str:
    """``doc`` printed to ``width`` columns, as ruff's printer does: a group goes on one line when
    it and the text after it up to the next line break fit, else its line breaks are taken."""
    out: List[str] = []
    column = 0
    stack: List[Tuple[int, int, _Doc]] = [(0, _BROKEN, doc)]
    while stack:
        indent, mode, part = stack.pop()
        if isinstance(part, str):
            out.append(part)
            column += len(part)
        elif isinstance(part, list):
            stack.extend((indent, mode, p) for p in reversed(part))
        elif isinstance(part, _Indent):
            stack.extend((indent + _INDENT, mode, p) for p in reversed(part.parts))
        elif isinstance(part, _Group):
            if mode == _FLAT:
                chosen = _FLAT
            elif not part.broken and _fits((indent, _FLAT, part.parts), stack, width - column):
                chosen = _FLAT
            else:
                chosen = _BROKEN
            stack.extend((indent, chosen, p) for p in reversed(part.parts))
        elif isinstance(part, _IfBroken):
            if mode == _BROKEN:
                out.append(part.text)
                column += len(part.text)
        elif isinstance(part, _Comment):
            out.append("  " + part.text)
            column += part.width
        elif isinstance(part, _Break):
            if mode == _FLAT:
                out.append(part.flat)
                column += len(part.flat)
            else:
                out.append("\n" + " " * indent)
                column = indent
    return "".join(out)


# -- from LibCST nodes to a document -----------------------------------------------------------
_EMPTY = cst.Module([])


def _code(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node)


def _atom(node: cst.CSTNode) -> str:
    """A node laid out as written: only when it is written on one line without comments."""
    text = _code(node)
    if "\n" in text or "\r" in text or "#" in text and _has_comment(node):
        raise Unsupported(type(node).__name__)
    return text


def _has_comment(node: cst.CSTNode) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Comment):
            return True
        stack.extend(current.children)
    return False


def _no_comments(*nodes: object) -> None:
    for node in nodes:
        if isinstance(node, cst.CSTNode) and _has_comment(node):
            raise Unsupported("comment")


def _brackets(opening: str, elements: Sequence[_Doc], closing: str, magic: bool, collection: bool = False) -> _Doc:
    """``f(a, b)`` as ruff lays out arguments: on one line; else the arguments on a line of their
    own between the brackets; else one per line with a trailing comma. A ``collection`` (a list,
    set or dict display) of several elements that does not fit on one line goes one per line at
    once, as ruff and black explode them."""
    if not elements:
        return opening + closing
    inner: list = []
    for index, element in enumerate(elements):
        if index:
            inner += [",", _LINE]
        inner.append(element)
    if len(elements) > 1 or magic:
        inner.append(_IfBroken(","))
    if collection:
        return _group([opening, _Indent([_SOFT, *inner]), _SOFT, closing], magic)
    return _group([opening, _Indent([_SOFT, _group(inner, magic)]), _SOFT, closing], magic)


def _magic(last_comma: object) -> bool:
    return isinstance(last_comma, cst.Comma)


def expression(node: cst.BaseExpression) -> _Doc:
    """The document of an expression: calls, subscripts and collections may break, the rest is
    kept as written (and must be on one line)."""
    if getattr(node, "lpar", None):
        if isinstance(node, cst.IfExp) and len(node.lpar) == 1:
            return _parenthesized(node)
        return _atom(node)
    if isinstance(node, cst.Call):
        _no_comments(node.whitespace_after_func, node.whitespace_before_args)
        args = [_argument(arg) for arg in node.args]
        _no_comments(*(arg.whitespace_after_arg for arg in node.args), *(arg.comma for arg in node.args))
        return [expression(node.func), _brackets("(", args, ")", bool(node.args) and _magic(node.args[-1].comma))]
    if isinstance(node, cst.Attribute):
        _no_comments(node.dot)
        return [expression(node.value), _atom(node.dot), node.attr.value]
    if isinstance(node, cst.Subscript):
        _no_comments(node.lbracket, node.rbracket, *(element.comma for element in node.slice))
        index = node.slice[0].slice if len(node.slice) == 1 else None
        if not isinstance(index, cst.Index) or index.star is not None or _magic(node.slice[0].comma):
            return _atom(node)
        return [expression(node.value), _brackets("[", [expression(index.value)], "]", False)]
    if isinstance(node, (cst.List, cst.Set)):
        _no_comments(node.lbracket if isinstance(node, cst.List) else node.lbrace,
                     node.rbracket if isinstance(node, cst.List) else node.rbrace)
        opening, closing = ("[", "]") if isinstance(node, cst.List) else ("{", "}")
        if isinstance(node, cst.Set) and not node.elements:
            raise Unsupported("set()")
        _no_comments(*(element.comma for element in node.elements))
        return _brackets(opening, [_element(e) for e in node.elements], closing,
                         bool(node.elements) and _magic(node.elements[-1].comma), collection=True)
    if isinstance(node, (cst.ListComp, cst.SetComp, cst.DictComp)):
        opening, closing = ("[", "]") if isinstance(node, cst.ListComp) else ("{", "}")
        _no_comments(node.lbracket if isinstance(node, cst.ListComp) else node.lbrace,
                     node.rbracket if isinstance(node, cst.ListComp) else node.rbrace)
        if isinstance(node, cst.DictComp):
            _no_comments(node.whitespace_before_colon, node.whitespace_after_colon)
            head: _Doc = [expression(node.key), ": ", expression(node.value)]
        else:
            head = expression(node.elt)
        clauses: list = []
        for_in: Optional[cst.CompFor] = node.for_in
        while for_in is not None:
            _no_comments(for_in)
            inner = for_in.inner_for_in
            clauses += [_LINE, _code(for_in.with_changes(inner_for_in=None, ifs=())).strip()]
            clauses += [item for condition in for_in.ifs for item in (_LINE, _code(condition).strip())]
            for_in = inner
        # one line; else the parts on a line of their own; else each clause on its own line
        return _group([opening, _Indent([_SOFT, _group([head, *clauses])]), _SOFT, closing])
    if isinstance(node, cst.Await):  # ``await f(...)`` breaks in the brackets of what it awaits
        _no_comments(node.whitespace_after_await)
        return ["await ", expression(node.expression)]
    if isinstance(node, cst.Yield) and node.value is not None:  # ``yield f(...)``, ``yield from f(...)``
        _no_comments(node.whitespace_after_yield)
        if isinstance(node.value, cst.From):
            _no_comments(node.value.whitespace_before_from, node.value.whitespace_after_from)
            return ["yield from ", expression(node.value.item)]
        return ["yield ", expression(node.value)]
    if isinstance(node, cst.Dict):
        _no_comments(node.lbrace, node.rbrace, *(element.comma for element in node.elements))
        return _brackets("{", [_dict_element(e) for e in node.elements], "}",
                         bool(node.elements) and _magic(node.elements[-1].comma), collection=True)
    return _atom(node)


def _element(element: cst.BaseElement) -> _Doc:
    if isinstance(element, cst.StarredElement):
        _no_comments(element.whitespace_before_value)
        return ["*", expression(element.value)]
    return expression(element.value)


def _dict_element(element: cst.BaseDictElement) -> _Doc:
    if isinstance(element, cst.StarredDictElement):
        _no_comments(element.whitespace_before_value)
        return ["**", expression(element.value)]
    assert isinstance(element, cst.DictElement)
    _no_comments(element.whitespace_before_colon, element.whitespace_after_colon)
    return [expression(element.key), ": ", expression(element.value)]


def _argument(arg: cst.Arg) -> _Doc:
    _no_comments(arg.whitespace_after_star, arg.equal)
    if arg.keyword is not None:
        return [arg.keyword.value, "=", _bracketed(arg.value)]
    return [arg.star, _bracketed(arg.value)]


def _bracketed(node: cst.BaseExpression) -> _Doc:
    """An expression inside brackets, where a chain of one binary operator may break before each
    operator (``a\n+ b``), and a conditional expression before ``if`` and ``else``, as ruff breaks them."""
    if isinstance(node, cst.IfExp) and not node.lpar:
        return _conditional(node)
    if not isinstance(node, cst.BinaryOperation) or node.lpar:
        return expression(node)
    return _chain(node)


def _parenthesized(node: cst.IfExp) -> _Doc:
    """``(a if c else b)``: on one line; else its inside on a line of its own between the
    parentheses; else broken before ``if`` and ``else`` there, as ruff lays it out."""
    _no_comments(node.lpar[0], node.rpar[0])
    inside = node.with_changes(lpar=(), rpar=())
    return _group(["(", _Indent([_SOFT, _conditional(inside)]), _SOFT, ")"])


def _conditional(node: cst.IfExp) -> _Doc:
    """``a if c else b`` that may break before ``if`` and before ``else`` (each part a chain of
    one binary operator that may break in turn, as ruff breaks ``else a\n& b``)."""
    _no_comments(node.whitespace_before_if, node.whitespace_after_if,
                 node.whitespace_before_else, node.whitespace_after_else)
    return _group([_operand(node.body), _LINE, "if ", _operand(node.test), _LINE, "else ", _operand(node.orelse)])


def _operand(node: cst.BaseExpression) -> _Doc:
    """A part of a conditional expression: a chain of one operator (``a and b``, ``a + b``) or a
    comparison (``a is not None``) may break before each operator, as ruff breaks them there."""
    if node.lpar:
        return expression(node)
    if isinstance(node, cst.IfExp):
        raise Unsupported("a conditional expression inside another")
    if isinstance(node, cst.Comparison):
        parts: list = [expression(node.left)]
        for target in node.comparisons:
            _no_comments(target.operator)
            parts += [_LINE, f"{_atom(target.operator).strip()} ", expression(target.comparator)]
        return _group(parts)
    if isinstance(node, (cst.BinaryOperation, cst.BooleanOperation)) and _mixed(node):
        raise Unsupported("operators of two kinds in a conditional expression")
    return _chain(node)


def _mixed(node: cst.BaseExpression) -> bool:
    """Whether an operator chain has, unparenthesized, operators of another kind (``a and b or c``),
    which ruff breaks at every level at once."""
    kinds = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.BinaryOperation, cst.BooleanOperation)) and (current is node or not current.lpar):
            kinds.add(type(current.operator))
            stack += [current.left, current.right]
    return len(kinds) > 1


def _outermost(node: cst.BaseExpression) -> _Doc:
    """A returned expression: ``a - f(x)`` or ``a or f(x)`` (one operator, a call with arguments
    last) breaks in that call's brackets, as ruff does; any other chain of operators gets
    parentheses when it must break (``return (\n    a\n    or b.c()\n)``), as ruff adds them."""
    if isinstance(node, (cst.BinaryOperation, cst.BooleanOperation)) and not node.lpar:
        if isinstance(node.right, cst.Call) and node.right.args and not node.right.lpar \
                and not isinstance(node.left, (cst.BinaryOperation, cst.BooleanOperation)):
            _no_comments(node.operator)
            return [_atom(node.left), _atom(node.operator), expression(node.right)]
        return _group([_IfBroken("("), _Indent([_SOFT, _chain(node)]), _SOFT, _IfBroken(")")])
    return expression(node)


def _chain(node: cst.BaseExpression) -> _Doc:
    """``a + b + c`` (one operator) that may break before each operator."""
    if not isinstance(node, (cst.BinaryOperation, cst.BooleanOperation)) or node.lpar:
        return expression(node)
    kind, operator = type(node), type(node.operator)
    operands = []
    while isinstance(node, kind) and not node.lpar and type(node.operator) is operator:
        _no_comments(node.operator)
        operands.append((_atom(node.operator).strip(), node.right))
        node = node.left
    parts: list = [expression(node)]
    for symbol, operand in reversed(operands):
        parts += [_LINE, f"{symbol} ", expression(operand)]
    return _group(parts)


def _small_statement(node: cst.BaseSmallStatement) -> _Doc:
    if isinstance(node, cst.Expr):
        return expression(node.value)
    if isinstance(node, cst.Assign):
        parts: list = []
        for target in node.targets:
            _no_comments(target.whitespace_before_equal, target.whitespace_after_equal)
            parts += [expression(target.target), " = "]
        return parts + [expression(node.value)]
    if isinstance(node, cst.AnnAssign) and node.value is not None:
        _no_comments(node.annotation, node.equal)
        return [expression(node.target), ": ", _atom(node.annotation.annotation), " = ", expression(node.value)]
    if isinstance(node, cst.AugAssign):
        _no_comments(node.operator)
        return [expression(node.target), _atom(node.operator), expression(node.value)]
    if isinstance(node, cst.Return) and node.value is not None:
        _no_comments(node.whitespace_after_return)
        return ["return ", _outermost(node.value)]
    if isinstance(node, cst.ImportFrom):
        return _import_from(node)
    if isinstance(node, cst.Import):
        return _atom(node)
    raise Unsupported(type(node).__name__)


def _import_from(node: cst.ImportFrom) -> _Doc:
    _no_comments(node)
    if isinstance(node.names, cst.ImportStar) or node.module is None and not node.relative:
        return _atom(node)
    module = "." * len(node.relative) + (_code(node.module) if node.module is not None else "")
    names = [_code(alias.with_changes(comma=cst.MaybeSentinel.DEFAULT)) for alias in node.names]
    magic = node.lpar is not None and _magic(node.names[-1].comma)
    inner: list = []
    for index, name in enumerate(names):
        if index:
            inner += [",", _LINE]
        inner.append(name)
    # an import that does not fit is one name per line, each with its comma, as black and ruff do
    return [f"from {module} import ",
            _group([_IfBroken("("), _Indent([_SOFT, *inner, _IfBroken(",")]), _SOFT, _IfBroken(")")], magic)]


@dataclass
class Statement:
    """One logical line to lay out: its document, and how the laid-out text becomes a node again."""

    doc: _Doc
    written: str  # the line as it is written now (without indentation, leading lines or newline)
    kind: str
    extra: dict = field(default_factory=dict)


def statement_of(node: cst.CSTNode, target_version: Optional[Tuple[int, int]] = None) -> Statement:
    """The logical line of a simple statement, a decorator or a ``with`` header; ``target_version``
    is the lowest Python the project runs on (None: not known), which must accept the layout."""
    if isinstance(node, cst.SimpleStatementLine):
        if len(node.body) != 1:
            raise Unsupported("several statements on a line")
        written = _code(node.with_changes(leading_lines=())).rstrip("\r\n")
        return Statement([_small_statement(node.body[0]), *_trailing(node.trailing_whitespace)], written, "line")
    if isinstance(node, cst.Decorator):
        _no_comments(node.whitespace_after_at)
        written = _code(node.with_changes(leading_lines=())).rstrip("\r\n")
        return Statement(["@", expression(node.decorator), *_trailing(node.trailing_whitespace)], written, "decorator")
    if isinstance(node, cst.For):
        _no_comments(node.whitespace_after_for, node.whitespace_before_in, node.whitespace_after_in,
                     node.whitespace_before_colon)
        if not isinstance(node.body, cst.IndentedBlock) or node.orelse is not None:
            raise Unsupported("for")
        _no_comments(node.body.header)
        doc = ["async " if node.asynchronous else "", "for ", _atom(node.target), " in ", expression(node.iter), ":"]
        header = node.with_changes(leading_lines=(), body=cst.IndentedBlock(body=[cst.SimpleStatementLine([cst.Pass()])]))
        return Statement(doc, "\n".join(_code(header).split("\n")[:-2]), "for")
    if isinstance(node, cst.With):
        if isinstance(node.lpar, cst.LeftParen):
            raise Unsupported("with items in parentheses")
        _no_comments(node.whitespace_after_with, node.whitespace_before_colon,
                     *(item.asname for item in node.items), *(item.comma for item in node.items))
        if not isinstance(node.body, cst.IndentedBlock):
            raise Unsupported("with on one line")
        _no_comments(node.body.header)
        items = []
        for item in node.items:
            items.append([expression(item.item), *([" as ", _atom(item.asname.name)] if item.asname else [])])
        doc: list = ["async " if node.asynchronous else "", "with "]
        if len(items) == 1:
            doc += items[0]
        elif target_version is None or target_version < PARENTHESISED_WITH:
            # Python 3.8 rejects the parentheses, and a project that does not say may run on it
            raise Unsupported("with several items, for a project that may run on Python 3.8")
        else:
            # several items: one per line between parentheses when they do not fit, as ruff lays
            # them out for Python 3.9 and later
            inner: list = []
            for index, item_doc in enumerate(items):
                inner += [",", _LINE, item_doc] if index else [item_doc]
            doc.append(_group([_IfBroken("("), _Indent([_SOFT, *inner, _IfBroken(",")]), _SOFT, _IfBroken(")")]))
        doc.append(":")
        header = node.with_changes(leading_lines=(), body=cst.IndentedBlock(body=[cst.SimpleStatementLine([cst.Pass()])]))
        written = _code(header).split("\n")
        return Statement(doc, "\n".join(written[:-2]), "with")
    raise Unsupported(type(node).__name__)


def _trailing(whitespace: cst.TrailingWhitespace) -> list:
    """The document of a statement's trailing comment (none: nothing)."""
    return [_Comment(whitespace.comment.value)] if whitespace.comment is not None else []


def laid_out(statement: Statement, width: int) -> Optional[str]:
    """The statement's text at ``width`` columns, or None when a line of it would not fit."""
    text = render(statement.doc, width)
    if any(_width(line) > width for line in text.split("\n")):
        return None
    return text


def _long_lines(text: str, width: int) -> Set[str]:
    """The lines of ``text`` longer than ``width`` columns."""
    return {line for line in text.split("\n") if _width(line) > width}


def _width(line: str) -> int:
    """A line's columns, a trailing pragma comment (``# noqa``) not counted, as ruff counts them."""
    code, hash_, comment = line.partition("  #")
    return len(code) if hash_ and _PRAGMA.match("#" + comment) else len(line)


def rebuild(original: cst.CSTNode, statement: Statement, text: str) -> cst.CSTNode:
    """``original`` written as ``text`` (its leading lines, and a ``with`` body, kept)."""
    if statement.kind == "line":
        assert isinstance(original, cst.SimpleStatementLine)
        parsed = cst.parse_statement(text + "\n")
        assert isinstance(parsed, cst.SimpleStatementLine)
        return original.with_changes(body=parsed.body, trailing_whitespace=parsed.trailing_whitespace)
    if statement.kind == "decorator":
        assert isinstance(original, cst.Decorator)
        parsed = cst.parse_statement(text + "\ndef f():\n    pass\n")
        assert isinstance(parsed, cst.FunctionDef)
        return original.with_changes(decorator=parsed.decorators[0].decorator,
                                     whitespace_after_at=parsed.decorators[0].whitespace_after_at,
                                     trailing_whitespace=parsed.decorators[0].trailing_whitespace)
    if statement.kind == "for":
        assert isinstance(original, cst.For)
        parsed = cst.parse_statement(text + "\n    pass\n")
        assert isinstance(parsed, cst.For)
        return original.with_changes(iter=parsed.iter, whitespace_after_in=parsed.whitespace_after_in,
                                     whitespace_before_colon=parsed.whitespace_before_colon)
    assert isinstance(original, cst.With)
    parsed = cst.parse_statement(text + "\n    pass\n")
    assert isinstance(parsed, cst.With)
    return original.with_changes(items=parsed.items, whitespace_after_with=parsed.whitespace_after_with,
                                 whitespace_before_colon=parsed.whitespace_before_colon,
                                 lpar=parsed.lpar, rpar=parsed.rpar)


class TooLong(Exception):
    """No layout of a fixed statement keeps it within the line limit: the fix is not applied."""


def relaid(original: cst.CSTNode, updated: cst.CSTNode, width: int,
           target_version: Optional[Tuple[int, int]] = None) -> cst.CSTNode:
    """``updated`` (a fix's rewrite of the statement ``original``) in the layout ruff would give it
    when ``original`` was in that layout; else as the fix wrote it, wrapped only if the fix made a
    line longer than ``width`` (the columns left after the statement's indentation). Only syntax
    the project's lowest Python (``target_version``; None: not known, so 3.8 assumed) accepts.
    Raises ``TooLong`` when a line of every layout tried is over ``width`` and wider than the
    widest line over it the original has (none: ``width``)."""
    result = _relaid(original, updated, width, target_version)
    if grew_over(original, result, width):
        raise TooLong()
    return result


def grew_over(original: cst.CSTNode, updated: cst.CSTNode, width: int) -> bool:
    """Whether the logical line of ``updated`` (a compound statement's header, not its body) has a
    line over ``width`` columns that is wider than every line ``original`` has there: a new line
    over the limit, or one already over it that grew."""
    widest_before = max((_width(line) for line in _header(original).split("\n")), default=0)
    return any(_width(line) > max(width, widest_before) for line in _header(updated).split("\n"))


def _header(node: cst.CSTNode) -> str:
    """The lines of a statement's logical line (a compound statement's header, not its body)."""
    block = cst.IndentedBlock(body=[cst.SimpleStatementLine([cst.Pass()])])
    if isinstance(node, cst.Match):  # a single ``case _:`` (two lines) in place of its cases
        only = cst.MatchCase(pattern=cst.MatchAs(), body=block)
        return "\n".join(_code(node.with_changes(leading_lines=(), cases=[only])).split("\n")[:-3])
    if isinstance(node, (cst.With, cst.For, cst.While, cst.If, cst.FunctionDef, cst.ClassDef,
                         cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase)):
        changes: dict = {"leading_lines": (), "body": block}
        if isinstance(node, (cst.For, cst.While, cst.If)):
            changes["orelse"] = None
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            changes["decorators"] = ()
        return "\n".join(_code(node.with_changes(**changes)).split("\n")[:-2])
    return _written(node)


def _relaid(original: cst.CSTNode, updated: cst.CSTNode, width: int,
            target_version: Optional[Tuple[int, int]]) -> cst.CSTNode:
    try:
        new = statement_of(updated, target_version)
        old = statement_of(original, target_version)
    except Exception:  # Unsupported, or a node this module never met: the fix stays as written
        return _own_lines_if_too_long(original, updated, width)
    formatted = laid_out(old, width) == old.written
    long_before = _long_lines(old.written, width)
    # a line over the limit that the original does not have as it is: a new one, or one that grew
    too_long = not _long_lines(new.written, width) <= long_before
    if not formatted and not too_long:
        return updated
    text = laid_out(new, width)
    if text is None and too_long:
        # something that cannot break (a long string) keeps a line over the limit: ruff's layout
        # all the same, if no line of it is wider than the widest the original had
        text = render(new.doc, width)
        if any(_width(line) > max(map(_width, long_before), default=width) for line in text.split("\n")):
            return _own_lines_if_too_long(original, updated, width)
    if text is None and too_long:
        return _own_lines_if_too_long(original, updated, width)
    if text is None or text == new.written:
        return updated
    try:
        return rebuild(updated, new, text)
    except Exception:  # the layout must never be what breaks a fix: keep the fix as written
        return updated


# -- the fallback: what this layout cannot print (a comment inside the brackets, a backslash) ----
_MARK = "__svcmod_inserted__"


def _written(node: cst.CSTNode) -> str:
    return _code(node.with_changes(leading_lines=()) if hasattr(node, "leading_lines") else node)


def _own_lines_if_too_long(original: cst.CSTNode, updated: cst.CSTNode, width: int) -> cst.CSTNode:
    """``updated`` with the keyword arguments the fix appended to a call each on a new line of its
    own after the call's last argument, when the fix as written has a line over ``width`` that
    ``original`` does not: every comment and line of the original stays where it was. Else (no
    such line, or the fix is not an appended argument) ``updated`` as it is."""
    long_before = _long_lines(_written(original), width)
    if _long_lines(_written(updated), width) <= long_before:
        return updated
    try:
        fallback = _inserted_on_own_lines(original, updated)
    except Exception:  # the layout must never be what breaks a fix
        return updated
    return fallback if fallback is not None else updated


class _Calls(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: List[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.found.append(node)


def _calls(node: cst.CSTNode) -> List[cst.Call]:
    visitor = _Calls()
    node.visit(visitor)
    return visitor.found


def _keys(args: Sequence[cst.Arg]) -> Tuple[str, ...]:
    return tuple(arg.keyword.value if arg.keyword is not None else arg.star or "." for arg in args)


def _grown_call(original: cst.CSTNode, updated: cst.CSTNode) -> Optional[Tuple[cst.Call, cst.Call]]:
    """The one call of ``updated`` the fix appended keyword arguments to, and that call in
    ``original`` (None: not exactly one such call)."""
    before: dict = {}
    for call in _calls(original):
        before.setdefault(_code(call.func), []).append(call)
    grown = []
    for call in _calls(updated):
        same = before.get(_code(call.func), [])
        if any(_keys(old.args) == _keys(call.args) for old in same):
            continue
        matches = [old for old in same if 0 < len(old.args) < len(call.args)
                   and _keys(call.args[:len(old.args)]) == _keys(old.args)
                   and all(arg.keyword is not None for arg in call.args[len(old.args):])]
        if matches:
            grown.append((call, max(matches, key=lambda old: len(old.args))))
    return grown[0] if len(grown) == 1 else None


#: Where a new line starts: (columns, whether after the statement's own indentation or from the
#: start of the line, as a line after a backslash is written).
_Start = Tuple[int, bool]


def _with_own_lines(call: cst.Call, old: cst.Call, start: _Start, mark: bool) -> cst.Call:
    """``call`` (``old`` with keyword arguments appended) with each appended argument on a line of
    its own starting at ``start``; the last old argument keeps its comment and the closing bracket
    its line. ``mark``: the first appended keyword is ``_MARK`` (to find its line)."""
    def _new_line(columns: int, end_of_line: Optional[cst.TrailingWhitespace] = None) -> cst.ParenthesizedWhitespace:
        return cst.ParenthesizedWhitespace(first_line=end_of_line or cst.TrailingWhitespace(), empty_lines=[],
                                           indent=start[1], last_line=cst.SimpleWhitespace(" " * start[0]))

    columns = start[0]
    count = len(old.args)
    written = old.args[-1]  # the last argument's comma and what follows it, as the original has them
    comma, after = written.comma, written.whitespace_after_arg
    inserted = [arg.with_changes(comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=cst.SimpleWhitespace(""))
                for arg in call.args[count:]]
    if mark:
        inserted[0] = inserted[0].with_changes(keyword=cst.Name(_MARK))
    last = call.args[count - 1]
    if isinstance(comma, cst.Comma):
        closing = comma.whitespace_after
        if isinstance(closing, cst.ParenthesizedWhitespace):  # ``a,  # c`` then ")" on a line of its own
            last = last.with_changes(comma=comma.with_changes(whitespace_after=_new_line(columns, closing.first_line)),
                                     whitespace_after_arg=after)
            final_comma: object = cst.Comma(whitespace_after=closing.with_changes(first_line=cst.TrailingWhitespace()))
        else:  # ``a,)``: the trailing comma stays last
            last = last.with_changes(comma=comma.with_changes(whitespace_after=_new_line(columns)),
                                     whitespace_after_arg=after)
            final_comma = comma
        final_after: cst.BaseParenthesizableWhitespace = cst.SimpleWhitespace("")
    elif isinstance(after, cst.ParenthesizedWhitespace):  # ``a  # c`` then ")" on a line of its own
        last = last.with_changes(comma=cst.Comma(whitespace_after=_new_line(columns, after.first_line)),
                                 whitespace_after_arg=cst.SimpleWhitespace(""))
        final_comma, final_after = cst.MaybeSentinel.DEFAULT, after.with_changes(first_line=cst.TrailingWhitespace())
    else:  # ``a)``
        last = last.with_changes(comma=cst.Comma(whitespace_after=_new_line(columns)),
                                 whitespace_after_arg=cst.SimpleWhitespace(""))
        final_comma, final_after = cst.MaybeSentinel.DEFAULT, after
    for index in range(len(inserted) - 1):
        inserted[index] = inserted[index].with_changes(comma=cst.Comma(whitespace_after=_new_line(columns)))
    inserted[-1] = inserted[-1].with_changes(comma=final_comma, whitespace_after_arg=final_after)
    return call.with_changes(args=[*call.args[:count - 1], last, *inserted])


def _inserted_on_own_lines(original: cst.CSTNode, updated: cst.CSTNode) -> Optional[cst.CSTNode]:
    """``updated`` with the arguments a fix appended to one call each on a line of their own, indented
    as the line holding the call's last argument (or, when that is the statement's first line, one
    level in from it); None when the fix did not append arguments to one call."""
    found = _grown_call(original, updated)
    if found is None:
        return None
    call, old = found
    marked = updated.deep_replace(call, _with_own_lines(call, old, (0, True), mark=True))
    lines, nested = _written(marked).split("\n"), _nested(marked).split("\n")
    at = next(index for index, line in enumerate(lines) if line.lstrip().startswith(_MARK))
    if at == 1:  # the last argument is on the statement's first line
        start: _Start = (_INDENT, True)
    else:
        columns = _leading(lines[at - 1])
        # a line the statement's indentation moves is written after it; one after a backslash is not
        start = (columns, _leading(nested[at - 1]) == columns + _INDENT)
    return updated.deep_replace(call, _with_own_lines(call, old, start, mark=False))


def _leading(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _nested(node: cst.CSTNode) -> str:
    """The code of ``node`` one level deeper (``_INDENT`` columns) in a block, from its first line."""
    inner = node.with_changes(leading_lines=())
    statement = inner if not isinstance(inner, cst.Decorator) else cst.FunctionDef(
        name=cst.Name("f"), params=cst.Parameters(), body=cst.SimpleStatementSuite([cst.Pass()]), decorators=[inner])
    block = cst.If(test=cst.Name("x"), body=cst.IndentedBlock(body=[statement], indent=" " * _INDENT))
    return cst.Module([block]).code.split("\n", 1)[1]


def relaid_alone(node: cst.CSTNode, width: int, in_layout: bool) -> cst.CSTNode:
    """A new or changed statement whose original is not known (an added or extended import): laid
    out as ruff would when the file's other such statements are (``in_layout``), else only when a
    line of it is longer than ``width``."""
    try:
        statement = statement_of(node)
    except Exception:
        return node
    if not in_layout and all(len(line) <= width for line in statement.written.split("\n")):
        return node
    text = laid_out(statement, width)
    if text is None or text == statement.written:
        return node
    try:
        return rebuild(node, statement, text)
    except Exception:
        return node


def is_laid_out(node: cst.CSTNode, width: int) -> bool:
    """Whether a statement is written as ruff would write it (as far as this module knows)."""
    try:
        statement = statement_of(node)
    except Exception:
        return False
    return laid_out(statement, width) == statement.written
