"""`impact app`: start the dashboard on the right network interface."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.
import subprocess
from typing import Annotated

import typer

from impact.cli import command


@command()
def app(
    address: Annotated[
        str | None,
        typer.Option(
            help="Interface to listen on (default: 127.0.0.1, or every interface when "
            "sign-in is configured; IMPACT_ADDRESS also sets it)."
        ),
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8501).")] = None,
) -> None:
    """Serve the dashboard. Local single-user mode listens on this machine only."""
    from impact.launch import LOCAL, server_address, streamlit_command

    chosen = server_address(address)
    where = "this machine only" if chosen == LOCAL else f"{chosen} (reachable from the network)"
    typer.echo(f"Serving Impact on {where}.", err=True)
    raise typer.Exit(subprocess.call(streamlit_command(chosen, port)))
