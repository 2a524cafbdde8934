"""``svcmod server``: the language server for editors, over stdin/stdout."""
from __future__ import annotations

import click


@click.command("server")
@click.option("--stdio", is_flag=True, help="Talk over stdin/stdout (the only transport; accepted for "
              "clients that pass it).")
def server_command(stdio: bool) -> None:
    """Run the language server (diagnostics, quick fixes, fix-all, rule docs on hover) over stdio."""
    # imported here: only this command pays for pygls and the rules
    from svcmod.integrations.server.server import serve
    serve()
