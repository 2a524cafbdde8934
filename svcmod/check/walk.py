"""One walk of a module that calls every active rule's ``visit_X`` / ``leave_X`` methods.

LibCST's own ``visit`` rebuilds every node on the way back up, even for read-only visitors; this
walk only reads the node fields that can hold statements or expressions, which is several times
faster, and it keeps ``FileContext.scope_stack`` (enclosing functions and classes) for the resolver.

A visit method returning ``False`` prunes the node's children for its own rule only, as it would
in a LibCST visitor of that rule alone: the other rules still see them.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Dict, List, Sequence, Set, Tuple

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


_OUTSIDE_SCOPE = frozenset({"decorators", "bases", "keywords"})
_ENTER_SCOPE = "<enter scope>"

#: What a field value is to the walk: 0 nothing to visit, 1 a node to visit, 2 a sequence of values.
_KINDS: Dict[type, int] = {str: 0, type(None): 0, bool: 0, tuple: 2, list: 2}

#: Nodes that hold no other node worth visiting: skipped outright when no rule visits them.
_LEAVES = (cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis,
           cst.Pass, cst.Break, cst.Continue)


def _kind(value_type: type) -> int:
    # type-keyed and cached: isinstance() against LibCST's abstract base classes goes through
    # ABCMeta.__instancecheck__, which was a third of the walk's time
    kind = _KINDS.get(value_type)
    if kind is None:
        if issubclass(value_type, cst.CSTNode):
            kind = 0 if issubclass(value_type, _SKIPPED_TYPES) else 1
        elif issubclass(value_type, (tuple, list)):
            kind = 2
        else:
            kind = 0
        _KINDS[value_type] = kind
    return kind


def walk(module: cst.Module, rules: Sequence[Rule], file: FileContext) -> None:
    """Visit ``module`` once, calling every rule's methods for each node."""
    by_name = dispatch_table(rules)
    stack = file.scope_stack
    # per node type: (visit methods, leave methods, fields to walk, is a scope)
    plans: Dict[type, Tuple[Tuple[Callable, ...], Tuple[Callable, ...], Tuple[str, ...], bool]] = {}
    kinds = dict(_KINDS)
    for leaf in _LEAVES:
        if not any(klass.__name__ in by_name for klass in leaf.__mro__):
            kinds[leaf] = 0

    def plan_of(node_type: type):
        visits: List[Callable] = []
        leaves: List[Callable] = []
        for klass in node_type.__mro__:
            entry = by_name.get(klass.__name__)
            if entry:
                visits += entry[0]
                leaves += entry[1]
        fields = _fields(node_type)
        is_scope = node_type in _SCOPES
        if is_scope:
            # decorators and base classes are evaluated in the enclosing scope
            outside = tuple(f for f in fields if f in _OUTSIDE_SCOPE)
            fields = outside + (_ENTER_SCOPE,) + tuple(f for f in fields if f not in _OUTSIDE_SCOPE)
        plan = (tuple(visits), tuple(leaves), fields, is_scope)
        plans[node_type] = plan
        return plan

    def kind_of(value_type: type) -> int:
        kind = kinds[value_type] = _kind(value_type)
        return kind

    #: The rules (their ids) whose visit method returned False on a node being walked: the nodes
    #: below it are not theirs to see.
    pruned: Set[int] = set()
    everyone = len(rules)

    def visit(node: cst.CSTNode) -> None:
        node_type = type(node)
        plan = plans.get(node_type) or plan_of(node_type)
        visits, leaves, fields, is_scope = plan
        pruned_here = None
        for fn in visits:
            if pruned and id(fn.__self__) in pruned and (pruned_here is None or id(fn.__self__) not in pruned_here):
                continue  # pruned above this node
            if fn(node) is False:
                owner = id(fn.__self__)
                if owner not in pruned:
                    pruned.add(owner)
                    pruned_here = (pruned_here or []) + [owner]
        descend = len(pruned) < everyone
        if descend:
            for name in fields:
                if name is _ENTER_SCOPE:
                    stack.append(node)
                    continue
                child = getattr(node, name)
                kind = kinds.get(type(child))
                if kind is None:
                    kind = kind_of(type(child))
                if kind == 1:
                    visit(child)
                elif kind == 2:
                    for item in child:
                        item_kind = kinds.get(type(item))
                        if item_kind is None:
                            item_kind = kind_of(type(item))
                        if item_kind == 1:
                            visit(item)
        if is_scope and descend:
            stack.pop()
        if pruned_here is not None:
            pruned.difference_update(pruned_here)
        for fn in leaves:
            if not pruned or id(fn.__self__) not in pruned:
                fn(node)

    visit(module)
