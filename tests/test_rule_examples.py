"""Every rule's own examples, run as tests: valid code is not reported, invalid code is, and fixed."""
from __future__ import annotations

import pytest

from svcmod.check.checker import Checker
from svcmod.check.policy import FixPolicy
from svcmod.project.config import Config
from svcmod.migrate.migration import builtin
from svcmod.registry.rules import builtin_rules
from svcmod.rule import FixStep, FollowUp, Invalid, Rule, Valid

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
    assert rule.fast_path.declares_something, f"{rule.code} declares nothing for the prefilter"


#: What rules said before the one ``FastPath`` spec; a rule still setting one would be ignored.
RETIRED_ATTRIBUTES = ("tokens", "imports", "part_tokens", "via_imports", "calls", "context_tokens", "local",
                      "sketchable", "wants_part", "report_only")


@pytest.mark.parametrize("rule", builtin_rules(), ids=lambda r: r.code)
def test_rule_declares_its_fast_path_in_one_spec(rule):
    for klass in rule.__mro__:
        if klass is Rule or klass is object:
            continue
        stale = [name for name in RETIRED_ATTRIBUTES + ("wants",) if name in vars(klass)]
        assert not stale, (f"{rule.code}: {klass.__name__} sets {', '.join(stale)}: declare them in "
                           f"fast_path = FastPath(...) (see svcmod/rule.py)")


@pytest.mark.parametrize("rule", builtin_rules(), ids=lambda r: r.code)
def test_rule_is_placed_in_the_v2_migration(rule):
    roles = rule.in_migrations
    assert roles is not None, (f"{rule.code} does not say where it stands in the v2 migration: set "
                               f"in_migrations = (FixStep(\"v2\", <step>),), (FollowUp(\"v2\"),) or NOT_IN_MIGRATIONS")
    assert all(isinstance(role, (FixStep, FollowUp)) for role in roles)
    v2 = next(m for m in builtin() if m.name == "v2")
    fixed = {code for step in v2.steps for code in step.codes}
    for role in roles:
        if isinstance(role, FixStep):
            assert rule.fix_safety is not None, f"{rule.code} only reports: it can be a follow-up, not a fix step"
            assert rule.code in fixed
        elif role.migration == "v2":
            assert rule.code in v2.follow_ups
