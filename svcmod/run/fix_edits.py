"""The edits each finding's fix makes on its own, as ruff's JSON gives them (``fix.edits``), so that
tools which apply ruff's fixes can apply svcmod's without running svcmod again.

A finding's fix is made alone, as an editor's quick fix makes it (with the fixes it brings about,
its imports, and every check a written fix passes), and the edits are the smallest changes of text
between the file and that result: applying them gives exactly the bytes ``svcmod lint --fix``
writes when that finding is the file's only fixable one.

They are made in the worker that checks the file (``svcmod/run/engine.py``), under its limits, and
kept in the cache with the findings (a warm JSON run parses nothing). Cheap first, for a file with
several fixable findings: one pass that makes every fix, whose changes are split by the lines each
fix replaced (``attributed``), when that plainly equals making each alone: every fix made once and
nothing brought about, no fix touching imports, fixes on lines apart, each change inside one fix's
lines. Otherwise each finding's fix is made alone (``per_finding``; tests/test_ci_json_edits.py
checks that both agree on every rule example and the monorepo fixture).
"""
from __future__ import annotations

import difflib
import os
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from svcmod.results import FileResult, Finding

TextEdit = Dict[str, object]
#: (code, line, column) of a finding: what ``Checker.check``'s ``fixes_at`` takes
FindingAt = Tuple[str, int, int]
#: checking the file fixing each finding alone, until a deadline (``Checker.fix_each``): None
#: for a finding not fixed before it
FixEach = Callable[[Sequence[FindingAt], Optional[float]], Sequence[Optional[FileResult]]]
#: the lines each fix replaced (None: it touches imports), by finding: ``Checker.fix_footprints``
Footprints = Dict[FindingAt, Optional[Tuple[int, int]]]
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
    """The changes of the pass that made every fix, each given to the fix whose lines hold it; None
    when that is not plainly the same as making each fix alone."""
    if every.fixed is None:
        return None
    if sorted((edit.code, edit.line) for edit in every.edits) != sorted((f.code, f.line) for f in wanted):
        return None  # a fix refused or made twice, or one brought about another
    spans = [footprints.get((f.code, f.line, f.column)) for f in wanted]
    if any(span is None for span in spans):
        return None  # imports added or removed: they change lines no finding holds
    ordered = sorted(spans)  # type: ignore[type-var]
    if any(later[0] <= earlier[1] for earlier, later in zip(ordered, ordered[1:])):  # type: ignore[index]
        return None  # two fixes on one line: their changes cannot be told apart
    given: List[Optional[List[TextEdit]]] = [[] for _ in wanted]
    for hunk in text_edits(_text(source), _text(every.fixed)):
        first, last = hunk["location"]["row"], hunk["end_location"]["row"]  # type: ignore[index]
        if last > first and hunk["end_location"]["column"] == 1:  # type: ignore[index]
            last -= 1  # whole lines: it ends where the next line starts
        holders = [i for i, span in enumerate(spans) if span[0] <= first and last <= span[1]]  # type: ignore[index]
        if len(holders) != 1:
            return None
        given[holders[0]].append(hunk)  # type: ignore[union-attr]
    if not all(given):
        return None
    return given


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
