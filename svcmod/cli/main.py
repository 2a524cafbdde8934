"""The ``svcmod`` command group: one module per command, each parsing options and calling the library."""
from __future__ import annotations

import sys

import click

from svcmod import __version__
from svcmod.cli.baseline import baseline_command
from svcmod.cli.lint import lint
from svcmod.cli.migrate import migrate
from svcmod.cli.report import report_command
from svcmod.cli.rules import rule_command, rules_command
from svcmod.cli.server import server_command
from svcmod.run.stopping import Interrupted, interrupt_anywhere


class _Commands(click.Group):
    """click's own usage errors take three lines; CI logs and wrappers read one, as for every other error."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[override]
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            with interrupt_anywhere():
                code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except Interrupted as stop:  # before or after a run (a run reports its own, with the files written)
            click.echo(f"svcmod: interrupted ({stop})", err=True)
            sys.exit(stop.exit_code)
        except click.exceptions.UsageError as error:
            if type(error).__name__ == "NoArgsIsHelpError":  # plain `svcmod`: the help, as click shows it
                error.show()
                sys.exit(error.exit_code)
            command = " ".join(["svcmod", *(error.ctx.command_path.split()[1:] if error.ctx is not None else [])])
            click.echo(f"svcmod: error: {error.format_message()} (see `{command} --help`)", err=True)
            sys.exit(2)
        except click.ClickException as error:
            click.echo(f"svcmod: error: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except click.exceptions.Abort:  # click's name for a KeyboardInterrupt that got past the handlers
            click.echo("svcmod: interrupted (SIGINT)", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="svcmod")
def main() -> None:
    """Find and fix missing deadlines, unsafe retries and deprecated APIs in Python services."""


for command in (lint, rules_command, rule_command, baseline_command, migrate, report_command, server_command):
    main.add_command(command)
