"""One walk of a module that calls every active rule's ``visit_X`` / ``leave_X`` methods.

LibCST's own ``visit`` rebuilds every node on the way back up, even for read-only visitors; this
walk only reads the node fields that can hold statements or expressions, which is several times
faster, and it keeps ``FileContext.scope_stack`` (enclosing functions and classes) for the resolver.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Dict, List, Sequence, Tuple

import libcst as cst

from svcmod.rule import FileContext, Rule

# Node fields that hold only whitespace, punctuation or operators: never walked.
_SKIPPED_TYPES = (
    cst.BaseParenthesizableWhitespace, cst.Comma, cst.Dot, cst.LeftParen, cst.RightParen,
    cst.LeftSquareBracket, cst.RightSquareBracket, cst.LeftCurlyBrace, cst.RightCurlyBrace,
    cst.Colon, cst.Semicolon, cst.AssignEqual, cst.BaseUnaryOp, cst.BaseBinaryOp,
    cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseAugOp, cst.ImportStar,
    cst.Newline, cst.TrailingWhitespace, cst.EmptyLine, cst.ParenthesizedWhitespace,
)
_SKIPPED_FIELDS = {"lpar", "rpar", "header", "footer", "leading_lines", "lines_after_decorators",
                   "whitespace_before", "whitespace_after", "comma", "semicolon", "equal", "dot",
                   "lbracket", "rbracket", "lbrace", "rbrace", "colon", "operator",
                   "whitespace_before_colon", "whitespace_after_colon", "whitespace_before_args",
                   "whitespace_after_star", "whitespace_after_param", "trailing_whitespace",
                   "whitespace_after_def", "whitespace_after_name", "whitespace_before_params",
                   "whitespace_after_import", "whitespace_after_from", "whitespace_before_import",
                   "whitespace_after_as", "whitespace_before_as", "whitespace_after_in",
                   "whitespace_before_in", "whitespace_after_for", "whitespace_after_if",
                   "whitespace_after_await", "whitespace_after_at", "whitespace_after_lambda",
                   "whitespace_after_class", "whitespace_after_with", "whitespace_after_while",
                   "whitespace_after_return", "whitespace_after_del", "whitespace_after_assert",
                   "whitespace_after_raise", "whitespace_after_global", "whitespace_after_nonlocal",
                   "whitespace_after_except", "whitespace_after_else", "whitespace_after_elif",
                   "whitespace_after_try", "whitespace_after_finally", "whitespace_after_match",
                   "whitespace_after_case", "whitespace_after_yield", "whitespace_after_from",
                   "asynchronous_whitespace", "star"}

_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _fields(node_type: type) -> Tuple[str, ...]:
    names = _FIELDS.get(node_type)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(node_type) if f.name not in _SKIPPED_FIELDS)
        _FIELDS[node_type] = names
    return names


_SCOPES = (cst.FunctionDef, cst.ClassDef)

Dispatch = Dict[type, Tuple[Tuple[Callable, ...], Tuple[Callable, ...]]]


def dispatch_table(rules: Sequence[Rule]) -> Dict[str, Tuple[List[Callable], List[Callable]]]:
    """Per node class name, the rules' visit and leave methods, in rule order."""
    table: Dict[str, Tuple[List[Callable], List[Callable]]] = {}
    for rule in rules:
        for attr in dir(type(rule)):
            if attr.startswith("visit_"):
                table.setdefault(attr[6:], ([], []))[0].append(getattr(rule, attr))
            elif attr.startswith("leave_"):
                table.setdefault(attr[6:], ([], []))[1].append(getattr(rule, attr))
    return table


def walk(module: cst.Module, rules: Sequence[Rule], file: FileContext) -> None:
    """Visit ``module`` once, calling every rule's methods for each node."""
    by_name = dispatch_table(rules)
    resolved: Dispatch = {}
    stack = file.scope_stack
    empty: Tuple[Tuple[Callable, ...], Tuple[Callable, ...]] = ((), ())

    def handlers(node_type: type):
        found = resolved.get(node_type)
        if found is None:
            visits: List[Callable] = []
            leaves: List[Callable] = []
            for klass in node_type.__mro__:
                entry = by_name.get(klass.__name__)
                if entry:
                    visits += entry[0]
                    leaves += entry[1]
            found = (tuple(visits), tuple(leaves)) if visits or leaves else empty
            resolved[node_type] = found
        return found

    def visit(node: cst.CSTNode) -> None:
        node_type = type(node)
        visits, leaves = handlers(node_type)
        descend = True
        for fn in visits:
            if fn(node) is False:
                descend = False
        is_scope = node_type in _SCOPES
        if is_scope:
            stack.append(node)
        if descend:
            for name in _fields(node_type):
                child = getattr(node, name)
                if isinstance(child, cst.CSTNode):
                    if not isinstance(child, _SKIPPED_TYPES):
                        visit(child)
                elif isinstance(child, (tuple, list)):
                    for item in child:
                        if isinstance(item, cst.CSTNode) and not isinstance(item, _SKIPPED_TYPES):
                            visit(item)
        if is_scope:
            stack.pop()
        for fn in leaves:
            fn(node)

    visit(module)
