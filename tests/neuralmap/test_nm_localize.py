"""The 5-stage search: recovery from the true channel function, bounds, batching, factorised distances."""

import math

import numpy as np
import pytest
import torch

from radiomap.errors import ParameterError
from radiomap.localize.neuralmap.atoms import init_atoms
from radiomap.localize.neuralmap.localize import (
    PipelineConfig,
    _Space,
    gradient_descent,
    grid_positions,
    localize,
)
from radiomap.localize.neuralmap.model import build_model_based_map

from .synth_helpers import C, default_sources, spherical_csi

FC, BW, A, K = 3.5e9, 100e6, 8, 8
FREQS = FC + (np.arange(K) - K / 2) * BW / K
LAM = C / FC


class TrueChannel(torch.nn.Module):
    """Exact spherical-wave channel of point sources, differentiable in x (the 'true channel function')."""

    def __init__(self, sources, gains):
        super().__init__()
        offs = (np.arange(A) - (A - 1) / 2) * LAM / 2
        elem = sources[:, None, :] + np.stack([np.zeros(A), offs, np.zeros(A)], axis=1)[None]
        self.elem = torch.as_tensor(elem, dtype=torch.float64)
        self.gains = torch.as_tensor(gains, dtype=torch.complex128)
        self.freqs = torch.as_tensor(FREQS, dtype=torch.float64)

    def forward(self, x):
        d = (x.double()[:, None, None, :] - self.elem[None]).norm(dim=-1)  # [N, L, A]
        ph = -2 * math.pi * self.freqs / C * d[..., None]
        h = self.gains[None, :, None, None] / d[..., None] * torch.polar(torch.ones_like(ph), ph)
        return h.sum(1).to(torch.complex64)


def _scene(seed=0):
    rng = np.random.default_rng(seed)
    src, g = default_sources(rng, n_paths=4, distance=6.0)
    return TrueChannel(src, g), src, g, rng


def test_noiseless_query_recovered_from_true_channel_well_under_tenth_wavelength():
    f, src, g, rng = _scene(0)
    lo, hi = np.array([-0.5, -0.5]), np.array([0.5, 0.5])
    xq = np.column_stack([rng.uniform(lo + 0.05, hi - 0.05, (6, 2)), np.full(6, 1.5)])
    hq = spherical_csi(xq, src, g, A, FREQS)
    pos, costs = localize(f, hq, lo=lo, hi=hi, z=1.5, wavelength=LAM, config=PipelineConfig(global_step=0.125))
    err = np.linalg.norm(pos[:, :2] - xq[:, :2], axis=1)
    assert np.all(err < LAM / 100), err / LAM
    assert costs["gd1"]["evals_per_query"] == 40 and costs["global_grid"]["evals_per_query"] == costs["total"][
        "shared_evals"]
    assert costs["total"]["evals_per_query"] == sum(costs[s]["evals_per_query"] for s in
                                                    ("global_grid", "local_grid", "gd1", "circles", "gd2"))


