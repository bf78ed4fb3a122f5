"""Grouped cross-validation (issue 14 must-show): on captures with several packets per point, random folds
score a model on twins of its training packets (near-zero error); folds grouped by point_id report the error
on unseen points, the one an independent test set measures."""

import numpy as np
import pytest

from radiomap.data.impairments import impair, parse_impairments
from radiomap.eval.compare import cross_val_errors
from radiomap.eval.metrics import position_errors
from radiomap.localize.fingerprint import KNN
from radiomap.scene import Scene, get_scene
from radiomap.simulate import simulate_dataset


@pytest.fixture(scope="module")
def scene():
    d = get_scene("xing-indoor").to_dict()
    for ap in d["aps"]:
        ap["array"]["n"] = 1
    return Scene.from_dict(d)


def test_random_folds_leak_grouped_folds_do_not(scene):
    imp = parse_impairments("packets=5,heard=1,agc=6,sto=2e-8,cpo=1")
    train = impair(simulate_dataset(scene, scene.grid(0.6), seed=0), imp, seed=1)
    rng = np.random.default_rng(2)
    fresh = scene.grid(0.05)
    fresh = fresh[rng.choice(len(fresh), 300, replace=False)]
    test = impair(simulate_dataset(scene, fresh, seed=3), parse_impairments("heard=1,agc=6,sto=2e-8,cpo=1"), seed=4)
    knn = KNN(k=1)  # inputs 'auto' = agc-amplitude + tx-onehot on one antenna
    random_cv = cross_val_errors(knn, train, n_folds=5, seed=0).mean()
    grouped_cv = cross_val_errors(knn, train, n_folds=5, seed=0, groups=train.point_id).mean()
    held_out = position_errors(knn.clone().fit(train).predict(test), test.positions).mean()
    print(f"random-fold CV {random_cv:.3f} m, grouped CV {grouped_cv:.3f} m, independent test {held_out:.3f} m")
    assert random_cv < 0.05 * grouped_cv  # every held-out packet finds its point's twin in training
    assert 0.7 < grouped_cv / held_out < 1.4
