"""The edits each finding's fix makes on its own, as ruff's JSON gives them (``fix.edits``), so that
tools which apply ruff's fixes can apply svcmod's without running svcmod again.

A finding's fix is made alone, as an editor's quick fix makes it (with the fixes it brings about,
its imports, and every check a written fix passes), and the edits are the smallest changes of text
between the file and that result: applying them gives exactly the bytes ``svcmod lint --fix``
writes when that finding is the file's only fixable one.
"""
from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from svcmod.check.policy import FixPolicy
from svcmod.run.buffer import BufferChecks
from svcmod.results import RunResult

#: (filename as shown, code, row, column) of a finding
FindingKey = Tuple[str, str, int, int]
TextEdit = Dict[str, object]


def fix_edits(result: RunResult, config_file: Optional[Path] = None, select: Sequence[str] = (),
              extend_select: Sequence[str] = (), ignore: Sequence[str] = (),
              sources: Mapping[str, bytes] = {}, project_root: Optional[Path] = None
              ) -> Dict[FindingKey, List[TextEdit]]:
    """The edits of every fixable finding of ``result``, by finding; a fix that cannot be made
    again on its own (the file changed since) has none. ``sources``: the bytes of files not on
    disk (stdin), by the name shown; ``project_root``: the folder the run's project index covered."""
    checks = BufferChecks(config_file, select, ignore, project_root, extend_select)
    every_fix = FixPolicy(apply=True, unsafe=True)  # as ruff, unsafe fixes carry their edits too
    edits: Dict[FindingKey, List[TextEdit]] = {}
    for file_result in result.files:
        fixable = [f for f in file_result.findings if f.fix_applicability is not None]
        if not fixable:
            continue
        name = file_result.filename
        path = Path(result.paths.get(name, name))
        try:
            source = sources[name] if name in sources else path.read_bytes()
        except OSError:
            continue
        checked_as = path if name not in sources else Path(os.path.abspath(name if name != "-" else "stdin.py"))
        for finding in fixable:
            at = (finding.code, finding.line, finding.column)
            fixed = checks.check(checked_as.absolute(), name, source, every_fix, frozenset([at])).fixed
            if fixed is not None:
                edits[(name, *at)] = text_edits(_text(source), _text(fixed))
    return edits


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
