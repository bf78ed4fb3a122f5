"""Simulator throughput: positions per second of ``trace`` and ``Paths.cfr`` on CPU.

Measures, for a few batch sizes on a scene (default ``xing-indoor``: 4 APs x 8-element ULAs x
64 subcarriers, specular reflections up to order 2, point scatterers), separately:

* ``trace``: ``radiomap.channel.trace(scene, positions, max_order, scatterers=True)``
* ``cfr spherical`` / ``cfr plane``: ``paths.cfr(scene.ofdm, wavefront=...)`` on those paths
* ``trace + cfr spherical``: the end-to-end cost of ``simulate_dataset`` without noise/IO

Positions are walkable grid cells (pitch 5 cm) drawn with ``--seed``; every timing is the best
of ``--repeats`` runs (wall clock, ``time.perf_counter``). Prints a table and writes JSON with the
machine info to ``--out`` (default ``bench/results/simulate.json``).

With ``--walls``, it instead measures how the tracers scale with the number of walls, on two
families of scenes, each size with its own fixed positions (``--n``, seed ``--seed``):

* ``room``: ``xing-indoor`` (16 m x 8 m, 4 APs) with its outer walls and two partial walls (6
  walls), the preset (11), or the preset plus random short drywall walls (0.3-1 m) up to W;
* ``office``: ``radiomap.scene.office.office_floor`` floors of 12 to 1,002 wall segments
  (rooms along corridors, 4 APs; the 308-wall one is the ``office-floor`` preset).

For each scene (best of ``--repeats`` runs, except the oracle): the pruned tracer (default, exact;
and with ``cull_db=--cull``), the brute-force
oracle (``method="brute"``, only up to ``--old-max-walls`` and on the first ``--old-positions``
positions beyond 54 walls: it is quadratic in walls and its memory grows with N x walls^2),
Sionna RT's ``PathSolver`` on CPU (``max_depth=2``, ``--sionna-rays`` rays per AP, synthetic
array; where ``sionna.rt`` is importable, timed after one warm-up call per scene), the spherical
CFR of the pruned tracer's paths, and the peak traced memory (``tracemalloc``) of one pruned
``trace`` call on all positions. Order-3 cost: the pruned tracer at orders 2 and 3 on the room
family's smaller scenes (and the oracle at order 3 on the preset). Prints tables, the log-log
slope of time per position vs walls, the ratios the issue asks for, and writes JSON with machine
info to ``--out`` (default ``bench/results/simulate_walls.json``).

Usage::

    python bench/simulate.py                      # sizes 1000 4000, 2 torch threads, best of 2
    python bench/simulate.py --sizes 500 --repeats 3 --threads 1 --out /tmp/sim.json
    python bench/simulate.py --walls 6 11 30 54 100 300 1000 --office-walls 12 28 100 308 1002
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

import radiomap
from radiomap.channel import trace
from radiomap.scene import Wall, get_scene
from radiomap.scene.office import office_floor

TARGET_POS_PER_S = 2000.0
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "simulate.json"
WALLS_OUT = Path(__file__).resolve().parent / "results" / "simulate_walls.json"
OFFICE_SIZES = {12: (1, 1, 4), 28: (3, 1, 4), 100: (12, 1, 4), 308: (20, 2, 2), 1002: (34, 4, 1)}
"""Office floors by wall count: (rooms per row, corridor bands, APs per corridor); 4 APs each."""


def machine_info() -> dict:
    """Platform, CPU count, library versions, torch threads and the load at start."""
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        affinity = os.cpu_count()
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": affinity,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "radiomap": radiomap.__version__,
        "torch_threads": torch.get_num_threads(),
        "load_average_1_5_15": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _best_time(fn, repeats: int):
    """Run ``fn`` ``repeats`` times; return (best wall time s, CPU time s of that run, last result).

    The CPU time (``time.process_time``, all threads of this process) is less sensitive than the
    wall time to other processes sharing the cores.
    """
    best, cpu, out = float("inf"), float("inf"), None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall, used = time.perf_counter() - t0, time.process_time() - c0
        if wall < best:
            best, cpu = wall, used
    return best, cpu, out


def bench_size(scene, positions: np.ndarray, *, max_order: int, repeats: int) -> dict:
    """Timings for one batch ``positions [N, 3]``: trace, cfr spherical, cfr plane (seconds)."""
    n = len(positions)
    t_trace, c_trace, paths = _best_time(
        lambda: trace(scene, positions, max_order=max_order, scatterers=True), repeats)
    t_sph, c_sph, h = _best_time(lambda: paths.cfr(scene.ofdm, wavefront="spherical"), repeats)
    t_pla, c_pla, _ = _best_time(lambda: paths.cfr(scene.ofdm, wavefront="plane"), repeats)
    n_valid = paths.valid.sum(-1)
    return {
        "n_positions": n,
        "csi_shape": list(h.shape),
        "paths_padded_L": paths.n_paths,
        "valid_paths_per_pair_mean": float(n_valid.mean()),
        "seconds": {"trace": t_trace, "cfr_spherical": t_sph, "cfr_plane": t_pla,
                    "trace+cfr_spherical": t_trace + t_sph},
        "cpu_seconds": {"trace": c_trace, "cfr_spherical": c_sph, "cfr_plane": c_pla,
                        "trace+cfr_spherical": c_trace + c_sph},
        "positions_per_cpu_s": {"trace": n / c_trace, "cfr_spherical": n / c_sph, "cfr_plane": n / c_pla,
                                "trace+cfr_spherical": n / (c_trace + c_sph)},
        "positions_per_s": {"trace": n / t_trace, "cfr_spherical": n / t_sph, "cfr_plane": n / t_pla,
                            "trace+cfr_spherical": n / (t_trace + t_sph)},
    }


def format_table(rows: list[dict]) -> str:
    """Plain-text table: one line per batch size, positions/s per stage."""
    cols = ["trace", "cfr_spherical", "cfr_plane", "trace+cfr_spherical"]
    head = f"{'N':>7} {'L':>4} " + " ".join(f"{c + ' pos/s':>26}" for c in cols)
    lines = [head, "-" * len(head)]
    for r in rows:
        vals = " ".join(f"{r['positions_per_s'][c]:>18,.0f} ({r['seconds'][c]:5.2f} s)" for c in cols)
        lines.append(f"{r['n_positions']:>7} {r['paths_padded_L']:>4} {vals}")
    lines.append("positions per CPU-second (all threads of this process):")
    for r in rows:
        vals = " ".join(f"{r['positions_per_cpu_s'][c]:>26,.0f}" for c in cols)
        lines.append(f"{r['n_positions']:>7} {r['paths_padded_L']:>4} {vals}")
    return "\n".join(lines)


def room_scene(n_walls: int, seed: int = 0):
    """``xing-indoor`` with ``n_walls`` walls: 6 (outer and partial walls), 11 (the preset), more (random short)."""
    base = get_scene("xing-indoor")
    if n_walls <= 6:
        return dataclasses.replace(base, walls=tuple(base.walls[i] for i in (0, 1, 2, 3, 9, 10))[:n_walls])
    rng = np.random.default_rng(seed)
    x0, x1, y0, y1 = base.bounds
    walls = list(base.walls[:n_walls])
    while len(walls) < n_walls:
        c = rng.uniform([x0, y0], [x1, y1])
        half = 0.5 * rng.uniform(0.3, 1.0) * np.array([np.cos(a := rng.uniform(0, np.pi)), np.sin(a)])
        walls.append(Wall(tuple(c - half), tuple(c + half), 0.0, 4.5, "drywall"))
    return dataclasses.replace(base, walls=tuple(walls))


def office_scene(n_walls: int):
    """The generated office floor with ``n_walls`` wall segments (a key of ``OFFICE_SIZES``)."""
    if n_walls not in OFFICE_SIZES:
        raise SystemExit(f"office sizes: {sorted(OFFICE_SIZES)}, got {n_walls}")
    rooms, bands, aps = OFFICE_SIZES[n_walls]
    return office_floor(rooms_per_row=rooms, bands=bands, aps_per_corridor=aps)


def _sionna():
    """``trace_sionna`` where Sionna RT is importable, else None (and why)."""
    try:
        from radiomap.channel.sionna_rt import _import_sionna, trace_sionna
        _import_sionna()
        return trace_sionna, None
    except Exception as exc:  # noqa: BLE001 - any import failure means "not installed here"
        return None, f"{type(exc).__name__}: {exc}"[:200]


def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - t0, time.process_time() - c0, out


def _peak_mb(fn) -> float:
    """Peak memory (MB) that ``fn()`` allocates, traced by ``tracemalloc`` (NumPy arrays included)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def bench_walls_one(family: str, scene, pos: np.ndarray, args, sionna) -> dict:
    """Every tracer on one scene and its positions ``pos [N, 3]``: seconds, positions/s, paths, memory."""
    n, w = len(pos), len(scene.walls)
    row = {"family": family, "walls": w, "n_aps": len(scene.aps), "n_positions": n, "tracers": {}}
    t, c, paths = _best_time(lambda: trace(scene, pos), args.repeats)
    t_cfr, _, _ = _best_time(lambda: paths.cfr(scene.ofdm), args.repeats)
    row["tracers"]["new"] = {"seconds": t, "cpu_seconds": c, "positions_per_s": n / t, "positions": n,
                             "paths_per_link": float(paths.valid.sum(-1).mean()), "padded_L": paths.n_paths,
                             "cfr_seconds": t_cfr, "trace+cfr_positions_per_s": n / (t + t_cfr),
                             "us_per_valid_path": t / max(int(paths.valid.sum()), 1) * 1e6}
    t, c, culled = _best_time(lambda: trace(scene, pos, cull_db=args.cull), args.repeats)
    row["tracers"]["new_culled"] = {"seconds": t, "cpu_seconds": c, "positions_per_s": n / t, "positions": n,
                                    "cull_db": args.cull, "paths_per_link": float(culled.valid.sum(-1).mean())}
    row["new_peak_traced_mb"] = _peak_mb(lambda: trace(scene, pos))
    if w <= args.old_max_walls:
        m = n if w <= 54 else min(n, args.old_positions)
        t, c, old = _timed(lambda: trace(scene, pos[:m], method="brute"))
        same = bool(np.array_equal(old.valid, paths.subset(np.arange(m)).valid))
        row["tracers"]["old"] = {"seconds": t, "cpu_seconds": c, "positions_per_s": m / t, "positions": m,
                                 "same_valid_paths_as_new": same}
        row["old_peak_traced_mb"] = _peak_mb(lambda: trace(scene, pos[:m], method="brute"))
        row["old_peak_traced_positions"] = m
    if sionna is not None:
        kw = {"max_order": 2, "max_depth": 2, "samples_per_src": int(args.sionna_rays)}
        t_first, _, _ = _timed(lambda: sionna(scene, pos[:4], **kw))
        t, c, sp = _best_time(lambda: sionna(scene, pos, **kw), args.repeats)
        row["tracers"]["sionna"] = {"seconds": t, "cpu_seconds": c, "positions_per_s": n / t, "positions": n,
                                    "warmup_seconds_4_positions": t_first,
                                    "paths_per_link": float(sp.valid.sum(-1).mean()), **kw}
    return row


