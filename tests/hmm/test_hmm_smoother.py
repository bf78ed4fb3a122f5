"""Forward-backward smoother of the second-order chain: exact marginals against brute force."""

import itertools

import numpy as np
import pytest

from radiomap.localize.hmm.grid import build_cell_graph
from radiomap.localize.hmm.smoother import cell_posteriors, posterior_mean

from . import synth_hmm as synth


def _tiny_graph(with_hole: bool):
    cells = [(i * 0.5, j * 0.5) for i in range(3) for j in range(3) if not (with_hole and (i, j) == (1, 1))]
    return build_cell_graph(np.array(cells), 0.5, 1.0)


@pytest.mark.parametrize("with_hole", [False, True])
@pytest.mark.parametrize("n_t", [2, 3, 5])
def test_cell_posteriors_match_brute_force(with_hole, n_t):
    g = _tiny_graph(with_hole)
    rng = np.random.default_rng(7 * n_t + with_hole)
    emis = rng.normal(0, 2, (n_t, g.n_cells))
    trans = rng.normal(0, 2, (g.n_offsets, g.n_offsets))
    paths = np.array(list(itertools.product(range(g.n_cells), repeat=n_t)))
    mv = g.offset_index(g.ij[paths[:, 1:]] - g.ij[paths[:, :-1]])
    mvc = np.maximum(mv, 0)
    scores = emis[np.arange(n_t), paths].sum(1) + trans[mvc[:, :-1], mvc[:, 1:]].sum(1)
    scores[~(mv >= 0).all(1)] = -np.inf
    w = np.exp(scores - scores.max())
    w /= w.sum()
    expect = np.zeros((n_t, g.n_cells))
    for t in range(n_t):
        np.add.at(expect[t], paths[:, t], w)
    post = cell_posteriors(emis, trans, g.prv, g.nxt, device="cpu")
    np.testing.assert_allclose(post, expect, atol=1e-6)
    np.testing.assert_allclose(posterior_mean(post, g.xy), expect @ g.xy, atol=1e-6)


def test_chunked_smoothing_agrees_and_sharp_emissions_give_the_forced_path():
    g, truth, emis, trans = synth.forced_path_problem(-60.0)
    post = cell_posteriors(emis, trans, g.prv, g.nxt, device="cpu")
    np.testing.assert_array_equal(post.argmax(1), truth)
    assert post.max(1).min() > 1 - 1e-12
    import radiomap.localize.hmm.smoother as s

    rng = np.random.default_rng(1)
    emis = rng.normal(0, 3, (30, g.n_cells))
    trans = rng.normal(0, 1, (g.n_offsets, g.n_offsets))
    ref = cell_posteriors(emis, trans, g.prv, g.nxt, device="cpu")
    old = s._CHUNK
    try:
        s._CHUNK = 2 * g.n_offsets ** 2
        np.testing.assert_allclose(cell_posteriors(emis, trans, g.prv, g.nxt, device="cpu"), ref, atol=1e-6)
    finally:
        s._CHUNK = old


def test_bad_shapes_name_the_mismatching_table():
    from radiomap.errors import ParameterError

    g = _tiny_graph(False)
    trans = np.zeros((g.n_offsets, g.n_offsets))
    with pytest.raises(ParameterError, match="nxt"):
        cell_posteriors(np.zeros((4, g.n_cells)), trans, g.prv, g.nxt[:-1])
    with pytest.raises(ParameterError, match=r"emission must be \[T, G\]"):
        cell_posteriors(np.zeros(g.n_cells), trans, g.prv, g.nxt)
