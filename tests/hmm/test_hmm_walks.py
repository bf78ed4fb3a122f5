"""Several walks in one dataset: splitting, pooled / per-walk mobility, a monotone multi-walk fit."""

import numpy as np
import pytest

from radiomap.errors import DataError, ParameterError
from radiomap.localize.hmm import HMMRadioMap
from radiomap.localize.hmm.fit import decode_walks
from radiomap.localize.hmm.likelihood import joint_loglik
from radiomap.localize.hmm.mobility import fit_mobility, mobility_loglik
from radiomap.localize.hmm.walks import split_walks, walk_slices

from . import synth_hmm as synth


def test_split_by_ids_gaps_and_refusals():
    ts = np.r_[np.arange(5) * 0.1, 10 + np.arange(3) * 0.1, np.arange(4) * 0.1]
    assert split_walks(None, ts, 12, split="gaps") == ((5, 3, 4), pytest.approx(0.1))
    assert split_walks(None, ts, 12, split="auto")[0] == (5, 3, 4)
    ids = np.r_[np.zeros(5), np.ones(7)].astype(int)
    with pytest.raises(DataError):  # the second id block goes back in time
        split_walks(ids, ts, 12, split="trajectory")
    assert split_walks(ids, np.arange(12) * 0.1, 12, split="auto")[0] == (5, 7)
    assert split_walks(ids, np.arange(12) * 0.1, 12, split="one")[0] == (12,)
    with pytest.raises(DataError):  # ids not contiguous
        split_walks(np.array([0, 1, 0, 1]), np.arange(4) * 0.1, 4, split="trajectory")
    with pytest.raises(DataError):
        split_walks(None, ts, 12, split="one")
    with pytest.raises(DataError):
        split_walks(None, None, 4, split="trajectory")
    assert split_walks(None, None, 7, split="auto") == ((7,), 0.1)
    assert [(s.start, s.stop) for s in walk_slices((2, 3))] == [(0, 2), (2, 5)]


def test_pooled_mobility_ignores_the_jump_between_walks():
    rng = np.random.default_rng(0)
    a = np.cumsum(rng.normal(size=(60, 2)) * 0.1, axis=0)
    b = np.cumsum(rng.normal(size=(40, 2)) * 0.1, axis=0)
    pooled = fit_mobility(np.r_[a, b], 0.1, lengths=(60, 40))
    moved = fit_mobility(np.r_[a, b + 50.0], 0.1, lengths=(60, 40))  # translation of one walk: same fit
    np.testing.assert_allclose([pooled.alpha, *pooled.mean_velocity, pooled.innovation_std],
                               [moved.alpha, *moved.mean_velocity, moved.innovation_std], rtol=1e-9, atol=1e-12)
    # as one walk the jump enters the fit
    assert abs(fit_mobility(np.r_[a, b + 50.0], 0.1).innovation_std - pooled.innovation_std) > 1.0
    # pooled MLE maximises the summed per-walk likelihood: no other alpha / s does better
    best = mobility_loglik(a, 0.1, pooled) + mobility_loglik(b, 0.1, pooled)
    for other in (fit_mobility(a, 0.1), fit_mobility(b, 0.1)):
        assert mobility_loglik(a, 0.1, other) + mobility_loglik(b, 0.1, other) <= best + 1e-9
    with pytest.raises(ParameterError):
        fit_mobility(np.r_[a[:3], b[:2]], 0.1, lengths=(3, 2))  # one velocity pair in all


@pytest.fixture(scope="module")
def walks():
    scene = synth.small_scene()
    ds = synth.feature_dataset(scene, 300, seed=0)
    ds.trajectory_id = np.repeat(np.arange(3), 100)
    ds.timestamps = np.tile(np.arange(100) * 0.1, 3)  # each walk starts at t = 0
    return ds


@pytest.mark.parametrize("sharing", ["pooled", "per-walk"])
def test_multi_walk_fit_is_monotone_and_recovers_the_walks(walks, sharing):
    loc = HMMRadioMap(inits=("aoa", "wcl"), max_iter=5, mobility_sharing=sharing).fit(walks.without_positions())
    assert loc.walk_lengths_ == (100, 100, 100)
    for init in {h["init"] for h in loc.history_}:
        vals = np.array([h["total"] for h in loc.history_ if h["init"] == init])
        assert np.all(np.diff(vals) >= -1e-6 * np.abs(vals[:-1])), init
    err = np.linalg.norm(loc.trajectory_[:, :2] - walks.positions[:, :2], axis=1).mean()
    assert err < 0.35
    m = loc.model_
    assert len(m.walk_mobility) == (3 if sharing == "per-walk" else 0)
    # the objective is the sum over walks: emission + spatial shared, one mobility term per walk
    rec = joint_loglik(_z(walks), loc.cells_, m, loc.walk_lengths_)
    mob = sum(mobility_loglik(m.lattice_xy[loc.cells_[s]], m.dt, p)
              for s, p in zip(walk_slices(loc.walk_lengths_), m.mobilities(3), strict=True))
    assert rec["mobility"] == pytest.approx(mob)
    assert rec["total"] == pytest.approx(loc.objective_)
    # one more trajectory step (each walk by its own exact Viterbi) cannot lower the objective
    again = decode_walks(_z(walks), m, loc.walk_lengths_)
    assert joint_loglik(_z(walks), again, m, loc.walk_lengths_)["total"] >= rec["total"] - 1e-6 * abs(rec["total"])
    # decode splits a query of several walks the same way; a one-walk decode crosses the jumps
    per_walk = loc.decode(walks, "viterbi")
    assert per_walk.shape == (300, 3)
    one = loc.clone().set_params(walks="one")
    vars(one).update(loc.learned())
    with pytest.raises(DataError):  # time goes back between walks
        one.decode(walks, "viterbi")


def _z(ds):
    from radiomap.features.seed000 import per_ap_features

    return per_ap_features(ds)
