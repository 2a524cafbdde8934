"""``svcmod report merge``: the JSON outputs of sharded lint jobs joined into one report."""
from __future__ import annotations

import json
import sys
from typing import Optional, Tuple

import click

from svcmod.run.sharding import merge_reports, read_report


@click.group("report")
def report_command() -> None:
    """Work with saved reports (e.g. from sharded CI jobs)."""


@report_command.command("merge")
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--output", "-o", "output_file", type=click.Path(dir_okay=False), help="Write the merged report to FILE.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when the merged report has findings.")
def merge_command(reports: Tuple[str, ...], output_file: Optional[str], exit_zero: bool) -> None:
    """Merge `svcmod lint --format json` outputs (one per shard) into one JSON report.

    Exits 1 when the merged report holds findings (as `svcmod lint` would have), 2 on a bad input.
    """
    loaded = []
    for path in reports:
        try:
            loaded.append(read_report(path))
        except (OSError, ValueError) as error:
            click.echo(f"svcmod: error: {path}: {error}", err=True)
            raise click.exceptions.Exit(2)
    merged = merge_reports(loaded)
    text = json.dumps(merged, indent=2) + "\n"
    if output_file:
        with open(output_file, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    click.echo(f"Merged {len(reports)} report{'s' * (len(reports) != 1)}: {len(merged)} "
               f"finding{'s' * (len(merged) != 1)}.", err=True)
    sys.exit(1 if merged and not exit_zero else 0)
