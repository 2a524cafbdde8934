"""Recognising code that waits without a timeout because its caller asked for exactly that.

Library code that takes a ``timeout`` argument often passes the caller's ``None`` through by hand::

    if timeout is None:
        self.not_empty.wait()          # the caller asked to block
    else:
        self.not_empty.wait(timeout)

    if timeout is not None:
        return socket.create_connection(address, timeout)
    return socket.create_connection(address)

A call without a timeout in such a branch is not a missing deadline; deadline rules that mix in
``CallerChoseNoTimeout`` skip it by checking ``self.caller_chose_no_timeout``.
"""
from __future__ import annotations

from typing import Sequence, Set

import libcst as cst


def _tests_timeout_none(test: cst.BaseExpression) -> str:
    """"is" for ``<...timeout...> is None`` (or a deadline / ``until``), "is not" for ``is not None``."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return ""
    target = test.comparisons[0]
    left = test.left
    name = left.attr.value if isinstance(left, cst.Attribute) else left.value if isinstance(left, cst.Name) else ""
    if not any(word in name.lower() for word in ("timeout", "deadline", "until")) or not (isinstance(target.comparator, cst.Name)
                                              and target.comparator.value == "None"):
        return ""
    if isinstance(target.operator, cst.Is):
        return "is"
    if isinstance(target.operator, cst.IsNot):
        return "is not"
    return ""


def _leaves(body: cst.BaseSuite) -> bool:
    """True when a block always ends by returning or raising."""
    statements = getattr(body, "body", ())
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return any(isinstance(small, (cst.Return, cst.Raise)) for small in last.body)
    return False


class CallerChoseNoTimeout:
    """Mixin for rules: tracks whether the node being visited is in a "timeout is None" branch."""

    def reset_caller_choice(self) -> None:
        self._chosen: Set[int] = set()
        self._depth = 0

    @property
    def caller_chose_no_timeout(self) -> bool:
        return self._depth > 0

    def visit_If(self, node: cst.If) -> None:
        test = _tests_timeout_none(node.test)
        if test == "is":
            self._mark(getattr(node.body, "body", ()))
        elif test == "is not" and isinstance(node.orelse, cst.Else):
            self._mark(getattr(node.orelse.body, "body", ()))
        elif test == "is not" and isinstance(node.orelse, cst.If):
            self._mark([node.orelse])

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._after_early_exit(node.body)

    def visit_Module(self, node: cst.Module) -> None:
        self._after_early_exit(node.body)

    def _after_early_exit(self, body: Sequence[cst.BaseStatement]) -> None:
        # `if timeout is not None: return ...` — what follows is the no-timeout branch
        for index, statement in enumerate(body):
            if (isinstance(statement, cst.If) and statement.orelse is None
                    and _tests_timeout_none(statement.test) == "is not" and _leaves(statement.body)):
                self._mark(body[index + 1:])
                return

    def _mark(self, statements: Sequence[cst.CSTNode]) -> None:
        self._chosen.update(id(statement) for statement in statements)

    def visit_BaseStatement(self, node: cst.BaseStatement) -> None:
        if id(node) in self._chosen:
            self._depth += 1

    def leave_BaseStatement(self, node: cst.BaseStatement) -> None:
        if id(node) in self._chosen:
            self._depth -= 1
