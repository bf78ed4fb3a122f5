"""Sweeps: one experiment over many seeds (and a grid of its keyword arguments) as independent tasks.

``radiomap bench NAME --seeds 0-19 [-p full=[false,true]] [--workers N]`` runs ``EXPERIMENTS[NAME]`` once per
seed and grid point, in this process or on Dask workers (``radiomap.parallel``), each into a scratch
folder beside the output that is removed afterwards. One report aggregates them: for every table of the
experiment's report, the mean and standard deviation over seeds of each numeric column (rows matched by
their text columns, e.g. the method), the per-seed rows, and a table of the tasks that failed (their
error; the other tasks still run and are aggregated).
"""

from __future__ import annotations

import inspect
import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from radiomap.atomic import scratch_dir
from radiomap.errors import ParameterError
from radiomap.eval.report import Report
from radiomap.parallel import InProcess

if TYPE_CHECKING:
    from radiomap.parallel import Executor

_FIXED = ("out_dir", "seed", "progress", "overwrite")
"""Arguments of an experiment's ``run`` that the sweep sets itself."""


def parse_seeds(spec: str) -> list[int]:
    """``"0-19"``, ``"0,3,7"`` or ``"0-4,10"`` -> sorted distinct seeds.

    Parameters
    ----------
    spec : str
        Comma-separated seeds and inclusive ranges ``a-b`` (non-negative integers).

    Returns
    -------
    list of int
        The seeds in increasing order.
    """
    seeds: set[int] = set()
    for part in filter(None, (p.strip() for p in spec.split(","))):
        lo, dash, hi = part.partition("-")
        if not lo.isdigit() or (dash and not hi.isdigit()):
            raise ParameterError(f"--seeds {spec!r}: expected seeds and ranges such as 0-19 or 0,3,7")
        a, b = int(lo), int(hi) if dash else int(lo)
        if b < a:
            raise ParameterError(f"--seeds {spec!r}: range {part} is empty")
        seeds.update(range(a, b + 1))
    if not seeds:
        raise ParameterError(f"--seeds {spec!r}: no seed given")
    return sorted(seeds)


