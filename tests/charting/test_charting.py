"""Channel charting in real-world coordinates: losses in closed form and a label-free fit."""

import numpy as np
import pytest
import torch

from radiomap.errors import DataError, ParameterError
from radiomap.localize import Localizer, get_localizer
from radiomap.localize.charting import ChannelCharting
from radiomap.localize.charting.losses import (
    bilateration_loss,
    bilateration_pairs,
    box_loss,
    sample_triplets,
    triplet_loss,
)


def _load_synth():
    """The HMM tests' synthetic scene (features drawn from the seed-000 model), loaded by path."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("charting_synth_hmm",
                                                  Path(__file__).parents[1] / "hmm" / "synth_hmm.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


synth = _load_synth()


def test_triplet_loss_closed_form():
    y = torch.tensor([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]], dtype=torch.float64)
    a, p, n = torch.tensor([0]), torch.tensor([1]), torch.tensor([2])
    assert float(triplet_loss(y, a, p, n, margin=1.0)) == pytest.approx(0.0)  # 1 - 3 + 1 < 0
    assert float(triplet_loss(y, a, p, n, margin=2.5)) == pytest.approx(0.5)
    assert float(triplet_loss(y, a, n, p, margin=0.0)) == pytest.approx(2.0)


def test_bilateration_and_box_losses_closed_form():
    ap = torch.tensor([[0.0, 0.0], [10.0, 0.0]], dtype=torch.float64)
    power = np.array([[-40.0, -60.0], [-50.0, -52.0]])
    s, i, j = bilateration_pairs(power, margin_db=6.0)
    np.testing.assert_array_equal(np.stack([s, i, j]), [[0], [0], [1]])
    y_good = torch.tensor([[2.0, 0.0], [5.0, 0.0]], dtype=torch.float64)
    y_bad = torch.tensor([[8.0, 0.0], [5.0, 0.0]], dtype=torch.float64)
    st, it, jt = (torch.as_tensor(v) for v in (s, i, j))
    assert float(bilateration_loss(y_good, ap, st, it, jt)) == 0.0
    assert float(bilateration_loss(y_bad, ap, st, it, jt)) == pytest.approx(8.0 - 2.0)
    boxes = torch.tensor([[0.0, 3.0, 0.0, 3.0]], dtype=torch.float64)
    y = torch.tensor([[4.0, 5.0], [1.0, 1.0]], dtype=torch.float64)
    val = box_loss(y, boxes, torch.tensor([0, 1]), torch.tensor([0, 0]))
    assert float(val) == pytest.approx((1.0 ** 2 + 2.0 ** 2 + 0.0) / 2)


def test_sample_triplets_respect_time_windows():
    t = np.arange(500) * 0.1
    a, p, n = sample_triplets(t, 2000, 0.3, 2.0, np.random.default_rng(0))
    assert len(a) > 1000
    dp, dn = np.abs(t[p] - t[a]), np.abs(t[n] - t[a])
    assert (dp > 0).all() and (dp <= 0.3 + 1e-9).all()
    assert (dn > 0.3).all() and (dn <= 2.0 + 1e-9).all()


@pytest.fixture(scope="module")
def data():
    scene = synth.small_scene()
    return scene, synth.feature_dataset(scene, 400, seed=5), synth.feature_dataset(scene, 200, seed=6)


def test_chart_is_label_free_in_world_coordinates_and_beats_centroid(tmp_path, data):
    scene, train, test = data
    loc = ChannelCharting(epochs=300, n_triplets=2048, seed=0).fit(train.without_positions())
    err = np.linalg.norm(loc.predict(test)[:, :2] - test.positions[:, :2], axis=1).mean()
    centroid = np.linalg.norm(test.positions[:, :2] - train.positions[:, :2].mean(0), axis=1).mean()
    assert err < 0.8 * centroid
    assert loc.fit_info_.objective[-1] < loc.fit_info_.objective[0]
    loc.save(tmp_path / "c")
    back = Localizer.load(tmp_path / "c")
    np.testing.assert_allclose(back.predict(test), loc.predict(test))
    assert isinstance(get_localizer("charting"), ChannelCharting)


def test_charting_validation(data):
    scene, train, _ = data
    with pytest.raises(ParameterError):
        ChannelCharting(t_close=1.0, t_far=0.5).fit(train)
    from radiomap.data import CSIDataset

    no_time = CSIDataset(None, features=train.features, meta=train.meta)
    with pytest.raises(DataError):
        ChannelCharting(epochs=2).fit(no_time)
