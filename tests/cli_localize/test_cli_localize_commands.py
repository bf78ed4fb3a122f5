"""radiomap fit / localize / evaluate / compare / demo through the Typer app."""

import json
import subprocess
import sys

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from radiomap.atomic import MARKER
from radiomap.cli import app
from radiomap.data import CSIDataset
from radiomap.errors import DataError, ParameterError
from radiomap.eval.predictions import Predictions
from radiomap.localize import Localizer

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=True)


def test_fit_localize_evaluate_roundtrip(xing_files, tmp_path):
    d = xing_files
    r = invoke("fit", "knn", d / "train.h5", "-o", tmp_path / "m", "-p", "k=4")
    assert r.exit_code == 0, r.output
    assert {p.name for p in (tmp_path / "m").iterdir()} == {"state.safetensors", "localizer.json", MARKER}
    assert json.loads((tmp_path / "m" / "localizer.json").read_text())["params"]["k"] == 4
    r = invoke("localize", tmp_path / "m", d / "test.h5", "-o", tmp_path / "pred.h5")
    assert r.exit_code == 0, r.output
    pred = Predictions.load(tmp_path / "pred.h5")
    test = CSIDataset.load(d / "test.h5")
    loc = Localizer.load(tmp_path / "m")
    np.testing.assert_array_equal(pred.positions, loc.predict(test))
    np.testing.assert_array_equal(pred.true_positions, test.positions)
    np.testing.assert_array_equal(pred.los, test.los)
    assert pred.method == "knn" and pred.timing["per_query_ms"] > 0
    with h5py.File(tmp_path / "pred.h5") as f:  # readable without radiomap
        assert f["positions"].shape == (60, 3) and f.attrs["schema"] == "radiomap-predictions"
    r = invoke("evaluate", tmp_path / "pred.h5", "-o", tmp_path / "rep")
    assert r.exit_code == 0, r.output
    mean = np.linalg.norm(pred.positions[:, :2] - test.positions[:, :2], axis=1).mean()
    assert f"{mean:.3f}" in r.output and "NLOS" in r.output
    assert (tmp_path / "rep" / "report.md").is_file() and (tmp_path / "rep" / "floorplan.png").is_file()


def test_evaluate_with_truth_file(xing_files, tmp_path):
    d = xing_files
    assert invoke("fit", "wcl", d / "train.h5", "-o", tmp_path / "m").exit_code == 0
    assert invoke("localize", tmp_path / "m", d / "test_unlabelled.h5", "-o", tmp_path / "p.h5").exit_code == 0
    r = invoke("evaluate", tmp_path / "p.h5")
    assert isinstance(r.exception, DataError) and "no true positions" in str(r.exception)
    r = invoke("evaluate", tmp_path / "p.h5", "--truth", d / "test.h5")
    assert r.exit_code == 0, r.output
    assert "wcl" in r.output and "3-D" in r.output


def test_fit_with_cv_and_params(xing_files, tmp_path):
    r = invoke("fit", "svm", xing_files / "train.h5", "-o", tmp_path / "svm", "--cv", "-p", "C_grid=[1, 10]")
    assert r.exit_code == 0, r.output
    meta = json.loads((tmp_path / "svm" / "localizer.json").read_text())
    assert meta["params"]["cv"] is True and meta["state"]["C_"] in (1, 10)


def test_cli_errors(xing_files, tmp_path):
    d = xing_files
    r = invoke("fit", "knn", d / "test_unlabelled.h5", "-o", tmp_path / "m")
    assert isinstance(r.exception, DataError) and "supervised and needs positions" in str(r.exception)
    r = invoke("fit", "knn", d / "train.h5", "-o", tmp_path / "m", "-p", "kk")
    assert isinstance(r.exception, ParameterError) and "name=value" in str(r.exception)
    r = invoke("fit", "knn", d / "train.h5", "-o", tmp_path / "m", "-p", "bogus=1")
    assert isinstance(r.exception, ParameterError) and "has no parameter 'bogus'" in str(r.exception)
    r = invoke("evaluate", d / "train.h5")
    assert isinstance(r.exception, DataError) and "not a radiomap predictions file" in str(r.exception)
    r = invoke("localize", tmp_path / "nothing", d / "test.h5")
    assert isinstance(r.exception, DataError) and "not a saved localizer" in str(r.exception)


def test_model_of_other_scene_fails(xing_files, tmp_path):
    from radiomap.scene import get_scene
    from radiomap.simulate import simulate_dataset

    assert invoke("fit", "knn", xing_files / "train.h5", "-o", tmp_path / "m").exit_code == 0
    other = get_scene("chatelier-plane")
    simulate_dataset(other, other.grid(2.0)[:5], snr_db=20, seed=0).save(tmp_path / "other.h5")
    r = invoke("localize", tmp_path / "m", tmp_path / "other.h5", "-o", tmp_path / "p.h5")
    assert isinstance(r.exception, DataError) and "differs from the one the model was fitted on" in str(r.exception)
    assert not (tmp_path / "p.h5").exists()


def test_main_prints_one_line_and_exits_2(xing_files, tmp_path):
    code = ("import sys; from radiomap.cli import main; "
            f"sys.argv=['radiomap', 'fit', 'svm', {str(xing_files / 'test_unlabelled.h5')!r}, '-o', "
            f"{str(tmp_path / 'm')!r}]; main()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: svm is supervised")


def test_compare_writes_one_report(xing_files, tmp_path):
    d = xing_files
    r = invoke("compare", d / "train.h5", d / "test.h5", "-m", "centroid", "-m", "knn", "-m", "aoa",
               "-o", tmp_path / "cmp", "--no-progress")
    assert r.exit_code == 0, r.output
    md = (tmp_path / "cmp" / "report.md").read_text()
    js = json.loads((tmp_path / "cmp" / "report.json").read_text())
    rows = {row["method"]: row for row in js["tables"]["localization error (m)"]["rows"]}
    assert set(rows) == {"centroid", "knn", "aoa"}
    assert rows["knn"]["test mean"] < rows["centroid"]["test mean"]
    assert "cdf_test.png" in md and (tmp_path / "cmp" / "floorplan_test_knn.png").is_file()
    assert "confusion_test" in js["data"]
    r = invoke("compare", d / "train.h5", d / "test.h5", "-m", "knn", "--inputs", "beamspace", "-o", tmp_path / "c2",
               "--no-progress")
    assert r.exit_code == 0, r.output
    js2 = json.loads((tmp_path / "c2" / "report.json").read_text())
    assert js2["settings"]["params"]["knn"]["inputs"] == "beamspace"
    rows2 = {row["method"]: row for row in js2["tables"]["localization error (m)"]["rows"]}
    assert rows2["knn"]["test mean"] != rows["knn"]["test mean"]


@pytest.mark.slow
def test_demo_full_under_two_minutes(tmp_path):
    import time

    t0 = time.perf_counter()
    r = invoke("demo", "-o", tmp_path / "demo", "--no-progress")
    assert r.exit_code == 0, r.output
    assert time.perf_counter() - t0 < 120
