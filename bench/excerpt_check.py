"""Differential check of excerpts: every file of a tree checked whole and through an excerpt must
give exactly the same findings (code, place, message, fix). Also prints how much LibCST was
spared: the lines kept in excerpts against the lines of the files parsed.

    python bench/excerpt_check.py [TREE] [-j 2]

TREE defaults to the bench corpus (``bench/.corpus/tree``, built by ``bench/run.py``).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from svcmod.check.checker import Checker  # noqa: E402
from svcmod.check.names import imported_modules  # noqa: E402
from svcmod.fastpath import excerpt as excerpts  # noqa: E402
from svcmod.project.config import Config  # noqa: E402

_checker = None
_whole_checker = None


def _key(finding) -> tuple:
    return (finding.code, finding.line, finding.column, finding.end_line, finding.end_column,
            finding.message, finding.fix_applicability, finding.fix_message)


def _check(path: str) -> Tuple[str, int, int, int, list, list, float, float]:
    global _checker, _whole_checker
    if _checker is None:
        _checker = Checker(Config())
        _whole_checker = Checker(Config(), excerpts=False)
    source = Path(path).read_bytes()
    started = time.process_time()
    imported = imported_modules(source)
    active = [rule for rule in _checker.rules.values() if rule.wants(source, imported)]
    cut = excerpts.excerpt(source, [type(rule) for rule in active], imported, _checker.screen(path, active))
    with_excerpt = _checker.check(path, source)
    middle = time.process_time()
    whole = _whole_checker.check(path, source)
    ended = time.process_time()
    lines = _code_lines(source) if whole.parsed else 0
    kept = _code_lines(cut.source) if cut is not None else lines
    return (path, lines, kept, int(cut is not None),
            sorted(map(_key, with_excerpt.findings)), sorted(map(_key, whole.findings)),
            middle - started, ended - middle)


def _libcst_only_error(path: str, found: list, expected: list) -> bool:
    """LibCST refuses some valid Python (``(x): int``); when that code is left out of the
    excerpt, its SVC901 goes with it: not a difference in what the rules find."""
    import ast
    if [f for f in expected if f[0] != "SVC901"] != found:
        return False
    try:
        ast.parse(Path(path).read_bytes())
    except (SyntaxError, ValueError):
        return False
    return True


def _code_lines(text: bytes) -> int:
    return sum(1 for line in text.split(b"\n") if line.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", nargs="?", default=str(Path(__file__).parent / ".corpus" / "tree"))
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    paths: List[str] = sorted(str(p) for p in Path(args.tree).rglob("*.py") if p.is_file())
    differences = parsed = kept = cut = 0
    excerpt_cpu = whole_cpu = 0.0
    with ProcessPoolExecutor(args.jobs) as pool:
        for path, lines, kept_lines, was_cut, found, expected, t1, t2 in pool.map(_check, paths, chunksize=8):
            parsed += lines
            kept += kept_lines if lines else 0
            cut += was_cut
            excerpt_cpu += t1
            whole_cpu += t2
            if found != expected and not _libcst_only_error(path, found, expected):
                differences += 1
                print(f"DIFFERENT: {path}")
                for item in sorted(set(found) - set(expected)):
                    print(f"  only in excerpt: {item}")
                for item in sorted(set(expected) - set(found)):
                    print(f"  only whole:      {item}")
    print(f"{len(paths)} files; {cut} checked through an excerpt; non-blank lines of parsed files {parsed:,}, "
          f"of which LibCST read {kept:,} ({100 * kept / max(parsed, 1):.1f} %)")
    print(f"checking cpu: {excerpt_cpu:.1f} s with excerpts, {whole_cpu:.1f} s whole")
    print(f"{differences} files with different findings")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
