"""Smoke test of the chatelier2025 reproduction at a tiny size (real pipeline, small numbers)."""

import json

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
    assert mem["model-based map"] < mem["fingerprint dictionary"]
