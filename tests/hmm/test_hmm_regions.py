"""Region maps: the min-cut MAP equals brute force; the shadow prior points toward the AP."""

import itertools

import numpy as np
import pytest

from radiomap.localize.hmm.grid import build_cell_graph
from radiomap.localize.hmm.regions import SpatialPrior, map_regions, region_log_prior, shadow_pairs


@pytest.mark.parametrize("trial", range(6))
def test_min_cut_is_exact_map(trial):
    rng = np.random.default_rng(trial)
    xy = np.array([(i * 0.5, j * 0.5) for i in range(4) for j in range(3)])
    g = build_cell_graph(xy, 0.5, 1.0)
    shadow = shadow_pairs(g, np.array([-1.0, -1.0]))
    prior = SpatialPrior(potts=rng.uniform(0.2, 1.5), shadow=rng.uniform(0.5, 3), los_bias=0.05)
    data = rng.normal(0, 2, g.n_cells)
    best = max((np.array(b, bool) * data).sum() + region_log_prior(np.array(b, bool), g.pairs, shadow, prior)
               for b in itertools.product([0, 1], repeat=g.n_cells))
    s = map_regions(data, g.pairs, shadow, prior)
    got = (s * data).sum() + region_log_prior(s, g.pairs, shadow, prior)
    assert got == pytest.approx(best, abs=5e-3)  # capacities are rounded to 1e-3


def test_shadow_parent_is_closer_to_ap_and_fills_unvisited_cells():
    xy = np.stack(np.meshgrid(np.arange(10) * 0.5, np.arange(6) * 0.5, indexing="ij"), -1).reshape(-1, 2)
    g = build_cell_graph(xy, 0.5, 1.0)
    ap = np.array([-0.5, -0.5])
    sh = shadow_pairs(g, ap)
    d = np.linalg.norm(g.xy - ap, axis=1)
    assert (d[sh[:, 0]] < d[sh[:, 1]]).all()
    # one strongly NLOS cell on the AP's diagonal: the cells behind it on that ray become NLOS too
    data = np.zeros(g.n_cells)
    mid = g.lookup(np.array([2, 2]))
    data[mid] = -50.0
    s = map_regions(data, g.pairs, sh, SpatialPrior(potts=0.01, shadow=3.0, los_bias=0.02))
    assert not s[mid]
    behind = g.lookup(np.array([[3, 3], [4, 4], [5, 5]]))
    front = g.lookup(np.array([[1, 1], [0, 0], [9, 0], [0, 5]]))
    assert not s[behind].any()
    assert s[front].all()
