"""Command-line interface: ``radiomap COMMAND``. A thin shell over the public API."""

import sys

from radiomap.cli import bench as _bench  # noqa: F401  (registers commands)
from radiomap.cli import data as _data  # noqa: F401
from radiomap.cli import importing as _importing  # noqa: F401
from radiomap.cli import localize as _localize  # noqa: F401
from radiomap.cli.app import app
from radiomap.errors import RadiomapError


def main() -> None:
    """Entry point; user-facing errors print one line and exit with status 2."""
    try:
        app()
    except RadiomapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


__all__ = ["app", "main"]
