"""Chunked features and predictions: the same arrays on a 2-worker cluster as in process and in memory."""

import numpy as np
import pytest

from radiomap.data import CSIDataset
from radiomap.features.stage import materialise, materialise_file
from radiomap.localize import get_localizer
from radiomap.localize.chunked import predict_file
from radiomap.simulate import simulate_file
from tests.parallel.conftest import SIM


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, small_sim):
    scene, pos = small_sim
    path = tmp_path_factory.mktemp("ds") / "ds.h5"
    simulate_file(scene, pos, path, **SIM)
    return path


def test_features_chunked_on_two_workers_equal_in_process_and_in_memory(tmp_path, dataset, dask2):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    materialise_file(dataset, a, ["seed000", ("beamspace", {"n_subbands": 4})], chunk=70)
    materialise_file(dataset, b, ["seed000", ("beamspace", {"n_subbands": 4})], chunk=70, executor=dask2)
    da, db, src = CSIDataset.load(a), CSIDataset.load(b), CSIDataset.load(dataset)
    assert sorted(da.features) == ["beamspace(n_subbands=4)", "seed000"]
    for key in da.features:
        assert np.array_equal(da.features[key], db.features[key])
    assert np.array_equal(da.csi, src.csi) and np.array_equal(da.positions, src.positions)
    assert np.array_equal(da.features["seed000"], materialise(src, ["seed000"]).features["seed000"])
    strip = {k: {**v, "ms_per_sample": None} for k, v in da.meta["features"].items()}
    assert strip == {k: {**v, "ms_per_sample": None} for k, v in db.meta["features"].items()}


def test_predictions_chunked_on_two_workers_equal_in_process(tmp_path, dataset, dask2):
    train = CSIDataset.load(dataset)
    get_localizer("knn", k=3).fit(train).save(tmp_path / "knn")
    a, _ = predict_file(tmp_path / "knn", dataset, chunk=70)
    b, _ = predict_file(tmp_path / "knn", dataset, chunk=70, executor=dask2)
    assert a.shape == (300, 3) and np.array_equal(a, b)
    np.testing.assert_allclose(a, get_localizer("knn", k=3).fit(train).predict(train), atol=1e-9)
