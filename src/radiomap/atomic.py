"""Safe outputs: the one mechanism by which radiomap writes files and folders.

Rules (every writer of the package goes through this module):

- **Atomic**: a file or folder is written under a temporary name beside its target and renamed
  over it only when complete; a crash or ``kill -9`` never leaves a half-written target.
- **Never a foreign target**: an existing target is replaced only when radiomap itself wrote it
  (HDF5 files whose ``schema`` attribute starts with ``radiomap``, PNG files whose ``Software``
  text chunk starts with ``radiomap``, scene files with ``generator = "radiomap ..."``, folders
  holding a :data:`MARKER` file that lists every file in them) *and* the caller asked for it
  (``overwrite=True``, the CLI's ``--force``). A folder is never emptied or merged into; a folder
  in which anyone added a file is foreign. An empty folder holds nothing to lose and is written
  into as if it were absent.
- **Validated before work**: :func:`check_output` is called by each command before it starts
  (parent folder writable or creatable, no folder where a file is meant, not one of the command's
  inputs, existing target replaceable).
- **One temporary-name pattern**: ``.<target name>.radiomap-tmp-<host>-<pid>-<random>`` (covered by
  ``.gitignore``). Temporaries of processes that are no longer running on this host are removed
  on the next write to the same target.
- **Permissions follow the umask** (files 0666 & ~umask, folders 0777 & ~umask), so colleagues
  can read shared results.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import secrets
import shutil
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from radiomap.errors import OutputError
from radiomap.hdf5 import SEAL_TAG

TMP_TAG = ".radiomap-tmp-"
"""Infix of every temporary name: ``.<name>.radiomap-tmp-<host>-<pid>-<hex>``."""
MARKER = ".radiomap-output.json"
"""File in every folder radiomap writes: ``{"radiomap": version, "kind": ..., "files": [...]}``."""

_HOST = socket.gethostname().replace("-", "_") or "host"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_RENAME_EXCHANGE = 2


# -- ownership -----------------------------------------------------------------------------------
def is_radiomap_output(path: str | os.PathLike) -> bool:
    """True if ``path`` is a file or folder that radiomap wrote and nobody has added to since."""
    path = Path(path)
    if path.is_symlink():
        return False
    if path.is_dir():
        return _folder_files(path) is not None
    if path.is_file():
        return _is_radiomap_file(path)
    return False


def _folder_files(path: Path) -> set[str] | None:
    """Relative paths listed in ``path``'s marker, or None if the folder is not radiomap's own."""
    try:
        listed = json.loads((path / MARKER).read_text())["files"]
        present = {str(p.relative_to(path)) for p in path.rglob("*") if not p.is_dir() and p.name != MARKER}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(listed, list) or not present <= set(map(str, listed)):
        return None
    return present


def _is_radiomap_file(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    if head.startswith(_PNG_SIGNATURE):
        return b"tEXtSoftware\x00radiomap" in head
    if path.suffix in (".toml", ".json"):  # scene files carry generator = "radiomap <version>"
        return re.search(rb'"?generator"?\s*[:=]\s*"radiomap ', head) is not None
    if head.startswith((b"\x89HDF\r\n\x1a\n", SEAL_TAG)):
        import h5py

        try:
            with h5py.File(path, "r") as f:
                return str(f.attrs.get("schema", "")).startswith("radiomap")
        except Exception:  # damaged beyond reading: not recognisably ours
            return False
    return False


def png_metadata() -> dict[str, str]:
    """``metadata=`` for ``Figure.savefig``: marks a PNG as radiomap's own (replaceable)."""
    from radiomap import __version__

    return {"Software": f"radiomap {__version__}"}


# -- validation before work ------------------------------------------------------------------------
def check_output(path: str | os.PathLike, *, kind: str = "file", overwrite: bool = False,
                 inputs: Iterable[str | os.PathLike | None] = (), what: str = "output") -> Path:
    """Check that ``path`` can be written, before any work starts; return it as a ``Path``.

    Input
    -----
    path : target file or folder
    kind : "file" or "dir" (what will be written there)
    overwrite : an existing target may be replaced (it must still be radiomap's own)
    inputs : paths the same command reads; the target must be none of them (nor inside a folder input)
    what : name used in messages (e.g. "model folder")

    Raises ``OutputError`` with one line naming the problem and the fix.
    """
    path = Path(path)
    resolved = path.resolve()
    for inp in inputs:
        if inp is None:
            continue
        r = Path(inp).resolve()
        if resolved == r or r in resolved.parents:
            raise OutputError(f"{what} {path} is also an input of this command ({inp}); choose another path")
        if kind == "dir" and resolved in r.parents:
            raise OutputError(f"{what} {path} contains an input of this command ({inp}); choose another path")
    if kind == "dir" and path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
        pass  # an empty folder holds nothing to lose: it is replaced as if it were absent
    elif path.exists() or path.is_symlink():
        if kind == "file" and path.is_dir():
            raise OutputError(f"{what} {path} is a folder; give a file name")
        if kind == "dir" and not path.is_dir():
            raise OutputError(f"{what} {path} exists and is not a folder")
        if not is_radiomap_output(path):
            detail = "a folder radiomap did not write (or with files added to it)" if path.is_dir() \
                else "a file radiomap did not write"
            raise OutputError(f"{what} {path} exists and is {detail}; refusing to replace it: choose another path")
        if not overwrite:
            raise OutputError(f"{what} {path} exists; pass --force (overwrite=True) to replace it")
    _check_parent_writable(path, what)
    return path


