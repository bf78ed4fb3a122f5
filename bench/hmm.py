"""Benchmark of the second-order Viterbi: time versus T and versus G x R^2.

Usage: ``python bench/hmm.py [--out bench/hmm.json] [--repeat 3] [--device cpu]``

Random emissions on square lattices; three sweeps: T (G, R fixed), G (T, R fixed) and R (T, G
fixed). For each sweep the table shows the time per slot-cell-move^2 (``ns / (T G R^2)``), which
is flat when the cost is ``O(T G R^2)``, and a least-squares slope of log(time) against
log(size) (1 = linear; below 1 while a fixed per-slot overhead of the torch dispatch still
matters). An affine model ``time = a T + b T G R^2`` fitted over all runs separates the two.
Writes JSON with machine info next to the script or to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from radiomap.eval.report import machine_info
from radiomap.localize.hmm.grid import build_cell_graph
from radiomap.localize.hmm.mobility import MobilityParams, transition_table
from radiomap.localize.hmm.viterbi import viterbi2

RADIUS_FOR_R = {5: 1.0, 9: 1.5, 13: 2.1, 21: 2.5, 29: 3.0, 37: 3.2, 45: 3.7}


def lattice(n_cells: int, radius: float):
    side = int(round(np.sqrt(n_cells / 2)))
    xy = np.stack(np.meshgrid(np.arange(2 * side) * 0.25, np.arange(side) * 0.25, indexing="ij"), -1)
    return build_cell_graph(xy.reshape(-1, 2), 0.25, radius)


def time_viterbi(n_t: int, n_cells: int, n_r: int, repeat: int, device: str) -> dict:
    g = lattice(n_cells, RADIUS_FOR_R[n_r])
    rng = np.random.default_rng(0)
    emis = rng.normal(0, 3, (n_t, g.n_cells))
    trans = transition_table(g.offsets, 0.25, 0.1, MobilityParams(0.9, (0.0, 0.0), 0.8))
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        viterbi2(emis, trans, g.prv, device=device, dtype=torch.float32)
        best = min(best, time.perf_counter() - t0)
    work = n_t * g.n_cells * g.n_offsets ** 2
    return {"T": n_t, "G": g.n_cells, "R": g.n_offsets, "G*R^2": g.n_cells * g.n_offsets ** 2,
            "time_s": best, "ns_per_TGR2": 1e9 * best / work,
            "backpointer_MB": n_t * g.n_cells * g.n_offsets / 2 ** 20}


def slope(rows: list[dict], key: str) -> float:
    x = np.log([r[key] for r in rows])
    y = np.log([r["time_s"] for r in rows])
    return float(np.polyfit(x, y, 1)[0])


def affine_fit(rows: list[dict]) -> dict:
    """Least squares ``time = c_step T + c_work T G R^2``: per-slot overhead and marginal cost."""
    A = np.array([[r["T"], r["T"] * r["G*R^2"]] for r in rows], dtype=np.float64)
    y = np.array([r["time_s"] for r in rows])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    pred = A @ coef
    r2 = 1.0 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    return {"us_per_slot": 1e6 * coef[0], "ns_per_TGR2": 1e9 * coef[1], "r2": float(r2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".json"))
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    sweeps = {
        "T": ("T", [time_viterbi(t, 1600, 13, args.repeat, args.device) for t in (100, 200, 400, 800)]),
        "G": ("G*R^2", [time_viterbi(100, g, 21, args.repeat, args.device) for g in (800, 1600, 3200, 6400)]),
        "R": ("G*R^2", [time_viterbi(100, 1600, r, args.repeat, args.device) for r in (9, 13, 21, 29, 45)]),
    }
    out = {"machine": machine_info(), "device": args.device, "threads": args.threads,
           "dtype": "float32", "sweeps": {}}
    print(f"{'sweep':<6}{'T':>6}{'G':>7}{'R':>5}{'G*R^2':>10}{'time s':>10}{'ns/(TGR^2)':>12}")
    for name, (key, rows) in sweeps.items():
        for r in rows:
            print(f"{name:<6}{r['T']:>6}{r['G']:>7}{r['R']:>5}{r['G*R^2']:>10}{r['time_s']:>10.3f}"
                  f"{r['ns_per_TGR2']:>12.2f}")
        s = slope(rows, key)
        print(f"{name:<6} log-log slope of time vs {key}: {s:.2f}")
        out["sweeps"][name] = {"size_key": key, "rows": rows, "loglog_slope": s}
    all_rows = [r for _, rows in sweeps.values() for r in rows]
    fit = affine_fit(all_rows)
    print(f"affine model over all runs: time = {fit['us_per_slot']:.0f} us x T + {fit['ns_per_TGR2']:.2f} ns x T G R^2 "
          f"(R^2 = {fit['r2']:.3f})")
    out["affine_fit"] = fit
    args.out.write_text(json.dumps(out, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