def order3_rows(args) -> list[dict]:
    """Order-2 vs order-3 cost of the pruned tracer on small rooms (and the oracle at order 3 on the preset)."""
    rows = []
    for w in (11, 30):
        scene = room_scene(w, args.seed)
        pos = _positions(scene, args.n, args.seed)
        r = {"walls": w, "n_positions": len(pos)}
        for k in (2, 3):
            t, c, p = _timed(lambda k=k, scene=scene, pos=pos: trace(scene, pos, max_order=k))
            r[f"new_order{k}"] = {"seconds": t, "cpu_seconds": c, "positions_per_s": len(pos) / t,
                                  "paths_per_link": float(p.valid.sum(-1).mean())}
        if w == 11:
            m = min(len(pos), args.old_positions)
            t, c, _ = _timed(lambda scene=scene, sub=pos[:m]: trace(scene, sub, max_order=3, method="brute"))
            r["old_order3"] = {"seconds": t, "cpu_seconds": c, "positions_per_s": m / t, "positions": m}
        rows.append(r)
    return rows


def _positions(scene, n: int, seed: int) -> np.ndarray:
    grid = scene.grid(0.05)
    return grid[np.random.default_rng(seed).choice(len(grid), n, replace=n > len(grid))]


def loglog_slope(walls: list[int], seconds_per_position: list[float]) -> float | None:
    """Least-squares slope of log(time per position) against log(walls)."""
    if len(walls) < 2:
        return None
    return float(np.polyfit(np.log(walls), np.log(seconds_per_position), 1)[0])


