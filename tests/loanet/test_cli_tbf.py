"""Seed 002 from the command line, through the installed console script (issue 17 item 1): simulate TBF
datasets, fit every TBF localizer and the direction estimator, localize, classify, evaluate; the
``tbf`` feature from paths and from CSI; bad input gets one line and exit status 2."""

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from radiomap.data import CSIDataset
from radiomap.eval.predictions import Predictions
from radiomap.features import beamspace as bs
from radiomap.features.tbf import tbf_from_beam_params
from radiomap.mobility import random_headings
from radiomap.scene import get_scene
from radiomap.scene.elements import OFDM
from radiomap.simulate import simulate_dataset

RADIOMAP = str(Path(sys.executable).with_name("radiomap"))


def run(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([RADIOMAP, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


def ok(*args, cwd=None) -> subprocess.CompletedProcess:
    r = run(*args, cwd=cwd)
    assert r.returncode == 0, r.stderr
    return r


def fails(*args, cwd=None) -> str:
    r = run(*args, cwd=cwd)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("error: "), r.stderr
    return r.stderr


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The scene's default protocol at a coarse pitch: an 8 m training grid and 30 random test points."""
    d = tmp_path_factory.mktemp("tbf_cli")
    ok("simulate", "zhao-tbf", "--resolution", "8", "-o", d / "train.h5", "--no-progress")
    ok("simulate", "zhao-tbf", "--positions", "random", "--n", "30", "--seed", "1", "-o", d / "test.h5",
       "--no-progress")
    return d


def test_simulate_defaults_store_tbf_features_not_csi(files):
    """Regression: `simulate zhao-tbf` failed (no walk 'train'); a grid wrote 629 MB of single-symbol CSI."""
    ds = CSIDataset.load(files / "train.h5")
    assert ds.csi is None and ds.paths == {}
    assert ds.features["tbf.x_ad"].dtype == np.float16 and ds.features["tbf.x_ad"].shape[1:] == (128, 144)
    assert ds.features["tbf.mask"].dtype == np.uint8 and ds.features["tbf.x_d"].shape[1:] == (112,)
    speed = np.linalg.norm(ds.velocity, axis=1)
    np.testing.assert_allclose(speed, 5 / 3.6)  # 5 km/h random headings: direction labels exist
    assert ds.meta["noise"] == {"mode": "snr", "snr_db": 20.0}
    assert (files / "train.h5").stat().st_size < 20 * ds.n_samples * 1e3  # < 20 kB per sample (CSI: 2 MB)


@pytest.mark.parametrize("method", ["wknn-tbf", "loanet", "cnn2d", "cnn3d"])
def test_fit_and_localize_every_tbf_localizer(files, method, tmp_path):
    """Regression: `fit wknn-tbf|loanet|cnn3d tbf.h5` failed with "dataset has neither features['x_ad'] ..."."""
    params = [] if method == "wknn-tbf" else ["-p", "epochs=2"]
    ok("fit", method, files / "train.h5", "-o", tmp_path / "m", *params)
    out = ok("localize", tmp_path / "m", files / "test.h5", "-o", tmp_path / "p.h5").stderr  # the status line
    assert f"{method}: 30 positions" in out
    pred = Predictions.load(tmp_path / "p.h5")
    assert pred.positions.shape == (30, 3) and np.isfinite(pred.positions).all()
    assert "3-D" in ok("evaluate", tmp_path / "p.h5").stdout


@pytest.fixture(scope="module")
def models(files):
    """A wknn-tbf localizer, its predictions on the test points, and a Fusion-TDC direction model."""
    ok("fit", "wknn-tbf", files / "train.h5", "-o", files / "loc")
    ok("localize", files / "loc", files / "test.h5", "-o", files / "p.h5")
    ok("fit", "fusion-tdc", files / "train.h5", "-o", files / "dir", "-p", "epochs=2")
    return files


def test_direction_estimator_classifies_with_estimated_coordinates(models, tmp_path):
    out = ok("localize", models / "dir", models / "test.h5", "--coordinates", models / "p.h5",
             "-o", tmp_path / "d.h5").stderr
    assert "30 directions (coordinates of" in out and "accuracy" in out and "chance 6.2 %" in out
    pred = Predictions.load(tmp_path / "d.h5")
    assert pred.positions is None and pred.directions.shape == (30,) and pred.n_classes == 16
    np.testing.assert_allclose(pred.headings, pred.directions * 2 * np.pi / 16)
    assert pred.true_directions.shape == (30,)
    text = ok("evaluate", tmp_path / "d.h5").stdout
    assert "accuracy (%)" in text and "confusion" in text


def test_direction_task_is_listed_and_described(models):
    assert "direction" in ok("methods").stdout and "tbf" in ok("methods", "fusion-tdc").stdout
    assert "fusion-tdc" in ok("info", models / "dir").stdout


def _small_scene():
    """zhao-tbf's geometry with a small numerology (32 subcarriers, CP 8, 4 symbols), no simulate defaults."""
    return dataclasses.replace(get_scene("zhao-tbf"), ofdm=OFDM(5.8e9, 30.72e6, 32, n_symbols=4, cp_samples=8),
                               simulate={})


def test_features_compute_tbf_from_paths_and_from_csi(tmp_path):
    scene = _small_scene()
    rng = np.random.default_rng(3)
    pos = np.array([[4.0, -6.0, 1.5], [-9.0, 3.0, 4.5], [12.0, 12.0, 7.5]])
    vel = random_headings(3, 20.0, rng)
    paths_ds = simulate_dataset(scene, pos, velocity=vel, csi=False, store_paths=True, seed=4)
    paths_ds.save(tmp_path / "paths.h5")
    ok("features", "compute", "tbf", tmp_path / "paths.h5", "-o", tmp_path / "paths_tbf.h5", "-p", "n_taps=4")
    got = CSIDataset.load(tmp_path / "paths_tbf.h5").features
    from radiomap.channel import trace

    want = tbf_from_beam_params(bs.beam_params_from_paths(trace(scene, pos, velocity=vel), scene), scene, n_taps=4)
    for part in ("x_ad", "mask", "x_d"):
        np.testing.assert_allclose(got[f"tbf(n_taps=4).{part}"].astype(np.float64), want[part], atol=1e-3)
    csi_ds = simulate_dataset(scene, pos, velocity=vel, wavefront="plane", n_symbols=4, seed=4)
    csi_ds.save(tmp_path / "csi.h5")
    ok("features", "compute", "tbf", tmp_path / "csi.h5", "-o", tmp_path / "csi_tbf.h5")
    f = CSIDataset.load(tmp_path / "csi_tbf.h5").features
    assert f["tbf.x_ad"].shape == (3, 128, 8) and f["tbf.x_d"].shape == (3, 4)


@pytest.mark.parametrize("args, message", [
    (["simulate", "zhao-tbf", "--positions", "walk", "-o", "x.h5"], "has no walk 'train'"),
    (["simulate", "zhao-tbf", "--positions", "walk", "--speed", "1", "-o", "x.h5"], "--speed sets grid"),
    (["simulate", "zhao-tbf", "--no-csi", "--feature", "tbf(n_taps=0)", "-o", "x.h5"], "n_taps"),
    (["simulate", "xing-indoor", "--no-csi", "-o", "x.h5"], "--no-csi keeps nothing"),
    (["fit", "loanet", "{xing}", "-o", "m"], "tbf: scene 'xing-indoor' has 4 APs"),
    (["fit", "fusion-tdc", "{xing}", "-o", "m", "-p", "tbf=beamspace"], "tbf"),
    (["localize", "{dir}", "{test}", "--coordinates", "{test}", "-o", "d.h5"], "predictions file"),
])
def test_bad_input_is_one_line_exit_2(models, tmp_path, xing_small, args, message):
    paths = {"xing": xing_small, "dir": models / "dir", "test": models / "test.h5"}
    assert message in fails(*(a.format(**paths) for a in args), cwd=tmp_path)
    assert not (tmp_path / "x.h5").exists() and not (tmp_path / "m").exists() and not (tmp_path / "d.h5").exists()


@pytest.fixture(scope="module")
def xing_small(tmp_path_factory):
    """A tiny xing-indoor CSI dataset (4 APs: no triple-beam fingerprint)."""
    scene = get_scene("xing-indoor")
    path = tmp_path_factory.mktemp("xing") / "xing.h5"
    simulate_dataset(scene, scene.grid(2.0)[:20], snr_db=20.0).save(path)
    return path
