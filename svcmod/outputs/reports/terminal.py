"""What a person reads after ``svcmod migrate``: a table with one row per project, then the work left.

It fits an 80-column terminal (project names are never cut; the rules of each project's edits
are listed below the table, not in a column), and piped it keeps to 100 columns.
"""
from __future__ import annotations

import os
from typing import List, TextIO

from svcmod.outputs.reports import ProjectReport, summary_line

#: Width when not on a terminal (a CI log, a file): wide enough for the table, short enough to read.
PIPED_WIDTH = 100


def render(reports: List[ProjectReport], stream: TextIO, *, mode: str, color: bool = False,
           width: int = 0) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=stream, force_terminal=color, no_color=not color,
                      width=width or (None if color else PIPED_WIDTH), highlight=False, soft_wrap=False)
    title = "to change" if mode in ("check", "diff") else "changed"
    table = Table(box=None, header_style="bold", pad_edge=False, collapse_padding=True)
    table.add_column("project", no_wrap=True, overflow="fold")
    # "unsafe": the fix class of edits that change behaviour (the rules' own word for it)
    for column in ("files", title, "edits (unsafe)", "follow-ups", "errors", "time"):
        table.add_column(column, justify="right", no_wrap=True)
    for report in reports:
        table.add_row(report.name, str(report.files_scanned), str(len(report.changes)),
                      f"{len(report.edits)} ({len(report.behaviour_changing)})", str(len(report.follow_ups)),
                      str(len(report.errors)), f"{report.seconds:.1f}s")
    console.print(table)

    def line(text: str, style: str = "") -> None:  # one finding, one line: never wrapped (grep, CI logs)
        console.print(Text(text, style=style), soft_wrap=True)

    edited = [r for r in reports if r.edits]
    if edited:
        line("")
        line("Edits by rule", "bold")
        for report in edited:
            rules = ", ".join(f"{code}×{len(items)}" for code, items in report.edits_by_rule().items())
            console.print(Text(f"  {report.name}: {rules}"))  # a list for people: wrapped to the width
    dependencies = [(report, item) for report in reports for item in report.dependencies]
    if dependencies:
        line("")
        line("Dependency manifests edited (so the migrated code installs)", "bold")
        for report, item in dependencies:
            where = os.path.relpath(report.directory / item.file).replace(os.sep, "/")
            line(f"  {where}:{item.line}: {item.description} (for {item.code})")
    for heading, kind in (("Manual follow-ups (no mechanical fix)", "follow_ups"),
                          ("Errors (files not migrated)", "errors")):
        items = [item for report in reports for item in getattr(report, kind)]
        if not items:
            continue
        line("")
        line(f"{heading}: {len(items)}", "bold")
        for item in sorted(items, key=lambda f: (f.filename or f.file, f.line, f.code)):
            line(f"  {item.filename or item.file}:{item.line}:{item.column}: {item.code} {item.message}")
    line("")
    line(summary_line(reports, mode))
