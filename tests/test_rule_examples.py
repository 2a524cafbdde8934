"""Every rule's own examples, run as tests: valid code is not reported, invalid code is, and fixed."""
from __future__ import annotations

import pytest

from svcmod.check.checker import Checker
from svcmod.check.policy import FixPolicy
from svcmod.project.config import Config
from svcmod.registry.rules import builtin_rules
from svcmod.rule import Invalid, Valid

CASES = [
    pytest.param(rule, example, id=f"{rule.code}-{'valid' if isinstance(example, Valid) else 'invalid'}-{index}")
    for rule in builtin_rules()
    for index, example in enumerate(rule.examples)
]


def checker_for(rule, options, fix: bool) -> Checker:
    config = Config(select=(rule.code,), rule_options={rule.code: dict(options)} if options else {})
    return Checker(config, FixPolicy(apply=fix, unsafe=True), only_codes=frozenset({rule.code}))


@pytest.mark.parametrize("rule,example", CASES)
def test_example(rule, example):
    found = checker_for(rule, example.options, fix=False).check("example.py", example.code.encode())
    codes = [f.code for f in found.findings]
    if isinstance(example, Valid):
        assert codes == [], f"{rule.code} reported valid code:\n{example.code}\n{found.findings}"
        return
    assert codes == [rule.code] * example.count, f"{rule.code} missed:\n{example.code}\n{found.findings}"
    fixed = checker_for(rule, example.options, fix=True).check("example.py", example.code.encode())
    if example.fixed is None:
        assert fixed.fixed is None, f"{rule.code} changed report-only code:\n{fixed.fixed!r}"
        assert all(f.fix_applicability is None for f in found.findings)
    else:
        assert fixed.fixed is not None, f"{rule.code} offered no fix for:\n{example.code}\n{fixed.findings}"
        assert fixed.fixed.decode() == example.fixed
        # the fixed code is a fixed point: checking it again finds nothing to fix
        again = checker_for(rule, example.options, fix=True).check("example.py", fixed.fixed)
        assert again.fixed is None


@pytest.mark.parametrize("rule", builtin_rules(), ids=lambda r: r.code)
def test_rule_is_documented(rule):
    assert rule.code and rule.name and rule.message
    doc = rule.documentation()
    assert "## Why is this bad?" in doc, f"{rule.code} docstring lacks a 'Why is this bad?' section"
    assert "## Fix safety" in doc or rule.fix_safety is None
    assert any(isinstance(e, Invalid) for e in rule.examples), f"{rule.code} has no invalid example"
    assert any(isinstance(e, Valid) for e in rule.examples), f"{rule.code} has no valid example"
    assert rule.imports or rule.tokens, f"{rule.code} declares nothing for the prefilter"
