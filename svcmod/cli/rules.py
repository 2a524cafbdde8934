"""``svcmod rules`` and ``svcmod rule CODE``: the rule catalogue and one rule's page."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from svcmod.cli.options import fail
from svcmod.project.config import ConfigError


@click.command("rules")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown"]), default="text")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--write", "write_to", type=click.Path(path_type=Path, dir_okay=False),
              help="With --format markdown: put the table into this file (README.md), between its "
                   "'<!-- rules:begin' and '<!-- rules:end -->' lines, instead of printing it.")
def rules_command(output_format: str, config_file: Optional[Path], write_to: Optional[Path]) -> None:
    """List every rule: code, name, fix, summary."""
    import json

    from svcmod.project.config import load_config
    from svcmod.registry.rules import rules_for
    try:
        config = load_config(config_file) if config_file else _config_here()
        rules = rules_for(config)
    except ConfigError as error:
        raise fail(str(error))
    if output_format == "json":
        click.echo(json.dumps([{"code": r.code, "name": r.name, "fix": r.fix_safety, "summary": r.summary()}
                               for r in rules], indent=2))
        return
    if write_to is not None and output_format != "markdown":
        raise fail("--write writes the markdown table: use it with --format markdown")
    if output_format == "markdown":
        from svcmod.outputs.rule_table import markdown_table
        table = markdown_table(rules)
        if write_to is not None:
            _write_table(write_to, table)
        else:
            click.echo(table, nl=False)
        return
    from rich.console import Console
    from rich.table import Table
    table = Table(box=None, show_header=True, header_style="bold")
    for column in ("code", "name", "fix", "what it finds"):
        table.add_column(column)
    for rule in rules:
        table.add_row(rule.code, rule.name, rule.fix_safety or "report", rule.summary())
    Console(width=160 if not sys.stdout.isatty() else None).print(table)


def _write_table(path: Path, table: str) -> None:
    from svcmod.outputs.rule_table import NoPlaceForTable, with_table
    from svcmod.run.source import WriteRefused, read_bytes, write_if_unchanged
    try:
        original = read_bytes(path)
        updated = with_table(original.decode("utf-8"), table).encode("utf-8")
        if updated == original:
            click.echo(f"{path}: the rule table is current", err=True)
            return
        write_if_unchanged(path, original, updated)
    except OSError as error:
        raise fail(f"{path}: {error.strerror or error}")
    except (UnicodeDecodeError, NoPlaceForTable, WriteRefused) as error:
        raise fail(f"{path}: {error}")
    click.echo(f"{path}: rule table written", err=True)


def _config_here():
    from svcmod.project.config import ConfigFinder
    return ConfigFinder().for_path(Path.cwd() / "x.py")


@click.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Print the documentation and examples of one rule."""
    from svcmod.registry.rules import find_rule
    try:
        rule = find_rule(code, _config_here())
    except ConfigError as error:
        raise fail(str(error))
    click.echo(rule.documentation())


