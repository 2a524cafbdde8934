"""Line and column of reported nodes: LibCST's PositionProvider, cut to what findings need.

``MetadataWrapper(module).resolve(PositionProvider)`` regenerates the whole module's code with
position tracking and builds a range for every node; on a file with findings that cost as much as
parsing it. Here code generation only counts lines and columns, records ranges for the reported
nodes alone (plus the children a compound statement's range is taken from), hands every other
node a shared do-nothing context, and stops as soon as the last reported node has its range.
The ranges are the same as PositionProvider's (tests compare them node by node).
"""
from __future__ import annotations

from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Optional, Set

import libcst as cst
from libcst._add_slots import add_slots
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodePosition, CodeRange

_NOTHING = nullcontext()


class _Done(Exception):
    """Every wanted node has its range: the rest of the module need not be generated."""


@add_slots
@dataclass(frozen=False)
class _TargetedState(CodegenState):
    wanted: Set[int] = field(default_factory=set)
    remaining: int = 0
    found: Dict[int, CodeRange] = field(default_factory=dict)
    starts: Dict[int, CodePosition] = field(default_factory=dict)
    line: int = 1
    column: int = 0

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            newlines = value.count("\n") + value.count("\r") - value.count("\r\n")
            self.line += newlines
            self.column = len(value) - max(value.rfind("\n"), value.rfind("\r")) - 1
        else:
            self.column += len(value)

    def pop_trailing_newline(self) -> None:
        pass  # only ever at the very end of the module, after every node

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.wanted:
            self.starts[id(node)] = CodePosition(self.line, self.column)

    def after_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.wanted:
            start = self.starts.pop(key, None)
            if start is not None:
                self._record(key, CodeRange(start, CodePosition(self.line, self.column)))

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None,
                                  end_node: Optional[cst.CSTNode] = None) -> Any:
        if id(node) not in self.wanted:
            return _NOTHING
        return self._syntactic(node, start_node, end_node)

    @contextmanager
    def _syntactic(self, node: cst.CSTNode, start_node: Optional[cst.CSTNode],
                   end_node: Optional[cst.CSTNode]):  # type: ignore[no-untyped-def]
        # a compound statement's range starts or ends with a child's: make sure that is recorded
        for hoisted in (start_node, end_node):
            if hoisted is not None and id(hoisted) not in self.wanted:
                self.wanted.add(id(hoisted))
                self.remaining += 1
        start = CodePosition(self.line, self.column)
        yield
        end = CodePosition(self.line, self.column)
        if start_node is not None:
            start = self.found[id(start_node)].start
        if end_node is not None:
            end = self.found[id(end_node)].end
        self._record(id(node), CodeRange(start, end))

    def _record(self, key: int, where: CodeRange) -> None:
        if key in self.found:
            return  # the syntactic range, recorded first, wins over the whitespace-inclusive one
        self.found[key] = where
        self.remaining -= 1
        if self.remaining <= 0:
            raise _Done()


def positions_of(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> Dict[cst.CSTNode, CodeRange]:
    """The syntactic range (as PositionProvider gives it) of each of ``nodes`` found in ``module``."""
    targets = list({id(n): n for n in nodes}.values())
    if not targets:
        return {}
    state = _TargetedState(default_indent=module.default_indent, default_newline=module.default_newline,
                           wanted={id(n) for n in targets}, remaining=len(targets))
    try:
        module._codegen(state)
    except _Done:
        pass
    return {node: state.found[id(node)] for node in targets if id(node) in state.found}
