"""The table a person reads after ``svcmod migrate``: one row per project."""
from __future__ import annotations

from typing import List, TextIO

from svcmod.outputs.reports import ProjectReport, summary_line


def render(reports: List[ProjectReport], stream: TextIO, *, mode: str, color: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    follow_ups = [item for report in reports for item in report.follow_ups + report.errors]
    if follow_ups:
        # the work left, one line each as `svcmod lint` prints findings, before the summary
        for item in sorted(follow_ups, key=lambda f: (f.filename or f.file, f.line, f.code)):
            stream.write(f"{item.filename or item.file}:{item.line}:{item.column}: {item.code} {item.message}\n")
        stream.write("\n")
    dependencies = [(report, item) for report in reports for item in report.dependencies]
    if dependencies:
        # the manifests edited so the migrated code installs
        for report, item in dependencies:
            where = report.directory / item.file
            stream.write(f"{where}:{item.line}: dependencies: {item.description} (for {item.code})\n")
        stream.write("\n")
    console = Console(file=stream, force_terminal=color, no_color=not color, width=None if color else 150,
                      highlight=False)
    title = "would change" if mode in ("check", "diff") else "changed"
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("project")
    table.add_column("files", justify="right")
    table.add_column(title, justify="right")
    table.add_column("edits", justify="right")
    table.add_column("behaviour-changing", justify="right")
    table.add_column("follow-ups", justify="right")
    table.add_column("errors", justify="right")
    table.add_column("time", justify="right")
    table.add_column("rules")
    for report in reports:
        rules = ", ".join(f"{code}×{len(items)}" for code, items in report.edits_by_rule().items())
        table.add_row(report.name, str(report.files_scanned), str(len(report.changes)), str(len(report.edits)),
                      str(len(report.behaviour_changing)), str(len(report.follow_ups)), str(len(report.errors)),
                      f"{report.seconds:.1f}s", rules or "-")
    console.print(table)
    console.print(summary_line(reports, mode))
