"""Line and column of reported nodes: LibCST's PositionProvider, cut to what findings need.

``MetadataWrapper(module).resolve(PositionProvider)`` regenerates the whole module's code with
position tracking, creating a range for every node; on files with findings that was 15 % of a
cold run. Here the same codegen state (so the same positions, syntactic ranges included) is run
with a cheaper line/column update, and stops as soon as every reported node has its range.
"""
from __future__ import annotations

from typing import Dict, Iterable

import libcst as cst
from libcst.metadata import CodeRange
from libcst.metadata.position_provider import PositionProvidingCodegenState


class _Done(Exception):
    """Every wanted node has its range: the rest of the module need not be generated."""


class _Ranges:
    """Stands in for the provider the codegen state writes its ranges into."""

    __slots__ = ("_computed",)

    def __init__(self) -> None:
        self._computed: Dict[cst.CSTNode, CodeRange] = {}


class _State(PositionProvidingCodegenState):
    __slots__ = ("wanted", "done")

    def _update_position(self, value: str) -> None:
        # most tokens hold no newline: skip the regex split LibCST does for every token
        if "\n" in value or "\r" in value:
            super()._update_position(value)
        else:
            self.column += len(value)

    def after_codegen(self, node: cst.CSTNode) -> None:
        super().after_codegen(node)
        if node in self.wanted:
            self.wanted.discard(node)  # a node object used twice counts once (its first range wins)
            if not self.wanted:
                self.done = True
                raise _Done


def positions_of(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> Dict[cst.CSTNode, CodeRange]:
    """The syntactic range (as PositionProvider gives it) of each of ``nodes`` found in ``module``."""
    wanted = set(nodes)
    ranges = _Ranges()
    state = _State(default_indent=module.default_indent, default_newline=module.default_newline,
                   provider=ranges)  # type: ignore[arg-type]
    state.wanted = set(wanted)
    state.done = False
    if wanted:
        try:
            module._codegen(state)
        except _Done:
            pass
        except KeyError:
            # unwinding after _Done, an enclosing node may look up a child range never made
            if not state.done:
                raise
    return {node: ranges._computed[node] for node in wanted if node in ranges._computed}
