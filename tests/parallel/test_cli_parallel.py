"""``--workers`` / ``--scheduler`` through the installed console script: same files, one-line errors."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

RADIOMAP = str(Path(sys.executable).with_name("radiomap"))
"""The installed console script."""
SIMULATE = ["simulate", "xing-indoor", "--positions", "random", "--n", "120", "--max-order", "0", "--snr", "20",
            "--shard-size", "50", "--no-progress"]


def run(*args, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([RADIOMAP, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200", "SOURCE_DATE_EPOCH": "1700000000"})


@pytest.mark.parametrize(("extra", "expected"), [
    (["--workers", "0"], "--workers must be >= 1"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:9"], "not both"),
    (["--scheduler", "tcp://127.0.0.1:9"], "cannot connect"),
    (["--workers", "2", "--impairments", "agc=6"], "--impairments"),
])
def test_bad_executor_options_are_one_line_exit_2(tmp_path, extra, expected):
    r = run(*SIMULATE, "-o", "x.h5", *extra, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and expected in lines[0], r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written, no shard folder


def test_simulate_with_two_workers_writes_the_in_process_file(tmp_path):
    pytest.importorskip("distributed")
    a = run(*SIMULATE, "-o", "a.h5", cwd=tmp_path)
    b = run(*SIMULATE, "-o", "b.h5", "--workers", "2", cwd=tmp_path)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert "dashboard http" in b.stdout + b.stderr
    assert (tmp_path / "a.h5").read_bytes() == (tmp_path / "b.h5").read_bytes()
