"""A fix asked for one finding (an editor's quick fix, JSON's fix.edits) changes that finding's
text even where other findings report on the very same text (two identical calls)."""
from svcmod.check.checker import Checker
from svcmod.check.policy import FixPolicy
from svcmod.project.config import Config

SOURCE = b"""import unittest


class T(unittest.TestCase):
    def test_a(self):
        self.assertEquals(1, 1)

    def test_b(self):
        self.assertEquals(1, 1)

    def test_c(self):
        self.assertEquals(1, 1)
"""


def test_each_of_three_identical_findings_is_fixed_at_its_own_line():
    config = Config(select=("SVC308",))
    findings = Checker(config).check("t.py", SOURCE, named=True).findings
    assert [f.line for f in findings] == [6, 9, 12]
    fixer = Checker(config, FixPolicy(apply=True, unsafe=True))
    for finding in findings:
        fixed = fixer.check("t.py", SOURCE, (), True, None,
                            fixes_at=frozenset([(finding.code, finding.line, finding.column)])).fixed
        assert fixed is not None
        changed = [number for number, (old, new) in
                   enumerate(zip(SOURCE.splitlines(), fixed.splitlines()), start=1) if old != new]
        assert changed == [finding.line]
        assert fixed.splitlines()[finding.line - 1].strip() == b"self.assertEqual(1, 1)"
