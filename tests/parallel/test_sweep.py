"""Sweeps over seeds and a parameter grid: aggregated rows, per-seed rows, failures reported, not fatal."""

import json

import pytest

from radiomap.errors import ParameterError
from radiomap.experiments.sweep import aggregate, grid_points, parse_seeds, sweep
from tests.parallel import fake_experiment


def test_parse_seeds_and_grid():
    assert parse_seeds("0-3,7,2") == [0, 1, 2, 3, 7]
    with pytest.raises(ParameterError, match="--seeds"):
        parse_seeds("3-1")
    assert grid_points(fake_experiment.run, {"scale": [1.0, 2.0], "full": True}) == \
        [{"scale": 1.0, "full": True}, {"scale": 2.0, "full": True}]
    with pytest.raises(ParameterError, match="takes full, scale"):
        grid_points(fake_experiment.run, {"k": 3})


def test_aggregate_groups_by_text_and_grid_columns():
    rows = [{"scale": 2.0, "seed": s, "method": "a", "err": float(s)} for s in (0, 2)]
    assert aggregate(rows, keys=("scale",)) == [{"scale": 2.0, "method": "a", "seeds": 2, "err mean": 1.0,
                                                 "err std": pytest.approx(2 ** 0.5)}]


@pytest.mark.parametrize("on_dask", [False, True])
def test_sweep_reports_mean_std_per_seed_and_failures(tmp_path, on_dask, request):
    ex = request.getfixturevalue("dask2") if on_dask else None
    grid = grid_points(fake_experiment.run, {"scale": [1.0, 2.0]})
    report, failures = sweep(fake_experiment.run, "fake", tmp_path / "rep", [0, 1, 2, 3], grid, executor=ex)
    assert failures == [{"seed": 3, "params": {"scale": s}, "error": "RuntimeError: seed 3 diverged"}
                        for s in (1.0, 2.0)]
    tables = json.loads((tmp_path / "rep" / "report.json").read_text())["tables"]
    agg = tables["errors (mean, std over seeds)"]["rows"]
    a2 = next(r for r in agg if r["method"] == "a" and r["scale"] == 2.0)
    assert a2["seeds"] == 3 and a2["err mean"] == pytest.approx(2.0) and a2["err std"] == pytest.approx(2.0)
    assert len(tables["errors per seed"]["rows"]) == 2 * 3 * 2
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]  # scratch folders removed