def format_walls_table(rows: list[dict]) -> str:
    """One line per (family, walls): positions/s of each tracer, paths per link, memory."""
    head = (f"{'family':>7} {'walls':>6} {'N':>5} {'new':>9} {'new+cfr':>9} {'culled':>9} {'old':>9} "
            f"{'sionna':>9} {'paths/link':>10} {'culled':>7} {'sionna':>7} {'new MB':>7} {'old MB (N)':>12}")
    lines = [head, "-" * len(head)]
    for r in rows:
        tr = r["tracers"]

        def pps(name, tr=tr):
            return f"{tr[name]['positions_per_s']:>9,.1f}" if name in tr else f"{'-':>9}"
        old_mb = f"{r['old_peak_traced_mb']:,.0f} ({r['old_peak_traced_positions']})" if "old" in tr else "-"
        sion_paths = f"{tr['sionna']['paths_per_link']:>7.1f}" if "sionna" in tr else f"{'-':>7}"
        lines.append(f"{r['family']:>7} {r['walls']:>6} {r['n_positions']:>5} {pps('new')} "
                     f"{tr['new']['trace+cfr_positions_per_s']:>9,.1f} {pps('new_culled')} {pps('old')} "
                     f"{pps('sionna')} "
                     f"{tr['new']['paths_per_link']:>10.1f} {tr['new_culled']['paths_per_link']:>7.1f} {sion_paths} "
                     f"{r['new_peak_traced_mb']:>7,.0f} {old_mb:>12}")
    return "\n".join(lines)


