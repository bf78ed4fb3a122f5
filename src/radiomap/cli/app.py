"""The Typer application that every command module registers on."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

app = typer.Typer(
    name="radiomap",
    help="Radio maps and CSI-based localization for MIMO-OFDM networks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from radiomap import __version__

        typer.echo(f"radiomap {__version__}")
        raise typer.Exit()


_OPTIONS = {"quiet": False}


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                 help="print the version and exit")] = False,
          quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bars")] = False) -> None:
    """Radio maps and CSI-based localization for MIMO-OFDM networks."""
    _OPTIONS["quiet"] = quiet


def show_progress(choice: bool | None = None) -> bool:
    """Whether to draw progress bars: ``choice`` when a command's ``--progress/--no-progress`` was given,
    else on a terminal (stderr) unless ``radiomap --quiet``."""
    if choice is not None:
        return choice
    return not _OPTIONS["quiet"] and sys.stderr.isatty()


Progress = Annotated[bool | None, typer.Option(
    "--progress/--no-progress", help="progress bars (default: on a terminal, off with radiomap -q)")]
"""The ``--progress/--no-progress`` option of every long command; resolve it with :func:`show_progress`."""

Force = Annotated[bool, typer.Option("--force", "-f", help="replace an existing output that radiomap wrote earlier")]
"""The ``--force`` option of every command that writes (``radiomap.atomic`` rules still apply)."""

Workers = Annotated[int | None, typer.Option(
    "--workers", help="run shards on a local Dask cluster of N worker processes (pip install 'radiomap[parallel]')")]
"""The ``--workers N`` option of every sharded command (``radiomap.parallel``)."""

Scheduler = Annotated[str | None, typer.Option(
    "--scheduler", help="run shards on a running Dask scheduler (tcp://host:8786 or a scheduler .json file)")]
"""The ``--scheduler ADDRESS`` option of every sharded command (``radiomap.parallel``)."""


@contextmanager
def cluster(workers: int | None, scheduler: str | None) -> Iterator:
    """``radiomap.parallel.executor`` for the command's options; prints the dashboard link of a cluster."""
    from radiomap.cli.tables import console
    from radiomap.parallel import executor

    with executor(workers, scheduler) as ex:
        if ex.dashboard:
            console.print(f"dask: {ex.workers} workers, dashboard {ex.dashboard}")
        yield ex
