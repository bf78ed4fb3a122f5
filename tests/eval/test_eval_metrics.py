"""Metrics and breakdowns against hand-computed values."""

import numpy as np
import pytest

from radiomap.errors import DataError, ParameterError
from radiomap.eval.breakdown import by_distance_ring, by_region, nearest_ap_distance, ring_labels
from radiomap.eval.metrics import (
    accuracy,
    confusion_matrix,
    empirical_cdf,
    error_summary,
    in_wavelengths,
    position_errors,
)


def test_position_errors_2d_3d():
    true = np.zeros((2, 3))
    pred = np.array([[3.0, 4.0, 12.0], [0.0, 0.0, -1.0]])
    np.testing.assert_allclose(position_errors(pred, true), [5.0, 0.0])
    np.testing.assert_allclose(position_errors(pred, true, dims=3), [13.0, 1.0])


def test_error_summary_known_values():
    e = np.arange(1, 11, dtype=float)  # 1..10
    s = error_summary(e)
    assert s["mean"] == 5.5 and s["median"] == 5.5 and s["max"] == 10 and s["n"] == 10
    assert s["p90"] == pytest.approx(9.1)  # linear interpolation between 9 and 10
    assert s["p95"] == pytest.approx(9.55)
    assert s["rmse"] == pytest.approx(np.sqrt(385 / 10))
    empty = error_summary(np.array([]))
    assert empty["n"] == 0 and np.isnan(empty["mean"])


def test_cdf_and_wavelengths():
    x, f = empirical_cdf(np.array([3.0, 1.0, 2.0, 4.0]))
    np.testing.assert_allclose(x, [1, 2, 3, 4])
    np.testing.assert_allclose(f, [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(in_wavelengths(np.array([0.06, 0.03]), 0.06), [1.0, 0.5])


def test_confusion_and_accuracy():
    t = np.array([0, 0, 1, 1, 2, 2, 2])
    p = np.array([0, 1, 1, 1, 2, 0, 2])
    cm = confusion_matrix(t, p, 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 2, 0], [1, 0, 2]])
    assert accuracy(t, p) == pytest.approx(5 / 7)
    assert cm.sum() == 7 and np.trace(cm) == 5
    np.testing.assert_array_equal(confusion_matrix(np.array([True, False]), np.array([True, True]), 2),
                                  [[0, 1], [0, 1]])


def test_breakdowns():
    e = np.array([1.0, 2.0, 3.0, 10.0])
    reg = np.array([0, 0, 2, 2], dtype=np.int8)
    rows = by_region(e, reg)
    assert [r["region"] for r in rows] == ["NLOS", "single-LOS", "double-LOS"]
    assert rows[0]["mean"] == 1.5 and rows[1]["n"] == 0 and rows[2]["max"] == 10.0
    idx, names = ring_labels(np.array([0.0, 4.9, 5.0, 12.0, 25.0]), [0, 5, 10, 20])
    np.testing.assert_array_equal(idx, [0, 0, 1, 2, -1])
    assert names == ["0-5 m", "5-10 m", "10-20 m"]
    assert ring_labels(np.array([3.0, 50.0]), [0, 5, np.inf])[1] == ["0-5 m", ">= 5 m"]
    np.testing.assert_array_equal(ring_labels(np.array([3.0, 50.0]), [0, 5, np.inf])[0], [0, 1])
    rows = by_distance_ring(e, np.array([1.0, 6.0, 7.0, 30.0]), [0, 5, 10])
    assert rows[0]["n"] == 1 and rows[1]["mean"] == 2.5
    d = nearest_ap_distance(np.array([[1.0, 0, 0], [9.0, 0, 0]]), np.array([[0.0, 0, 4], [10.0, 0, 4]]))
    np.testing.assert_allclose(d, [1.0, 1.0])


def test_bad_inputs():
    with pytest.raises(DataError, match="same N"):
        position_errors(np.zeros((3, 3)), np.zeros((2, 3)))
    with pytest.raises(DataError, match="NaN"):
        position_errors(np.full((1, 3), np.nan), np.zeros((1, 3)))
    with pytest.raises(ParameterError, match="dims"):
        position_errors(np.zeros((1, 3)), np.zeros((1, 3)), dims=4)
    with pytest.raises(DataError, match="outside"):
        confusion_matrix(np.array([0, 3]), np.array([0, 1]), 3)
    with pytest.raises(DataError, match="shape"):
        accuracy(np.array([0, 1]), np.array([0]))
