"""``bench/neuralmap_full.py --small``: the full configuration's code path (64 antennas, 2 x 2 regions) in seconds."""

import importlib.util
import json
from pathlib import Path

import pytest

from radiomap.errors import ParameterError
from radiomap.experiments.chatelier2025 import PRESETS, ChatelierConfig

BENCH = Path(__file__).resolve().parents[2] / "bench" / "neuralmap_full.py"


def _bench(name="neuralmap_full"):
    spec = importlib.util.spec_from_file_location(name, BENCH.with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_small_full_run_writes_report_and_bench_json(tmp_path):
    result = _bench().main(["--small", "--out", str(tmp_path / "full")])
    assert (tmp_path / "full" / "report" / "report.json").is_file()
    saved = json.loads((tmp_path / "full" / "bench.json").read_text())
    assert saved["preset"] == "full" and saved["small"] and saved["config"]["n_antennas"] == 64
    assert saved["config"]["n_regions"] == 2 and saved["peak_rss_gb"] > 0 and saved["wall_time_s"] > 0
    assert saved["cpu_time_s"] > 0 and saved["load_average"]["start"] >= 0
    nm = result["localization"]["neuralmap @ 20 dB"]
    assert nm["median / PEB median"] == pytest.approx(nm["median (m)"] / nm["PEB median (m)"])
    assert nm["median (m)"] < result["localization"]["nn-pi @ 20 dB"]["median (m)"]


def test_presets_grow_and_unknown_preset_is_refused():
    sizes = [ChatelierConfig.preset(p) for p in PRESETS]
    areas = [(c.area[2] - c.area[0]) * (c.area[3] - c.area[1]) for c in sizes]
    assert areas == sorted(areas) and [c.n_antennas for c in sizes] == [16, 24, 32, 64]
    assert [c.n_regions for c in sizes] == [1, 2, 3, 5]
    with pytest.raises(ParameterError, match="cpu, medium, large, full"):
        ChatelierConfig.preset("huge")


def test_scaling_table_from_one_small_run(tmp_path):
    rows = _bench("neuralmap_scaling").main(["--out", str(tmp_path), "--presets", "cpu", "--small"])
    assert len(rows) == 1 and rows[0]["preset"] == "cpu" and rows[0]["antennas"] == 16
    assert rows[0]["area (m^2)"] == pytest.approx(0.64) and rows[0]["peak RSS (GB)"] > 0
    table = (tmp_path / "scaling.md").read_text()
    assert "| cpu | 0.64 | 16 | 2 x 2 |" in table


def test_overrides_are_cast_to_the_field_type_and_checked():
    bench = _bench()
    cfg = bench.configure("cpu", "chatelier-plane-nlos", False, None, ["atoms_per_region=64"])
    assert cfg.atoms_per_region == 64 and cfg.scene == "chatelier-plane-nlos" and cfg.n_antennas == 16
    for bad in (["area=1"], ["nope=3"], ["epochs"]):
        with pytest.raises(SystemExit, match="KEY=VALUE"):
            bench.configure("cpu", "chatelier-plane", False, None, bad)
