"""docs/fix-safety.md stays true: its class column is what the rules say (`svcmod rules`), and the
rules it tells the changes of exist and still have a fix somewhere."""
from __future__ import annotations

import json
import re

from conftest import REPO, run_subprocess

from svcmod.outputs.rule_table import table_in

DOC = REPO / "docs" / "fix-safety.md"


def test_the_class_of_each_rules_fix_is_the_rules_own():
    table = run_subprocess(["rules", "--format", "markdown"], REPO)
    assert table.exit_code == 0, table
    assert table_in(DOC.read_text(encoding="utf-8")) == table.stdout, \
        "docs/fix-safety.md's rule table is stale: run `svcmod rules --format markdown --write docs/fix-safety.md`"


def test_the_changed_classes_name_rules_that_have_a_fix():
    listed = run_subprocess(["rules", "--format", "json"], REPO)
    fix_of = {rule["code"]: rule["fix"] for rule in json.loads(listed.stdout)}
    changes = DOC.read_text(encoding="utf-8").split("## What changed", 1)[1]
    codes = re.findall(r"^\| (SVC\d{3}) \|", changes, re.MULTILINE)
    assert codes, "no rows of changes"
    for code in codes:
        assert fix_of.get(code) in ("safe", "unsafe"), f"{code}: {fix_of.get(code)}"
    assert "docs/fix-safety.md" in (REPO / "README.md").read_text(encoding="utf-8")
