"""A start below the innovation-std bound is a real start, projected onto the bound by the first step."""

import numpy as np
import pytest

from radiomap.localize.hmm import HMMRadioMap

from . import synth_hmm as synth


@pytest.fixture(scope="module")
def train():
    scene = synth.small_scene()
    return synth.feature_dataset(scene, 200, seed=3)


def test_start_below_bound_is_used_then_projected(train):
    bound = 0.8
    low = HMMRadioMap(inits=("aoa",), max_iter=4, mobility_sigma=0.5, min_innovation_std=bound,
                      mobility_scales=(1.0,))
    assert low.initial_mobility.innovation_std < bound  # not clamped at the start
    low.fit(train.without_positions())
    hist = low.history_
    assert low.mobility_.innovation_std >= bound - 1e-12
    totals = np.array([h["total"] for h in hist])
    assert np.all(np.diff(totals) >= -1e-6 * np.abs(totals[:-1]))
    ref = HMMRadioMap(inits=("aoa",), max_iter=4, mobility_sigma=2.0 * bound / np.sqrt(1 - 0.9 ** 2),
                      min_innovation_std=bound, mobility_scales=(1.0,)).fit(train.without_positions())
    err = np.linalg.norm(low.trajectory_[:, :2] - train.positions[:, :2], axis=1).mean()
    err_ref = np.linalg.norm(ref.trajectory_[:, :2] - train.positions[:, :2], axis=1).mean()
    assert err < err_ref + 0.1


def test_mobility_scales_are_extra_starts_and_the_best_objective_wins(train):
    loc = HMMRadioMap(inits=("aoa",), max_iter=4, mobility_scales=(1.0, 2.0)).fit(train.without_positions())
    firsts, finals = {}, {}
    for h in loc.history_:
        firsts.setdefault(h["init"], h)
        finals[h["init"]] = h["total"]
    assert set(finals) == {"aoa", "aoa/sigma_v x2"}
    assert loc.objective_ == pytest.approx(max(finals.values()))
    assert loc.best_init_ == max(finals, key=finals.get)
