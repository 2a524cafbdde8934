"""``--format github``: workflow commands that GitHub Actions turns into annotations on the diff."""
from __future__ import annotations

import os
from typing import TextIO

from svcmod.results import Finding, RunResult


def escape_data(text: str) -> str:
    """As GitHub's actions/toolkit ``escapeData``: the message after ``::``."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """As actions/toolkit ``escapeProperty``: values of ``file=``, ``title=`` …, where ``:`` and ``,`` end them."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(finding: Finding, file: str = "") -> str:
    properties = {
        "file": file or finding.filename,
        "line": finding.line,
        "col": finding.column,
        "endLine": max(finding.end_line, finding.line),
        "endColumn": finding.end_column,
        "title": finding.code,
    }
    joined = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::error {joined}::{escape_data(f'{finding.message} ({finding.name})')}"


def render(result: RunResult, stream: TextIO, **_: object) -> None:
    for finding in result.findings:
        stream.write(command(finding, _real_name(result, finding.filename)) + "\n")


def _real_name(result: RunResult, filename: str) -> str:
    """The name with its control characters (escaped here as GitHub escapes them), when it is UTF-8."""
    real = result.paths.get(filename)
    if real is None:
        return filename
    relative = os.path.relpath(real).replace(os.sep, "/")
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 cannot be named in a UTF-8 log: shown escaped
        return filename
    return relative
