"""Every bad input through the installed console script: exit 2, one line on stderr, nothing changed.

Each case is a command a user ran (issue "Never lose or corrupt a user's files") or one found
while fixing them. The working folder holds copies of real inputs; its listing and checksums
must be identical before and after the command: no file changed, none left behind.
"""

import os
import stat

import pytest

from .conftest import run_cli, snapshot

CASES = {
    # outputs that must never be replaced
    "fit over a foreign folder": (["fit", "knn", "train.h5", "-o", "results"], "refusing to replace"),
    "fit over the current folder": (["fit", "knn", "train.h5", "-o", "."], "input of this command"),
    "localize over its input": (["localize", "model", "test.h5", "-o", "test.h5"], "input of this command"),
    "localize over the model": (["localize", "model", "test.h5", "-o", "model/state.safetensors"],
                                "input of this command"),
    "simulate over its reference": (["simulate", "xing-indoor", "-o", "train.h5", "--reference", "train.h5",
                                     "--noise-variance", "0.2"], "input of this command"),
    "existing output without --force": (["localize", "model", "test.h5", "-o", "pred.h5"], "--force"),
    "foreign file even with --force": (["localize", "model", "test.h5", "-o", "notes.txt", "--force"],
                                       "radiomap did not write"),
    "file output is a folder": (["localize", "model", "test.h5", "-o", "results"], "is a folder"),
    "simulate into a folder": (["simulate", "xing-indoor", "-o", "results"], "is a folder"),
    "folder output is a file": (["fit", "knn", "train.h5", "-o", "notes.txt"], "not a folder"),
    "parent is a file": (["plot", "train.h5", "-o", "notes.txt/x.png"], "is a file"),
    # arguments checked before any work
    "negative noise variance": (["simulate", "xing-indoor", "-o", "x.h5", "--noise-variance", "-1"], "noise-variance"),
    "zero random positions": (["simulate", "xing-indoor", "-o", "x.h5", "--positions", "random", "--n", "0"], "--n"),
    "negative random positions": (["simulate", "xing-indoor", "-o", "x.h5", "--positions", "random", "--n", "-3"],
                                  "--n"),
    "unknown positions mode": (["simulate", "xing-indoor", "-o", "x.h5", "--positions", "spiral"], "positions"),
    "zero grid pitch": (["simulate", "xing-indoor", "-o", "x.h5", "--positions", "grid", "--resolution", "0"],
                        "--resolution"),
    "snr and noise variance": (["simulate", "xing-indoor", "-o", "x.h5", "--snr", "10", "--noise-variance", "0.1"],
                               "not both"),
    "unknown scene": (["simulate", "nowhere", "-o", "x.h5"], "unknown scene"),
    "k not an integer": (["fit", "knn", "train.h5", "-o", "m", "-p", "k=abc"], "k='abc'"),
    "k fractional": (["fit", "knn", "train.h5", "-o", "m", "-p", "k=2.5"], "k=2.5"),
    "k above the training size": (["fit", "knn", "train.h5", "-o", "m", "-p", "k=5000"], "exceeds the 120"),
    "empty k grid": (["fit", "knn", "train.h5", "-o", "m", "--cv", "-p", "k_grid=[]"], "k_grid=[]"),
    "negative wcl exponent": (["fit", "wcl", "train.h5", "-o", "m", "-p", "g=-1"], "g=-1"),
    "unknown parameter": (["fit", "knn", "train.h5", "-o", "m", "-p", "kk=1"], "no parameter 'kk'"),
    "malformed parameter": (["fit", "knn", "train.h5", "-o", "m", "-p", "k"], "name=value"),
    "unknown method": (["fit", "magic", "train.h5", "-o", "m"], "unknown method 'magic'"),
    "cv for a method without it": (["fit", "wcl", "train.h5", "-o", "m", "--cv"], "no parameter 'cv'"),
    "compare with a bad method": (["compare", "train.h5", "test.h5", "-m", "magic", "-o", "r"], "unknown localizer"),
    "demo with a bad method": (["demo", "--methods", "magic", "-o", "r"], "unknown localizer"),
    "unknown option": (["fit", "knn", "train.h5", "--bogus"], "no such option"),
    # damaged or inconsistent inputs
    "missing dataset": (["fit", "knn", "absent.h5", "-o", "m"], "no such file"),
    "not HDF5": (["fit", "knn", "notes.txt", "-o", "m"], "not a readable HDF5 file"),
    "flipped byte in the CSI": (["fit", "knn", "damaged_data.h5", "-o", "m"], "damaged_data.h5"),
    "flipped byte in a header": (["fit", "knn", "damaged_header.h5", "-o", "m"], "damaged_header.h5"),
    "damaged global heap (0.1 layout)": (["fit", "knn", "damaged_heap.h5", "-o", "m"], "damaged_heap.h5"),
    "huge finite CSI": (["fit", "knn", "huge.h5", "-o", "m"], "magnitudes up to"),
    "K differs from the scene": (["fit", "knn", "k32.h5", "-o", "m"], "K (subcarriers) = 32"),
    "model without method": (["localize", "model_no_method", "test.h5", "-o", "p.h5"], "missing method"),
    "model without state": (["localize", "model_no_state", "test.h5", "-o", "p.h5"], "missing state"),
    "model with unknown params": (["localize", "model_unknown_param", "test.h5", "-o", "p.h5"], "bogus"),
    "flipped byte in the tensors": (["localize", "model_flipped", "test.h5", "-o", "p.h5"], "checksum"),
    "not a model folder": (["localize", "results", "test.h5", "-o", "p.h5"], "not a saved localizer"),
    "predictions expected": (["evaluate", "train.h5"], "not a radiomap predictions file"),
    "import a missing capture": (["import", "intel5300", "absent.dat", "-o", "x.h5"], "absent.dat"),
    "import a text file as records": (["import", "dichasus", "notes.txt", "-o", "x.h5"], "notes.txt"),
    "import over its input": (["import", "intel5300", "notes.txt", "-o", "notes.txt"], "input of this command"),
    "unknown capture format": (["import", "magic", "notes.txt", "-o", "x.h5"], "magic"),
    # hardware a method cannot use
    "aoa on one antenna": (["fit", "aoa", "one_antenna.h5", "-o", "m"], "antennas per AP"),
    "hmm on one antenna": (["fit", "hmm", "one_antenna.h5", "-o", "m"], "antennas per AP"),
    "wcl on one AP": (["fit", "wcl", "one_ap.h5", "-o", "m"], ">= 2 APs"),
    "music features on one antenna": (["fit", "knn", "one_antenna.h5", "-p", "inputs=seed000", "-o", "m"],
                                      "one antenna"),
}


