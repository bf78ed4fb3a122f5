"""Finished shards of a long run, kept beside its output so that an interrupted run resumes.

A sharded writer (``radiomap simulate``) keeps each finished shard as a sealed file in the hidden
folder ``.<output name>.radiomap-shards/`` beside the output, with ``run.json`` describing the run
(every setting that changes the result). A rerun of the same command finds the folder, checks that
``run.json`` describes the same run, and skips the shards already there; a shard is written
atomically (``radiomap.atomic``), so a killed worker leaves a stale temporary, never half a shard.
The folder is removed, by the writer, only after the output is complete; radiomap creates it, and
removes only files it named itself (``run.json``, ``shard-*.h5``), never a foreign file or folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from radiomap.atomic import TMP_TAG, write_text
from radiomap.errors import DataError, OutputError
from radiomap.hdf5 import check_seal
from radiomap.jsonable import dumps

SUFFIX = ".radiomap-shards"
"""Suffix of the shard folder: ``.<output name>.radiomap-shards``."""
_MANIFEST = "run.json"


def shard_folder(output: str | os.PathLike) -> Path:
    """The shard folder of ``output``: ``<parent>/.<name>.radiomap-shards``."""
    output = Path(output)
    return output.parent / f".{output.name}{SUFFIX}"


class ShardStore:
    """The shard folder of one run of a sharded writer.

    Parameters
    ----------
    output : path
        The file the run writes.
    run : dict
        JSON-able description of the run (every setting that changes the result).
    discard : bool
        A shard folder of a *different* run is removed and started afresh (``--force``) instead of
        refused.

    Attributes
    ----------
    folder : Path
        ``.<output name>.radiomap-shards`` beside ``output`` (created by :meth:`open`).
    """

    def __init__(self, output: str | os.PathLike, run: dict[str, Any], *, discard: bool = False) -> None:
        self.folder = shard_folder(output)
        self.run = json.loads(dumps(run))
        self.discard = discard

    def open(self) -> ShardStore:
        """Create the folder, or check that an existing one holds shards of this very run.

        Returns
        -------
        ShardStore
            ``self``.

        Raises
        ------
        OutputError
            The folder is not radiomap's, or (without ``discard``) it belongs to another run.
        """
        manifest = self.folder / _MANIFEST
        if self.folder.is_symlink() or (self.folder.exists() and not self.folder.is_dir()):
            raise OutputError(f"{self.folder} exists and is not a radiomap shard folder; remove or rename it")
        if self.folder.is_dir():
            try:
                found = json.loads(manifest.read_text())["run"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise OutputError(f"{self.folder} exists but holds no radiomap {_MANIFEST}; "
                                  "remove or rename it") from exc
            if found == self.run:
                return self
            if not self.discard:
                raise OutputError(f"{self.folder} holds the shards of a different run (other settings); rerun that "
                                  "command to finish it, or pass --force to discard them")
            self.remove()
        self.folder.mkdir(parents=True, exist_ok=True)
        write_text(manifest, dumps({"radiomap-shards": 1, "run": self.run}), overwrite=True)
        return self

    def path(self, index: int) -> Path:
        """File of shard ``index``: ``shard-000123.h5``."""
        return self.folder / f"shard-{index:06d}.h5"

    def done(self, index: int) -> bool:
        """True when shard ``index`` was written completely (file present, seal intact)."""
        path = self.path(index)
        if not path.is_file():
            return False
        try:
            check_seal(path)
        except DataError:
            return False
        return True

    def remove(self) -> None:
        """Delete the files radiomap put in the folder and, if nothing else is left, the folder."""
        if not self.folder.is_dir():
            return
        for p in self.folder.iterdir():
            ours = p.name == _MANIFEST or (p.name.startswith("shard-") and p.name.endswith(".h5")) \
                or (p.name.startswith(".shard-") and TMP_TAG in p.name)
            if ours and p.is_file() and not p.is_symlink():
                p.unlink()
        if not any(self.folder.iterdir()):
            self.folder.rmdir()
