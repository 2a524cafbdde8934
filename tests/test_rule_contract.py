"""The rule contract as a rule pack's author meets it: a rule that declares nothing sees every file
whole, pruning a subtree hides it from that rule only, and a rule places itself in migrations."""
from __future__ import annotations

import libcst as cst
import pytest

from svcmod.check.checker import Checker
from svcmod.fastpath import excerpt as excerpts
from svcmod.migrate.migration import V2, BuiltinMigration
from svcmod.project.config import Config, ConfigError
from svcmod.rule import FastPath, FixStep, FollowUp, Rule

DECOYS = "".join(f"\n\ndef decoy_{n}():\n    return {n}\n" for n in range(40))


class EveryCall(Rule):
    """Reports every call."""

    code = "SVC991"
    name = "every-call"
    message = "a call"

    def visit_Call(self, node: cst.Call) -> None:
        self.report(node)


class CallsOutsideFunctions(Rule):
    """Reports calls outside functions: it prunes every function body."""

    code = "SVC992"
    name = "calls-outside-functions"
    message = "a call outside a function"

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.left = getattr(self, "left", 0) + 1

    def visit_Call(self, node: cst.Call) -> None:
        self.report(node)


def lint(source: str, *rules: type) -> list:
    checker = Checker(Config(select=tuple(rule.code for rule in rules)))
    checker.rule_classes = rules
    checker.rules = {rule.code: rule() for rule in rules}
    return [(f.code, f.line) for f in checker.check("x.py", source.encode()).findings]


SOURCE = "setup()\n\ndef handler():\n    fetch()\n\nteardown()\n"


def test_pruning_a_subtree_hides_it_from_that_rule_only():
    # the pruning rule comes first in the walk: the other rule still sees the call inside handler()
    found = lint(SOURCE, CallsOutsideFunctions, EveryCall)
    assert sorted(found) == [("SVC991", 1), ("SVC991", 4), ("SVC991", 6), ("SVC992", 1), ("SVC992", 6)]


def test_a_pruning_rule_alone_still_has_its_leave_method_called():
    rule = CallsOutsideFunctions()
    checker = Checker(Config(select=("SVC992",)))
    checker.rule_classes = (CallsOutsideFunctions,)
    checker.rules = {"SVC992": rule}
    found = checker.check("x.py", SOURCE.encode()).findings
    assert [(f.code, f.line) for f in found] == [("SVC992", 1), ("SVC992", 6)]
    assert rule.left == 1


def test_a_rule_that_declares_nothing_sees_every_file_whole(monkeypatch):
    # no import, no token to wait for, a long file: it is still checked, and parsed whole
    monkeypatch.setattr(excerpts, "MIN_LINES", 0)
    assert EveryCall.fast_path == FastPath()
    assert EveryCall.wants(b"", frozenset())
    parsed = []
    real_parse = cst.parse_module
    monkeypatch.setattr(cst, "parse_module", lambda source, *a, **k: parsed.append(source) or real_parse(source))
    source = "fetch()\n" + DECOYS
    assert lint(source, EveryCall) == [("SVC991", 1)]
    assert parsed == [source.encode()]


def test_a_rule_placed_in_a_step_the_migration_lacks_is_a_clear_error():
    class Misplaced(EveryCall):
        code = "SVC993"
        fix_safety = "safe"
        in_migrations = (FixStep("v2", "deadline"),)

    with pytest.raises(ConfigError, match=r"SVC993 .*migration 'v2' has no step 'deadline'.*did you mean 'deadlines'"):
        V2.with_rules([Misplaced])


def test_a_migration_is_made_of_the_places_rules_declare():
    class Fixer(EveryCall):
        code = "SVC994"
        fix_safety = "safe"
        in_migrations = (FixStep("v9", "first"),)

    class Reporter(EveryCall):
        code = "SVC995"
        in_migrations = (FollowUp("v9"), FollowUp("v2"))

    class Elsewhere(EveryCall):
        code = "SVC996"
        in_migrations = ()

    made = BuiltinMigration("v9", "test", (("first", "one"), ("second", "two"))).with_rules([Fixer, Reporter, Elsewhere])
    assert [(step.title, step.codes) for step in made.steps] == [("one", ("SVC994",)), ("two", ())]
    assert made.follow_ups == ("SVC995",)
