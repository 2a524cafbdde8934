"""Plain result data that flows up the stages: findings and edits of one file, the results of a run.

Nothing here imports LibCST or any other part of svcmod: outputs, reports and the cache read these
without paying for a parser."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

#: How safe a fix is: SAFE keeps behaviour identical, UNSAFE changes it (svcmod.rule re-exports
#: both for rules; they live here so the fix policy and reports need no parser).
SAFE = "safe"
UNSAFE = "unsafe"

#: Codes the engine itself reports (not a rule): code -> (name, summary).
ENGINE_CODES = {
    "SVC901": ("file-not-checked", "File could not be read, decoded or parsed"),
    "SVC902": ("fix-not-verified", "A fix failed verification and was not applied"),
}


@dataclass
class Finding:
    """One problem at one place, as reported to users."""

    code: str
    name: str
    message: str
    filename: str
    line: int
    column: int
    end_line: int
    end_column: int
    fix_applicability: Optional[str] = None
    fix_message: Optional[str] = None
    project: Optional[str] = None
    source_line: str = ""
    #: the text edits of this finding's fix made alone, as ruff's JSON ``fix.edits`` gives them
    #: (svcmod/run/fix_edits.py); made only when the run asks (``--format json``), None otherwise
    fix_edits: Optional[List[Dict[str, Any]]] = None

    def to_dict(self) -> Dict[str, Any]:
        """The ruff-compatible JSON shape."""
        return {
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "filename": self.filename,
            "location": {"row": self.line, "column": self.column},
            "end_location": {"row": self.end_line, "column": self.end_column},
            "fix": None if self.fix_applicability is None
            else {"applicability": self.fix_applicability, "message": self.fix_message},
            "project": self.project,
        }


@dataclass
class Edit:
    """A fix that was applied."""

    code: str
    name: str
    line: int
    safety: str
    description: str


@dataclass
class FileResult:
    """What checking one file gave: its findings, the edits applied and, when fixed, the new bytes."""

    filename: str
    findings: List[Finding] = field(default_factory=list)
    edits: List[Edit] = field(default_factory=list)
    original: Optional[bytes] = None  # kept only when the file changed
    fixed: Optional[bytes] = None  # the verified new contents, when fixes applied
    parsed: bool = False
    skipped: Optional[str] = None  # why the file was not checked at all (generated, ignore-file)
    lines: int = 0
    libcst_lines: int = 0  # how many of them LibCST parsed (an excerpt's, or all): none when sketched
    written: bool = False
    seconds: float = 0.0  # time spent checking and fixing this file
    #: for the project index (``svcmod/run/indexing.py``), kept in the cache: the names this file
    #: lends other modules ("names") and the project modules it imports with what they lent it ("uses")
    index: Optional[Dict[str, Any]] = None


@dataclass
class Problem:
    """A path that could not be checked, and why (reported, never fatal)."""

    path: str
    message: str


@dataclass
class RunResult:
    files: List[FileResult] = field(default_factory=list)
    problems: List[Problem] = field(default_factory=list)
    projects: Dict[str, str] = field(default_factory=dict)  # filename -> project name
    project_dirs: Dict[str, Path] = field(default_factory=dict)  # project name -> directory
    elapsed: float = 0.0
    #: filename -> the real path, for names shown escaped (bytes that are not UTF-8, control characters)
    paths: Dict[str, str] = field(default_factory=dict)
    shard: Optional[Dict[str, Any]] = None  # with --shard: which part of which whole (run/sharding.py)

    @property
    def findings(self) -> List[Finding]:
        return [f for r in self.files for f in r.findings]

    @property
    def lines(self) -> int:
        return sum(r.lines for r in self.files)
