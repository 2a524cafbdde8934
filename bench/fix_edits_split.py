"""Checks on a tree of real code that ``fix.edits`` taken from one pass making every fix (the
split, ``svcmod/run/fix_edits.py``) equal each finding's fix made alone, finding by finding.

    python bench/fix_edits_split.py /tmp/stdlib-copy        # prints the counts; exit 1 on a difference

tests/test_ci_json_edits.py does the same on every rule example and the monorepo fixture.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main() -> int:
    from svcmod.check.checker import Checker
    from svcmod.check.policy import FixPolicy
    from svcmod.project.config import ConfigFinder
    from svcmod.run.fix_edits import attributed, fixable, per_finding

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    root = parser.parse_args().root
    finder = ConfigFinder()
    checkers = {}
    files = split = declined = compared = differences = 0
    for path in sorted(root.rglob("*.py")):
        config = finder.for_path(path)
        if id(config) not in checkers:
            checkers[id(config)] = (Checker(config), Checker(config, FixPolicy(apply=True, unsafe=True)))
        plain, fixer = checkers[id(config)]
        name, source = str(path), path.read_bytes()
        wanted = fixable(plain.check(name, source, named=True).findings)
        if len(wanted) < 2:
            continue  # one fixable finding: its fix alone is made in any case
        files += 1
        every = fixer.check(name, source, (), True, None)
        together = attributed(wanted, source, every, dict(fixer.fix_footprints))
        if together is None:
            declined += 1
            print(f"declined (fixed alone): {name} ({len(wanted)} findings)")
            continue
        split += 1

        def each_alone(ats, deadline):
            return [fixer.check(name, source, (), True, None, fixes_at=frozenset([at])) for at in ats]

        alone = per_finding(wanted, source, each_alone)
        for finding, ours, theirs in zip(wanted, together, alone):
            compared += 1
            if ours != theirs:
                differences += 1
                print(f"DIFFERENT: {name}:{finding.line}:{finding.column} {finding.code}\n  split {ours}\n  alone {theirs}")
    print(f"{files} files with several fixable findings: {split} split ({compared} findings compared, "
          f"{differences} differences), {declined} fixed finding by finding")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