def test_gradient_descent_never_leaves_bounds():
    f, src, g, rng = _scene(1)
    lo_t, hi_t = torch.tensor([0.0, 0.0]), torch.tensor([0.3, 0.3])
    # planted positions outside the box: the descent is pulled toward them but must stay inside
    truth = np.array([[0.45, 0.1, 1.5], [-0.2, 0.25, 1.5], [0.5, 0.5, 1.5], [0.15, -0.3, 1.5]])
    h = torch.as_tensor(spherical_csi(truth, src, g, A, FREQS)).reshape(4, -1)
    x0 = torch.tensor([[0.29, 0.1, 1.5], [0.01, 0.25, 1.5], [0.28, 0.28, 1.5], [0.15, 0.01, 1.5]])
    trace = []
    out = gradient_descent(f, h, x0, lo=lo_t, hi=hi_t, n_steps=60, lr=0.2 * LAM, lr_final=0.01 * LAM, trace=trace)
    steps = np.stack(trace)  # [T, Q, 3]
    assert steps.shape == (60, 4, 3)
    assert np.all(steps[..., :2] >= 0.0) and np.all(steps[..., :2] <= 0.3)
    # a smooth channel function whose minimum lies outside the box: descent must end on the edge
    def linear(xx):
        return torch.complex(xx[:, 0], xx[:, 1])[:, None, None].expand(len(xx), 2, 2)

    h_out = linear(torch.as_tensor(truth, dtype=torch.float32)).reshape(4, -1)
    trace = []
    out = gradient_descent(linear, h_out, x0, lo=lo_t, hi=hi_t, n_steps=60, lr=0.02, lr_final=0.001, trace=trace)
    steps = np.stack(trace)
    assert np.all(steps[..., :2] >= 0.0) and np.all(steps[..., :2] <= 0.3)
    assert np.allclose(out[:, :2].numpy(), np.clip(truth[:, :2], 0.0, 0.3), atol=2e-3)
    assert np.all(out[:, 2].numpy() == 1.5)
    # and the whole pipeline's output too
    pos, _ = localize(f, h.reshape(4, A, K).numpy(), lo=lo_t.numpy(), hi=hi_t.numpy(), z=1.5, wavelength=LAM,
                      config=PipelineConfig(global_step=0.5, n_grad=10))
    assert np.all(pos[:, :2] >= 0.0) and np.all(pos[:, :2] <= 0.3)


def test_factorised_distances_equal_direct_distances():
    rng = np.random.default_rng(2)
    x = np.column_stack([rng.uniform(-0.5, 0.5, (300, 2)), np.full(300, 1.5)])
    f_true, src, g, _ = _scene(2)
    h = spherical_csi(x, src, g, A, FREQS)
    init = init_atoms(x, h, wavelength=LAM, atoms_per_region=5)
    model = build_model_based_map(init, lo=[-0.5, -0.5], hi=[0.5, 0.5], wavelength=LAM)
    q = torch.as_tensor(h[:7].reshape(7, -1) + 0.1)
    cand = torch.as_tensor(x[10:40], dtype=torch.float32)
    fast = _Space(model)
    assert fast.factored

    class Plain(torch.nn.Module):  # same map, without the factorised interface
        def forward(self, xx):
            return model(xx)

    slow = _Space(Plain())
    assert not slow.factored
    d_fast = fast.dist2(fast.query(q), q.abs().pow(2).sum(1), fast.embed_nograd(cand, 64)[None].expand(7, -1, -1))
    d_slow = slow.dist2(slow.query(q), q.abs().pow(2).sum(1), slow.embed_nograd(cand, 64)[None].expand(7, -1, -1))
    assert torch.allclose(d_fast, d_slow, rtol=1e-3, atol=1e-3 * float(d_slow.abs().max()))


def test_batched_equals_per_query():
    f, src, g, rng = _scene(3)
    lo, hi = np.array([-0.3, -0.3]), np.array([0.3, 0.3])
    xq = np.column_stack([rng.uniform(lo, hi, (3, 2)), np.full(3, 1.5)])
    hq = spherical_csi(xq, src, g, A, FREQS)
    cfg = {"global_step": 0.25, "n_grad": 15}
    together, _ = localize(f, hq, lo=lo, hi=hi, z=1.5, wavelength=LAM, config=PipelineConfig(batch_size=3, **cfg))
    alone, _ = localize(f, hq, lo=lo, hi=hi, z=1.5, wavelength=LAM, config=PipelineConfig(batch_size=1, **cfg))
    assert np.allclose(together, alone, atol=1e-5)


def test_grid_positions_cover_box_with_step():
    g = grid_positions(np.array([0.0, 1.0]), np.array([1.0, 1.5]), 0.25, 2.0)
    assert g.shape == (5 * 3, 3)
    assert np.allclose(np.unique(g[:, 0]), [0, 0.25, 0.5, 0.75, 1.0]) and np.allclose(g[:, 2], 2.0)


def test_config_validation():
    with pytest.raises(ParameterError, match="global_metric"):
        PipelineConfig(global_metric="l1")
    with pytest.raises(ParameterError, match="local_step"):
        PipelineConfig(local_step=0)
