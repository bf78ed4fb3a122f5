"""Grid from the area the walks reach: a subset of the scene grid near the tracks, and a huge box that
the scene grid refuses costs only the walked area."""

import dataclasses

import numpy as np
import pytest

from radiomap.errors import RadiomapError
from radiomap.localize.hmm import HMMRadioMap
from radiomap.localize.hmm.grid import reachable_cells

from . import synth_hmm as synth


def test_reachable_cells_are_the_scene_cells_near_the_points():
    scene = synth.small_scene()
    pts = np.array([[1.0, 1.0], [2.0, 1.5]])
    cells = reachable_cells(scene, 0.25, 1.5, pts, 0.6)
    full = scene.grid(0.25, height=1.5)
    d_full = np.min(np.linalg.norm(full[:, None, :2] - pts[None], axis=-1), axis=1)
    np.testing.assert_allclose(np.sort(cells, axis=0), np.sort(full[d_full <= 0.6], axis=0))
    assert np.all(cells[:, 2] == 1.5)


def test_tracks_grid_fits_a_scene_whose_box_is_far_too_large():
    scene = synth.small_scene()
    ds = synth.feature_dataset(scene, 150, seed=2)
    huge = dataclasses.replace(scene, walkable=np.array([[-4e4, -4e4], [4e4, -4e4], [4e4, 4e4], [-4e4, 4e4]]))
    with pytest.raises(RadiomapError):  # the box grid asks for far more memory than there is
        huge.grid(0.25, height=1.5)
    ref = HMMRadioMap(inits=("wcl",), max_iter=3).fit(ds.without_positions())
    ds.scene = huge
    # WCL tracks are pulled toward the room centre: a 3 m margin reaches the walls (1 m does not)
    loc = HMMRadioMap(inits=("wcl",), max_iter=3, grid="tracks", grid_margin=3.0).fit(ds.without_positions())
    assert ref.n_cells_ <= loc.n_cells_ < 4 * ref.n_cells_
    err, err_ref = (np.linalg.norm(m.trajectory_[:, :2] - ds.positions[:, :2], axis=1).mean() for m in (loc, ref))
    assert err < 0.4 and err < err_ref + 0.1
