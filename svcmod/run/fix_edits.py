"""The edits each finding's fix makes on its own, as ruff's JSON gives them (``fix.edits``), so that
tools which apply ruff's fixes can apply svcmod's without running svcmod again.

A finding's fix is made alone, as an editor's quick fix makes it (with the fixes it brings about,
its imports, and every check a written fix passes), and the edits are the smallest changes of text
between the file and that result: applying them gives exactly the bytes ``svcmod lint --fix``
writes when that finding is the file's only fixable one.

They are made in the worker that checks the file (``svcmod/run/engine.py``), under its limits, and
kept in the cache with the findings (a warm JSON run parses nothing). Cheap first, for a file with
several fixable findings: one pass that makes every fix records the lines of the statements each
fix changed, before and after (``Checker.fix_footprints``), and each finding gets the file with
only its fix's lines as that pass left them (``attributed``), when that plainly equals making it
alone: every fix made once and nothing brought about, no imports added or removed, no two fixes
in one statement, every other line unchanged, no fix changing how often an imported name is read.
Otherwise each finding's fix is made alone, after one parse (``per_finding``, ``Checker.fix_each``).
tests/test_ci_json_edits.py checks that both agree on every rule example and the monorepo fixture,
bench/fix_edits_split.py on a tree of real code (the stdlib).
"""
from __future__ import annotations

import difflib
import os
import re
from collections import Counter
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from svcmod.check.fixing import imported_names
from svcmod.results import FileResult, Finding

TextEdit = Dict[str, object]
#: (code, line, column) of a finding: what ``Checker.check``'s ``fixes_at`` takes
FindingAt = Tuple[str, int, int]
#: checking the file fixing each finding alone, until a deadline (``Checker.fix_each``): None
#: for a finding not fixed before it
FixEach = Callable[[Sequence[FindingAt], Optional[float]], Sequence[Optional[FileResult]]]
#: the lines each fix changed, (first, last) before and (first, last) after (None: it touches
#: imports or shares a statement with another fix), by finding: ``Checker.fix_footprints``
Footprints = Dict[FindingAt, Optional[Tuple[int, int, int, int]]]
#: checking the file making every fix: the result and the footprints
EveryFixRun = Callable[[], Tuple[FileResult, Footprints]]


def fixable(findings: Sequence[Finding]) -> List[Finding]:
    return [f for f in findings if f.fix_applicability is not None]


def attach_edits(findings: Sequence[Finding], source: bytes, fix_each: FixEach, every_fix: EveryFixRun,
                 deadline: Optional[float] = None) -> None:
    """Set ``fix_edits`` of every fixable finding of ``findings`` (found in ``source``);
    ``fix_each(ats, deadline)`` checks ``source`` fixing each finding of ``ats`` alone, ``every_fix()`` making every fix. Past
    ``deadline`` (``time.perf_counter()``) a finding is left without edits rather than the file lost."""
    wanted = fixable(findings)
    edits: Optional[Sequence[Optional[List[TextEdit]]]] = None
    if len(wanted) > 1:  # one finding: making every fix is making its fix alone, no cheaper
        edits = attributed(wanted, source, *every_fix())
    if edits is None:
        edits = per_finding(wanted, source, fix_each, deadline)
    for finding, its in zip(wanted, edits):
        finding.fix_edits = its


def per_finding(wanted: Sequence[Finding], source: bytes, fix_each: FixEach,
                deadline: Optional[float] = None) -> List[Optional[List[TextEdit]]]:
    """Each finding's fix made alone; None for one not made before ``deadline``."""
    edits: List[Optional[List[TextEdit]]] = []
    for alone in fix_each([(f.code, f.line, f.column) for f in wanted], deadline):
        if alone is None:
            edits.append(None)
        else:  # a fix that cannot be made alone has no edits (as ruff's fix without edits): [], and kept
            edits.append(text_edits(_text(source), _text(alone.fixed)) if alone.fixed is not None else [])
    return edits


def attributed(wanted: Sequence[Finding], source: bytes, every: FileResult,
               footprints: Footprints) -> Optional[List[Optional[List[TextEdit]]]]:
    """Each fix's changes taken from the pass that made every fix: the file with only that fix's
    lines as the pass left them. None when that is not plainly the same as making each fix alone."""
    if every.fixed is None:
        return None
    if sorted((edit.code, edit.line) for edit in every.edits) != sorted((f.code, f.line) for f in wanted):
        return None  # a fix refused or made twice, or one brought about another
    spans = [footprints.get((f.code, f.line, f.column)) for f in wanted]
    if any(span is None for span in spans):
        return None  # imports added or removed, or two fixes in one statement: they interact
    if source.count(b"\r") != source.count(b"\r\n"):
        return None  # lone CRs end lines for LibCST's rows, not for these (ruff's) rows
    old, new = _text(source), _text(every.fixed)
    old_lines, new_lines = _lines(old), _lines(new)
    ordered = sorted(spans)  # type: ignore[type-var]
    # every line outside the fixes' own is the same before and after, and they follow in order
    old_at = new_at = 1
    for first, last, new_first, new_last in ordered + [(len(old_lines) + 1, 0, len(new_lines) + 1, 0)]:  # type: ignore[operator]
        if first < old_at or new_first < new_at or old_lines[old_at - 1:first - 1] != new_lines[new_at - 1:new_first - 1]:
            return None
        old_at, new_at = last + 1, new_last + 1
    names = imported_names(source)
    fewer, more = set(), set()
    alone: List[str] = []
    for first, last, new_first, new_last in spans:  # type: ignore[misc]
        before, after = "".join(old_lines[first - 1:last]), "".join(new_lines[new_first - 1:new_last])
        read_before, read_after = _words(before), _words(after)
        fewer.update(name for name in names if read_after[name] < read_before[name])
        more.update(name for name in names if read_after[name] > read_before[name])
        alone.append("".join(old_lines[:first - 1]) + after + "".join(old_lines[last:]))
    if fewer & more:
        # one fix reads an imported name less, another more: alone, the first may leave its import
        # unused (and the fix removes it), which together the second keeps in use
        return None
    return [text_edits(old, text) for text in alone]


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _words(text: str) -> Counter:
    return Counter(_WORD.findall(text))


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


def text_edits(old: str, new: str) -> List[TextEdit]:
    """The changes that turn ``old`` into ``new``: one per changed run of lines, cut down to the
    characters that differ; positions as ruff's (rows and columns from 1, columns in characters)."""
    old_lines, new_lines = _lines(old), _lines(new)
    starts = [0]
    for line in old_lines:
        starts.append(starts[-1] + len(line))
    edits: List[TextEdit] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before, after = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        same_start = len(os.path.commonprefix([before, after]))
        same_end = len(os.path.commonprefix([before[same_start:][::-1], after[same_start:][::-1]]))
        start = starts[i1] + same_start
        end = starts[i2] - same_end
        edits.append({"content": after[same_start:len(after) - same_end],
                      "location": _location(old, start), "end_location": _location(old, end)})
    return edits


def _lines(text: str) -> List[str]:
    """Lines cut at LF only, each with its ending (``splitlines`` also cuts at form feeds and lone
    CRs, which ruff's rows do not count)."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _location(text: str, offset: int) -> Dict[str, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return {"row": text.count("\n", 0, offset) + 1, "column": offset - line_start + 1}
