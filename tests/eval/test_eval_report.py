"""Report writer: files, published numbers kept apart, JSON content."""

import json

import numpy as np
import pytest

from radiomap.errors import ParameterError
from radiomap.eval.plots import confusion_figure, error_cdf
from radiomap.eval.report import Report, markdown_table


def test_report_writes_md_json_png(tmp_path):
    rep = Report("demo", tmp_path / "r", {"seed": 7, "scene": "xing-indoor"})
    rep.add_table("errors", [{"method": "knn", "mean": 0.912345, "n": 10},
                             {"method": "centroid", "mean": 3.0, "n": 10}], caption="test I")
    rep.add_published("errors", [{"method": "knn", "mean": 0.81}], source="seed 000, Table II")
    rep.add_published("other", [{"method": "x", "mean": 1.5}], source="seed 002, Fig. 9")
    fig = error_cdf({"a": np.array([0.1, 0.5, 2.0]), "b": np.array([1.0, 3.0])})
    png = rep.add_figure("cdf", fig)
    rep.add_text("note: hello")
    md_path = rep.write()
    md = md_path.read_text()
    assert png == "cdf.png" and (tmp_path / "r" / png).stat().st_size > 1000
    assert "| method | mean | n | published: mean |" in md
    assert "| knn | 0.912 | 10 | 0.810 |" in md
    assert "| centroid | 3.000 | 10 | — |" in md
    assert "seed 000, Table II" in md and "not measured here" in md
    assert "## other: published values (not measured here)" in md and "seed 002, Fig. 9" in md
    assert "![cdf](cdf.png)" in md and "note: hello" in md
    js = json.loads((tmp_path / "r" / "report.json").read_text())
    assert js["seed"] == 7 and js["settings"]["scene"] == "xing-indoor"
    assert js["machine"]["cpu_count"] >= 1 and "numpy" in js["machine"] and "torch" in js["machine"]
    assert js["tables"]["errors"]["rows"][0]["mean"] == pytest.approx(0.912345)
    assert js["published"]["errors"]["source"] == "seed 000, Table II"
    # measured rows never contain published values
    assert all("published" not in k for r in js["tables"]["errors"]["rows"] for k in r)
    assert js["figures"] == {"cdf": "cdf.png"}


def test_markdown_nan_and_missing():
    md = markdown_table([{"a": float("nan"), "b": 1}, {"a": 2.0}])
    assert "| — | 1 |" in md and "| 2.000 | — |" in md


def test_published_needs_source(tmp_path):
    rep = Report("x", tmp_path)
    with pytest.raises(ParameterError, match="source"):
        rep.add_published("t", [{"m": 1}], source="")


def test_confusion_figure(tmp_path):
    rep = Report("x", tmp_path / "r")
    p = rep.add_figure("cm", confusion_figure(np.array([[3, 1], [0, 4]]), ["LOS", "NLOS"]))
    assert not (tmp_path / "r").exists()  # nothing is written before the report is complete
    rep.write()
    assert (tmp_path / "r" / p).is_file()


def test_published_rows_pair_numeric_keys_by_value(tmp_path):
    rep = Report("t", tmp_path, {"seed": 0})
    rep.add_table("snr", [{"SNR (dB)": 0.0, "err": 1.7}, {"SNR (dB)": 5.0, "err": 1.6}])
    rep.add_published("snr", [{"SNR (dB)": 0, "err": 1.97}, {"SNR (dB)": 5, "err": 1.84}], "paper")
    rows, cols, source = rep.merged_table("snr")
    assert [r["published: err"] for r in rows] == [1.97, 1.84] and source == "paper"
