"""Sketches: LibCST node classes built from Python's own parse, on which the rules screen which
parts of a long file LibCST must read. A sketch must let the rules find everything they find on
LibCST's tree; the findings themselves always come from LibCST."""
from __future__ import annotations

import ast
import collections
import dataclasses
import textwrap

import libcst as cst
import pytest
from test_excerpt import DECOYS, findings

from svcmod.check.checker import Checker, Screening
from svcmod.check.names import imported_modules
from svcmod.fastpath import excerpt as excerpts
from svcmod.fastpath.sketch import Sketcher, Unsketchable
from svcmod.lint_rules.deadlines.requests_without_timeout import RequestsWithoutTimeout
from svcmod.project.config import Config
from svcmod.registry.rules import builtin_rules


def sketch(source: str) -> cst.Module:
    data = source.encode()
    return Sketcher(data.split(b"\n"), {}, set()).module(ast.parse(data))


def reports(checker: Checker, module: cst.Module, rules) -> collections.Counter:
    return collections.Counter((r.code, r.message) for r in checker.lint_tree(module, "example.py", rules))


EXAMPLES = [(rule, example) for rule in builtin_rules() for example in rule.examples]


@pytest.mark.parametrize("rule,example", EXAMPLES,
                         ids=[f"{rule.code}-{index}" for index, (rule, _) in enumerate(EXAMPLES)])
def test_rules_report_on_a_sketch_what_they_report_on_libcst_s_tree(rule, example):
    checker = Checker(Config(select=(rule.code,), rule_options={rule.code: dict(example.options)}))
    active = list(checker.rules.values())
    try:
        sketched = sketch(example.code)
    except Unsketchable:
        pytest.skip("syntax the sketch leaves to LibCST")
    assert reports(checker, sketched, active) == reports(checker, cst.parse_module(example.code), active)


def test_literals_keep_their_text():
    module = sketch('x = 0x1F\ny = 1_000.5\nz = rb"raw"\nw = "a" \'b\'\nv = f"dsn?connect_timeout={t}"\n')
    values = [statement.body[0].value for statement in module.body]
    assert values[0].value == "0x1F"
    assert values[1].value == "1_000.5"
    assert values[2].value == 'rb"raw"'
    assert isinstance(values[3], cst.ConcatenatedString)
    assert (values[3].left.value, values[3].right.value) == ('"a"', "'b'")
    text = cst.Module([]).code_for_node(values[4])
    assert "connect_timeout=" in text and isinstance(values[4].parts[-1].expression, cst.Name)


def test_elif_and_else_if_are_told_apart():
    chained = sketch("if a:\n    pass\nelif b:\n    pass\n").body[0]
    nested = sketch("if a:\n    pass\nelse:\n    if b:\n        pass\n").body[0]
    assert isinstance(chained.orelse, cst.If)
    assert isinstance(nested.orelse, cst.Else)


def test_arguments_stay_in_the_order_written():
    call = sketch("f(a, x=1, *rest, **more)\n").body[0].body[0].value
    assert [(arg.keyword.value if arg.keyword else None, arg.star) for arg in call.args] == \
        [(None, ""), ("x", ""), (None, "*"), (None, "**")]


def test_names_are_kept_as_written_not_as_python_normalises_them():
    module = sketch("ﬁle = obj.ﬁeld\nx.naïve(a, ﬁ=2)\ndef ﬁx(ﬂ): pass\nclass ﬁxture: pass\n")
    assign, call = module.body[0].body[0], module.body[1].body[0].value
    assert [assign.targets[0].target.value, assign.value.attr.value, call.func.attr.value,
            call.args[1].keyword.value, module.body[2].name.value, module.body[2].params.params[0].name.value,
            module.body[3].name.value] == ["ﬁle", "ﬁeld", "naïve", "ﬁ", "ﬁx", "ﬂ", "ﬁxture"]


