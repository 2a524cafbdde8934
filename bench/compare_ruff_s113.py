"""Compare svcmod's requests/httpx deadline rules with ruff's S113 on the same tree.

Runs ``ruff check --select S113 --output-format json`` and ``svcmod lint --select SVC101,SVC103
--format json`` on the given paths, then prints which S113 findings svcmod misses (there should be
none but ruff's false positives, each with its reason) and which svcmod findings ruff does not
have, by category. ruff's S113 covers requests calls (SVC101's job) and httpx calls with
``timeout=None`` (SVC103's job), so both codes are run.

    python bench/compare_ruff_s113.py /tmp/deadline-corpus/src [--json]

Exit status: 0 when svcmod misses no S113 finding except the explained ones, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from svcmod.check.names import Names
from svcmod.lint_rules.deadlines.requests_without_timeout import sets_timeout_key
from svcmod.rule import descendants

Location = Tuple[str, int, int]  # file, row, column


def executable(name: str) -> str:
    """The tool installed beside this interpreter (the venv), else the one on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} is not installed (pip install -e '.[test]')")
    return found


def ruff_findings(paths: Sequence[str]) -> List[dict]:
    completed = subprocess.run(
        [executable("ruff"), "check", "--isolated", "--no-cache", "--select", "S113", "--exit-zero",
         "--output-format", "json", *paths],
        capture_output=True, text=True, check=True)
    # ruff also reports files it cannot parse (code null): only S113 findings count
    return [f for f in json.loads(completed.stdout or "[]") if f.get("code") == "S113"]


def svcmod_findings(paths: Sequence[str]) -> List[dict]:
    completed = subprocess.run(
        [executable("svcmod"), "lint", "--select", "SVC101,SVC103", "--format", "json", "--exit-zero", *paths],
        capture_output=True, text=True)
    if completed.returncode != 0:
        raise SystemExit(f"svcmod failed:\n{completed.stderr}")
    return json.loads(completed.stdout or "[]")


class CallIndex:
    """The calls of a file by their start position, with the resolver to classify them."""

    def __init__(self, path: str) -> None:
        self.calls: Dict[Tuple[int, int], Tuple[cst.Call, list]] = {}
        self.names: Optional[Names] = None
        self.module: Optional[cst.Module] = None
        try:
            module = cst.parse_module(Path(path).read_bytes())
        except Exception:  # a file ruff reads but LibCST does not: nothing to classify
            return
        self.names = Names(module)
        self.module = module
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
        calls = self.calls

        class Collect(cst.CSTVisitor):
            def __init__(self) -> None:
                super().__init__()
                self.stack: list = []

            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                self.stack.append(node)

            def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
                self.stack.pop()

            def visit_ClassDef(self, node: cst.ClassDef) -> None:
                self.stack.append(node)

            def leave_ClassDef(self, node: cst.ClassDef) -> None:
                self.stack.pop()

            def visit_Call(self, node: cst.Call) -> None:
                start = positions[node].start
                calls.setdefault((start.line, start.column + 1), (node, list(self.stack)))  # outer call first
                for arg in node.args:  # ruff points at `timeout=None` when it is given
                    if arg.keyword is not None and arg.keyword.value == "timeout":
                        at = positions[arg].start
                        calls.setdefault((at.line, at.column + 1), (node, list(self.stack)))
                func_start = positions[node.func].start
                calls.setdefault((func_start.line, func_start.column + 1), (node, list(self.stack)))

        module.visit(Collect())

    def call_at(self, row: int, column: int) -> Optional[Tuple[cst.Call, list]]:
        return self.calls.get((row, column))


def classify_missed(index: CallIndex, row: int, column: int, message: str) -> str:
    """Why svcmod does not report an S113 finding."""
    found = index.call_at(row, column)
    if found is None:
        return "unexplained: call not found"
    call, stack = found
    if any(arg.star == "**" for arg in call.args):
        around = stack[0] if stack else index.module
        if any(map(sets_timeout_key, descendants(around))):
            return "ruff false positive: a 'timeout' key is put in a dict next to the **kwargs call"
        return "unexplained: **kwargs call"
    return "unexplained"


