"""Fusion-TDC trained over a range of SNRs: the noise helpers follow the TBF noise model, the estimator
needs its noise reference, and ``bench/loanet_paper.py --small`` runs the paper configuration's code path."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from radiomap.data import CSIDataset
from radiomap.errors import DataError
from radiomap.features import beamspace as bs
from radiomap.localize import DIRECTIONS
from radiomap.localize.loanet.direction import (
    DOPPLER_NOISE,
    _add_doppler_noise_torch,
    add_doppler_noise,
    doppler_noise_reference,
)

torch.set_num_threads(1)
SHAPE = bs.TBShape(4, 2, 16, 4, 32)


def _paths(n, rng):
    w = rng.uniform(0.1, 1.0, (n, 3))
    nu = rng.uniform(-0.05, 0.05, (n, 3))
    return w, nu, w.sum(1) * 50.0


@pytest.mark.parametrize("snr", [0.0, 10.0])
def test_noise_on_clean_profiles_matches_noisy_profiles_in_distribution(snr):
    """add_doppler_noise(clean, ref) and doppler_profile_from_weights(snr_db=...) have the same per-bin mean and
    spread (20000 draws of one position), numpy and torch alike."""
    rng = np.random.default_rng(0)
    w, nu, ptot = _paths(1, rng)
    n = 20000
    w, nu, ptot = np.repeat(w, n, 0), np.repeat(nu, n, 0), np.repeat(ptot, n)
    direct = bs.doppler_profile(bs.doppler_profile_from_weights(w, nu, SHAPE, total_power=ptot, snr_db=snr, rng=rng))
    raw = bs.doppler_profile_from_weights(w, nu, SHAPE)
    clean, ref = doppler_noise_reference(raw, ptot, SHAPE.n_a, SHAPE.n_beams * SHAPE.n_g)
    assert clean.max(1) == pytest.approx(1.0) and ref.shape == (n, 2)
    ours = add_doppler_noise(clean, ref, snr, rng)
    torch.manual_seed(0)
    ours_t = _add_doppler_noise_torch(torch.from_numpy(clean), torch.from_numpy(ref), snr, snr).numpy()
    for x in (ours, ours_t):
        np.testing.assert_allclose(x.mean(0), direct.mean(0), rtol=0.02, atol=2e-3)
        np.testing.assert_allclose(x.std(0), direct.std(0), rtol=0.1, atol=2e-3)
    assert np.abs(direct.mean(0) - clean[0]).max() > 0.01  # the noise is not negligible at these SNRs


def _direction_set(n_pos, rng, noisy=False):
    n_cls = 16
    w, nu, ptot = _paths(n_pos * n_cls, rng)
    cls = np.tile(np.arange(n_cls), n_pos)
    nu[:, 0] = 0.04 * np.cos(cls * 2 * np.pi / n_cls)  # the heading moves the strongest path's Doppler
    vel = np.column_stack([np.cos(cls * 2 * np.pi / n_cls), np.sin(cls * 2 * np.pi / n_cls), np.zeros(len(cls))])
    pos = np.repeat(rng.uniform(0, 10, (n_pos, 3)), n_cls, 0)
    raw = bs.doppler_profile_from_weights(w, nu, SHAPE, **({"total_power": ptot, "snr_db": 10.0, "rng": rng}
                                                           if noisy else {}))
    clean, ref = doppler_noise_reference(raw, ptot, SHAPE.n_a, SHAPE.n_beams * SHAPE.n_g)
    return CSIDataset(None, positions=pos, velocity=vel, features={"tbf.x_d": clean, DOPPLER_NOISE: ref})


def test_estimator_trains_over_snr_and_needs_the_noise_reference():
    rng = np.random.default_rng(1)
    ds = _direction_set(20, rng)
    tdc = DIRECTIONS.get("fusion-tdc")(epochs=3, train_snr_db=(0.0, 20.0)).fit(ds)
    hist = tdc.fit_info_.training["direction"]["history"]
    assert len(hist) == 3 and hist[-1]["train"] < hist[0]["train"]
    test = _direction_set(4, rng, noisy=True)
    assert tdc.predict(test).shape == (test.n_samples,)
    bare = CSIDataset(None, positions=ds.positions, velocity=ds.velocity, features={"tbf.x_d": ds.features["tbf.x_d"]})
    with pytest.raises(DataError, match=DOPPLER_NOISE):
        DIRECTIONS.get("fusion-tdc")(epochs=1, train_snr_db=(0.0, 20.0)).fit(bare)


BENCH = Path(__file__).resolve().parents[2] / "bench" / "loanet_paper.py"


def _bench():
    spec = importlib.util.spec_from_file_location("loanet_paper", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_loanet_paper_small_runs_the_paper_networks_and_writes_the_report(tmp_path):
    out = tmp_path / "lp.json"
    assert _bench().main(["--small", "--out", str(out)]) == 0
    rep = json.loads(out.read_text())
    s = rep["settings"]
    assert rep["small"] and rep["device"] == "cpu" and s["preset"] == "paper" and s["hidden"] == 256
    assert s["n_taps"] == 144 and s["dir_train_snr_db"] == [0.0, 20.0]
    assert [r["SNR (dB)"] for r in rep["localization_vs_snr"]] == [0.0, 20.0]
    assert all(np.isfinite(r["mean"]) and r["mean"] > 0 for r in rep["localization_vs_snr"])
    rows = rep["direction_vs_snr"]
    assert [(r["speed (km/h)"], r["SNR (dB)"]) for r in rows] == [(5.0, 0.0), (5.0, 20.0)]
    assert all(0 <= r["template ceiling (%)"] <= 100 for r in rows)
    assert rep["complexity"]["fusion-tdc"]["params (M)"] > 1.0  # hidden 256, 4 + 2 layers


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present: the paper size would start")
def test_loanet_paper_full_size_refuses_without_a_gpu(capsys):
    assert _bench().main([]) == 2
    assert "no CUDA device" in capsys.readouterr().err
