"""The retry rules' quick ``children`` gives exactly LibCST's ``node.children``: the same nodes in the same order.

``svcmod.lint_rules.retries.patterns.children`` reads a node's fields in the order LibCST's
``_visit_and_replace_children`` visits them instead of rebuilding the node as LibCST does. Which
loop a rule reports and which call it fixes follow that order, so every node of the rules' code, the
fixtures and a module of rarer syntax is compared.
"""
from __future__ import annotations

import libcst as cst

from conftest import REPO
from svcmod.lint_rules.retries.patterns import children
from svcmod.rule import descendants

RARE = '''\
from __future__ import annotations
import a.b as c, d
from . import (e as f, g,)
from .h import *
@decorator(1)(2)
async def run(x, /, y: int = 1, *args: str, z, **kw) -> "T":
    global G; nonlocal_ = lambda q=1, *r, s, **t: (q, r)
    async with lock as (l1, l2), other:
        async for i, *rest in aiter():
            await x
    del y[1:2:3], z.attr
    assert x, f"{x!r:>{width}.{precision}} {y=} {{}}"
    x @= y ** -z if not x else ~y
    print(*args, **kw, sep="")
    return [i async for i in g if i for j in i] or {k: v for k, v in d.items()} or {*s} or (yield)
try:
    raise E from None
except* (A, B) as group:
    pass
else:
    ...
finally:
    x = 1j + 0x1F + 1_000.5e-3 + b"a" b"b" + "c" "d"
match command:
    case Point(x=0, y=[1, *others]) | {"k": _, **kw} if (n := len(others)) > 1:
        pass
    case (str() as s) | None:
        pass
while (chunk := read()):
    continue
else:
    break_ = x[...]
class K(Base, metaclass=M):
    a: int = 1
    def m(self): return super().m() \\
        + 1
with (open(p) as f, open(q) as g):
    pass
'''


def modules():
    paths = sorted((REPO / "lint_rules").rglob("*.py")) + sorted((REPO / "fixtures").rglob("*.py"))
    yield "rare syntax", RARE
    for path in paths:
        yield str(path.relative_to(REPO)), path.read_bytes()


def test_children_are_libcsts_children_in_its_order():
    seen = set()
    for name, source in modules():
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError:
            assert name != "rare syntax"  # it must be compared, not skipped
            continue  # a fixture of broken code
        stack = [module]
        while stack:
            node = stack.pop()
            expected = node.children
            got = children(node)
            assert [id(n) for n in got] == [id(n) for n in expected], \
                (name, type(node).__name__, [type(n).__name__ for n in expected], [type(n).__name__ for n in got])
            seen.add(type(node))
            stack.extend(expected)
    assert len(seen) > 110, len(seen)  # most of LibCST's node classes were compared


def test_descendants_are_libcsts_nodes_in_its_order():
    """``svcmod.rule.descendants`` (which rules and the resolver walk) reads fields too: every node,
    in the order ``node.children`` gives them, depth first."""
    module = cst.parse_module(RARE)
    expected, stack = [], [module]
    while stack:
        node = stack.pop()
        expected.append(node)
        stack.extend(reversed(node.children))
    assert [id(n) for n in descendants(module)] == [id(n) for n in expected]
