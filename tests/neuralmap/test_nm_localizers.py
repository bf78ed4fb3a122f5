"""Registered localizers: fingerprint baselines (closed forms) and neuralmap fit/predict/save/load."""

import numpy as np
import pytest

from radiomap.data import CSIDataset
from radiomap.errors import DataError, ParameterError
from radiomap.localize import LOCALIZERS, Localizer

from .synth_helpers import C, default_sources, spherical_csi

FC, BW, A, K = 3.5e9, 100e6, 8, 8
FREQS = FC + (np.arange(K) - K / 2) * BW / K
LAM = C / FC


def _dataset(x, h):
    return CSIDataset(h[:, None].astype(np.complex64), positions=x, meta={"carrier_hz": FC})


def _data(rng, n, half=0.4):
    src, g = default_sources(np.random.default_rng(7), n_paths=4, distance=8.0)
    x = np.column_stack([rng.uniform(-half, half, (n, 2)), np.full(n, 1.5)])
    return x, spherical_csi(x, src, g, A, FREQS)


def test_nn_pi_is_phase_insensitive_and_cosine_is_not():
    rng = np.random.default_rng(0)
    x, h = _data(rng, 50)
    train = _dataset(x, h)
    phase = np.exp(2j * np.pi * rng.uniform(size=(50, 1, 1)))
    rotated = _dataset(x, (h * phase).astype(np.complex64))
    pi = LOCALIZERS.get("nn-pi")().fit(train)
    cos = LOCALIZERS.get("nn-cosine")().fit(train)
    assert np.allclose(pi.predict(rotated), x)
    assert np.allclose(cos.predict(train), x)
    assert not np.allclose(cos.predict(rotated), x)
    assert pi.dictionary_bytes_ == 50 * A * K * 8 + 50 * 3 * 8


def test_wknn_csi_closed_form():
    # three unit-norm entries with known PI similarities to the query
    e = np.eye(3, dtype=np.complex64)
    q = np.array([0.8, 0.6j, 0.0], dtype=np.complex64)  # |<q, e_i>| = 0.8, 0.6, 0
    pos = np.array([[0.0, 0, 0], [1.0, 0, 0], [0, 1.0, 0]])
    train = CSIDataset(e.reshape(3, 1, 3, 1), positions=pos, meta={"carrier_hz": FC})
    query = CSIDataset(q.reshape(1, 1, 3, 1), meta={"carrier_hz": FC})
    w = LOCALIZERS.get("wknn-csi")(k=2).fit(train)
    d = np.sqrt(2 - 2 * np.array([0.8, 0.6]))
    wts = 1 / (d + 1e-6)
    expect = (wts[0] * pos[0] + wts[1] * pos[1]) / wts.sum()
    assert np.allclose(w.predict(query)[0], expect, atol=1e-5)
    with pytest.raises(ParameterError):
        LOCALIZERS.get("wknn-csi")(k=0).fit(train)


def test_fingerprint_save_load_roundtrip(tmp_path):
    rng = np.random.default_rng(1)
    x, h = _data(rng, 40)
    loc = LOCALIZERS.get("wknn-csi")(k=3).fit(_dataset(x, h))
    loc.save(tmp_path / "w")
    again = Localizer.load(tmp_path / "w")
    q = _dataset(*_data(rng, 5))
    assert np.allclose(again.predict(q), loc.predict(q))


def test_neuralmap_fit_predict_save_load(tmp_path):
    rng = np.random.default_rng(2)
    x, h = _data(rng, 500)
    loc = LOCALIZERS.get("neuralmap")(atoms_per_region=8, epochs=40, patience=40, hidden=32, n_grad=20,
                                      global_step=0.125, device="cpu")
    loc.fit(_dataset(x, h))
    assert loc.fit_info_.training["map"]["best_val"] < -15.0
    xq, hq = _data(np.random.default_rng(3), 20, half=0.35)
    q = _dataset(xq, hq)
    state = set(vars(loc))
    pred, costs = loc.localize_with_costs(q)
    np.testing.assert_array_equal(loc.predict(q), pred)
    assert set(vars(loc)) == state  # localizing writes nothing onto the fitted object
    err = np.linalg.norm(pred[:, :2] - xq[:, :2], axis=1)
    assert np.median(err) < LAM / 10, np.median(err) / LAM
    assert set(costs) >= {"global_grid", "local_grid", "gd1", "circles", "gd2", "total"}
    loc.save(tmp_path / "nm")
    again = Localizer.load(tmp_path / "nm")
    assert np.allclose(again.predict(q), pred, atol=1e-6)
    assert again.model_bytes_ == loc.model_bytes_ < 500 * A * K * 8 / 10
    assert again.fit_info_ == loc.fit_info_ and again.fit_info_.training["map"]["epochs_run"] == 40


def test_neuralmap_rejects_users_on_several_planes():
    rng = np.random.default_rng(4)
    x, h = _data(rng, 50)
    x[:25, 2] += 3.0
    with pytest.raises(DataError, match="one plane"):
        LOCALIZERS.get("neuralmap")(epochs=1).fit(_dataset(x, h))
