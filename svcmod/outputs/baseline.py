"""Baselines: record today's findings so that a CI gate fails only on new ones.

A finding is recognised again by a fingerprint that does not contain its line number: the hash of
its code, its file (relative to the baseline's folder), the text of the flagged line with
whitespace collapsed and any comment dropped, and its occurrence index among findings with those same three values in that
file. Lines moving (code added above) and edits elsewhere in the file leave it unchanged; editing
the flagged line itself makes the finding new, which is what a reviewer wants to see.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tokenize
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Sequence, Tuple

from svcmod.outputs import json_input
from svcmod.results import ENGINE_CODES, Finding

if TYPE_CHECKING:  # pragma: no cover
    from svcmod.results import RunResult

FORMAT_VERSION = 1


class BaselineError(Exception):
    """The baseline file cannot be read; the message names it."""


@dataclass(frozen=True)
class Entry:
    """One recorded finding. Only ``fingerprint`` matters; the rest is for people reading diffs."""

    fingerprint: str
    code: str
    file: str
    line: int
    text: str

    def to_dict(self) -> Dict[str, object]:
        return {"fingerprint": self.fingerprint, "code": self.code, "file": self.file,
                "line": self.line, "text": self.text}


def normalized_text(finding: Finding, root: Path) -> str:
    """The flagged line with runs of whitespace made one space ("" for engine findings)."""
    if finding.code in ENGINE_CODES:
        return ""  # their line and message (a parser's wording) say nothing stable
    line = finding.source_line
    if not line:
        line = _read_line(Path(os.path.abspath(finding.filename)), finding.line)
    return " ".join(_without_comment(line.strip()).split())


def relative_file(filename: str, root: Path) -> str:
    """``filename`` (as findings name it: relative to the working directory) relative to ``root``."""
    return Path(os.path.relpath(os.path.abspath(filename), os.path.abspath(root))).as_posix()


def entries_for(findings: Iterable[Finding], root: Path) -> List[Entry]:
    """Entries of ``findings`` with fingerprints relative to ``root``, in the order given."""
    occurrences: Counter = Counter()
    entries = []
    for finding in sorted(findings, key=lambda f: (f.filename, f.line, f.column, f.code)):
        file = relative_file(finding.filename, root)
        text = normalized_text(finding, root)
        key = (finding.code, file, text)
        index = occurrences[key]
        occurrences[key] += 1
        # surrogateescape: a file name that is not UTF-8 (bytes on disk) must not crash the report
        digest = hashlib.sha256("\0".join((finding.code, file, text, str(index))).encode("utf-8", "surrogateescape"))
        entries.append(Entry(digest.hexdigest()[:32], finding.code, file, finding.line, text))
    return entries


def fingerprints(findings: Sequence[Finding], root: Path) -> Dict[int, str]:
    """``id(finding)`` → fingerprint, for outputs that carry one (SARIF ``partialFingerprints``)."""
    ordered = sorted(findings, key=lambda f: (f.filename, f.line, f.column, f.code))
    return {id(f): e.fingerprint for f, e in zip(ordered, entries_for(ordered, root))}


@dataclass
class Baseline:
    """The findings recorded in one baseline file."""

    entries: List[Entry] = field(default_factory=list)
    path: Optional[Path] = None

    @property
    def root(self) -> Path:
        """Paths in the file are relative to its own folder, so it works from any directory."""
        return self.path.parent if self.path is not None else Path.cwd()

    @classmethod
    def of(cls, findings: Iterable[Finding], path: Path) -> "Baseline":
        return cls(entries_for(findings, path.parent), path)

    @classmethod
    def load(cls, path: Path) -> "Baseline":
        try:
            data = json_input.load(path)
        except OSError as error:
            raise BaselineError(f"{path}: cannot read baseline: {error.strerror or error}") from None
        except json_input.JSONInputError as error:
            raise BaselineError(f"{path}: not a baseline file ({error})") from None
        if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
            raise BaselineError(f"{path}: not a baseline file (expected an object with a 'findings' list)")
        if data.get("version") != FORMAT_VERSION:
            raise BaselineError(f"{path}: baseline format version {data.get('version')!r} is not supported "
                                f"(expected {FORMAT_VERSION}); make it again with `svcmod baseline`")
        entries = []
        for index, item in enumerate(data["findings"]):
            if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str):
                raise BaselineError(f"{path}: findings[{index}] has no valid 'fingerprint'")
            try:
                line = json_input.number(item.get("line", 0), f"findings[{index}].line")
            except json_input.JSONInputError as error:
                raise BaselineError(f"{path}: {error}") from None
            entries.append(Entry(item["fingerprint"], str(item.get("code", "")), str(item.get("file", "")),
                                 line, str(item.get("text", ""))))
        return cls(entries, path)

    def text(self) -> str:
        """Sorted and indented, so that a baseline under review diffs line by line."""
        entries = sorted(self.entries, key=lambda e: (e.file, e.line, e.code, e.fingerprint))
        data = {"version": FORMAT_VERSION, "tool": "svcmod",
                "findings": [e.to_dict() for e in entries]}
        return json.dumps(data, indent=2) + "\n"

    def save(self, path: Optional[Path] = None) -> None:
        path = path or self.path
        assert path is not None
        path.write_text(self.text(), encoding="utf-8")

    def split(self, findings: Sequence[Finding]) -> Tuple[List[Finding], List[Finding], List[Entry]]:
        """(new findings, findings already in the baseline, baseline entries no longer found)."""
        recorded = {e.fingerprint for e in self.entries}
        new, known, matched = [], [], set()
        by_id = fingerprints(findings, self.root)
        for finding in findings:
            fingerprint = by_id[id(finding)]
            if fingerprint in recorded:
                known.append(finding)
                matched.add(fingerprint)
            else:
                new.append(finding)
        stale = [e for e in self.entries if e.fingerprint not in matched]
        return new, known, stale

    def apply(self, result: "RunResult") -> List[Entry]:
        """Drop the findings of ``result`` that are in the baseline; return its stale entries.

        An entry is stale when its file was checked and the finding is gone (fixed, or its line
        edited). Entries of files this run did not check (other paths, ``--changed-since``) are not.
        """
        new, _, stale = self.split(result.findings)
        keep = {id(f) for f in new}
        for file_result in result.files:
            file_result.findings = [f for f in file_result.findings if id(f) in keep]
        checked = {relative_file(r.filename, self.root) for r in result.files}
        return [e for e in stale if e.file in checked]


def _without_comment(line: str) -> str:
    """``line`` minus a trailing comment: a ``# TODO`` added to a baselined line keeps it baselined."""
    if "#" not in line:
        return line
    try:
        for token in tokenize.generate_tokens(io.StringIO(line).readline):
            if token.type == tokenize.COMMENT:
                return line[:token.start[1]]
    except (tokenize.TokenError, SyntaxError):
        pass  # an open bracket or string: the comment, if any, was already seen or is not one
    return line


def _read_line(path: Path, number: int) -> str:
    try:
        with open(path, "rb") as handle:
            for current, raw in enumerate(handle, 1):
                if current == number:
                    return raw.decode("utf-8", errors="replace")
    except OSError:
        pass
    return ""
