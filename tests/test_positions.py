"""Positions of reported nodes equal LibCST's PositionProvider, at a fraction of its cost."""
from __future__ import annotations

import random
import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from svcmod.fastpath.positions import positions_of

REPO = Path(__file__).resolve().parent.parent
STDLIB = Path(sysconfig.get_paths()["stdlib"])
SAMPLES = [STDLIB / "asyncio" / "streams.py", STDLIB / "smtplib.py", STDLIB / "json" / "decoder.py"] \
    + sorted((REPO / "fixtures" / "monorepo" / "services").rglob("*.py"))[:6]


class _AllNodes(cst.CSTVisitor):
    def __init__(self):
        self.nodes = []

    def on_visit(self, node):
        self.nodes.append(node)
        return True


def all_nodes(module):
    collector = _AllNodes()
    module.visit(collector)
    return collector.nodes


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_same_positions_as_position_provider(path):
    module = cst.parse_module(path.read_bytes())
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = [n for n in all_nodes(module) if n in expected and not isinstance(n, cst.Module)]
    rng = random.Random(path.name)
    for sample in ([rng.choice(nodes) for _ in range(5)], rng.sample(nodes, min(60, len(nodes))), nodes[:3000]):
        found = positions_of(module, sample)
        assert set(found) == set(sample)
        for node in sample:
            assert found[node] == expected[node], (type(node).__name__, module.code_for_node(node)[:80])


def test_crlf_and_compound_statements():
    source = "import requests\r\nclass A:\r\n    def f(self):\r\n        if x:\r\n            requests.get(u)\r\n"
    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    klass = module.body[1]
    function = klass.body.body[0]
    found = positions_of(module, [klass, function])
    assert found[klass] == expected[klass] and found[function] == expected[function]
    assert found[function].start.line == 3 and found[function].end.line == 5
