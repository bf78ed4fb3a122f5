"""Supervised baselines: known answers, brute force, cross-validation, save/load, errors."""

import json

import numpy as np
import pytest

from radiomap.data import CSIDataset
from radiomap.errors import DataError, NotFittedError, ParameterError
from radiomap.features.beampower import beamspace_power_db
from radiomap.jsonable import jsonable
from radiomap.localize import LOCALIZERS, Localizer, get_localizer
from radiomap.localize.fingerprint import (
    DNN,
    KNN,
    WKNN,
    Centroid,
    SVMRegressor,
    fingerprint_inputs,
)

from ._synth import make_dataset, room_scene

MINE = ["centroid", "knn", "wknn", "svm", "dnn", "wcl", "aoa"]
FAST = {"dnn": {"epochs": 30}}


@pytest.fixture(scope="module")
def data():
    train = make_dataset(n=240, seed=1, noise=0.01, scatter=0.2)
    test = make_dataset(n=40, seed=2, noise=0.01, scatter=0.2)
    return train, test


def _err(loc, ds):
    return np.linalg.norm(loc.predict(ds)[:, :2] - ds.positions[:, :2], axis=1).mean()


def test_registry_resolves_my_methods():
    for name in MINE:
        cls = LOCALIZERS.get(name)
        assert issubclass(cls, Localizer) and cls.name == name


def test_centroid_is_mean_position(data):
    train, test = data
    pred = Centroid().fit(train).predict(test)
    np.testing.assert_allclose(pred, np.tile(train.positions.mean(0), (test.n_samples, 1)))


def test_knn_matches_brute_force(data):
    train, test = data
    loc = KNN(k=5).fit(train)
    x_tr, x_te = loc.x_, loc._inputs(test)
    d = np.linalg.norm(x_te[:, None] - x_tr[None], axis=-1)
    nn = np.argsort(d, axis=1)[:, :5]
    np.testing.assert_allclose(loc.predict(test), train.positions[nn].mean(1), atol=1e-9)
    wloc = WKNN(k=5).fit(train)
    w = 1 / (np.take_along_axis(d, nn, 1) + 1e-9)
    expected = np.einsum("mk,mkd->md", w / w.sum(1, keepdims=True), train.positions[nn])
    np.testing.assert_allclose(wloc.predict(test), expected, atol=1e-9)


def test_knn_on_training_point_returns_it(data):
    train, _ = data
    sub = train.subset(np.arange(10))
    np.testing.assert_allclose(KNN(k=1).fit(train).predict(sub), sub.positions, atol=1e-12)


def test_knn_cv_selects_from_grid(data):
    train, _ = data
    loc = KNN(cv=True, k_grid=(1, 4, 64)).fit(train)
    scores = loc.fit_info_.cv_scores
    assert loc.k_ in (1, 4, 64) and set(scores) == {"1", "4", "64"} and loc.fit_info_.chosen == {"k": loc.k_}
    assert scores[str(loc.k_)] == min(scores.values())
    assert loc.k == 8  # the constructor argument is not overwritten


def test_svm_own_kernel_equals_sklearn(data):
    from sklearn.svm import SVR

    train, test = data
    loc = SVMRegressor(C=10.0).fit(train)
    x_tr, x_te = loc._inputs(train), loc._inputs(test)
    y = train.positions
    for d in range(2):
        mu, sd = y[:, d].mean(), y[:, d].std()
        ref = SVR(kernel="rbf", C=10.0, epsilon=0.05, gamma=loc.models_[d]["gamma"])
        ref.fit(x_tr, (y[:, d] - mu) / sd)
        np.testing.assert_allclose(loc.predict(test)[:, d], ref.predict(x_te) * sd + mu, atol=1e-8)
    np.testing.assert_allclose(loc.predict(test)[:, 2], 1.5)  # constant height


def test_svm_cv_picks_C(data):
    train, _ = data
    loc = SVMRegressor(cv=True, C_grid=(0.1, 10.0)).fit(train)
    scores = loc.fit_info_.cv_scores
    assert loc.C_ in (0.1, 10.0) and scores[str(loc.C_)] == min(scores.values())


def test_learners_beat_centroid(data):
    train, test = data
    base = _err(Centroid().fit(train), test)
    for loc in (KNN(), WKNN(), SVMRegressor(), DNN(epochs=80), KNN(inputs="beamspace")):
        assert _err(loc.fit(train), test) < 0.5 * base, loc.name


