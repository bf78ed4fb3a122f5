"""Beam-pruned second-order Viterbi: exact when the beam covers all pair-states, a lower bound otherwise."""

import numpy as np
import pytest

from radiomap.errors import ParameterError
from radiomap.localize.hmm.grid import build_cell_graph
from radiomap.localize.hmm.viterbi import path_score, viterbi2, viterbi2_beam


def _problem(seed: int, nx=12, ny=9, n_t=40, scale=3.0):
    rng = np.random.default_rng(seed)
    xy = np.stack(np.meshgrid(np.arange(nx) * 0.25, np.arange(ny) * 0.25, indexing="ij"), -1).reshape(-1, 2)
    keep = ~((xy[:, 0] > 1.0) & (xy[:, 0] < 1.6) & (xy[:, 1] < 1.5))  # a wall stub: not every move is open
    g = build_cell_graph(xy[keep], 0.25, 2.1)
    emis = rng.normal(0, scale, (n_t, g.n_cells))
    trans = -0.5 * rng.random((g.n_offsets, g.n_offsets)) * 10
    init = rng.normal(0, 1, g.n_offsets)
    return g, emis, trans, init


@pytest.mark.parametrize("seed", range(3))
def test_full_beam_is_the_exact_viterbi(seed):
    g, emis, trans, init = _problem(seed)
    exact, s_exact = viterbi2(emis, trans, g.prv, init=init, device="cpu")
    for beam in (g.n_cells * g.n_offsets, 10 ** 9):
        path, score = viterbi2_beam(emis, trans, g.prv, g.nxt, beam, init=init, device="cpu")
        np.testing.assert_array_equal(path, exact)
        assert score == pytest.approx(s_exact, abs=1e-9)


@pytest.mark.parametrize("beam", [1, 20, 300])
def test_pruned_beam_returns_a_feasible_path_scored_exactly_and_never_above_the_optimum(beam):
    g, emis, trans, init = _problem(7)
    _, s_exact = viterbi2(emis, trans, g.prv, init=init, device="cpu")
    path, score = viterbi2_beam(emis, trans, g.prv, g.nxt, beam, init=init, device="cpu")
    moves = g.moves(path)
    assert (moves >= 0).all()
    assert path_score(path, emis, trans, moves, init) == pytest.approx(score, abs=1e-9)
    assert score <= s_exact + 1e-9


def test_beam_gap_shrinks_with_the_beam_and_bad_beams_are_refused():
    g, emis, trans, init = _problem(11, scale=1.0)
    _, s_exact = viterbi2(emis, trans, g.prv, init=init, device="cpu")
    gaps = [s_exact - viterbi2_beam(emis, trans, g.prv, g.nxt, b, init=init, device="cpu")[1] for b in (1, 30, 3000)]
    assert gaps[0] >= gaps[1] - 1e-9 and gaps[1] >= gaps[2] - 1e-9 and gaps[0] > 0
    with pytest.raises(ParameterError):
        viterbi2_beam(emis, trans, g.prv, g.nxt, 0)


def test_hmm_fit_with_a_covering_beam_equals_the_exact_fit():
    from radiomap.localize.hmm import HMMRadioMap

    from . import synth_hmm as synth

    ds = synth.feature_dataset(synth.small_scene(), 150, seed=4).without_positions()
    exact = HMMRadioMap(inits=("wcl",), max_iter=3).fit(ds)
    beam = HMMRadioMap(inits=("wcl",), max_iter=3, beam=exact.n_cells_ * exact.n_offsets_).fit(ds)
    np.testing.assert_array_equal(beam.cells_, exact.cells_)
    assert beam.objective_ == pytest.approx(exact.objective_)
    np.testing.assert_array_equal(beam.decode(ds, "viterbi"), exact.decode(ds, "viterbi"))
