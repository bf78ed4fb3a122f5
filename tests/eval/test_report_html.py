"""report.html opened from disk by headless Chromium: every figure loads, no console error, sortable tables."""

import shutil

import numpy as np
import pytest

from radiomap.eval.plots import confusion_figure, error_cdf
from radiomap.eval.report import Report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _report(tmp_path):
    rep = Report("html test", tmp_path / "r", {"seed": 3, "scene": "xing-indoor", "long": list(range(200))})
    rep.add_table("errors", [{"method": "knn", "mean": 0.9}, {"method": "centroid", "mean": 3.0},
                             {"method": "svm", "mean": 1.2}], caption="test I")
    rep.add_published("errors", [{"method": "knn", "mean": 0.81}], source="seed 000, Table II")
    rep.add_published("other", [{"x": 1, "y": 2.5}], source="seed 002, Table V")
    rep.add_figure("cdf", error_cdf({"a": np.array([0.1, 0.5, 2.0])}))
    rep.add_figure("confusion", confusion_figure(np.array([[3, 1], [0, 4]]), ["LOS", "NLOS"]))
    rep.add_text("**Note**: a *Markdown* paragraph.\n\n- one\n- two")
    rep.write()
    return tmp_path / "r" / "report.html"


def test_html_is_self_contained(tmp_path):
    text = _report(tmp_path).read_text()
    assert text.count("data:image/png;base64,") == 2 and "http://" not in text and "https://" not in text
    assert 'class="published"' in text and "seed 000, Table II" in text and "<strong>Note</strong>" in text


def test_browser_opens_report_from_disk(tmp_path):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (Debian package 'chromium'; .ci/run installs it)")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    page_file = _report(tmp_path)
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        widths = page.eval_on_selector_all("img", "els => els.map(e => e.complete ? e.naturalWidth : 0)")
        first_column = "els => els.map(e => e.cells[0].textContent)"
        before = page.eval_on_selector_all("table.sortable >> nth=0 >> tbody tr", first_column)
        page.click("table.sortable >> nth=0 >> th >> nth=1")  # sort by mean, ascending
        after = page.eval_on_selector_all("table.sortable >> nth=0 >> tbody tr", first_column)
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert len(widths) == 2 and all(w > 0 for w in widths), widths
    assert errors == []
    assert before == ["knn", "centroid", "svm"] and after == ["knn", "svm", "centroid"]
    assert (tmp_path / "report.png").stat().st_size > 10_000
