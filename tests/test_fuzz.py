"""Fuzzing: generated Python through every rule and fix never raises, and every fix verifies.

hypothesmith writes syntactically odd but valid modules (``from_grammar``: from CPython's grammar;
``from_node``: from LibCST's node types). Every rule runs on them with unsafe fixes on and with its
prefilter bypassed (generated code rarely imports ``requests``, so rules would otherwise never run).
A third strategy splices rules' own invalid examples into generated code, so fixes happen amid it.

The property: checking raises nothing; no fix is refused by verification (SVC902 would mean a rule
produced broken code); a fixed module parses, compiles when the original did, and is a fixed point.

Fast profile by default (a few dozen examples per strategy). Long profile:
``pytest tests/test_fuzz.py --fuzz-examples 4000`` (or ``SVCMOD_FUZZ_EXAMPLES=4000``).
"""
from __future__ import annotations

import ast
import os
import warnings
from typing import Tuple, Type

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from svcmod.check.checker import Checker
from svcmod.check.policy import FixPolicy
from svcmod.project.config import Config
from svcmod.registry.rules import builtin_rules
from svcmod.rule import Invalid, Rule

FAST_EXAMPLES = 40


def examples_per_test(config) -> int:
    chosen = config.getoption("--fuzz-examples") or os.environ.get("SVCMOD_FUZZ_EXAMPLES")
    return int(chosen) if chosen else FAST_EXAMPLES


def always_wanted(rule: Type[Rule]) -> Type[Rule]:
    """``rule`` with its prefilter bypassed: it runs on every file that parses."""
    return type(rule.__name__, (rule,), {"wants": classmethod(lambda cls, source, imported: True)})


def every_rule_checker() -> Checker:
    checker = Checker(Config(), FixPolicy(apply=True, unsafe=True))
    assert len(checker.rule_classes) == len(builtin_rules())
    checker.rule_classes = tuple(always_wanted(r) for r in checker.rule_classes)
    return checker


CHECKER = every_rule_checker()
INVALID_EXAMPLES = sorted({example.code for rule in builtin_rules() for example in rule.examples
                           if isinstance(example, Invalid)})


