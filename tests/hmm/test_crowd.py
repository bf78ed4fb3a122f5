"""``bench crowd`` stages at a tiny size: walks by trajectory_id, held-out walks, beam rows against exact."""

import numpy as np
import pytest

from radiomap.experiments import EXPERIMENTS, crowd


@pytest.fixture(scope="module")
def tiny():
    size = crowd.CrowdSize(n_walks=3, n_test=1, duration=(3.0, 4.0), resolution=1.0)
    data = crowd.simulate_walks(size, seed=1)
    from radiomap.localize import get_localizer

    fits = {"hmm": crowd.measured_fit(get_localizer("hmm", resolution=1.0, walks="trajectory", max_iter=2,
                                                     inits=("wcl",)), data.train.without_positions()),
            "gma": crowd.measured_fit(get_localizer("gma", resolution=1.0, walks="trajectory", max_iter=2),
                                       data.train),
            "knn": crowd.measured_fit(get_localizer("knn", k=3), data.train)}
    return size, data, fits


def test_walks_are_split_and_held_out(tiny):
    size, data, fits = tiny
    assert set(np.unique(data.train.trajectory_id)) == {0, 1} and set(np.unique(data.test.trajectory_id)) == {2}
    assert data.train.scene.name == "office-floor" and len(data.train.scene.walls) == 308
    assert fits["hmm"].loc.walk_lengths_ == tuple(np.bincount(data.train.trajectory_id).tolist())
    assert all(30 <= n <= 40 for n in fits["hmm"].loc.walk_lengths_)
    assert fits["hmm"].fit_s > 0 and fits["hmm"].peak_mib > 0


def test_rows_and_beam_against_exact(tiny):
    _, data, fits = tiny
    rows = {r["method"]: r for r in crowd.localization_rows(fits, data.test)}
    assert set(rows) == {"hmm", "gma", "knn", "hmm-viterbi", "hmm-smoothed", "gma-viterbi", "gma-smoothed"}
    e = np.linalg.norm(fits["knn"].loc.predict(data.test)[:, :2] - data.test.positions[:, :2], axis=1)
    assert rows["knn"]["mean"] == pytest.approx(e.mean()) and rows["knn"]["labels"] and not rows["hmm"]["labels"]
    hmm = fits["hmm"].loc
    beam = crowd.beam_rows(hmm, data.test, beams=(1, hmm.n_cells_ * hmm.n_offsets_))
    assert beam[0]["decoder"] == "exact" and beam[-1]["same cell"] == 1.0 and beam[-1]["deviation from exact"] == 0.0
    ratios = {r["method"]: r for r in crowd._ratios(list(rows.values()))}
    assert ratios["hmm"]["/ gma"] == pytest.approx(rows["hmm"]["mean"] / rows["gma"]["mean"])
    assert ratios["hmm-viterbi"]["/ gma"] == pytest.approx(rows["hmm-viterbi"]["mean"] / rows["gma-viterbi"]["mean"])
    assert EXPERIMENTS.get("crowd") is crowd.run
