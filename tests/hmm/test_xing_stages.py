"""The xing2025 stage functions on the synthetic scene: tables from public results only."""

import ast
from pathlib import Path

import numpy as np
import pytest

import radiomap.experiments.xing2025 as xing
from radiomap.localize.hmm import HMMRadioMap

from . import synth_hmm as synth


@pytest.fixture(scope="module")
def fitted_data():
    scene = synth.small_scene()
    data = {"train": synth.feature_dataset(scene, 200, seed=0), "test1": synth.feature_dataset(scene, 80, seed=1),
            "test2": synth.feature_dataset(scene, 80, seed=2)}
    hmm = HMMRadioMap(inits=("wcl",), max_iter=3).fit(data["train"].without_positions())
    return data, hmm


def test_tables_from_stage_functions(fitted_data):
    data, hmm = fitted_data
    rows, errors = xing.trajectory_table({"hmm": hmm}, data["train"])
    assert [r["method"] for r in rows] == ["hmm", "hmm-smoothed"]
    err = np.linalg.norm(hmm.trajectory_[:, :2] - data["train"].positions[:, :2], axis=1)
    np.testing.assert_allclose(errors["hmm"], err)
    assert rows[0]["overall"] == pytest.approx(err.mean())
    rows2, errors2 = xing.localization_table({"hmm": hmm}, data)
    assert [r["method"] for r in rows2] == ["hmm", "hmm-viterbi", "hmm-smoothed"]
    viterbi = hmm.decode(data["test1"], "viterbi")
    np.testing.assert_allclose(errors2["hmm-viterbi"]["test1"],
                               np.linalg.norm(viterbi[:, :2] - data["test1"].positions[:, :2], axis=1))


def test_region_breakdown_from_public_results(fitted_data):
    data, hmm = fitted_data
    train = data["train"]
    rows = xing.region_breakdown(hmm, train)
    assert sum(r["slots"] for r in rows) == train.n_samples - 1
    assert {r["region"] for r in rows} <= set(xing.REGIONS)
    for r in rows:
        assert 0 <= r["stall recovered"] <= 1 and 0 <= r["map label accuracy"] <= 1
    # at the recovered walk itself the difference is zero: feature_loglik is a function of the cell
    same = hmm.feature_loglik(train, hmm.trajectory_[:, :2]) - hmm.feature_loglik(train, hmm.trajectory_[:, :2])
    np.testing.assert_array_equal(same, 0.0)
    # the three columns add up to the emission the decoder uses at that cell
    from radiomap.features.seed000 import per_ap_features
    from radiomap.localize.hmm.likelihood import emission_table

    total = hmm.feature_loglik(train, hmm.trajectory_[:, :2]).sum(1)
    table = emission_table(per_ap_features(train), hmm.model_)[np.arange(train.n_samples), hmm.cells_]
    np.testing.assert_allclose(total, table, rtol=1e-4, atol=1e-3)


def test_experiments_use_no_private_names_of_the_hmm():
    tree = ast.parse(Path(xing.__file__).read_text())
    private = [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr.startswith("_")
               and not n.attr.startswith("__")]
    assert private == []
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in ("model_", "graph")]
