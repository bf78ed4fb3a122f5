"""The Typer application that every command module registers on."""

import typer

app = typer.Typer(
    name="radiomap",
    help="Radio maps and CSI-based localization for MIMO-OFDM networks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