def classify_extra(index: CallIndex, row: int, column: int) -> str:
    """Why ruff does not report a svcmod finding."""
    found = index.call_at(row, column)
    if found is None or index.names is None:
        return "other"
    call, stack = found
    func = call.func
    name = index.names.qualified_name(func, stack) or ""
    if isinstance(func, cst.Attribute) and (".Session." in name or ".session." in name):
        receiver = func.value
        if isinstance(receiver, cst.Call):
            return "method on requests.Session() called in place"
        if isinstance(receiver, cst.Attribute):
            return "method on a session kept in self.<attribute>"
        return "method on a session variable or annotated parameter"
    if name.startswith("requests.api."):
        return "requests.api.<verb> (module path ruff does not map)"
    if name.startswith("httpx."):
        return f"httpx: {name}"
    return f"other: {name or 'unresolved'}"


def compare(paths: Sequence[str]) -> dict:
    ruff = ruff_findings(paths)
    ours = svcmod_findings(paths)
    indexes: Dict[str, CallIndex] = {}

    def index_of(path: str) -> CallIndex:
        key = os.path.realpath(path)
        if key not in indexes:
            indexes[key] = CallIndex(key)
        return indexes[key]

    # svcmod reports a whole call; ruff the callee, or the `timeout=None` keyword: match by span
    spans: Dict[str, List[Tuple[int, int, int, int, dict]]] = {}
    for finding in ours:
        spans.setdefault(os.path.realpath(finding["filename"]), []).append(
            (finding["location"]["row"], finding["location"]["column"],
             finding["end_location"]["row"], finding["end_location"]["column"], finding))
    matched_ours = set()
    missed: List[dict] = []
    for finding in ruff:
        path = os.path.realpath(finding["filename"])
        row, column = finding["location"]["row"], finding["location"]["column"]
        hit = None
        for start_row, start_col, end_row, end_col, ours_finding in spans.get(path, []):
            if (start_row, start_col) <= (row, column) <= (end_row, end_col):
                if hit is None or (start_row, start_col) > (hit[0], hit[1]):  # innermost call
                    hit = (start_row, start_col, id(ours_finding))
        if hit is None:
            missed.append({"filename": path, "row": row, "column": column, "message": finding["message"],
                           "why": classify_missed(index_of(path), row, column, finding["message"])})
        else:
            matched_ours.add(hit[2])
    extra = []
    for finding in ours:
        if id(finding) in matched_ours:
            continue
        path = os.path.realpath(finding["filename"])
        row, column = finding["location"]["row"], finding["location"]["column"]
        extra.append({"filename": path, "row": row, "column": column, "code": finding["code"],
                      "why": classify_extra(index_of(path), row, column)})
    return {
        "ruff_s113": len(ruff),
        "ruff_by_library": dict(Counter("httpx" if "`httpx`" in f["message"] else "requests" for f in ruff)),
        "svcmod": len(ours),
        "svcmod_by_code": dict(Counter(f["code"] for f in ours)),
        "missed": missed,
        "missed_by_reason": dict(Counter(m["why"] for m in missed)),
        "extra": extra,
        "extra_by_category": dict(Counter(e["why"] for e in extra)),
    }


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--json", action="store_true", help="print the whole comparison as JSON")
    args = parser.parse_args(argv)
    result = compare(args.paths)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"ruff S113 findings: {result['ruff_s113']} {result['ruff_by_library']}")
        print(f"svcmod SVC101+SVC103 findings: {result['svcmod']} {result['svcmod_by_code']}")
        print(f"S113 findings svcmod misses: {len(result['missed'])}")
        for reason, count in sorted(result["missed_by_reason"].items(), key=lambda kv: -kv[1]):
            print(f"  {count:5d}  {reason}")
        for item in result["missed"]:
            print(f"    {item['filename']}:{item['row']}:{item['column']}  {item['why']}")
        print(f"svcmod findings ruff does not have: {len(result['extra'])}")
        for category, count in sorted(result["extra_by_category"].items(), key=lambda kv: -kv[1]):
            print(f"  {count:5d}  {category}")
    unexplained = [m for m in result["missed"] if m["why"].startswith("unexplained")]
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
