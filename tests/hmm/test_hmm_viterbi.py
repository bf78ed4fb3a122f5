"""Second-order Viterbi: exact MAP against brute force, and consistency with path_score."""

import itertools

import numpy as np
import pytest

from radiomap.errors import ParameterError
from radiomap.localize.hmm.grid import build_cell_graph, reachable_offsets
from radiomap.localize.hmm.viterbi import path_score, viterbi2

from . import synth_hmm as synth


def _tiny_graph(with_hole: bool):
    cells = [(i * 0.5, j * 0.5) for i in range(3) for j in range(3) if not (with_hole and (i, j) == (1, 1))]
    return build_cell_graph(np.array(cells), 0.5, 1.0)


@pytest.mark.parametrize("with_hole", [False, True])
@pytest.mark.parametrize("trial", range(3))
def test_viterbi2_matches_brute_force(with_hole, trial):
    g = _tiny_graph(with_hole)
    rng = np.random.default_rng(10 * trial + with_hole)
    n_t = 5
    emis = rng.normal(0, 2, (n_t, g.n_cells))
    trans = rng.normal(0, 2, (g.n_offsets, g.n_offsets))
    init = rng.normal(0, 1, g.n_offsets)
    # brute force over all G^T cell sequences (vectorised)
    paths = np.array(list(itertools.product(range(g.n_cells), repeat=n_t)))
    mv = g.offset_index(g.ij[paths[:, 1:]] - g.ij[paths[:, :-1]])
    ok = (mv >= 0).all(1)
    mvc = np.maximum(mv, 0)
    scores = (emis[np.arange(n_t), paths].sum(1) + init[mvc[:, 0]] + trans[mvc[:, :-1], mvc[:, 1:]].sum(1))
    scores[~ok] = -np.inf
    k = int(np.argmax(scores))
    best, best_path = scores[k], paths[k]
    assert path_score(paths[k], emis, trans, g.moves(paths[k]), init) == pytest.approx(best)
    path, score = viterbi2(emis, trans, g.prv, init=init, device="cpu")
    assert score == pytest.approx(best, abs=1e-9)
    assert path_score(path, emis, trans, g.moves(path), init) == pytest.approx(best, abs=1e-9)
    np.testing.assert_array_equal(path, best_path)  # continuous random scores: unique optimum


def test_viterbi2_float32_and_chunking_agree_with_float64():
    rng = np.random.default_rng(3)
    xy = np.stack(np.meshgrid(np.arange(12) * 0.25, np.arange(9) * 0.25, indexing="ij"), -1).reshape(-1, 2)
    g = build_cell_graph(xy, 0.25, 2.1)
    emis = rng.normal(0, 3, (40, g.n_cells))
    trans = -0.5 * rng.random((g.n_offsets, g.n_offsets)) * 10
    p64, s64 = viterbi2(emis, trans, g.prv, device="cpu")
    import radiomap.localize.hmm.viterbi as v

    old = v._CHUNK
    try:
        v._CHUNK = 3 * g.n_offsets ** 2  # force several row blocks
        p_chunk, s_chunk = viterbi2(emis, trans, g.prv, device="cpu")
    finally:
        v._CHUNK = old
    np.testing.assert_array_equal(p64, p_chunk)
    assert s_chunk == pytest.approx(s64, rel=1e-12)
    assert path_score(p64, emis, trans, g.moves(p64)) == pytest.approx(s64, rel=1e-12)


def test_viterbi2_follows_forced_path():
    """Emissions that single out one feasible cell per slot give back that path."""
    g, truth, emis, trans = synth.forced_path_problem(-5.0)
    path, score = viterbi2(emis, trans, g.prv, device="cpu")
    np.testing.assert_array_equal(path, truth)
    assert score == pytest.approx(0.0)


def test_reachability_is_enforced_and_infeasible_raises():
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0]])
    g = build_cell_graph(xy, 1.0, 1.0)
    emis = np.zeros((3, 3))
    emis[:, 2] = 10.0  # isolated cell: staying there is feasible (zero move)
    path, _ = viterbi2(emis, np.zeros((g.n_offsets, g.n_offsets)), g.prv, device="cpu")
    np.testing.assert_array_equal(path, [2, 2, 2])
    assert (g.moves(np.array([0, 2])) == -1).all()
    with pytest.raises(ParameterError):
        viterbi2(np.zeros((3, 2)), np.zeros((g.n_offsets, g.n_offsets)), g.prv)


def test_reachable_offsets_counts():
    assert len(reachable_offsets(1.0)) == 5
    assert len(reachable_offsets(1.5)) == 9
    assert len(reachable_offsets(2.1)) == 13
    assert len(reachable_offsets(2.5)) == 21
    assert tuple(reachable_offsets(2.5)[0]) == (0, 0)
