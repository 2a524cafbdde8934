"""``--format json``: one JSON array of findings in ruff's shape (tools that read ruff read this)."""
from __future__ import annotations

import json
from typing import TextIO

from svcmod.results import RunResult


def render(result: RunResult, stream: TextIO, **_: object) -> None:
    json.dump([finding.to_dict() for finding in result.findings], stream, indent=2)
    stream.write("\n")
