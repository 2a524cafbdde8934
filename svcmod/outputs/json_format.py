"""``--format json``: one JSON array of findings in ruff's shape (tools that read ruff read this).

As ruff: ``filename`` absolute, ``url`` the rule's documentation, ``noqa_row`` the line a
``# noqa`` for it goes on, ``fix.edits`` the text edits of the fix (``svcmod/run/fix_edits.py``);
svcmod adds ``name`` and ``project``. With ``--shard K/N`` the array
comes wrapped with the shard's identity, for ``svcmod report merge``.
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Mapping, Optional, TextIO, Tuple

from svcmod.outputs.rule_docs import rule_url
from svcmod.results import Finding, RunResult


#: the edits of each finding's fix, by (filename as shown, code, row, column)
FixEdits = Mapping[Tuple[str, str, int, int], List[Dict[str, Any]]]


def finding_data(finding: Finding, docs_url: Optional[str] = None, fix_edits: Optional[FixEdits] = None) -> Dict[str, Any]:
    data = finding.to_dict()
    if data["fix"] is not None:
        key = (finding.filename, finding.code, finding.line, finding.column)
        data["fix"]["edits"] = list((fix_edits or {}).get(key, []))
    filename = finding.filename
    data["filename"] = filename if filename == "-" or os.path.isabs(filename) else os.path.abspath(filename)
    data["url"] = rule_url(finding.code, finding.name, docs_url)
    data["noqa_row"] = finding.line
    data["cell"] = None
    data["severity"] = "error"  # as ruff: every finding fails the gate
    return data


def render(result: RunResult, stream: TextIO, docs_url: Optional[str] = None,
           fix_edits: Optional[FixEdits] = None, **_: object) -> None:
    findings = [finding_data(f, docs_url, fix_edits) for f in result.findings]
    data: Any = findings if result.shard is None else {"svcmod_shard": result.shard, "findings": findings}
    json.dump(data, stream, indent=2, ensure_ascii=True)
    stream.write("\n")