def summarise(rows: list[dict]) -> dict:
    """Log-log slopes (walls >= 30) and the ratios of the issue (wall clock and CPU time), per family."""
    out = {}
    for fam in sorted({r["family"] for r in rows}):
        fr = sorted((r for r in rows if r["family"] == fam), key=lambda r: r["walls"])
        s = {}
        for name in ("new", "new_culled", "old", "sionna"):
            pts = [(r["walls"], r["tracers"][name]["seconds"] / r["tracers"][name]["positions"])
                   for r in fr if name in r["tracers"] and r["walls"] >= 30]
            s[f"slope_{name}"] = loglog_slope([p[0] for p in pts], [p[1] for p in pts])
        near30 = min(fr, key=lambda r: abs(r["walls"] - 30))
        big = [r for r in fr if r["walls"] >= 300]
        if big:
            r300 = big[0]
            s[f"new_paths_per_link_ratio_{r300['walls']}_vs_{near30['walls']}_walls"] = (
                r300["tracers"]["new"]["paths_per_link"] / near30["tracers"]["new"]["paths_per_link"])
            s[f"new_us_per_path_ratio_{r300['walls']}_vs_{near30['walls']}_walls"] = (
                r300["tracers"]["new"]["us_per_valid_path"] / near30["tracers"]["new"]["us_per_valid_path"])
            def cpu(r, name):  # CPU seconds per position: less sensitive than wall time to other processes
                return r["tracers"][name]["cpu_seconds"] / r["tracers"][name]["positions"]
            for name in ("new", "new_culled"):
                s[f"{name}_slowdown_{r300['walls']}_vs_{near30['walls']}_walls"] = (
                    near30["tracers"][name]["positions_per_s"] / r300["tracers"][name]["positions_per_s"])
                s[f"{name}_cpu_slowdown_{r300['walls']}_vs_{near30['walls']}_walls"] = (
                    cpu(r300, name) / cpu(near30, name))
                if "sionna" in r300["tracers"]:
                    s[f"{name}_vs_sionna_at_{r300['walls']}_walls"] = (
                        r300["tracers"][name]["positions_per_s"] / r300["tracers"]["sionna"]["positions_per_s"])
                    s[f"{name}_vs_sionna_cpu_at_{r300['walls']}_walls"] = cpu(r300, "sionna") / cpu(r300, name)
        out[fam] = s
    return out


