"""End-to-end on a synthetic scene whose features are drawn from the model (known answer)."""

import numpy as np
import pytest

from radiomap.errors import DataError, NotFittedError, ParameterError
from radiomap.localize import Localizer, get_localizer
from radiomap.localize.hmm import GMA, HMMRadioMap, RadioMap

from . import synth_hmm as synth


@pytest.fixture(scope="module")
def data():
    scene = synth.small_scene()
    return scene, synth.feature_dataset(scene, 300, seed=0), synth.feature_dataset(scene, 200, seed=1)


@pytest.fixture(scope="module")
def fitted(data):
    scene, train, _ = data
    return HMMRadioMap(inits=("aoa", "wcl", "random"), max_iter=5, mobility_scales=(1.0,)).fit(
        train.without_positions())


def _err(a, b):
    return np.linalg.norm(np.asarray(a)[:, :2] - np.asarray(b)[:, :2], axis=1)


def test_hmm_recovers_trajectory_and_regions_without_positions(data, fitted):
    scene, train, _ = data
    assert fitted.supervised is False
    assert _err(fitted.trajectory_, train.positions).mean() < 0.35
    assert (fitted.trajectory_los_ == train.los).mean() > 0.9
    # far better than the trivial centroid
    assert _err(fitted.trajectory_, train.positions).mean() < 0.3 * _err(
        np.tile(train.positions.mean(0), (train.n_samples, 1)), train.positions).mean()


def test_objective_never_decreases_and_best_start_is_kept(fitted):
    hist = fitted.history_
    for init in {h["init"] for h in hist}:
        vals = [h["total"] for h in hist if h["init"] == init]
        assert np.all(np.diff(vals) >= -1e-6 * np.abs(vals[:-1]))
    finals = {}
    for h in hist:
        finals[h["init"]] = h["total"]
    assert fitted.objective_ == pytest.approx(max(finals.values()))
    assert {"aoa", "wcl", "random0"} <= set(finals)
    assert set(finals) - {"aoa", "wcl", "random0"} <= {f"{k}+nlos-splice" for k in ("aoa", "wcl", "random0")}


def test_gma_is_at_least_as_good_and_needs_positions(data, fitted):
    scene, train, _ = data
    gma = GMA(max_iter=4).fit(train)
    e_gma = _err(gma.trajectory_, train.positions).mean()
    assert e_gma < 0.35
    with pytest.raises(DataError):
        GMA().fit(train.without_positions())


def test_localization_single_and_sequence(data, fitted):
    scene, _, test = data
    e_single = _err(fitted.predict(test), test.positions).mean()
    fitted.sequence = True
    try:
        e_smooth = _err(fitted.predict(test), test.positions).mean()
        fitted.estimator = "map"
        e_viterbi = _err(fitted.predict(test), test.positions).mean()
    finally:
        fitted.sequence, fitted.estimator = False, "mean"
    assert e_single < 0.5
    assert e_viterbi < 0.5
    assert e_smooth < 0.5
    # the training walk's posterior mean stays close to the MAP walk it smooths
    gap = _err(fitted.trajectory_smoothed_, fitted.trajectory_).mean()
    assert gap < 0.5 * _err(fitted.trajectory_, data[1].positions).mean() + 0.1


def test_public_decode_and_posteriors_match_the_parameter_paths(data, fitted):
    _, _, test = data
    viterbi, smooth = fitted.decode(test, "viterbi"), fitted.decode(test, sequence="smooth")
    seq = fitted.clone().set_params(sequence=True, estimator="map")
    vars(seq).update(fitted.learned())
    np.testing.assert_array_equal(seq.predict(test), viterbi)
    seq.set_params(estimator="mean")
    np.testing.assert_allclose(seq.predict(test), smooth)
    for sequence in (False, True):
        post = fitted.predict_proba(test, sequence=sequence)
        assert post.shape == (test.n_samples, fitted.n_cells_)
        np.testing.assert_allclose(post.sum(1), 1.0, atol=1e-9)
    np.testing.assert_allclose(fitted.predict_proba(test, sequence=True) @ fitted.cell_xy_, smooth[:, :2],
                               atol=1e-9)
    np.testing.assert_allclose(fitted.predict_proba(test) @ fitted.cell_xy_, fitted.predict(test)[:, :2],
                               atol=1e-9)
    assert fitted.n_offsets_ == 13 and fitted.mobility_.innovation_std >= fitted.min_innovation_std - 1e-12
    assert fitted.initial_mobility.sigma_v == pytest.approx(fitted.mobility_sigma)
    with pytest.raises(ParameterError):
        fitted.decode(test, "beam")


def test_mobility_initialisation_off_by_factor_two_still_converges(data):
    scene, train, _ = data
    # floor at 0.05 m/s so that sigma_v x 0.5 is a different start (the default floor would clamp it)
    fits = {f: HMMRadioMap(inits=("aoa",), max_iter=6, mobility_sigma=1.5 * f, min_innovation_std=0.05)
            .fit(train.without_positions()) for f in (1.0, 2.0, 0.5)}
    ref = fits[1.0]
    err0 = _err(ref.trajectory_, train.positions).mean()
    for f in (2.0, 0.5):
        loc = fits[f]
        assert loc.history_[0]["mobility"] != ref.history_[0]["mobility"]  # really another start
        assert _err(loc.trajectory_, train.positions).mean() < err0 + 0.1
        assert loc.mobility_.sigma_v == pytest.approx(ref.mobility_.sigma_v, rel=0.3)


def test_save_load_roundtrip_and_radio_map(tmp_path, data, fitted):
    scene, _, test = data
    fitted.save(tmp_path / "m")
    loaded = Localizer.load(tmp_path / "m")
    assert isinstance(loaded, HMMRadioMap)
    np.testing.assert_allclose(loaded.predict(test), fitted.predict(test))
    rm = fitted.radio_map_
    rm.save(tmp_path / "rm")
    back = RadioMap.load(tmp_path / "rm")
    np.testing.assert_array_equal(back.los, rm.los)
    np.testing.assert_allclose(back.power, rm.power)
    assert back.los.shape == (fitted.n_cells_, scene.n_aps)
    assert rm.xy.shape == fitted.cell_xy_.shape
    fig = rm.plot(scene, "power")
    assert len(fig.axes) >= scene.n_aps


def test_registry_errors_and_validation(data):
    scene, train, _ = data
    assert isinstance(get_localizer("hmm"), HMMRadioMap)
    assert isinstance(get_localizer("gma"), GMA)
    with pytest.raises(NotFittedError):
        HMMRadioMap().predict(train)
    with pytest.raises(ParameterError):
        HMMRadioMap(inits=("magic",)).fit(train.without_positions())
