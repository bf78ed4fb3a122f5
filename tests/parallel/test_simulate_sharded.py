"""Sharded, streamed simulation: identical files for any executor, resume after an interruption."""

import subprocess
import sys

import numpy as np
import pytest

from radiomap.data import CSIDataset
from radiomap.errors import OutputError
from radiomap.parallel import shard_bounds, shard_seed
from radiomap.shards import shard_folder
from radiomap.simulate import simulate_dataset, simulate_file
from tests.parallel.conftest import SIM


class Interrupt(Exception):
    pass


def test_shard_seeds_are_spawned_children_and_bounds_cover_everything():
    children = np.random.SeedSequence(7).spawn(5)
    for i in (0, 4):
        assert (shard_seed(7, i).generate_state(4) == children[i].generate_state(4)).all()
    assert shard_bounds(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert shard_bounds(0, 4) == []


def test_streamed_file_matches_the_in_memory_channels(tmp_path, small_sim):
    scene, pos = small_sim
    out = tmp_path / "a.h5"
    done = simulate_file(scene, pos, out, max_order=0, seed=0, shard_size=64)
    ds, ref = CSIDataset.load(out), simulate_dataset(scene, pos, max_order=0)
    assert done["shards"] == done["traced"] == 5 and not shard_folder(out).exists()
    np.testing.assert_allclose(ds.csi, ref.csi, rtol=1e-6, atol=1e-12)
    assert np.array_equal(ds.los, ref.los) and np.array_equal(ds.positions, pos)
    assert ds.meta["shards"]["size"] == 64 and ds.meta["seed"] == 0 and ds.meta["scene"]["name"] == scene.name


def test_two_workers_write_the_same_file_bit_for_bit(tmp_path, small_sim, dask2):
    scene, pos = small_sim
    a, b = tmp_path / "inproc.h5", tmp_path / "dask.h5"
    simulate_file(scene, pos, a, **SIM)
    done = simulate_file(scene, pos, b, **SIM, executor=dask2)
    assert done["traced"] == 5 and len(done["worker_max_rss_mb"]) == 5
    assert a.read_bytes() == b.read_bytes()


def test_noise_variance_reference_is_the_mean_over_all_shards(tmp_path, small_sim):
    scene, pos = small_sim
    out = tmp_path / "v.h5"
    simulate_file(scene, pos, out, max_order=0, noise_variance=0.0, shard_size=64)
    ds = CSIDataset.load(out)
    assert np.mean(np.abs(ds.csi.astype(np.complex128)) ** 2) == pytest.approx(1.0, rel=1e-5)
    assert ds.meta["noise"]["mode"] == "variance"


def test_interrupted_run_resumes_to_the_identical_file(tmp_path, small_sim):
    scene, pos = small_sim
    whole, resumed = tmp_path / "whole.h5", tmp_path / "resumed.h5"
    simulate_file(scene, pos, whole, **SIM)
    finished = []

    def die_after_two(i):
        finished.append(i)
        if len(finished) == 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        simulate_file(scene, pos, resumed, **SIM, on_shard=die_after_two)
    folder = shard_folder(resumed)
    assert not resumed.exists() and sorted(p.name for p in folder.glob("shard-*.h5")) == \
        ["shard-000000.h5", "shard-000001.h5"]
    done = simulate_file(scene, pos, resumed, **SIM)
    assert done["traced"] == 3 and done["shards"] == 5
    assert resumed.read_bytes() == whole.read_bytes()
    assert not folder.exists()


def test_shards_of_another_run_are_refused_then_discarded_with_force(tmp_path, small_sim):
    scene, pos = small_sim
    out = tmp_path / "x.h5"
    with pytest.raises(Interrupt):
        simulate_file(scene, pos, out, **SIM, on_shard=lambda i: (_ for _ in ()).throw(Interrupt()))
    other = SIM | {"seed": 4}
    with pytest.raises(OutputError, match="different run"):
        simulate_file(scene, pos, out, **other)
    (shard_folder(out) / "notes.txt").write_text("a user's file")
    done = simulate_file(scene, pos, out, **other, overwrite=True)
    assert done["traced"] == 5 and CSIDataset.load(out).meta["seed"] == 4
    assert (shard_folder(out) / "notes.txt").read_text() == "a user's file"  # never deleted: not ours


def test_in_process_run_imports_no_dask(tmp_path):
    code = ("import sys; from radiomap.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
            "assert not bad, bad\n")
    r = subprocess.run([sys.executable, "-c", code, "-q", "simulate", "xing-indoor", "--positions", "random",
                        "--n", "50", "--max-order", "0", "-o", str(tmp_path / "a.h5")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "a.h5").is_file()