def compiles(source: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning on generated code is noise here
            compile(source, "<fuzz>", "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


#: Examples checked in this process, by test (written to $SVCMOD_FUZZ_LOG to count long runs).
CHECKED = {"count": 0}


def check_property(code: str) -> None:
    CHECKED["count"] += 1
    source = code.encode("utf-8", "surrogatepass")
    result = CHECKER.check("fuzz.py", source)
    refused = [f.message for f in result.findings if f.code == "SVC902"]
    assert not refused, f"a fix failed verification: {refused}\n--- source ---\n{code}"
    if result.fixed is None:
        return
    fixed = result.fixed
    cst.parse_module(fixed)  # parses
    if compiles(source):
        assert compiles(fixed), f"fixed code does not compile\n--- source ---\n{code}\n--- fixed ---\n{fixed.decode()}"
    again = CHECKER.check("fuzz.py", fixed)
    assert again.fixed is None, (f"not a fixed point\n--- fixed ---\n{fixed.decode()}\n"
                                 f"--- fixed again ---\n{again.fixed.decode()}")


@pytest.fixture(autouse=True)
def count_examples(request):
    CHECKED["count"] = 0
    yield
    log = os.environ.get("SVCMOD_FUZZ_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{request.node.name} {CHECKED['count']}\n")


def fuzz_settings(request):
    # the fast profile runs in CI: the same examples every run, so a red CI names a change, not luck
    # (a bug found by a random run becomes a deterministic test, as the one below); long runs roam
    examples = examples_per_test(request.config)
    return settings(max_examples=examples, deadline=None, database=None, derandomize=examples == FAST_EXAMPLES,
                    suppress_health_check=list(HealthCheck), print_blob=True)


def spliced() -> st.SearchStrategy[str]:
    """A rule's invalid example before, inside or after generated code."""
    def splice(parts: Tuple[str, str, int]) -> str:
        generated, example, where = parts
        if where == 0:
            return example + "\n" + generated
        if where == 1:
            return generated.rstrip("\n") + "\n" + example
        # inside a function defined by the generated module's end: fixes meet nested scopes
        body = "".join("    " + line + "\n" if line.strip() else "\n" for line in example.splitlines())
        return generated.rstrip("\n") + "\n\nasync def fuzzed():\n" + body
    return st.tuples(hypothesmith.from_grammar(), st.sampled_from(INVALID_EXAMPLES),
                     st.integers(0, 2)).map(splice)


def test_rules_and_fixes_on_grammar_generated_modules(request):
    settings_ = fuzz_settings(request)
    settings_(given(hypothesmith.from_grammar())(check_property))()


def test_rules_and_fixes_on_node_generated_modules(request):
    settings_ = fuzz_settings(request)
    settings_(given(hypothesmith.from_node())(check_property))()


def test_rules_and_fixes_on_examples_spliced_into_generated_modules(request):
    settings_ = fuzz_settings(request)
    settings_(given(spliced())(check_property))()


@pytest.mark.parametrize("example", INVALID_EXAMPLES)
def test_every_invalid_example_checked_and_fixed_inside_a_function(example):
    """Each example as the body of a function: fixes meet a nested scope and local imports (a random
    CI run found ``import flask`` left unused by SVC313's fix of ``flask.escape`` in a function)."""
    body = "".join("    " + line + "\n" if line.strip() else "\n" for line in example.splitlines())
    check_property("async def fuzzed():\n" + body)


def test_the_spliced_examples_really_get_fixed():
    """Guard for the strategy above: the examples it splices in do carry fixes."""
    fixed = [code for code in INVALID_EXAMPLES if CHECKER.check("x.py", code.encode()).fixed is not None]
    assert len(fixed) >= 20


def lint_only_checker(excerpts: bool = True) -> Checker:
    checker = Checker(Config(), excerpts=excerpts)
    checker.rule_classes = tuple(always_wanted(r) for r in checker.rule_classes)
    return checker


LINT = lint_only_checker()
WHOLE = lint_only_checker(excerpts=False)  # the reference: LibCST parses every file whole


def findings_of(source: bytes, excerpts_on: bool) -> list:
    from svcmod.fastpath import excerpt as excerpts
    saved = excerpts.MIN_LINES
    excerpts.MIN_LINES = 0
    try:
        result = (LINT if excerpts_on else WHOLE).check("fuzz.py", source)
    finally:
        excerpts.MIN_LINES = saved
    return sorted((f.code, f.line, f.column, f.end_line, f.end_column, f.message, f.fix_applicability,
                   f.fix_message) for f in result.findings)


def check_excerpt_property(code: str) -> None:
    """Through an excerpt or whole, a file gives the same findings; but LibCST's parse errors on
    code Python accepts ((x): int) go with that code when the excerpt leaves it out."""
    CHECKED["count"] += 1
    source = code.encode("utf-8", "surrogatepass")
    cut, whole = findings_of(source, True), findings_of(source, False)
    if cut != whole:
        assert [f for f in whole if f[0] != "SVC901"] == cut and compiles(source), \
            f"excerpt changed the findings\n--- source ---\n{code}\n--- excerpt ---\n{cut}\n--- whole ---\n{whole}"


def test_excerpts_give_the_whole_file_s_findings_on_spliced_modules(request):
    settings_ = fuzz_settings(request)
    settings_(given(spliced())(check_excerpt_property))()


def test_excerpts_give_the_whole_file_s_findings_on_generated_modules(request):
    settings_ = fuzz_settings(request)
    settings_(given(hypothesmith.from_grammar())(check_excerpt_property))()


def check_outline_property(code: str) -> None:
    """Functions hidden by their text and then all revealed give Python's own tree of the file,
    positions included; a file Python refuses has no tree."""
    from svcmod.fastpath.excerpt import _parse
    from svcmod.fastpath.outline import Outline
    CHECKED["count"] += 1
    source = code.encode("utf-8", "surrogatepass")
    outline = Outline(source, source.split(b"\n"), _parse)
    if outline.tree is not None:
        outline.reveal(list(outline.hidden))
    expected = _parse(source)
    if expected is None:
        assert outline.tree is None
    else:
        assert outline.tree is not None and ast.dump(outline.tree, include_attributes=True) == \
            ast.dump(expected, include_attributes=True), f"a different tree\n--- source ---\n{code}"


@pytest.mark.parametrize("modules", [hypothesmith.from_grammar, hypothesmith.from_node], ids=["grammar", "node"])
def test_revealed_outlines_are_python_s_tree_on_generated_modules(modules, request):
    fuzz_settings(request)(given(modules())(check_outline_property))()
