"""Command-line interface: ``radiomap COMMAND``. A thin shell over the public API.

``main`` is the one error boundary: a user-facing problem (any ``RadiomapError``, a usage error,
an OS error about a path) prints one line ``error: ...`` on stderr and exits with status 2; any
other exception is a bug and keeps its traceback.
"""

import errno
import sys

import typer

from radiomap.cli import bench as _bench  # noqa: F401  (registers commands)
from radiomap.cli import data as _data  # noqa: F401
from radiomap.cli import features as _features  # noqa: F401
from radiomap.cli import importing as _importing  # noqa: F401
from radiomap.cli import info as _info  # noqa: F401
from radiomap.cli import localize as _localize  # noqa: F401
from radiomap.cli import mapping as _mapping  # noqa: F401
from radiomap.cli.app import app
from radiomap.errors import RadiomapError

_USER_OS_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.ENOENT,
                   errno.EISDIR, errno.ENOTDIR, errno.EEXIST, errno.ENAMETOOLONG}
"""OS errors that describe the user's paths or disk, not a bug."""


def main(argv: list[str] | None = None) -> None:
    """Entry point; user-facing errors print one line on stderr and exit with status 2."""
    try:
        rc = app(argv, standalone_mode=False, prog_name="radiomap")
    except typer.Abort:
        _fail("interrupted", 130)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except typer.TyperException as exc:  # usage errors: bad option, value, missing argument
        _fail(exc.format_message() if hasattr(exc, "format_message") else str(exc))
    except RadiomapError as exc:
        _fail(str(exc))
    except OSError as exc:
        if exc.errno not in _USER_OS_ERRNOS:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(f"{where}{exc.strerror or exc}")
    sys.exit(rc if isinstance(rc, int) else 0)


def _fail(message: str, code: int = 2) -> None:
    print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
    sys.exit(code)


__all__ = ["app", "main"]
