"""SIGKILL during ``simulate`` and ``fit``: the target is the complete previous version (or absent),
and the next run to the same target leaves no temporaries behind."""

import signal
import subprocess
import time

import numpy as np
import pytest

from radiomap.atomic import TMP_TAG

from .conftest import RADIOMAP, run_cli, snapshot

N_BIG = 2000  # samples of the large inputs and outputs: ~33 MB of CSI
FAST = ["--max-order", "1", "--no-progress"]  # keeps each run short


def temporaries(folder, target: str) -> list:
    return [p for p in folder.iterdir() if p.name.startswith(f".{target}{TMP_TAG}")]


def kill_during(args, cwd, target: str, moment: str, delay: float) -> None:
    """Run ``radiomap args`` and SIGKILL it: ``moment`` "work" kills after ``delay`` s of running,
    "write" kills ``delay`` s after its temporary output appeared."""
    proc = subprocess.Popen([RADIOMAP, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.perf_counter()
    try:
        if moment == "work":
            time.sleep(delay)
        else:
            while not temporaries(cwd, target):
                assert proc.poll() is None, "the command ended before writing"
                assert time.perf_counter() - t0 < 120, "no temporary appeared"
                time.sleep(0.002)
            time.sleep(delay)
        assert proc.poll() is None, "the command ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def big(files, tmp_path_factory):
    """A large training set and the previous versions of the two targets."""
    from radiomap.scene import get_scene
    from radiomap.simulate import simulate_dataset

    d = tmp_path_factory.mktemp("kill")
    scene = get_scene("xing-indoor")
    grid = scene.grid(0.1)
    pos = grid[np.random.default_rng(3).choice(len(grid), N_BIG, replace=False)]
    simulate_dataset(scene, pos, seed=0, max_order=1).save(d / "big.h5")
    assert run_cli("simulate", "xing-indoor", "--positions", "random", "--n", "20", "-o", "out.h5",
                   cwd=d).returncode == 0
    assert run_cli("fit", "wknn-csi", "big.h5", "-o", "model", cwd=d).returncode == 0
    return d


CASES = [("work", 1.2), ("write", 0.0), ("write", 0.01)]


@pytest.mark.parametrize(("moment", "delay"), CASES)
def test_kill_simulate(big, moment, delay):
    previous = (big / "out.h5").read_bytes()
    args = ["simulate", "xing-indoor", "--positions", "random", "--n", str(N_BIG), "-o", "out.h5", "--force", *FAST]
    kill_during(args, big, "out.h5", moment, delay)
    assert (big / "out.h5").read_bytes() == previous
    done = run_cli("simulate", "xing-indoor", "--positions", "random", "--n", "20", "-o", "out.h5", "--force",
                   "--seed", "1", cwd=big)
    assert done.returncode == 0, done.stderr
    assert not temporaries(big, "out.h5")


@pytest.mark.parametrize(("moment", "delay"), CASES[1:])
def test_kill_fit(big, moment, delay):
    previous = snapshot(big / "model")
    kill_during(["fit", "wknn-csi", "big.h5", "-o", "model", "--force", "-p", "k=3"], big, "model", moment, delay)
    assert snapshot(big / "model") == previous
    done = run_cli("fit", "wknn-csi", "big.h5", "-o", "model", "--force", cwd=big)
    assert done.returncode == 0, done.stderr
    assert not temporaries(big, "model")


@pytest.mark.slow
@pytest.mark.parametrize("delay", np.random.default_rng(7).uniform(0.2, 4.0, 8).round(2).tolist())
def test_kill_simulate_at_random_moments(big, delay):
    from radiomap.data import CSIDataset

    previous = (big / "out.h5").read_bytes()
    args = ["simulate", "xing-indoor", "--positions", "random", "--n", str(N_BIG), "-o", "out.h5", "--force",
            "--seed", "2", *FAST]
    proc = subprocess.Popen([RADIOMAP, *args], cwd=big, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    if (big / "out.h5").read_bytes() != previous:  # it finished first: then the new file is complete
        assert proc.returncode == 0 and CSIDataset.load(big / "out.h5").n_samples == N_BIG
    done = run_cli("simulate", "xing-indoor", "--positions", "random", "--n", "20", "-o", "out.h5", "--force",
                   cwd=big)
    assert done.returncode == 0, done.stderr
    assert not temporaries(big, "out.h5")
