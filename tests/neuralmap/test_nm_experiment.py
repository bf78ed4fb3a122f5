"""Smoke test of the chatelier2025 reproduction at a tiny size (real pipeline, small numbers)."""

import dataclasses
import json

import pytest

from radiomap.experiments import EXPERIMENTS
from radiomap.experiments.chatelier2025 import ChatelierConfig, run


def test_tiny_reproduction_writes_report_and_beats_fingerprinting(tmp_path):
    assert EXPERIMENTS.get("chatelier2025") is run
    cfg = ChatelierConfig(area=(4.0, 4.0, 4.5, 4.5), n_train=300, n_test=200, n_antennas=8, epochs=40,
                          patience=40, atoms_per_region=8, device="cpu")
    rep = run(tmp_path, config=cfg, progress=False)
    assert (tmp_path / "report.md").is_file() and (tmp_path / "fourier_images.png").is_file()
    assert (tmp_path / "error_cdf.png").is_file()
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["settings"]["config"]["n_test"] == 200
    rows = rep.tables["localization"]["rows"]
    med = {(r["method"], r["SNR (dB)"]): r["median (m)"] for r in rows}
    assert med[("neuralmap", 20.0)] < med[("nn-pi", 20.0)] / 10
    assert med[("neuralmap", 20.0)] < med[("centroid", 20.0)]
    mem = {r["what"].split(" (")[0]: r["bytes"] for r in rep.tables["memory"]["rows"]}
    assert mem["model-based"] < mem["fingerprint dictionary"]
    nm = next(r for r in rows if r["method"] == "neuralmap" and r["SNR (dB)"] == 20.0)
    assert 0 < nm["PEB median (m)"] < nm["PEB p90 (m)"]
    assert nm["median / PEB median"] == pytest.approx(nm["median (m)"] / nm["PEB median (m)"])
    assert nm["median / PEB median"] >= 0.5  # no estimator beats the bound by much on 200 points


@pytest.mark.slow
def test_full_code_path_multi_region_64_antennas(tmp_path):
    """The ``--full`` configuration (64 antennas, several Taylor regions) shrunk to CPU size (~2 min)."""
    cfg = dataclasses.replace(ChatelierConfig.full(), area=(3.0, 3.0, 5.0, 5.0), n_train=3000, n_test=500,
                              n_regions=2, atoms_per_region=24, hidden=64, epochs=150, patience=40, batch_size=256,
                              mlp_hidden=32, mlp_layers=2, grid_chunk=2048, device="cpu", torch_threads=1)
    rep = run(tmp_path, config=cfg, progress=False)
    nmse = {r["model"]: r["grid NMSE (dB)"] for r in rep.tables["reconstruction"]["rows"]}
    assert nmse["model-based (neuralmap)"] < -15.0 and nmse["plain MLP"] > -3.0
    med = {(r["method"], r["SNR (dB)"]): r["median (lambda)"] for r in rep.tables["localization"]["rows"]}
    assert med[("neuralmap", 20.0)] < 0.05


def test_nlos_preset_blocks_most_of_the_area_and_the_report_splits_it(tmp_path):
    import numpy as np

    from radiomap.channel import trace
    from radiomap.scene import get_scene

    scene = get_scene("chatelier-plane-nlos")
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.uniform(4.0, 6.0, (500, 2)), np.full(500, 1.5)])
    los = scene.los(x)[:, 0]
    assert 0.8 < 1 - los.mean() < 0.97  # LOS blocked for most of the CPU area, not all of it
    paths = trace(scene, x[~los][:20])
    direct = np.abs(paths.gain[:, 0, 0])
    strongest_reflection = np.abs(np.where(paths.kind[:, 0] > 0, paths.gain[:, 0], 0)).max(1)
    assert np.all(direct < 1e-2 * strongest_reflection)  # 60 dB panel: reflections carry the NLOS channel
    assert np.all((paths.valid[:, 0] & (paths.kind[:, 0] > 0) & (np.abs(paths.gain[:, 0]) > 0.2 *
                                                                  strongest_reflection[:, None])).sum(1) >= 3)
    cfg = ChatelierConfig(scene="chatelier-plane-nlos", area=(5.4, 4.0, 5.9, 4.5), n_train=300, n_test=200,
                          n_antennas=8, epochs=20, patience=20, atoms_per_region=8, mlp_baselines=False,
                          fingerprints=("nn-pi",), device="cpu")
    rep = run(tmp_path, config=cfg, progress=False)
    parts = {(r["part"], r["method"], r["SNR (dB)"]): r for r in rep.tables["by_los_region"]["rows"]}
    nlos = parts[("NLOS", "neuralmap", 20.0)]
    los_row = parts[("LOS", "neuralmap", 20.0)]
    assert nlos["points"] > 50 and los_row["points"] > 20 and nlos["points"] + los_row["points"] == 200
    assert nlos["PEB median (m)"] > 0