def grid_points(run: Callable[..., Any], params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every combination of ``params`` (a list value = the values to sweep), checked against ``run``'s keywords.

    Parameters
    ----------
    run : callable
        The experiment's ``run``.
    params : dict
        Keyword -> value, or -> list of values (one grid axis).

    Returns
    -------
    list of dict
        One keyword dict per grid point (``[{}]`` without parameters).
    """
    accepted = [k for k in inspect.signature(run).parameters if k not in _FIXED]
    for key in params:
        if key not in accepted:
            raise ParameterError(f"-p {key}: the experiment takes {', '.join(accepted)}")
    axes = [[(k, v) for v in (vals if isinstance(vals, list) else [vals])] for k, vals in params.items()]
    return [dict(point) for point in itertools.product(*axes)]


def sweep(run: Callable[..., Any], name: str, out_dir: str | Path, seeds: list[int], grid: list[dict[str, Any]], *,
          executor: Executor | None = None, overwrite: bool = False) -> tuple[Report, list[dict[str, Any]]]:
    """Run ``run`` for every seed and grid point and write one aggregated report into ``out_dir``.

    Parameters
    ----------
    run : callable
        An experiment's ``run(out_dir, *, seed, progress, overwrite, **kw) -> Report``.
    name : str
        Its name (report title).
    out_dir : path
        Report folder to write (``radiomap.atomic`` rules).
    seeds : list of int
        Seeds.
    grid : list of dict
        Keyword arguments of each grid point (:func:`grid_points`).
    executor : InProcess or DaskExecutor or None
        Where the tasks run; None = in this process.
    overwrite : bool
        Replace an existing radiomap report folder.

    Returns
    -------
    report : Report
        The written report: tables ``<table> (mean, std over seeds)``, ``<table> per seed``, ``failed tasks``.
    failures : list of dict
        ``{"seed", "params", "error"}`` of each failed task (empty when all ran).
    """
    out_dir = Path(out_dir)
    tasks = [{"run": run, "out": str(out_dir), "seed": s, "params": p} for p in grid for s in seeds]
    results: list[dict[str, Any]] = [{}] * len(tasks)
    for i, res in (executor or InProcess()).map(_run_task, tasks):
        results[i] = res
    report = Report(f"{name}: sweep over {len(seeds)} seeds x {len(grid)} settings", out_dir,
                    {"experiment": name, "seeds": seeds, "grid": grid,
                     "workers": getattr(executor, "workers", 0)}, overwrite=overwrite)
    failures = [{"seed": t["seed"], "params": t["params"], "error": r["error"]}
                for t, r in zip(tasks, results, strict=True) if "error" in r]
    done = [(t, r) for t, r in zip(tasks, results, strict=True) if "error" not in r]
    names = list(dict.fromkeys(k for _, r in done for k in r["tables"]))
    for table in names:
        per_seed = [{**t["params"], "seed": t["seed"], **row} for t, r in done for row in r["tables"].get(table, [])]
        report.add_table(f"{table} (mean, std over seeds)", aggregate(per_seed, keys=tuple(grid[0])),
                         caption="mean and sample standard deviation (ddof=1) of each numeric column over the "
                                 "seeds, rows matched by their text columns")
        report.add_table(f"{table} per seed", per_seed)
    report.add_table("tasks", [{**t["params"], "seed": t["seed"], "seconds": r.get("seconds"),
                                "status": "ok" if "error" not in r else "failed"}
                               for t, r in zip(tasks, results, strict=True)])
    if failures:
        report.add_table("failed tasks", [{**f["params"], "seed": f["seed"], "error": f["error"]} for f in failures])
    report.write()
    return report, failures


def aggregate(rows: list[dict[str, Any]], keys: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Mean and std over seeds of the numeric columns of ``rows``, grouped by their other columns.

    Parameters
    ----------
    rows : list of dict
        Per-seed rows with a ``seed`` column.
    keys : tuple of str
        Columns that always group, numeric or not (the grid parameters).

    Returns
    -------
    list of dict
        One row per group: its key columns, ``seeds`` (count), then ``<col> mean`` and ``<col> std`` (None
        for a single seed) for each numeric column.
    """
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        key = tuple((k, v) for k, v in row.items() if k != "seed" and (k in keys or not _numeric(v)))
        groups.setdefault(key, []).append(row)
    out = []
    for key, members in groups.items():
        agg: dict[str, Any] = dict(key) | {"seeds": len(members)}
        cols = list(dict.fromkeys(k for r in members for k, v in r.items()
                                  if k != "seed" and k not in keys and _numeric(v)))
        for col in cols:
            vals = np.array([r[col] for r in members if _numeric(r.get(col))], dtype=float)
            agg[f"{col} mean"] = float(vals.mean())
            agg[f"{col} std"] = float(vals.std(ddof=1)) if len(vals) > 1 else None
        out.append(agg)
    return out


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)


def _run_task(task: dict[str, Any]) -> dict[str, Any]:
    """One seed of one grid point in a scratch folder (a worker task); an exception becomes ``{"error"}``."""
    t0 = time.perf_counter()
    try:
        with scratch_dir(task["out"]) as scratch:
            report = task["run"](scratch / "report", seed=task["seed"], progress=False, overwrite=False,
                                 **task["params"])
            tables = {k: v["rows"] for k, v in report.tables.items()}
    except Exception as exc:  # reported in the sweep's table, not fatal to the other tasks
        return {"error": f"{type(exc).__name__}: {' '.join(str(exc).split())}", "seconds": time.perf_counter() - t0}
    return {"tables": tables, "seconds": time.perf_counter() - t0}
