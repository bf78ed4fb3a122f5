"""`radiomap map`: the HMM radio map exported as HDF5 + PNG, through the installed console script."""

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from radiomap.localize import Localizer

RADIOMAP = str(Path(sys.executable).with_name("radiomap"))


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([RADIOMAP, "--quiet", *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("map")
    assert run("simulate", "xing-indoor", "--positions", "random-walk", "--length", "40", "-o", d / "w.h5",
               "--no-progress").returncode == 0
    assert run("fit", "hmm", d / "w.h5", "-o", d / "hmm", "-p", "resolution=0.5").returncode == 0
    assert run("fit", "knn", d / "w.h5", "-o", d / "knn").returncode == 0
    return d


def test_map_writes_the_models_radio_map(models):
    out = models / "exported"
    r = run("map", models / "hmm", "-o", out, "--scene", "xing-indoor")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == \
        ["angle.png", "delay.png", "los.png", "power.png", "radiomap.h5"]
    rmap = Localizer.load(models / "hmm").radio_map_
    with h5py.File(out / "radiomap.h5", "r") as f:
        assert f.attrs["schema"] == "radiomap-radiomap"
        np.testing.assert_array_equal(f["xy"][()], rmap.xy)
        np.testing.assert_array_equal(f["los"][()].astype(bool), rmap.los)
        for name in ("power", "angle", "delay"):
            np.testing.assert_array_equal(f[name][()], getattr(rmap, name))
        image = f["image/power"][()]
    # the gridded image puts each cell's value at row (y - y0) / delta, column (x - x0) / delta
    x0, y0 = rmap.xy.min(axis=0)
    i, j = np.round((rmap.xy - [x0, y0]) / rmap.delta).astype(int).T
    np.testing.assert_array_equal(image[:, j, i], rmap.power.T)
    assert np.isnan(image).sum() == image.size - rmap.power.size


def test_map_refuses_a_model_without_a_radio_map_and_an_existing_folder(models):
    r = run("map", models / "knn", "-o", models / "nope")
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "no radio map" in r.stderr
    assert not (models / "nope").exists()
    (models / "mine").mkdir()
    (models / "mine" / "thesis.txt").write_text("keep me")
    r = run("map", models / "hmm", "-o", models / "mine", "--force")
    assert r.returncode == 2 and (models / "mine" / "thesis.txt").read_text() == "keep me"
