"""Channel-charting metrics: trustworthiness / continuity vs scikit-learn, stress and affine fit known answers."""

import numpy as np
import pytest
from sklearn.manifold import trustworthiness as sk_trustworthiness

from radiomap.errors import ParameterError
from radiomap.eval.metrics import (
    affine_fit_errors,
    chart_metrics,
    continuity,
    default_k,
    kruskal_stress,
    trustworthiness,
)


@pytest.mark.parametrize("k", [1, 5, 12])
def test_trustworthiness_and_continuity_equal_sklearn(k):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, (120, 2))
    emb = np.c_[x[:, 0] + rng.normal(0, 2, 120), np.sin(x[:, 1]) * 3, rng.normal(size=120)]
    assert trustworthiness(x, emb, k) == pytest.approx(sk_trustworthiness(x, emb, n_neighbors=k), abs=1e-12)
    assert continuity(x, emb, k) == pytest.approx(sk_trustworthiness(emb, x, n_neighbors=k), abs=1e-12)


def test_perfect_and_scrambled_charts():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 10, (200, 2))
    rot = np.array([[0.6, -0.8], [0.8, 0.6]])
    chart = 3.0 * x @ rot.T + [5.0, -2.0]  # scaled rigid copy
    assert default_k(200) == 10
    m = chart_metrics(np.c_[x, np.zeros(200)], chart)
    assert m["TW"] == pytest.approx(1.0) and m["CT"] == pytest.approx(1.0) and m["K"] == 10
    assert m["KS"] == pytest.approx(0.0, abs=1e-9)
    assert m["mean error after LS affine fit (m)"] == pytest.approx(0.0, abs=1e-9)
    scrambled = chart[rng.permutation(200)]
    assert trustworthiness(x, scrambled) < 0.6 and kruskal_stress(x, scrambled) > 0.3
    with pytest.raises(ParameterError, match="k="):
        trustworthiness(x, chart, 100)


def test_stress_known_answer():
    # 3 collinear points 0, 1, 2 embedded at 0, 1, 3: d = (1, 2, 1), e = (1, 3, 2)
    x = np.array([[0.0], [1.0], [2.0]])
    e = np.array([[0.0], [1.0], [3.0]])
    d, ee = np.array([1.0, 2.0, 1.0]), np.array([1.0, 3.0, 2.0])
    a = d @ ee / (ee @ ee)
    assert kruskal_stress(x, e) == pytest.approx(np.sqrt(np.sum((d - a * ee) ** 2) / (d @ d)))


def test_affine_fit_recovers_an_affine_chart():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 10, (50, 2))
    m = np.array([[2.0, 0.5], [-1.0, 3.0]])
    chart = x @ m.T + [1.0, 4.0]  # a shear, not a similarity: stress > 0 but the affine fit is exact
    err, a = affine_fit_errors(x, chart)
    assert err.max() < 1e-9 and a.shape == (3, 2)
    np.testing.assert_allclose(np.c_[chart, np.ones(50)] @ a, x, atol=1e-9)
    assert kruskal_stress(x, chart) > 0.05
    noisy = chart + rng.normal(0, 1, chart.shape)
    assert affine_fit_errors(x, noisy)[0].mean() > 0.1
