"""``svcmod report merge``: the outputs of sharded lint or migrate jobs joined into one report."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional, Tuple

import click

from svcmod.cli.options import fail, output_stream, plural, use_color, writable_directory, writable_file
from svcmod.outputs.formats import FORMATS


@click.group("report")
def report_command() -> None:
    """Work with saved reports (e.g. from sharded CI jobs)."""


@report_command.command("merge")
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False, readable=False))
@click.option("--format", "--output-format", "output_format", default="json", show_default=True,
              type=click.Choice(list(FORMATS)), help="Format of the merged lint report.")
@click.option("--output", "--output-file", "-o", "output_file", type=click.Path(dir_okay=False),
              help="Write the merged report to FILE.")
@click.option("--project-root", type=click.Path(file_okay=False, path_type=Path),
              help="SARIF paths are relative to this directory (default: the git top level).")
@click.option("--rule-docs-url", metavar="TEMPLATE", help="Rule documentation links (as `svcmod lint`).")
@click.option("--report-md", type=click.Path(), metavar="FILE",
              help="Migrate shards: also write the merged pull-request bodies as Markdown, as `svcmod migrate "
                   "--report-md` does (FILE, or one file per project when FILE is a directory or ends with '/').")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when the merged report has findings.")
def merge_command(reports: Tuple[str, ...], output_format: str, output_file: Optional[str],
                  project_root: Optional[Path], rule_docs_url: Optional[str], exit_zero: bool,
                  report_md: Optional[str] = None) -> None:
    """Merge the outputs of sharded jobs: `svcmod lint --shard K/N --format json` (into any --format),
    or `svcmod migrate --shard K/N --report-json` (into one JSON report, and with --report-md the
    Markdown pull-request bodies).

    Refuses (exit 2, naming the shard) a missing, doubled or mismatched shard. Exits 1 when the
    merged lint report holds findings or the merged migration has errors, as the unsharded run would.
    """
    from svcmod.outputs.shards import (ShardError, check_complete, merged_fix_edits, merged_lint, merged_migrate,
                                       read_shard)
    writable_file(output_file, "--output")
    if report_md is not None and (report_md.endswith(("/", "\\")) or os.path.isdir(report_md)):
        writable_directory(report_md, "--report-md")
    else:
        writable_file(report_md, "--report-md")
    try:
        shards = [read_shard(path) for path in reports]
        check_complete(shards)
        if shards[0].kind == "migrate":
            if output_format != "json":
                raise ShardError(f"{shards[0].path}: migrate reports merge into JSON only (--format json)")
            document = merged_migrate(shards)
            if report_md is not None:
                _write_markdown(document, report_md)
            with output_stream(output_file) as stream:
                stream.write(json.dumps(document, indent=2) + "\n")
            totals = document.get("totals") or {}
            errors = totals.get("errors", 0)
            pending = document.get("mode") in ("check", "diff") and totals.get("files_changed", 0)
            click.echo(f"Merged {plural(len(shards), 'shard')}: {plural(len(document['projects']), 'project')}, "
                       f"{plural(errors, 'error')}.", err=True)
            # as the unsharded migrate: 1 for errors, or for changes pending with --check/--diff
            sys.exit(1 if (errors or pending) and not exit_zero else 0)
        if report_md is not None:
            raise ShardError(f"{shards[0].path}: --report-md is for migrate reports; this is a lint shard")
        result = merged_lint(shards)
        fix_edits = merged_fix_edits(shards)
    except ShardError as error:
        raise fail(str(error))
    if output_format in ("text", "github"):
        for file_result in result.files:  # people and annotations read paths relative to here
            shown = _relative(file_result.filename)
            for finding in file_result.findings:
                finding.filename = shown
            file_result.filename = shown
    from svcmod.outputs.formats import renderer
    color = output_file is None and output_format == "text" and use_color(sys.stdout)
    with output_stream(output_file) as stream:
        renderer(output_format)(result, stream, color=color, project_root=project_root, docs_url=rule_docs_url,
                                fix_edits=fix_edits)
    count = len(result.findings)
    click.echo(f"Merged {plural(len(shards), 'shard')}: {plural(count, 'finding')}.", err=True)
    sys.exit(1 if count and not exit_zero else 0)


def _write_markdown(document, target: str) -> None:
    from svcmod.outputs.reports import markdown
    from svcmod.outputs.reports.json_report import NotAReport, read_reports
    from svcmod.outputs.shards import ShardError
    try:
        reports, patches, applying = read_reports(document)
    except NotAReport as error:
        raise ShardError(f"merged migrate report: {error}") from None
    try:
        markdown.write(reports, target, migration=str(document.get("migration", "")),
                       mode=str(document.get("mode", "write")), patches=patches, applying=applying)
    except OSError as error:
        raise fail(f"cannot write report: {error.filename or ''}: {error.strerror or error}")


def _relative(filename: str) -> str:
    if not os.path.isabs(filename):
        return filename
    relative = os.path.relpath(filename)
    return filename if relative.startswith("..") else relative.replace(os.sep, "/")
