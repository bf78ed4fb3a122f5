"""Propagation (WLS, EM), mobility (MLE, transition table) and the joint log-likelihood."""

import numpy as np
import pytest

from radiomap.localize.hmm.grid import build_cell_graph
from radiomap.localize.hmm.likelihood import HMMModel, emission_table, joint_loglik
from radiomap.localize.hmm.mobility import (
    MobilityParams,
    fit_mobility,
    mobility_loglik,
    move_loglik,
    transition_table,
)
from radiomap.localize.hmm.propagation import (
    angle_loglik,
    component_loglik,
    default_params,
    fit_params,
    wls,
)
from radiomap.localize.hmm.regions import SpatialPrior, spatial_term
from radiomap.localize.hmm.viterbi import path_score

from . import synth_hmm as synth


def test_wls_matches_weighted_lstsq_and_residual_variance():
    rng = np.random.default_rng(0)
    A = np.column_stack([np.ones(50), rng.normal(size=50)])
    y = A @ [2.0, -3.0] + rng.normal(0, 0.5, 50)
    w = rng.random(50)
    coef, var, sw = wls(A, y, w)
    ref = np.linalg.lstsq(A * np.sqrt(w)[:, None], y * np.sqrt(w), rcond=None)[0]
    np.testing.assert_allclose(coef, ref, rtol=1e-10)
    assert var == pytest.approx((w * (y - A @ ref) ** 2).sum() / w.sum())
    assert sw == pytest.approx(w.sum())


def test_fit_params_recovers_the_generating_model():
    z, track, los, model, aps = synth.scenario(n_steps=3000, seed=1)
    truth = model.params
    from radiomap.localize.hmm.likelihood import cell_geometry

    logd, phi = cell_geometry(np.column_stack([track, np.full(len(track), 1.5)]), aps)
    est = fit_params(z, logd, phi, los, default_params(len(aps)), em_steps=30)
    from radiomap.localize.hmm.propagation import feature_means

    # the fitted mean power agrees with the true one where each block has data (RMS < 0.5 dB)
    diff = feature_means(logd, est)[0] - feature_means(logd, truth)[0]  # [T, B, 2]
    for r in (0, 1):
        m = los == bool(r)
        assert np.sqrt((diff[..., r][m] ** 2).mean()) < 0.5
    np.testing.assert_allclose(np.sqrt(est.power_var), np.sqrt(truth.power_var), rtol=0.15)
    np.testing.assert_allclose(np.sqrt(est.angle_var), np.sqrt(truth.angle_var), rtol=0.2)
    np.testing.assert_allclose(est.angle_eps, truth.angle_eps, atol=0.06)


def test_angle_em_never_decreases_the_likelihood():
    rng = np.random.default_rng(2)
    n = 400
    res = np.where(rng.random(n) < 0.3, rng.uniform(-1.5, 1.5, n), rng.normal(0, 0.05, n))
    los = np.ones((n, 1), bool)
    z = np.zeros((n, 1, 3))
    z[:, 0, 1] = res
    logd = np.linspace(0.1, 1.0, n)[:, None]
    p = default_params(1)
    prev = -np.inf
    for _ in range(8):
        p = fit_params(z, logd, np.zeros((n, 1)), los, p, fit_delay=False, em_steps=1)
        val = angle_loglik(res, 0.0, p.angle_var[0, 1], p.angle_eps[0, 1]).sum()
        assert val >= prev - 1e-9
        prev = val
    assert np.sqrt(p.angle_var[0, 1]) == pytest.approx(0.05, rel=0.2)  # robust to 30 % outliers


def test_mobility_mle_recovers_gauss_markov_parameters():
    rng = np.random.default_rng(3)
    alpha, vbar, sigma, dt, n = 0.85, np.array([0.5, -0.2]), 1.2, 0.1, 20000
    v = np.zeros((n, 2))
    for t in range(1, n):
        v[t] = alpha * v[t - 1] + (1 - alpha) * vbar + np.sqrt(1 - alpha ** 2) * sigma * rng.normal(size=2)
    xy = np.concatenate([[[0.0, 0.0]], np.cumsum(v * dt, axis=0)])
    est = fit_mobility(xy, dt)
    assert est.alpha == pytest.approx(alpha, abs=0.02)
    assert est.sigma_v == pytest.approx(sigma, rel=0.05)
    np.testing.assert_allclose(est.mean_velocity, vbar, atol=0.15)
    # the MLE beats nearby parameter values
    base = mobility_loglik(xy, dt, est)
    for factor in (0.9, 1.1):
        assert mobility_loglik(xy, dt, est.scaled(factor)) < base
    # the floor is honoured
    assert fit_mobility(xy, dt, min_std=5.0).innovation_std == 5.0


def test_transition_table_equals_move_loglik_and_path_sum():
    xy = np.stack(np.meshgrid(np.arange(8) * 0.25, np.arange(8) * 0.25, indexing="ij"), -1).reshape(-1, 2)
    g = build_cell_graph(xy, 0.25, 2.1)
    mob = MobilityParams(0.8, (0.3, -0.1), 0.7)
    tab = transition_table(g.offsets, 0.25, 0.1, mob)
    v = g.offsets * 0.25 / 0.1
    assert tab[3, 5] == pytest.approx(float(move_loglik(v[3], v[5], mob, 0.1)))
    path = g.lookup(np.array([[0, 0], [1, 0], [2, 1], [3, 1], [3, 2], [3, 3], [4, 4]]))
    emis = np.zeros((len(path), g.n_cells))
    assert path_score(path, emis, tab, g.moves(path)) == pytest.approx(mobility_loglik(g.xy[path], 0.1, mob))


def test_joint_loglik_is_viterbi_score_plus_spatial_term():
    z, track, los, model, aps = synth.scenario(n_steps=60, lx=4.0, ly=3.0, seed=4)
    cells = model.graph.nearest(track)
    # make the path feasible by construction: stay-put path on the first cell
    cells = np.full(len(track), cells[0])
    emis = emission_table(z, model)
    tab = transition_table(model.graph.offsets, model.graph.delta, model.dt, model.mobility)
    j = joint_loglik(z, cells, model)
    vit = path_score(cells, emis, tab, model.graph.moves(cells))
    assert j["emission"] + j["mobility"] == pytest.approx(vit, rel=1e-6)  # table in float32
    assert j["spatial"] == pytest.approx(spatial_term(model.regions, model.graph.pairs, model.shadows,
                                                      model.prior))
    # the emission table agrees with the per-path components
    comp = component_loglik(z, model.logd[cells], model.phi[cells], model.params)
    sel = np.where(model.regions[cells], comp[..., 1], comp[..., 0]).sum(-1)
    np.testing.assert_allclose(emis[np.arange(len(cells)), cells], sel, rtol=1e-5)
    assert isinstance(model, HMMModel) and isinstance(model.prior, SpatialPrior)
