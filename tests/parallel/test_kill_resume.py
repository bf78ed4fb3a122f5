"""A real kill: ``radiomap simulate`` killed with SIGKILL after some shards, rerun, gives the identical file."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

RADIOMAP = str(Path(sys.executable).with_name("radiomap"))
ARGS = ["-q", "simulate", "xing-indoor", "--positions", "random", "--n", "2000", "--max-order", "1", "--snr", "20",
        "--shard-size", "100"]


@pytest.mark.slow
def test_sigkill_then_rerun_resumes_to_the_identical_file(tmp_path):
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    subprocess.run([RADIOMAP, *ARGS, "-o", "whole.h5"], cwd=tmp_path, env=env, check=True, timeout=600)
    proc = subprocess.Popen([RADIOMAP, *ARGS, "-o", "killed.h5"], cwd=tmp_path, env=env)
    folder = tmp_path / ".killed.h5.radiomap-shards"
    deadline = time.time() + 300
    while len(list(folder.glob("shard-*.h5"))) < 3 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = len(list(folder.glob("shard-*.h5")))
    assert not (tmp_path / "killed.h5").exists() and 3 <= done_before < 20
    r = subprocess.run([RADIOMAP, *ARGS[1:], "-o", "killed.h5"], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert f"resumed: {done_before} of 20 shards" in r.stdout + r.stderr
    assert (tmp_path / "killed.h5").read_bytes() == (tmp_path / "whole.h5").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["killed.h5", "whole.h5"]
