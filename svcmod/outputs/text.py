"""``--format text``: ``path:row:col: CODE message``, one per line, as ruff and flake8 print."""
from __future__ import annotations

from typing import TextIO

import click

from svcmod.results import RunResult


def render(result: RunResult, stream: TextIO, color: bool = False, unsafe: bool = False, **_: object) -> None:
    """``unsafe`` (--unsafe-fixes): findings with an unsafe fix are marked fixable too, as ruff marks them."""
    fixable = ("safe", "unsafe") if unsafe else ("safe",)
    for finding in result.findings:
        location = f"{finding.filename}:{finding.line}:{finding.column}:"
        code = finding.code
        marker = " [*]" if finding.fix_applicability in fixable else ""
        if color:
            location = click.style(location, bold=True)
            code = click.style(code, fg="red", bold=True)
            marker = click.style(marker, fg="cyan") if marker else ""
        stream.write(f"{location} {code}{marker} {finding.message}\n")
