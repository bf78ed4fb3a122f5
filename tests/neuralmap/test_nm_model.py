"""Model-based map: exact representation of planted channels, factorisation, windows, OMP, training."""

import numpy as np
import pytest
import torch

from radiomap.errors import ParameterError
from radiomap.localize.neuralmap.atoms import init_atoms, omp_region
from radiomap.localize.neuralmap.baselines_mlp import build_fourier_mlp, build_plain_mlp
from radiomap.localize.neuralmap.model import build_model_based_map, model_bytes, n_parameters, region_windows
from radiomap.localize.neuralmap.train import nmse_db, predict_map, train_map

from .synth_helpers import plane_csi

LAM = 299_792_458.0 / 3.5e9
A, S = 8, 6


def _planted(rng, n_paths=3):
    ang = rng.uniform(0, 2 * np.pi, n_paths)
    k = np.stack([np.cos(ang), np.sin(ang), np.zeros(n_paths)], axis=1) * rng.uniform(0.6, 1.0, (n_paths, 1))
    psi_a = np.exp(1j * np.pi * np.outer(rng.uniform(-1, 1, n_paths), np.arange(A))) / np.sqrt(A)
    psi_f = np.exp(-2j * np.pi * np.outer(rng.uniform(0, 0.5, n_paths), np.arange(S))) / np.sqrt(S)
    amp = rng.uniform(0.5, 1.5, n_paths) * np.exp(2j * np.pi * rng.uniform(size=n_paths))
    return k, psi_a, psi_f, amp


def _positions(rng, n, half=0.5, z=1.5):
    return np.column_stack([rng.uniform(-half, half, (n, 2)), np.full(n, z)])


def test_planted_parameters_reproduce_channel_exactly():
    rng = np.random.default_rng(0)
    k, psi_a, psi_f, amp = _planted(rng)
    init = {"wave_vectors": k, "psi_a": psi_a, "psi_f": psi_f, "w0": amp, "atom_region": np.zeros(3, int),
            "centroids_x": np.array([0.0]), "centroids_y": np.array([0.0]), "z_ref": 0.0}
    model = build_model_based_map(init, lo=[-0.5, -0.5], hi=[0.5, 0.5], wavelength=LAM)
    with torch.no_grad():  # the MLP's contribution: zero it to get exactly the planted constant weights
        model.mlp[-1].weight.zero_()
    x = _positions(rng, 200)
    true = plane_csi(x, k, psi_a, psi_f, amp, LAM)
    pred = predict_map(model, x)
    assert np.max(np.abs(pred - true)) < 1e-4 * np.max(np.abs(true))


def test_training_from_omp_reaches_near_zero_loss_on_planted_channel():
    rng = np.random.default_rng(1)
    k, psi_a, psi_f, amp = _planted(rng)
    x = _positions(rng, 400)
    h = plane_csi(x, k, psi_a, psi_f, amp, LAM)
    init = init_atoms(x, h, wavelength=LAM, atoms_per_region=4)
    model = build_model_based_map(init, lo=[-0.5, -0.5], hi=[0.5, 0.5], wavelength=LAM)
    res = train_map(model, x, h, epochs=60, batch_size=64, lr=3e-3, patience=60, seed=0)
    xt = _positions(rng, 400)
    err = nmse_db(torch.as_tensor(predict_map(model, xt)), torch.as_tensor(plane_csi(xt, k, psi_a, psi_f, amp, LAM)))
    assert res.best_val < -45.0
    assert err < -45.0


def test_omp_recovers_planted_directions():
    rng = np.random.default_rng(2)
    k, psi_a, psi_f, amp = _planted(rng)
    x = _positions(rng, 500)
    h = plane_csi(x, k, psi_a, psi_f, amp, LAM).reshape(len(x), -1)
    res = omp_region(torch.as_tensor(x[:, :2], dtype=torch.float32), torch.as_tensor(h), A, 3, LAM)
    found = res["k"].numpy()
    # every planted direction has a recovered one within the refine resolution (lambda / (2 * 1 m) / 4)
    dist = np.linalg.norm(k[:, None, :2] - found[None], axis=-1).min(1)
    assert np.all(dist < LAM / 2 / 4 * 1.5), dist
    resid = h - plane_csi(x, np.column_stack([found, np.zeros(3)]), res["psi_a"].numpy(), res["psi_f"].numpy(),
                          res["amp"].numpy(), LAM).reshape(len(x), -1)
    assert np.sum(np.abs(resid) ** 2) / np.sum(np.abs(h) ** 2) < 0.05


