"""Results per project: what a run changed and what it left, grouped for the team owning each project.

``build_reports`` turns a ``svcmod.results.RunResult`` (results per file, each file's project) into one
``ProjectReport`` per project; the modules of this package render those for an audience: a table on
the terminal (``terminal``), JSON (``json_report``), a pull-request body (``markdown``) and one
``git apply``-able patch per project (``patches``).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from svcmod.results import UNSAFE

#: Engine codes: a file that could not be checked or fixed is an error, not a follow-up.
ERROR_CODES = frozenset({"SVC901", "SVC902"})


@dataclass
class AppliedEdit:
    """A fix the run applied, where (``file`` relative to the project) and whether it changes behaviour."""

    code: str
    name: str
    file: str
    line: int
    description: str
    changes_behaviour: bool


@dataclass
class FollowUp:
    """A finding left for a person: no mechanical fix, or a fix outside the run's opt-in."""

    code: str
    name: str
    message: str
    file: str
    line: int
    column: int
    filename: str = ""  # as the run showed it (relative to the working directory)


@dataclass
class FileChange:
    """The bytes of one file before and after, for diffs and patches."""

    file: str  # relative to the project, '/'-separated
    filename: str  # as the run showed it
    original: bytes
    fixed: bytes
    real_file: str = ""  # ``file`` with its real bytes (surrogates), when ``file`` shows them escaped


@dataclass
class ProjectReport:
    name: str
    directory: Path
    files_scanned: int = 0
    lines: int = 0
    seconds: float = 0.0  # checking and fixing its files, summed over the workers
    edits: List[AppliedEdit] = field(default_factory=list)
    follow_ups: List[FollowUp] = field(default_factory=list)
    errors: List[FollowUp] = field(default_factory=list)
    changes: List[FileChange] = field(default_factory=list)
    #: dependency manifest edits (``svcmod.migrate.manifests.DependencyEdit``: file, line, description, code)
    dependencies: List[Any] = field(default_factory=list)

    @property
    def files_changed(self) -> List[str]:
        return [c.file for c in self.changes]

    @property
    def behaviour_changing(self) -> List[AppliedEdit]:
        return [e for e in self.edits if e.changes_behaviour]

    def edits_by_rule(self) -> Dict[str, List[AppliedEdit]]:
        grouped: Dict[str, List[AppliedEdit]] = {}
        for edit in sorted(self.edits, key=lambda e: e.code):
            grouped.setdefault(edit.code, []).append(edit)
        return grouped

    def follow_ups_by_rule(self) -> Dict[str, List[FollowUp]]:
        grouped: Dict[str, List[FollowUp]] = {}
        for item in sorted(self.follow_ups, key=lambda f: f.code):
            grouped.setdefault(item.code, []).append(item)
        return grouped


def relative_to_project(filename: str, directory: Path) -> str:
    """``filename`` relative to its project, '/'-separated; never absolute, never leaving the project."""
    path = Path(filename)
    absolute = Path(os.path.abspath(path))
    for candidate, base in ((absolute, directory), (absolute.resolve(), directory.resolve())):
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            continue
    raise ValueError(f"{filename} is not inside its project {directory}")


def build_reports(result) -> List[ProjectReport]:
    """One report per project of ``result`` (a ``svcmod.results.RunResult``), ordered by name."""
    reports: Dict[str, ProjectReport] = {}
    for file_result in result.files:
        name = result.projects.get(file_result.filename)
        if name is None:
            continue
        directory = result.project_dirs[name]
        report = reports.get(name)
        if report is None:
            report = reports[name] = ProjectReport(name, directory)
        relative = relative_to_project(file_result.filename, directory)
        report.files_scanned += 1
        report.lines += file_result.lines
        report.seconds += getattr(file_result, "seconds", 0.0)
        changed = (file_result.fixed is not None and file_result.original is not None
                   and file_result.fixed != file_result.original)
        if changed:
            real = result.paths.get(file_result.filename)
            report.changes.append(FileChange(relative, file_result.filename, file_result.original,
                                             file_result.fixed, relative_to_project(real, directory) if real else ""))
            for edit in file_result.edits:
                report.edits.append(AppliedEdit(edit.code, edit.name, relative, edit.line, edit.description,
                                                edit.safety == UNSAFE))
        for finding in file_result.findings:
            item = FollowUp(finding.code, finding.name, finding.message, relative, finding.line, finding.column,
                            file_result.filename)
            (report.errors if finding.code in ERROR_CODES else report.follow_ups).append(item)
    return [reports[name] for name in sorted(reports)]


def rule_names(reports: List[ProjectReport]) -> Dict[str, str]:
    names: Dict[str, str] = {}
    for report in reports:
        for item in list(report.edits) + list(report.follow_ups) + list(report.errors):
            names.setdefault(item.code, item.name)
    return names


def patch_filename(project: str) -> str:
    """A file name for a project's patch: its path with separators and odd characters replaced."""
    safe = re.sub(r"-{2,}", "-", "".join(c if c.isalnum() or c in "-_." else "-" for c in project)).strip("-.")
    return f"{safe or 'project'}.patch"


def summary_line(reports: List[ProjectReport], mode: Optional[str] = None) -> str:
    edits = sum(len(r.edits) for r in reports)
    files = sum(len(r.changes) for r in reports)
    behaviour = sum(len(r.behaviour_changing) for r in reports)
    follow_ups = sum(len(r.follow_ups) for r in reports)
    errors = sum(len(r.errors) for r in reports)
    verb = "Would make" if mode in ("check", "diff") else "Made"
    text = (f"{verb} {edits} edit{'s' * (edits != 1)} ({behaviour} changing behaviour) in {files} "
            f"file{'s' * (files != 1)} across {len(reports)} project{'s' * (len(reports) != 1)}; "
            f"{follow_ups} manual follow-up{'s' * (follow_ups != 1)}")
    if errors:
        text += f"; {errors} error{'s' * (errors != 1)}"
    return text + "."
