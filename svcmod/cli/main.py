"""The ``svcmod`` command group: one module per command, each parsing options and calling the library."""
from __future__ import annotations

import importlib
import sys
from typing import List, Optional

import click

from svcmod import __version__
from svcmod.run.stopping import Interrupted, interrupt_anywhere

#: Each command's module and object, imported when the command is asked for: ``svcmod --version``
#: and ``svcmod lint`` do not load migrate's, the language server's or the other commands' code.
COMMANDS = {
    "baseline": ("svcmod.cli.baseline", "baseline_command"),
    "lint": ("svcmod.cli.lint", "lint"),
    "migrate": ("svcmod.cli.migrate", "migrate"),
    "report": ("svcmod.cli.report", "report_command"),
    "rule": ("svcmod.cli.rules", "rule_command"),
    "rules": ("svcmod.cli.rules", "rules_command"),
    "server": ("svcmod.cli.server", "server_command"),
}


class _Commands(click.Group):
    """click's own usage errors take three lines; CI logs and wrappers read one, as for every other error.
    Commands are imported when used (``COMMANDS``)."""

    def list_commands(self, ctx: click.Context) -> List[str]:
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> Optional[click.Command]:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, name = COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), name), cmd_name)
        return self.commands.get(cmd_name)

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
