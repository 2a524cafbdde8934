"""``--format json``: one JSON array of findings in ruff's shape (tools that read ruff read this).

As ruff: ``filename`` absolute, ``url`` the rule's documentation, ``noqa_row`` the line a
``# noqa`` for it goes on; svcmod adds ``name`` and ``project``. With ``--shard K/N`` the array
comes wrapped with the shard's identity, for ``svcmod report merge``.
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional, TextIO

from svcmod.outputs.rule_docs import rule_url
from svcmod.results import Finding, RunResult


def finding_data(finding: Finding, docs_url: Optional[str] = None) -> Dict[str, Any]:
    data = finding.to_dict()
    filename = finding.filename
    data["filename"] = filename if filename == "-" or os.path.isabs(filename) else os.path.abspath(filename)
    data["url"] = rule_url(finding.code, finding.name, docs_url)
    data["noqa_row"] = finding.line
    data["cell"] = None
    return data


def render(result: RunResult, stream: TextIO, docs_url: Optional[str] = None, **_: object) -> None:
    findings = [finding_data(f, docs_url) for f in result.findings]
    data: Any = findings if result.shard is None else {"svcmod_shard": result.shard, "findings": findings}
    json.dump(data, stream, indent=2, ensure_ascii=True)
    stream.write("\n")
