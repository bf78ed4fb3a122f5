"""Every registered method of every task (localizers, direction estimators), fitted small: save + load keeps
``get_params()`` (types included) and every learned ``*_`` attribute, and the loaded model predicts the same."""

import numpy as np
import pytest

from radiomap.localize import DIRECTIONS, LOCALIZERS, Localizer
from radiomap.localize.base import FitInfo
from radiomap.localize.state import equal

SMALL = {  # hyper-parameters that keep each fit to a second or two
    "dnn": {"epochs": 5}, "charting": {"epochs": 5, "hidden": (8,)},
    "hmm": {"max_iter": 1, "resolution": 1.0, "inits": ("wcl",), "nlos_restart": False},
    "gma": {"max_iter": 1, "resolution": 1.0, "inits": ("wcl",), "nlos_restart": False},
    "neuralmap": {"epochs": 2, "atoms_per_region": 2, "hidden": 8, "n_grad": 1, "device": "cpu"},
    "loanet": {"epochs": 1}, "cnn2d": {"epochs": 1}, "cnn3d": {"epochs": 1},
    "knn": {"k": 3, "cv": True, "k_grid": (1, 2, 3)}, "fusion-tdc": {"epochs": 2},
}
METHODS = [(LOCALIZERS, n) for n in LOCALIZERS.names()] + [(DIRECTIONS, n) for n in DIRECTIONS.names()]
IDS = [n for _, n in METHODS]


@pytest.fixture(scope="module")
def datasets():
    from radiomap.experiments import zhao2026 as z
    from radiomap.mobility import random_waypoint
    from radiomap.scene import get_scene
    from radiomap.simulate import simulate_dataset

    xing = get_scene("xing-indoor")
    walk = random_waypoint(xing, 20.0, dt=0.1, rng=np.random.default_rng(0))
    room = simulate_dataset(xing, walk.positions, timestamps=walk.timestamps, noise_variance=0.2, seed=0)
    plane = get_scene("chatelier-plane")
    rng = np.random.default_rng(1)
    x0, x1, y0, y1 = plane.bounds
    xy = np.column_stack([rng.uniform(x0, x0 + 0.3, 60), rng.uniform(y0, y0 + 0.3, 60)])
    near = simulate_dataset(plane, np.column_stack([xy, np.full(60, plane.user_heights[0])]), seed=1)
    tbf_scene = get_scene("zhao-tbf")
    pos = tbf_scene.grid(6.0)
    vel = z.random_headings(len(pos), 1.4, rng)
    params, _ = z.trace_params(tbf_scene, pos, vel)
    tbf = z.fingerprint_dataset(tbf_scene, params, pos, vel, n_taps=16, eta=0.01, snr_db=20.0, rng=rng, meta={})
    return {"room": room, "plane": near, "tbf": tbf}


def _data_for(name: str, datasets):
    if name in ("loanet", "wknn-tbf", "cnn2d", "cnn3d", "fusion-tdc"):
        return datasets["tbf"]
    if name in ("neuralmap", "nn-pi", "nn-cosine", "wknn-csi"):
        return datasets["plane"]
    return datasets["room"]


@pytest.mark.parametrize(("registry", "name"), METHODS, ids=IDS)
def test_save_load_keeps_params_and_every_learned_attribute(registry, name, datasets, tmp_path):
    cls = registry.get(name)
    ds = _data_for(name, datasets)
    loc = cls(**SMALL.get(name, {}))
    loc.fit(ds if loc.supervised else ds.without_positions())
    assert isinstance(loc.fit_info_, FitInfo) and loc.fit_info_.n_samples == ds.n_samples
    loc.save(tmp_path / name)
    back = cls.load(tmp_path / name)
    assert type(back) is cls
    params, again = loc.get_params(), back.get_params()
    assert params.keys() == again.keys()
    for k, v in params.items():
        assert type(again[k]) is type(v) and equal(again[k], v), (k, v, again[k])
    learned, restored = loc.learned(), back.learned()
    assert learned.keys() == restored.keys(), set(learned) ^ set(restored)
    for k, v in learned.items():
        assert equal(restored[k], v), f"{name}.{k} differs after the round trip"
    np.testing.assert_allclose(back.predict(ds), loc.predict(ds), atol=1e-9)


@pytest.mark.parametrize(("registry", "name"), METHODS, ids=IDS)
def test_params_are_declared_and_defaults_valid(registry, name):
    cls = registry.get(name)
    assert set(cls.param_spec) == set(cls._param_names()), name
    assert all(p.help for p in cls.param_spec.values()), f"{name}: a parameter without help"
    loc = cls()
    assert cls.validate_params(loc.get_params()) == loc.get_params()
    clone = loc.set_params(**loc.get_params()).clone()
    assert type(clone) is cls and clone.get_params() == loc.get_params()
    assert repr(clone).startswith(cls.__name__ + "(")


def test_a_model_of_one_task_is_refused_by_another(datasets, tmp_path):
    from radiomap.errors import DataError

    LOCALIZERS.get("centroid")().fit(datasets["room"]).save(tmp_path / "c")
    with pytest.raises(DataError, match="not a direction estimator"):
        DIRECTIONS.get("fusion-tdc").load(tmp_path / "c")
    assert type(Localizer.load(tmp_path / "c")).__name__ == "Centroid"
