"""CLI: scenes, simulate, info, plot."""

import numpy as np
from typer.testing import CliRunner

from radiomap.cli import app
from radiomap.data import CSIDataset

runner = CliRunner()


def test_simulate_info_plot(tmp_path):
    out = tmp_path / "walk.h5"
    res = runner.invoke(app, ["simulate", "xing-indoor", "-o", str(out), "--noise-variance", "0.2", "--no-progress"])
    assert res.exit_code == 0, res.output
    ds = CSIDataset.load(out)
    assert ds.csi.shape[1:] == (4, 8, 64) and ds.timestamps is not None
    assert 160 < np.linalg.norm(np.diff(ds.positions[:, :2], axis=0), axis=1).sum() < 168
    test = tmp_path / "test.h5"
    res = runner.invoke(app, ["simulate", "xing-indoor", "--positions", "random-walk", "--length", "20",
                              "-o", str(test), "--noise-variance", "0.4", "--reference", str(out), "--seed", "1",
                              "--no-progress"])
    assert res.exit_code == 0, res.output
    meta = CSIDataset.load(test).meta["noise"]
    assert meta["reference_power"] == ds.meta["noise"]["reference_power"] and meta["variance"] == 0.4
    res = runner.invoke(app, ["info", str(out)])
    assert res.exit_code == 0 and "double-LOS" in res.output
    res = runner.invoke(app, ["plot", str(out), "-o", str(tmp_path / "walk.png")])
    assert res.exit_code == 0 and (tmp_path / "walk.png").stat().st_size > 10_000


def test_simulate_grid_and_scenes(tmp_path):
    res = runner.invoke(app, ["scenes"])
    assert res.exit_code == 0 and "zhao-tbf" in res.output
    out = tmp_path / "grid.h5"
    res = runner.invoke(app, ["simulate", "chatelier-plane", "--positions", "grid", "--resolution", "2",
                              "--snr", "20", "-o", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert CSIDataset.load(out).n_samples == 25


def test_cli_errors_are_one_line(tmp_path):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", "from radiomap.cli import main; main()", "simulate", "atlantis"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.strip().startswith("error: unknown scene 'atlantis'")
    assert len(r.stderr.strip().splitlines()) == 1
    r = subprocess.run([sys.executable, "-c", "from radiomap.cli import main; main()", "info", str(tmp_path / "x.h5")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "no such file" in r.stderr
    r = subprocess.run([sys.executable, "-c", "from radiomap.cli import main; main()", "simulate", "zhao-tbf",
                        "--resolution", "0.5", "--csi", "-o", str(tmp_path / "big.h5")], capture_output=True, text=True)
    assert r.returncode == 2 and "GB of CSI" in r.stderr and not (tmp_path / "big.h5").exists()