def main_walls(args) -> dict:
    """The ``--walls`` benchmark (see the module docstring)."""
    sionna, why = _sionna() if not args.no_sionna else (None, "disabled (--no-sionna)")
    info = machine_info()
    rows = []
    jobs = [("room", w) for w in args.walls] + [("office", w) for w in args.office_walls]
    for fam, w in tqdm(jobs, desc="scenes"):
        scene = room_scene(w, args.seed) if fam == "room" else office_scene(w)
        rows.append(bench_walls_one(fam, scene, _positions(scene, args.n, args.seed), args, sionna))
        print(format_walls_table(rows[-1:]).splitlines()[-1], flush=True)
    o3 = order3_rows(args) if args.order3 else []
    info["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    result = {
        "benchmark": "simulate_walls",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {"n_positions": args.n, "seed": args.seed, "max_order": 2, "scatterers": True,
                     "cull_db": args.cull, "old_max_walls": args.old_max_walls,
                     "old_positions_beyond_54_walls": args.old_positions, "sionna_rays": args.sionna_rays,
                     "sionna_max_depth": 2, "sionna": "measured" if sionna else f"not available: {why}",
                     "repeats": args.repeats,
                     "timing": f"best of {args.repeats} runs (pruned tracer, its CFR, Sionna RT; the brute-force "
                               "oracle one run), wall clock (positions_per_s) and process CPU time of that run; "
                               f"torch threads {torch.get_num_threads()}"},
        "machine": info,
        "results": rows,
        "order3": o3,
        "summary": summarise(rows),
    }
    print(f"torch threads {torch.get_num_threads()}, load {info['load_average_1_5_15']} -> "
          f"{info['load_average_end']}; sionna: {result['settings']['sionna']}")
    print("positions/s (trace; new+cfr = trace + spherical CFR), valid paths per (position, AP), peak traced MB:")
    print(format_walls_table(rows))
    for r in o3:
        print(f"order 3, room with {r['walls']} walls: new {r['new_order3']['positions_per_s']:,.1f} pos/s "
              f"({r['new_order3']['paths_per_link']:.0f} paths/link) vs order 2 "
              f"{r['new_order2']['positions_per_s']:,.1f} ({r['new_order2']['paths_per_link']:.0f})"
              + (f"; old order 3 {r['old_order3']['positions_per_s']:,.1f} pos/s" if "old_order3" in r else ""))
    print(json.dumps(result["summary"], indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")
    return result


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scene", default="xing-indoor")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000])
    ap.add_argument("--max-order", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--walls", type=int, nargs="*", default=None, help="room-family wall counts (scaling mode)")
    ap.add_argument("--office-walls", type=int, nargs="*", default=[], help=f"office sizes {sorted(OFFICE_SIZES)}")
    ap.add_argument("--n", type=int, default=256, help="positions per scene (scaling mode)")
    ap.add_argument("--cull", type=float, default=-80.0, help="cull_db of the culled run (scaling mode)")
    ap.add_argument("--old-max-walls", type=int, default=300)
    ap.add_argument("--old-positions", type=int, default=32)
    ap.add_argument("--sionna-rays", type=float, default=1e4)
    ap.add_argument("--no-sionna", action="store_true")
    ap.add_argument("--order3", action="store_true", help="also measure order-3 cost (scaling mode)")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    if args.walls is not None or args.office_walls:
        args.walls = args.walls or []
        args.out = args.out or WALLS_OUT
        return main_walls(args)
    args.out = args.out or DEFAULT_OUT
    scene = get_scene(args.scene)
    grid = scene.grid(0.05)
    rng = np.random.default_rng(args.seed)
    info = machine_info()
    rows = []
    for n in tqdm(args.sizes, desc="batch sizes"):
        pos = grid[rng.choice(len(grid), n, replace=n > len(grid))]
        rows.append(bench_size(scene, pos, max_order=args.max_order, repeats=args.repeats))
    info["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None

    ofdm = scene.ofdm
    result = {
        "benchmark": "simulate",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {"scene": args.scene, "n_aps": len(scene.aps),
                     "n_antennas": [ap.array.n_elements for ap in scene.aps],
                     "n_subcarriers": ofdm.n_subcarriers, "max_order": args.max_order, "scatterers": True,
                     "n_scatterers": len(scene.scatterers), "sizes": args.sizes, "repeats": args.repeats,
                     "seed": args.seed, "timing": "best of repeats, wall clock"},
        "target_positions_per_s": TARGET_POS_PER_S,
        "meets_target_end_to_end": bool(all(r["positions_per_s"]["trace+cfr_spherical"] >= TARGET_POS_PER_S
                                            for r in rows)),
        "machine": info,
        "results": rows,
    }
    print(f"scene {args.scene}: {len(scene.aps)} APs x {scene.aps[0].array.n_elements} antennas x "
          f"{ofdm.n_subcarriers} subcarriers, max_order={args.max_order}, {len(scene.scatterers)} scatterers; "
          f"torch threads {torch.get_num_threads()}, load {info['load_average_1_5_15']}")
    print(format_table(rows))
    print(f"target {TARGET_POS_PER_S:,.0f} positions/s end to end: "
          f"{'met' if result['meets_target_end_to_end'] else 'NOT met'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()
