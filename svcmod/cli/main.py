"""The ``svcmod`` command group: one module per command, each parsing options and calling the library."""
from __future__ import annotations

import click

from svcmod import __version__
from svcmod.cli.baseline import baseline_command
from svcmod.cli.lint import lint
from svcmod.cli.migrate import migrate
from svcmod.cli.report import report_command
from svcmod.cli.rules import rule_command, rules_command
from svcmod.cli.server import server_command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="svcmod")
def main() -> None:
    """Find and fix missing deadlines, unsafe retries and deprecated APIs in Python services."""


for command in (lint, rules_command, rule_command, baseline_command, migrate, report_command, server_command):
    main.add_command(command)