@pytest.fixture
def prepared(work):
    (work / "results").mkdir()
    (work / "results" / "thesis.txt").write_text("four years of work")
    (work / "notes.txt").write_text("my notes")
    from radiomap.data import CSIDataset
    from radiomap.eval.predictions import Predictions
    from radiomap.localize import Localizer

    test = CSIDataset.load(work / "test.h5")
    Predictions(Localizer.load(work / "model").predict(test), "knn").save(work / "pred.h5")
    return work


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_one_line_nothing_changed(prepared, case):
    args, needle = CASES[case]
    before = snapshot(prepared)
    r = run_cli(*args, cwd=prepared)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, (case, r.returncode, r.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert needle.lower() in lines[0].lower(), lines[0]
    assert snapshot(prepared) == before, f"{case}: files changed or left behind"


@pytest.fixture
def locked_folder(tmp_path):
    """A folder nobody may write to (root bypasses permissions: make it immutable instead)."""
    import subprocess

    d = tmp_path / "locked"
    d.mkdir()
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(d)], capture_output=True).returncode != 0:
            pytest.skip("running as root on a file system without chattr +i: no way to deny writes")
        yield d
        subprocess.run(["chattr", "-i", str(d)], check=True)
    else:
        d.chmod(stat.S_IRUSR | stat.S_IXUSR)
        yield d
        d.chmod(stat.S_IRWXU)


def test_unwritable_folder_is_refused_before_work(locked_folder, tmp_path):
    r = run_cli("simulate", "xing-indoor", "-o", locked_folder / "x.h5", cwd=tmp_path, timeout=30)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not writable" in r.stderr, r.stderr
    assert not any(locked_folder.iterdir())


def test_compare_fails_when_every_method_fails(work):  # the centroid baseline always runs and succeeds
    before = {k for k in snapshot(work)}
    r = run_cli("compare", "one_antenna.h5", "one_antenna.h5", "-m", "aoa", "-m", "hmm", "-o", "rep",
                "--no-progress", cwd=work)
    assert r.returncode == 1, r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("error: 2 of 3 methods failed"), r.stderr
    report = (work / "rep" / "report.md").read_text()
    assert "antennas per AP" in report and "failed" in report
    assert {k for k in snapshot(work)} - before <= {"rep"} | {f"rep/{p.name}" for p in (work / "rep").iterdir()}


def test_foreign_files_survive_and_the_folder_is_refused(prepared):
    r = run_cli("fit", "knn", "train.h5", "-o", "results", "--force", cwd=prepared)
    assert r.returncode == 2 and "refusing to replace" in r.stderr
    assert (prepared / "results" / "thesis.txt").read_text() == "four years of work"


def test_force_replaces_what_radiomap_wrote_and_respects_the_umask(work):
    first = run_cli("fit", "knn", "train.h5", "-o", "m", cwd=work)
    assert first.returncode == 0, first.stderr
    again = run_cli("fit", "knn", "train.h5", "-o", "m", "-p", "k=3", cwd=work)
    assert again.returncode == 2 and "--force" in again.stderr
    forced = run_cli("fit", "knn", "train.h5", "-o", "m", "-p", "k=3", "--force", cwd=work)
    assert forced.returncode == 0, forced.stderr
    assert '"k": 3' in (work / "m" / "localizer.json").read_text()
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((work / "m").stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((work / "m" / "state.safetensors").stat().st_mode) == 0o666 & ~mask
    assert not [p for p in work.iterdir() if ".radiomap-tmp-" in p.name]


def test_plot_creates_missing_parents(work):
    r = run_cli("plot", "train.h5", "-o", "figs/new/walk.png", cwd=work)
    assert r.returncode == 0, r.stderr
    assert (work / "figs" / "new" / "walk.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = run_cli("plot", "train.h5", "-o", "figs/new/walk.png", "--force", cwd=work)
    assert again.returncode == 0, again.stderr  # a PNG radiomap wrote is replaceable
