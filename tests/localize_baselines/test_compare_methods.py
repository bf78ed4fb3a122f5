"""evaluate_methods / report tables on synthetic data: numbers equal direct computation."""

import numpy as np

from radiomap.eval.compare import add_to_report, evaluate_methods, model_footprint, summary_rows
from radiomap.eval.report import Report
from radiomap.localize.fingerprint import KNN, Centroid
from radiomap.localize.geometric import WCL

from ._synth import make_dataset


def test_evaluate_methods_matches_direct(tmp_path):
    train = make_dataset(n=150, seed=1, noise=0.01, scatter=0.2)
    test = make_dataset(n=30, seed=2, noise=0.01, scatter=0.2)
    locs = {"centroid": Centroid(), "knn": KNN(k=3), "wcl": WCL(), "broken": KNN(k=0)}
    res = evaluate_methods(locs, train, {"t": test})
    direct = np.linalg.norm(KNN(k=3).fit(train).predict(test)[:, :2] - test.positions[:, :2], axis=1)
    np.testing.assert_allclose(res["knn"].errors["t"], direct)
    assert res["broken"].error.startswith("ParameterError: knn: k=0")
    assert not res["wcl"].supervised and res["knn"].per_query_ms["t"] > 0
    size, n = model_footprint(locs["knn"])
    assert n == 150 * 12 + 150 * 3 + 2 * 12 and size > n * 8  # fingerprints + positions + scaler, float64
    rows = {r["method"]: r for r in summary_rows(res, ["t"])}
    assert rows["knn"]["t mean"] == direct.mean() and "failed" in rows["broken"]
    rep = Report("cmp", tmp_path, {"seed": 0})
    add_to_report(rep, res, {"t": test}, train.scene)
    md = rep.write().read_text()
    assert "t: mean 2-D error per distance ring (m)" in md and "double-LOS" in md
    assert (tmp_path / "floorplan_t_knn.png").is_file() and (tmp_path / "cdf_t.png").is_file()