def test_factorised_form_matches_forward():
    rng = np.random.default_rng(3)
    x = _positions(rng, 300, half=1.0)
    h = plane_csi(x, *_planted(rng), LAM)
    init = init_atoms(x, h, wavelength=LAM, n_regions=(2, 2), atoms_per_region=3)
    model = build_model_based_map(init, lo=[-1, -1], hi=[1, 1], wavelength=LAM)
    xt = torch.as_tensor(x[:50], dtype=torch.float32)
    with torch.no_grad():
        direct = model(xt).reshape(50, -1)
        fact = model.coefficients(xt) @ model.atom_matrix()
    assert torch.allclose(direct, fact, atol=1e-5)
    assert model_bytes(model) >= 4 * n_parameters(model)


def test_region_windows_partition_of_unity_and_sparse():
    x = torch.as_tensor(np.random.default_rng(4).uniform(-1, 5, (500, 3)), dtype=torch.float32)
    w = region_windows(x, torch.tensor([0.0, 1.0, 2.0, 3.0]), torch.tensor([0.5, 2.5, 4.5]))
    assert w.shape == (500, 12)
    assert torch.all(w >= 0)
    assert torch.allclose(w.sum(1), torch.ones(500), atol=1e-6)
    assert int((w > 1e-7).sum(1).max()) <= 4


@pytest.mark.parametrize("overlap", [0.2, 0.5])
def test_region_windows_overlap_confines_each_region_to_its_cell(overlap):
    x = torch.as_tensor(np.random.default_rng(6).uniform(-1, 5, (2000, 3)), dtype=torch.float32)
    cx, cy = torch.tensor([0.0, 1.0, 2.0, 3.0]), torch.tensor([0.5, 2.5, 4.5])
    w = region_windows(x, cx, cy, overlap)
    assert torch.allclose(w.sum(1), torch.ones(2000), atol=1e-6)
    full = region_windows(x, cx, cy, 1.0)
    assert torch.equal(region_windows(x, cx, cy), full)
    # the region of centroid x=1 (cell [0.5, 1.5]) is 1 inside its cell shrunk by overlap/2 and 0 beyond
    # its cell grown by overlap/2 (x only: y inside the middle cell row)
    wx = w.reshape(-1, 4, 3)[:, 1, 1]
    u, mid = (x[:, 0] - 1.0).abs(), (x[:, 1] - 2.5).abs() < 1.0 - overlap
    assert torch.all(wx[(u <= 0.5 * (1 - overlap)) & mid] > 1 - 1e-6)
    assert torch.all(wx[u >= 0.5 * (1 + overlap)] < 1e-12)


def test_low_frequency_embedding_enforced():
    init = {"wave_vectors": np.zeros((1, 3)), "psi_a": np.ones((1, A)), "psi_f": np.ones((1, S)), "w0": np.ones(1),
            "atom_region": np.zeros(1, int), "centroids_x": np.zeros(1), "centroids_y": np.zeros(1), "z_ref": 0.0}
    with pytest.raises(ParameterError, match="low-frequency"):
        build_model_based_map(init, lo=[0, 0], hi=[1, 1], wavelength=LAM, ff_max_cycles_per_m=10.0)


def test_mlp_baselines_shapes_and_plain_mlp_spectral_bias():
    rng = np.random.default_rng(5)
    k, psi_a, psi_f, amp = _planted(rng, 2)
    x = _positions(rng, 400)
    h = plane_csi(x, k, psi_a, psi_f, amp, LAM)
    plain = build_plain_mlp(lo=[-0.5, -0.5, 1.4], hi=[0.5, 0.5, 1.6], n_antennas=A, n_subcarriers=S, hidden=32)
    ff = build_fourier_mlp(lo=[-0.5, -0.5, 1.4], hi=[0.5, 0.5, 1.6], n_antennas=A, n_subcarriers=S,
                           wavelength=LAM, hidden=32)
    assert predict_map(plain, x[:5]).shape == (5, A, S) and predict_map(ff, x[:5]).shape == (5, A, S)
    res = train_map(plain, x, h, epochs=30, batch_size=64, patience=30)
    # a field oscillating ~12 times per metre in a 1 m box: the plain MLP cannot get below -3 dB
    assert res.best_val > -3.0