@pytest.mark.parametrize("source", [
    "match x:\n    case 1:\n        pass\n",
    "try:\n    pass\nexcept* ValueError:\n    pass\n",
    "import ﬁle\n",
])
def test_syntax_the_sketch_does_not_build_is_refused(source):
    with pytest.raises(Unsketchable):
        sketch(source)


CANDIDATES = textwrap.dedent('''
    import requests


    def careful(url, cache):
        return cache.get(requests.utils.quote(url))


    def careless(url):
        return requests.get(url)
''')


def test_only_the_parts_where_rules_report_something_are_parsed(monkeypatch):
    source = CANDIDATES + DECOYS
    monkeypatch.setattr(excerpts, "MIN_LINES", 0)
    checker = Checker(Config(select=("SVC101",)))
    active = list(checker.rules.values())
    data = source.encode()
    imported = imported_modules(data)
    by_text = excerpts.excerpt(data, [type(r) for r in active], imported)
    screened = excerpts.excerpt(data, [type(r) for r in active], imported, checker.screen("x.py", active))
    careful = source.splitlines().index("    return cache.get(requests.utils.quote(url))") + 1
    careless = source.splitlines().index("    return requests.get(url)") + 1
    assert careful in by_text.lines and careless in by_text.lines
    assert careful not in screened.lines and careless in screened.lines
    found, _ = findings(source, monkeypatch, excerpt=True, select=("SVC101",))
    assert found == findings(source, monkeypatch, excerpt=False, select=("SVC101",))[0]
    assert [line for _, line, *rest in found] == [careless]


def test_a_file_whose_candidates_hold_no_finding_is_not_parsed(monkeypatch):
    source = CANDIDATES.replace("requests.get(url)", "requests.utils.quote(url)") + DECOYS
    found, result = findings(source, monkeypatch, excerpt=True, select=("SVC101",))
    assert found == [] and not result.parsed
    assert not findings(source, monkeypatch, excerpt=False, select=("SVC101",))[1].findings


def test_a_file_the_sketch_cannot_build_is_screened_by_its_text(monkeypatch):
    source = CANDIDATES + DECOYS + "\n\ndef dispatch(x):\n    match x:\n        case 1:\n            return requests.get(x)\n"
    found, result = findings(source, monkeypatch, excerpt=True, select=("SVC101",))
    assert result.parsed and len(found) == 2
    assert found == findings(source, monkeypatch, excerpt=False, select=("SVC101",))[0]


def test_a_rule_failing_on_a_sketch_leaves_the_screening_to_the_text(monkeypatch):
    def failing(self, sketch, sketcher):
        raise AttributeError("a rule read something a sketch does not have")

    monkeypatch.setattr(Screening, "__call__", failing)
    source = CANDIDATES + DECOYS
    found, result = findings(source, monkeypatch, excerpt=True, select=("SVC101",))
    assert result.parsed and len(found) == 1
    assert found == findings(source, monkeypatch, excerpt=False, select=("SVC101",))[0]


@pytest.mark.parametrize("select,source", [
    pytest.param(("SVC101",), "import requests\n\ndef careful(url, cache):\n    return cache.get(requests.utils.quote(url))\n",
                 id="short"),
    pytest.param(("SVC208",), "from tenacity import retry, stop_after_attempt\n\n"
                 "@retry(stop=stop_after_attempt(3))\ndef fetch():\n    return call()\n", id="rule-not-local"),
])
def test_a_file_screened_whole_and_found_clean_is_not_parsed(select, source, monkeypatch):
    monkeypatch.setattr(excerpts, "MIN_LINES", 150)
    checker = Checker(Config(select=select))
    result = checker.check("x.py", source.encode())
    assert result.findings == [] and not result.parsed
    assert Checker(Config(select=select), excerpts=False).check("x.py", source.encode()).parsed


