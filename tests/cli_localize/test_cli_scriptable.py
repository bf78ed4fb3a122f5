"""The CLI as scripts use it, through the installed console script: pipes, --format json, discoverability."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from radiomap.localize import DIRECTIONS, LOCALIZERS, TASKS, task_of

RADIOMAP = str(Path(sys.executable).with_name("radiomap"))


def run(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([RADIOMAP, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_scenes_in_a_pipe_keeps_full_names():
    out = subprocess.run(f"{RADIOMAP} scenes | grep -q xing-indoor", shell=True, timeout=60)
    assert out.returncode == 0
    text = run("scenes").stdout
    assert "chatelier-plane" in text and "…" not in text


def test_version():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("radiomap ")


@pytest.fixture(scope="module")
def files(tmp_path_factory, xing_files):
    d = tmp_path_factory.mktemp("scriptable")
    assert run("fit", "knn", xing_files / "train.h5", "-o", d / "m", "--cv", "-p", "k_grid=[2,4]").returncode == 0
    assert run("localize", d / "m", xing_files / "test.h5", "-o", d / "p.h5").returncode == 0
    return d


@pytest.mark.parametrize("args", [["scenes"], ["methods"], ["methods", "hmm"], ["formats"], ["features", "list"],
                                  ["info", "{train}"], ["info", "{model}"], ["info", "{pred}"], ["evaluate", "{pred}"]])
def test_every_table_command_gives_json(args, files, xing_files):
    paths = {"train": xing_files / "train.h5", "model": files / "m", "pred": files / "p.h5"}
    r = run(*(a.format(**paths) for a in args), "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert isinstance(data, dict) and all(isinstance(rows, list) and rows for rows in data.values())


def test_csv_format(files):
    r = run("info", files / "m", "--format", "csv")
    assert r.returncode == 0 and r.stdout.splitlines()[1] == "field,value"


def test_methods_lists_every_method_and_parameter():
    listed = json.loads(run("methods", "--format", "json").stdout)["methods"]
    assert [m["method"] for m in listed] == LOCALIZERS.names() + DIRECTIONS.names()
    assert {m["task"] for m in listed if m["method"] in DIRECTIONS} == {"direction"}
    for name in LOCALIZERS.names() + DIRECTIONS.names():
        table = next(iter(json.loads(run("methods", name, "--format", "json").stdout).values()))
        assert [row["parameter"] for row in table] == list(TASKS[task_of(name)].get(name).param_spec)
        assert all(row["accepts"] and row["help"] for row in table)


def test_info_on_a_model_shows_its_fit_info(files):
    rows = json.loads(run("info", files / "m", "--format", "json").stdout)
    fields = {r["field"]: r["value"] for r in next(iter(rows.values()))}
    assert fields["method"] == "knn" and fields["fit: chosen"]["k"] in (2, 4)
    assert set(fields["fit: cv_scores"]) == {"2", "4"} and "cv_folds" in fields["fit: notes"]
    assert "parameters" in rows


def test_bad_format_is_one_line():
    r = run("scenes", "--format", "yaml")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--format" in r.stderr
