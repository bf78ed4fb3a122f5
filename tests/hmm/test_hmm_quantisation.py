"""Lattice-quantisation floor of the mobility MLE and the all-NLOS restart of the fit."""

from dataclasses import replace

import numpy as np
import pytest

from radiomap.localize.hmm.fit import nlos_splice
from radiomap.localize.hmm.mobility import MobilityParams, fit_mobility, mobility_loglik, quantisation_std

from . import synth_hmm as synth


def test_quantisation_std_matches_monte_carlo_of_rounded_walks():
    rng = np.random.default_rng(0)
    delta, dt, n = 0.25, 0.1, 400_000
    for alpha in (0.0, 0.6, 0.9):
        u = rng.uniform(-delta / 2, delta / 2, size=(n, 2))  # rounding error, independent per slot
        innov = (u[2:] - (1 + alpha) * u[1:-1] + alpha * u[:-2]) / dt
        assert innov.std() == pytest.approx(quantisation_std(alpha, delta, dt), rel=0.01)
    assert quantisation_std(0.85, 0.25, 0.1) == pytest.approx(1.64, abs=0.01)
    assert quantisation_std(0.5, 0.0, 0.1) == 0.0


def _gauss_markov(alpha, sigma, n, dt, seed):
    rng = np.random.default_rng(seed)
    v = np.zeros((n, 2))
    for t in range(1, n):
        v[t] = alpha * v[t - 1] + np.sqrt(1 - alpha ** 2) * sigma * rng.normal(size=2)
    return np.concatenate([[[0.0, 0.0]], np.cumsum(v * dt, axis=0)])


def test_floor_is_honoured_and_fit_is_the_constrained_profile_optimum():
    dt, delta, min_std = 0.1, 0.25, 0.3
    smooth = _gauss_markov(0.95, 0.5, 3000, dt, seed=1)  # innovation std 0.16 m/s, far below the floor
    est = fit_mobility(smooth, dt, min_std=min_std, delta=delta)
    floor = np.hypot(min_std, quantisation_std(est.alpha, delta, dt))
    assert est.innovation_std == pytest.approx(floor, rel=1e-9)  # the floor binds at the fitted alpha
    best = mobility_loglik(smooth, dt, est)
    # no feasible (alpha, s) does better: brute force over alpha with s on or above the floor
    for alpha in np.linspace(0.0, 0.99, 34):
        for k in (1.0, 1.3):
            trial = MobilityParams(float(alpha), est.mean_velocity,
                                   k * float(np.hypot(min_std, quantisation_std(alpha, delta, dt))))
            assert mobility_loglik(smooth, dt, trial) <= best + 1e-6 * abs(best)


def test_without_a_binding_floor_the_fit_is_the_unconstrained_mle():
    dt = 0.1
    rough = _gauss_markov(0.7, 4.0, 3000, dt, seed=2)  # innovation std 2.9 m/s, above any floor here
    free, quant = fit_mobility(rough, dt), fit_mobility(rough, dt, delta=0.05)
    assert quant.innovation_std > np.hypot(0.05, quantisation_std(quant.alpha, 0.05, dt))
    assert quant.alpha == pytest.approx(free.alpha, abs=2e-3)
    assert quant.innovation_std == pytest.approx(free.innovation_std, rel=1e-3)


def test_nlos_splice_replaces_exactly_the_all_nlos_slots_and_their_margin():
    _, _, _, model, _ = synth.scenario(n_steps=10)
    regions = np.ones_like(model.regions)
    blind = model.graph.xy[:, 0] > 12.0  # cells where no AP is in LOS
    regions[blind] = False
    regions[model.graph.xy[:, 0] < 2.0, 1] = False  # NLOS for one AP only: not spliced
    model = replace(model, regions=regions)
    cells = np.arange(0, model.graph.n_cells, 37)
    all_nlos = blind[cells]
    assert all_nlos.any() and not all_nlos.all()
    other = np.full((len(cells), 2), -5.0)
    out = nlos_splice(cells, model, other, pad=0)
    np.testing.assert_array_equal(out[all_nlos], other[all_nlos])
    np.testing.assert_array_equal(out[~all_nlos], model.graph.xy[cells][~all_nlos])
    padded = nlos_splice(cells, model, other, pad=2)
    widened = np.convolve(all_nlos.astype(int), np.ones(5, dtype=int), mode="same") > 0
    np.testing.assert_array_equal((padded == -5.0).all(axis=1), widened)
