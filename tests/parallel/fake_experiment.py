"""A tiny experiment for the sweep tests: one table whose numbers are known functions of the seed."""

from radiomap.eval.report import Report


def run(out_dir, *, full=False, seed=0, progress=True, overwrite=False, scale=1.0):
    """Rows ``method=a: err = seed * scale``, ``method=b: err = 10``; seed 3 fails."""
    if seed == 3:
        raise RuntimeError("seed 3 diverged")
    rep = Report("fake", out_dir, {"seed": seed}, overwrite=overwrite)
    rep.add_table("errors", [{"method": "a", "err": seed * scale, "full": full}, {"method": "b", "err": 10.0}])
    rep.write()
    return rep
