"""CSIDataset: HDF5 round trip, validation of bad input, atomic writes, splits."""

import h5py
import numpy as np
import pytest

from radiomap.data import CSIDataset, concat, leave_point_out_split, random_split, region_split, trajectory_split
from radiomap.errors import DataError, ParameterError
from radiomap.scene import get_scene
from radiomap.simulate import simulate_dataset


@pytest.fixture(scope="module")
def small():
    scene = get_scene("xing-indoor")
    rng = np.random.default_rng(0)
    pos = scene.grid(1.0)[rng.choice(len(scene.grid(1.0)), 40, replace=False)]
    return simulate_dataset(scene, pos, timestamps=np.arange(40) * 0.1, trajectory_id=np.repeat(np.arange(4), 10),
                            point_id=np.repeat(np.arange(8), 5), noise_variance=0.2, seed=1, store_paths=True)


def test_round_trip_is_bit_exact(small, tmp_path):
    small.features["tbf"] = np.random.default_rng(0).random((40, 3, 5)).astype(np.float16)
    path = small.save(tmp_path / "d.h5")
    back = CSIDataset.load(path)
    for name in ("csi", "positions", "timestamps", "los", "trajectory_id", "point_id"):
        a, b = getattr(small, name), getattr(back, name)
        assert a.tobytes() == b.tobytes(), name
    assert back.features["tbf"].dtype == np.float16
    assert back.features["tbf"].tobytes() == small.features["tbf"].tobytes()
    assert set(back.paths) == set(small.paths)
    np.testing.assert_array_equal(back.paths["element_length"], small.paths["element_length"])
    assert back.meta["seed"] == 1 and back.meta["noise"]["variance"] == 0.2
    assert back.geometry_signature == small.geometry_signature
    assert back.scene.name == "xing-indoor"


def test_readable_with_plain_h5py(small, tmp_path):
    path = small.save(tmp_path / "d.h5")
    with h5py.File(path, "r") as f:
        assert f.attrs["schema_version"] == 2  # schema v2 (measured-data fields); v1 files still read
        assert f["csi"].dtype == np.complex64 and f["csi"].shape == small.csi.shape
        assert f["positions"].shape == (40, 3)


def _write(path, **override):
    base = {"csi": np.ones((3, 1, 2, 4), np.complex64), "positions": np.zeros((3, 3))}
    base.update(override)
    with h5py.File(path, "w") as f:
        f.attrs["schema"] = override.pop("schema", "radiomap.csidataset")
        f.attrs["schema_version"] = override.pop("version", 1)
        f.attrs["meta"] = "{}"
        for k, v in base.items():
            if k not in ("schema", "version") and v is not None:
                f.create_dataset(k, data=v)


@pytest.mark.parametrize("override, message", [
    ({"csi": None}, "needs 'csi'"),
    ({"csi": np.ones((3, 2, 4), np.complex64)}, "expected shape"),
    ({"csi": np.ones((3, 1, 2, 4), np.float32)}, "complex dtype"),
    ({"csi": np.full((3, 1, 2, 4), np.nan + 0j, np.complex64)}, "NaN or Inf"),
    ({"positions": np.zeros((3, 2))}, "'positions': expected shape"),
    ({"positions": np.array([[0, 0, np.inf]] * 3)}, "'positions' contains NaN"),
    ({"version": 7}, "unknown schema version 7"),
    ({"schema": "something-else"}, "not a radiomap CSI dataset"),
])
def test_bad_files_give_one_line_errors(tmp_path, override, message):
    path = tmp_path / "bad.h5"
    _write(path, **override)
    with pytest.raises(DataError, match=message) as err:
        CSIDataset.load(path)
    assert "\n" not in str(err.value)


