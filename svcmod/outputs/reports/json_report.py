"""``--report-json``: every project's edits, follow-ups and errors as one JSON document."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from svcmod import __version__
from svcmod.outputs.reports import AppliedEdit, FileChange, FollowUp, ProjectReport


def project_data(report: ProjectReport, patch: Optional[str] = None) -> Dict[str, Any]:
    return {
        "name": report.name,
        "path": str(report.directory),
        "files_scanned": report.files_scanned,
        "lines": report.lines,
        "seconds": round(report.seconds, 3),
        "files_changed": report.files_changed,
        "edits": [
            {"code": e.code, "name": e.name, "file": e.file, "line": e.line, "description": e.description,
             "changes_behaviour": e.changes_behaviour}
            for e in report.edits
        ],
        "edits_by_rule": {
            code: {"name": edits[0].name, "count": len(edits),
                   "changes_behaviour": sum(1 for e in edits if e.changes_behaviour)}
            for code, edits in report.edits_by_rule().items()
        },
        "follow_ups": [
            {"code": f.code, "name": f.name, "message": f.message, "file": f.file, "line": f.line,
             "column": f.column}
            for f in report.follow_ups
        ],
        "follow_ups_by_rule": {code: len(items) for code, items in report.follow_ups_by_rule().items()},
        "dependencies": [
            {"file": d.file, "line": d.line, "change": d.description, "code": d.code} for d in report.dependencies
        ],
        "errors": [
            {"code": f.code, "message": f.message, "file": f.file, "line": f.line} for f in report.errors
        ],
        "patch": patch,
        "apply": _apply(report, patch),
    }


def _apply(report: ProjectReport, patch: Optional[str]) -> Optional[Dict[str, str]]:
    if patch is None:
        return None
    from svcmod.outputs.reports.patches import apply_command
    place, command = apply_command(report, patch)
    return {"from": place, "command": command}


def render(reports: List[ProjectReport], *, migration: str, mode: str, elapsed: float,
           plans: List[Any] = (), patches: Optional[Dict[str, str]] = None,
           shard: Optional[Dict[str, Any]] = None) -> str:
    patches = patches or {}
    data = {
        "svcmod": __version__,
        "migration": migration,
        "mode": mode,
        "steps": [{"title": s.title, "codes": list(s.codes)} for s in plans[0].steps] if plans else [],
        "follow_up_codes": list(plans[0].follow_ups) if plans else [],
        "projects": [project_data(r, patches.get(r.name)) for r in reports],
        "totals": {
            "projects": len(reports),
            "files_scanned": sum(r.files_scanned for r in reports),
            "files_changed": sum(len(r.changes) for r in reports),
            "edits": sum(len(r.edits) for r in reports),
            "changes_behaviour": sum(len(r.behaviour_changing) for r in reports),
            "follow_ups": sum(len(r.follow_ups) for r in reports),
            "errors": sum(len(r.errors) for r in reports),
            "seconds": round(elapsed, 3),
        },
    }
    if shard is not None:  # for `svcmod report merge` (svcmod/outputs/shards.py)
        data["shard"] = shard
    return json.dumps(data, indent=2) + "\n"


@dataclass
class DependencyChange:
    """A dependency manifest edit as a report lists it (read back from JSON)."""

    file: str
    line: int
    description: str
    code: str


class NotAReport(ValueError):
    """A JSON document that is not a ``--report-json`` report."""


def read_reports(document: Dict[str, Any]) -> Tuple[List[ProjectReport], Dict[str, str], Dict[str, Tuple[str, str]]]:
    """The projects of a ``--report-json`` document (e.g. merged from shards) as the reports that
    rendered it, with each project's patch file and how to apply it, by project: so a merged
    migration gets the same Markdown as one run. File contents are not in the JSON: a changed
    file is known by its name only."""
    reports: List[ProjectReport] = []
    patches: Dict[str, str] = {}
    applying: Dict[str, Tuple[str, str]] = {}
    try:
        for index, data in enumerate(document["projects"]):
            name = str(data["name"])
            report = ProjectReport(name, Path(str(data["path"])), int(data["files_scanned"]), int(data["lines"]),
                                   float(data["seconds"]))
            report.changes = [FileChange(str(file), str(file), b"", b"") for file in data["files_changed"]]
            report.edits = [AppliedEdit(str(e["code"]), str(e["name"]), str(e["file"]), int(e["line"]),
                                        str(e["description"]), bool(e["changes_behaviour"])) for e in data["edits"]]
            report.follow_ups = [FollowUp(str(f["code"]), str(f["name"]), str(f["message"]), str(f["file"]),
                                          int(f["line"]), int(f["column"])) for f in data["follow_ups"]]
            report.errors = [FollowUp(str(f["code"]), "", str(f["message"]), str(f["file"]), int(f["line"]), 0)
                             for f in data["errors"]]
            report.dependencies = [DependencyChange(str(d["file"]), int(d["line"]), str(d["change"]), str(d["code"]))
                                   for d in data.get("dependencies", [])]
            if data.get("patch"):
                patches[name] = str(data["patch"])
                if isinstance(data.get("apply"), dict):
                    applying[name] = (str(data["apply"]["from"]), str(data["apply"]["command"]))
            reports.append(report)
    except (KeyError, TypeError, ValueError) as error:
        where = f"projects[{index}]" if "index" in locals() else "the document"
        raise NotAReport(f"{where}: not a migrate report ({type(error).__name__}: {error})") from None
    return reports, patches, applying