def _check_parent_writable(path: Path, what: str) -> None:
    ancestor = path.absolute().parent
    while not ancestor.exists():
        if ancestor.is_symlink():
            raise OutputError(f"{what} {path}: {ancestor} is a broken link")
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"{what} {path}: {ancestor} is a file, not a folder")
    probe = ancestor / f".probe{TMP_TAG}{_HOST}-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise OutputError(f"{what} {path}: folder {ancestor} is not writable ({exc.strerror})") from exc


# -- atomic writers ----------------------------------------------------------------------------------
@contextmanager
def atomic_file(path: str | os.PathLike, *, overwrite: bool = False, what: str = "output") -> Iterator[Path]:
    """Yield a temporary (not yet existing) path beside ``path``; rename it over ``path`` on success.

    The caller creates the file (e.g. ``h5py.File(tmp, "w")``) so it gets umask permissions. On
    error the temporary is removed and the target is untouched.

    Example
    -------
    >>> with atomic_file("out.json") as tmp:  # doctest: +SKIP
    ...     tmp.write_text("{}")
    """
    path = Path(path)
    check_output(path, kind="file", overwrite=overwrite, what=what)
    tmp = _temporary(path)
    try:
        yield tmp
        if not tmp.is_file():
            raise OutputError(f"{what} {path}: nothing was written")
        _fsync(tmp)
        check_output(path, kind="file", overwrite=overwrite, what=what)  # the target may have changed
        os.replace(tmp, path)
    finally:
        _remove_own_temporary(tmp)


@contextmanager
def atomic_dir(path: str | os.PathLike, *, kind: str, overwrite: bool = False,
               what: str = "output folder") -> Iterator[Path]:
    """Yield a new temporary folder beside ``path``; on success mark it and swap it into place.

    ``kind`` is recorded in the marker (e.g. "model", "report"). A replaced folder (radiomap's
    own, ``overwrite=True``) is exchanged atomically where the OS allows (Linux ``renameat2``),
    otherwise moved aside, replaced and then removed.
    """
    from radiomap import __version__

    path = Path(path)
    check_output(path, kind="dir", overwrite=overwrite, what=what)
    tmp = _temporary(path)
    tmp.mkdir()  # 0777 & ~umask
    try:
        yield tmp
        files = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if not p.is_dir())
        (tmp / MARKER).write_text(json.dumps({"radiomap": __version__, "kind": kind, "files": files}, indent=1))
        for p in tmp.rglob("*"):
            if p.is_file():
                _fsync(p)
        check_output(path, kind="dir", overwrite=overwrite, what=what)
        if path.exists():
            _swap_dirs(tmp, path)  # tmp now holds the old folder; removed below
        else:
            os.replace(tmp, path)
    finally:
        _remove_own_temporary(tmp)


@contextmanager
def scratch_dir(path: str | os.PathLike) -> Iterator[Path]:
    """A new temporary folder beside ``path`` (radiomap's temporary name), removed on exit whatever happens.

    For intermediate files that must not outlive a task (e.g. one seed's report inside a sweep); on a
    cluster it lies on the same file system as ``path``.
    """
    tmp = _temporary(Path(path))
    tmp.mkdir()
    try:
        yield tmp
    finally:
        _remove_own_temporary(tmp)


def write_text(path: str | os.PathLike, text: str, *, overwrite: bool = False) -> Path:
    """Write a text file atomically (see :func:`atomic_file`)."""
    with atomic_file(path, overwrite=overwrite) as tmp:
        tmp.write_text(text)
    return Path(path)


def save_figure(fig, path: str | os.PathLike, *, overwrite: bool = False, **savefig_kw) -> Path:
    """Save a Matplotlib figure as PNG atomically, marked as radiomap's own (see :func:`png_metadata`)."""
    with atomic_file(path, overwrite=overwrite, what="figure") as tmp:
        fig.savefig(tmp, format="png", metadata=png_metadata(), **savefig_kw)
    return Path(path)


# -- temporaries ---------------------------------------------------------------------------------------
def _temporary(path: Path) -> Path:
    """A fresh temporary name beside ``path`` (parents created); stale ones of dead processes removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    return path.parent / f".{path.name}{TMP_TAG}{_HOST}-{os.getpid()}-{secrets.token_hex(4)}"


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove temporaries of ``path`` left by processes of this host that no longer run; return them."""
    path = Path(path)
    removed = []
    prefix = f".{path.name}{TMP_TAG}{_HOST}-"
    with suppress(OSError):
        for cand in path.parent.iterdir():
            if not cand.name.startswith(prefix):
                continue
            pid = cand.name[len(prefix):].split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                _remove_own_temporary(cand)
                removed.append(cand)
    return removed


def _remove_own_temporary(tmp: Path) -> None:
    """Delete a temporary radiomap created (its name carries the temporary tag)."""
    if TMP_TAG not in tmp.name:  # pragma: no cover - a guard: never delete anything else
        raise OutputError(f"refusing to delete {tmp}: not a radiomap temporary")
    if tmp.is_dir() and not tmp.is_symlink():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        with suppress(FileNotFoundError):
            tmp.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap_dirs(new: Path, target: Path) -> None:
    """Put folder ``new`` at ``target``; afterwards ``new`` holds the previous ``target``."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        fn = None
    if fn is not None:
        at_fdcwd = -100
        if fn(at_fdcwd, os.fsencode(new), at_fdcwd, os.fsencode(target), _RENAME_EXCHANGE) == 0:
            return
    aside = _temporary(target)
    os.replace(target, aside)
    os.replace(new, target)
    os.replace(aside, new)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

