"""The demo experiment on a subset of methods (the full demo is a slow test)."""

import json

import numpy as np

from radiomap.experiments.demo import PUBLISHED_TABLE_II, run


def test_demo_report_with_published_column(tmp_path):
    rep = run(tmp_path / "demo", seed=0, progress=False, methods=["centroid", "knn", "wcl"])
    md = (tmp_path / "demo" / "report.md").read_text()
    js = json.loads((tmp_path / "demo" / "report.json").read_text())
    rows = {r["method"]: r for r in js["tables"]["localization error (m)"]["rows"]}
    assert set(rows) == {"centroid", "knn", "wcl"}
    for r in rows.values():
        for t in ("test1", "test2"):
            assert np.isfinite([r[f"{t} mean"], r[f"{t} median"], r[f"{t} p90"]]).all()
    # measured numbers are never the published ones; published ones sit in their own columns
    assert js["published"]["localization error (m)"]["rows"] == PUBLISHED_TABLE_II
    assert "published: test1 mean" in md and "Table II" in md
    assert rows["knn"]["test1 mean"] < rows["centroid"]["test1 mean"]
    assert js["seed"] == 0 and js["settings"]["n_samples"]["train"] > 500
    assert (tmp_path / "demo" / "cdf_test1.png").is_file()
    assert "## Notes" in md and "WCL vs KNN" in md
    assert rep.tables is not None