def test_truncated_and_non_hdf5_files(small, tmp_path):
    path = small.save(tmp_path / "d.h5")
    data = path.read_bytes()
    (tmp_path / "trunc.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated|damaged"):
        CSIDataset.load(tmp_path / "trunc.h5")
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(DataError, match="not a readable HDF5"):
        CSIDataset.load(tmp_path / "text.h5")
    with pytest.raises(DataError, match="no such file"):
        CSIDataset.load(tmp_path / "missing.h5")


def test_crash_during_write_leaves_no_file(small, tmp_path, monkeypatch):
    target = tmp_path / "d.h5"
    orig = h5py.Group.create_dataset

    def boom(self, name, *a, **k):
        if name == "positions":
            raise RuntimeError("disk full")
        return orig(self, name, *a, **k)

    monkeypatch.setattr(h5py.Group, "create_dataset", boom)
    with pytest.raises(RuntimeError):
        small.save(target)
    assert list(tmp_path.iterdir()) == []


def test_unknown_backend_is_rejected():
    from radiomap.simulate import simulate_dataset

    with pytest.raises(ParameterError, match="unknown simulator backend 'raytracer9000'"):
        simulate_dataset(get_scene("xing-indoor"), np.array([[2.0, 2.0, 1.5]]), backend="raytracer9000")


def test_constructor_validation():
    with pytest.raises(DataError, match="trajectory_id"):
        CSIDataset(np.ones((3, 1, 2, 4), np.complex64), trajectory_id=np.zeros(4, int))
    with pytest.raises(DataError, match="los"):
        CSIDataset(np.ones((3, 1, 2, 4), np.complex64), los=np.zeros((3, 1)))


def test_subsets_and_splits(small):
    assert small.subset(np.arange(5)).n_samples == 5
    tr, te = random_split(small, 0.25, seed=3)
    assert tr.n_samples + te.n_samples == 40 and te.n_samples == 10
    assert random_split(small, 0.25, seed=3)[1].positions.tobytes() == te.positions.tobytes()
    tr, te = trajectory_split(small, 0.25, seed=0)
    assert not set(tr.trajectory_id) & set(te.trajectory_id)
    tr, te = leave_point_out_split(small, 0.25, seed=0)
    assert not set(tr.point_id) & set(te.point_id)
    tr, te = region_split(small, box=(0.0, 8.0, 0.0, 8.0))
    assert (te.positions[:, 0] <= 8).all() and (tr.positions[:, 0] > 8).all()
    with pytest.raises(ParameterError):
        random_split(small, 1.5)
    unl = small.without_positions()
    assert unl.positions is None and unl.csi is small.csi
    with pytest.raises(DataError, match="needs 'point_id'"):
        leave_point_out_split(unl.subset(np.arange(40)) if False else CSIDataset(small.csi), 0.2)
    both = concat([small.subset(np.arange(10)), small.subset(np.arange(10, 40))])
    assert both.csi.tobytes() == small.csi.tobytes()


def test_concat_keeps_ground_truth_paths():
    from radiomap.scene import get_scene
    from radiomap.simulate import simulate_dataset

    scene = get_scene("xing-indoor")
    grid = scene.grid(1.0)
    a = simulate_dataset(scene, grid[:5], store_paths=True, max_order=0, scatterers=False)
    b = simulate_dataset(scene, grid[5:9], store_paths=True, max_order=2)  # more paths per link
    both = concat([a, b])
    assert set(both.paths) == set(a.paths)
    assert both.paths["gain"].shape[:3] == (9, scene.n_aps, b.paths["gain"].shape[2])
    np.testing.assert_array_equal(both.paths["gain"][5:], b.paths["gain"])
    np.testing.assert_array_equal(both.paths["valid"][:5, :, a.paths["gain"].shape[2]:], False)
    np.testing.assert_array_equal(both.paths["ap_positions"], a.paths["ap_positions"])
    with pytest.raises(DataError, match="different features or ground-truth paths"):
        concat([a, simulate_dataset(scene, grid[5:9], max_order=0, scatterers=False)])
