"""The Typer application that every command module registers on."""

from typing import Annotated

import typer

app = typer.Typer(
    name="radiomap",
    help="Radio maps and CSI-based localization for MIMO-OFDM networks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Force = Annotated[bool, typer.Option("--force", "-f", help="replace an existing output that radiomap wrote earlier")]
"""The ``--force`` option of every command that writes (``radiomap.atomic`` rules still apply)."""