@pytest.mark.parametrize("name", MINE)
def test_save_load_roundtrip_identical(name, data, tmp_path):
    train, test = data
    loc = get_localizer(name, **FAST.get(name, {}))
    loc.fit(train if loc.supervised else train.without_positions())
    before = loc.predict(test)
    loc.save(tmp_path / name)
    assert not any(p.suffix in (".pkl", ".pt", ".pickle") for p in (tmp_path / name).iterdir())
    again = Localizer.load(tmp_path / name)
    assert type(again) is type(loc)
    assert json.dumps(again.get_params()) == json.dumps(jsonable(loc.get_params()))
    np.testing.assert_array_equal(again.predict(test), before)


def test_csi_input_roundtrip(data, tmp_path):
    train, test = data
    loc = SVMRegressor(inputs="beamspace").fit(train)
    loc.save(tmp_path / "m")
    np.testing.assert_array_equal(Localizer.load(tmp_path / "m").predict(test), loc.predict(test))


def test_features_input(data):
    train, test = data
    tr = CSIDataset(None, positions=train.positions, features={"fp": train.positions[:, :2] * 2.0},
                    meta=train.meta)
    te = CSIDataset(None, positions=test.positions, features={"fp": test.positions[:, :2] * 2.0},
                    meta=test.meta)
    loc = KNN(k=1, inputs="fp").fit(tr)
    assert _err(loc, te) < 0.8
    with pytest.raises(DataError, match="no feature 'other'"):
        KNN(inputs="other").fit(tr)
    with pytest.raises(DataError, match="stores only features"):
        KNN(inputs="seed000").fit(tr)


def test_beamspace_shape_and_value():
    csi = np.zeros((1, 1, 4, 8), np.complex64)
    csi[0, 0, :, :] = 1.0  # broadside plane wave: all power in beam 0
    f = beamspace_power_db(csi, n_subbands=2).reshape(4, 2)
    np.testing.assert_allclose(f[0], 10 * np.log10(4 * 4), rtol=1e-6)  # |sqrt(4)|^2 x 4 subcarriers
    assert (f[1:] < -200).all()


def test_supervised_without_positions_fails(data):
    train, _ = data
    for name in ["centroid", "knn", "wknn", "svm", "dnn"]:
        with pytest.raises(DataError, match="supervised and needs positions"):
            get_localizer(name).fit(train.without_positions())


def test_other_geometry_fails(data, tmp_path):
    train, _ = data
    other = make_dataset(n=12, seed=9, scene=room_scene(shift=0.5))
    for name in MINE:
        loc = get_localizer(name, **FAST.get(name, {}))
        loc.fit(train if loc.supervised else train.without_positions())
        loc.save(tmp_path / name)
        with pytest.raises(DataError, match="differs from the one the model was fitted on"):
            Localizer.load(tmp_path / name).predict(other)


def test_bad_parameters_and_state(data, tmp_path):
    train, test = data
    with pytest.raises(DataError, match="no feature 'pixels'"):
        KNN(inputs="pixels").fit(train)
    with pytest.raises(ParameterError, match="k=0"):
        KNN(k=0).fit(train)
    with pytest.raises(ParameterError, match="C=-1"):
        SVMRegressor(C=-1.0).fit(train)
    with pytest.raises(ParameterError, match="epochs"):
        DNN(epochs=0).fit(train)
    with pytest.raises(ParameterError, match="weighting"):
        get_localizer("aoa", weighting="magic").fit(train).predict(test)
    with pytest.raises(NotFittedError, match="not fitted"):
        KNN().predict(test)
    with pytest.raises(DataError, match="not a saved localizer"):
        Localizer.load(tmp_path / "nothing")
    with pytest.raises(DataError, match="cross-validation needs"):
        KNN(cv=True).fit(train.subset(np.arange(5)))
    with pytest.raises(DataError, match="input features"):
        loc = KNN().fit(train)
        loc.inputs = "beamspace"
        loc.predict(test)


def test_fingerprint_inputs_seed000_layout(data):
    train, _ = data
    x = fingerprint_inputs(train.subset(np.arange(5)), "seed000")
    assert x.shape == (5, 12)
    from radiomap.features.power import rss_db

    np.testing.assert_allclose(x[:, :4], rss_db(train.csi[:5]))
