"""The safe-output mechanism itself: ownership, refusal, atomic replacement, stale temporaries."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from radiomap import atomic
from radiomap.atomic import MARKER, TMP_TAG, atomic_dir, atomic_file, check_output, is_radiomap_output, save_figure
from radiomap.errors import OutputError


def write_dir(path, files=None, **kw):
    with atomic_dir(path, kind="test", **kw) as tmp:
        for name, text in (files or {"a.txt": "A"}).items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(text)


def test_folder_ownership_follows_the_marker(tmp_path):
    write_dir(tmp_path / "out", {"a.txt": "A", "sub/b.txt": "B"})
    assert is_radiomap_output(tmp_path / "out")
    assert json.loads((tmp_path / "out" / MARKER).read_text())["files"] == ["a.txt", "sub/b.txt"]
    (tmp_path / "out" / "mine.txt").write_text("user data")
    assert not is_radiomap_output(tmp_path / "out")  # someone added a file: foreign now
    with pytest.raises(OutputError, match="did not write"):
        write_dir(tmp_path / "out", overwrite=True)
    assert (tmp_path / "out" / "mine.txt").read_text() == "user data"


def test_replacing_an_own_folder_needs_overwrite_and_is_complete(tmp_path):
    write_dir(tmp_path / "out", {"old.txt": "1"})
    with pytest.raises(OutputError, match="--force"):
        write_dir(tmp_path / "out", {"new.txt": "2"})
    write_dir(tmp_path / "out", {"new.txt": "2"}, overwrite=True)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [MARKER, "new.txt"]
    assert not [p for p in tmp_path.iterdir() if TMP_TAG in p.name]


def test_swap_without_renameat2(tmp_path, monkeypatch):
    write_dir(tmp_path / "out", {"old.txt": "1"})
    monkeypatch.setattr(atomic.ctypes, "CDLL", lambda *a, **k: (_ for _ in ()).throw(OSError("no libc")))
    write_dir(tmp_path / "out", {"new.txt": "2"}, overwrite=True)
    assert (tmp_path / "out" / "new.txt").read_text() == "2" and not (tmp_path / "out" / "old.txt").exists()
    assert not [p for p in tmp_path.iterdir() if TMP_TAG in p.name]


def test_empty_folder_is_written_into_like_an_absent_one(tmp_path):
    (tmp_path / "empty").mkdir()
    write_dir(tmp_path / "empty")
    assert is_radiomap_output(tmp_path / "empty")


def test_an_error_inside_leaves_the_target_untouched(tmp_path):
    (tmp_path / "f.h5").write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_file(tmp_path / "g.txt") as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.h5"]


def test_files_radiomap_wrote_are_recognised(tmp_path):
    from matplotlib.figure import Figure

    from radiomap.data import CSIDataset

    fig = Figure()
    fig.subplots().plot([0, 1])
    save_figure(fig, tmp_path / "x.png")
    assert is_radiomap_output(tmp_path / "x.png")
    fig.savefig(tmp_path / "other.png")
    assert not is_radiomap_output(tmp_path / "other.png")
    CSIDataset(np.ones((2, 1, 1, 4), np.complex64)).save(tmp_path / "d.h5")
    assert is_radiomap_output(tmp_path / "d.h5")
    import h5py

    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f["x"] = 1
    assert not is_radiomap_output(tmp_path / "foreign.h5")
    (tmp_path / "t.txt").write_text("x")
    assert not is_radiomap_output(tmp_path / "t.txt")


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale_file = tmp_path / f".out.h5{TMP_TAG}{atomic._HOST}-{dead}-abcd"
    stale_dir = tmp_path / f".out.h5{TMP_TAG}{atomic._HOST}-{dead}-ef01"
    live = tmp_path / f".out.h5{TMP_TAG}{atomic._HOST}-{os.getpid()}-1234"
    other_host = tmp_path / f".out.h5{TMP_TAG}elsewhere-{dead}-5678"
    stale_file.write_bytes(b"x")
    stale_dir.mkdir()
    (stale_dir / "inner").write_bytes(b"y")
    live.write_bytes(b"z")
    other_host.write_bytes(b"w")
    with atomic_file(tmp_path / "out.h5") as tmp:
        tmp.write_bytes(b"new")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([live.name, other_host.name, "out.h5"])


def test_check_output_refuses_inputs_and_nested_inputs(tmp_path):
    (tmp_path / "in.h5").write_bytes(b"x")
    with pytest.raises(OutputError, match="also an input"):
        check_output(tmp_path / "in.h5", inputs=[tmp_path / "in.h5"])
    with pytest.raises(OutputError, match="contains an input"):
        check_output(tmp_path, kind="dir", inputs=[tmp_path / "in.h5"])
    with pytest.raises(OutputError, match="also an input"):
        check_output(tmp_path / "model" / "x.h5", inputs=[tmp_path / "model"])
    assert check_output(tmp_path / "new" / "deeper" / "x.h5") == tmp_path / "new" / "deeper" / "x.h5"
    assert not (tmp_path / "new").exists()  # checking creates nothing