@pytest.mark.parametrize("select,source", [
    pytest.param(("SVC101",), "import requests\n\ndef careless(url):\n    return requests.get(url)\n", id="short"),
    pytest.param(("SVC208",), "from tenacity import retry\n\n@retry\ndef inner():\n    return call()\n\n"
                 "@retry\ndef outer():\n    return inner()\n", id="rule-not-local"),
])
def test_a_file_screened_whole_with_findings_is_parsed_whole(select, source, monkeypatch):
    monkeypatch.setattr(excerpts, "MIN_LINES", 150)
    found = Checker(Config(select=select)).check("x.py", source.encode())
    whole = Checker(Config(select=select), excerpts=False).check("x.py", source.encode())
    assert found.parsed and found.findings and found.findings == whole.findings


def libcst_parses(monkeypatch) -> list:
    """Record every file LibCST parses in the checker from now on."""
    import svcmod.check.checker as checker_module
    parsed: list = []
    real = checker_module.cst.parse_module

    def spy(source, *args, **kwargs):
        parsed.append(source)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(checker_module.cst, "parse_module", spy)
    return parsed


@pytest.mark.parametrize("line", [
    "    return fetch(url)",
    "    label = 'café'; return fetch(url)",  # columns count characters, Python's count bytes
    "    return (fetch(url))",  # brackets around the call are not part of it
    "    return fetch(url, 'naïve')",  # and so do the ends
    "    return fetch(\n        url,\n        'naïve',\n    )",
])
def test_findings_found_on_a_sketch_are_placed_without_libcst(line, monkeypatch):
    source = "from requests import get as fetch\n\n\ndef careless(url):\n" + line + "\n" + DECOYS
    parsed = libcst_parses(monkeypatch)
    found, result = findings(source, monkeypatch, excerpt=True, select=("SVC101",))
    assert parsed == [] and result.parsed
    assert found == findings(source, monkeypatch, excerpt=False, select=("SVC101",))[0]
    assert [(code, line_number) for code, line_number, *rest in found] == [("SVC101", 5)]


def test_a_name_python_may_have_normalised_is_left_to_libcst(monkeypatch):
    source = "import requests as rq  # café\n\n\ndef careless(url):\n    return rq.get(url)\n" + DECOYS
    parsed = libcst_parses(monkeypatch)
    found, _ = findings(source, monkeypatch, excerpt=True, select=("SVC101",))
    assert parsed and found == findings(source, monkeypatch, excerpt=False, select=("SVC101",))[0]


def test_a_file_with_a_byte_order_mark_is_placed_by_libcst(monkeypatch):
    source = "\ufeffimport requests\n\n\ndef careless(url):\n    return requests.get(url)\n" + DECOYS
    parsed = libcst_parses(monkeypatch)
    found, _ = findings(source, monkeypatch, excerpt=True, select=("SVC101",))
    assert parsed and found == findings(source, monkeypatch, excerpt=False, select=("SVC101",))[0]


def test_fixes_are_still_made_by_libcst_on_the_whole_file(monkeypatch):
    source = "import requests\n\n\ndef careless(url):\n    return requests.get(url)\n" + DECOYS
    parsed = libcst_parses(monkeypatch)
    _, result = findings(source, monkeypatch, excerpt=True, select=("SVC101",), fix=True)
    assert source.encode() in parsed
    assert b"requests.get(url, timeout=10)" in result.fixed


def test_a_rule_that_may_read_layout_is_never_run_on_a_sketch(monkeypatch):
    class ReadsComments(RequestsWithoutTimeout):
        fast_path = dataclasses.replace(RequestsWithoutTimeout.fast_path, sketch=False)  # a rule pack's default

    source = "import requests\n\n\ndef careless(url):\n    return requests.get(url)\n" + DECOYS
    monkeypatch.setattr(excerpts, "MIN_LINES", 0)
    checker = Checker(Config(select=("SVC101",)))
    checker.rule_classes = (ReadsComments,)
    checker.rules = {"SVC101": ReadsComments()}
    monkeypatch.setattr(Screening, "__call__", lambda *args: pytest.fail("a sketch was screened"))
    parsed = libcst_parses(monkeypatch)
    found = checker.check("x.py", source.encode()).findings
    assert parsed and [(f.code, f.line) for f in found] == [("SVC101", 5)]
