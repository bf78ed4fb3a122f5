"""Simulator throughput: positions per second of ``trace`` and ``Paths.cfr`` on CPU.

Measures, for a few batch sizes on a scene (default ``xing-indoor``: 4 APs x 8-element ULAs x
64 subcarriers, specular reflections up to order 2, point scatterers), separately:

* ``trace``: ``radiomap.channel.trace(scene, positions, max_order, scatterers=True)``
* ``cfr spherical`` / ``cfr plane``: ``paths.cfr(scene.ofdm, wavefront=...)`` on those paths
* ``trace + cfr spherical``: the end-to-end cost of ``simulate_dataset`` without noise/IO

Positions are walkable grid cells (pitch 5 cm) drawn with ``--seed``; every timing is the best
of ``--repeats`` runs (wall clock, ``time.perf_counter``). Prints a table and writes JSON with the
machine info to ``--out`` (default ``bench/results/simulate.json``).

Usage::

    python bench/simulate.py                      # sizes 1000 4000, 2 torch threads, best of 2
    python bench/simulate.py --sizes 500 --repeats 3 --threads 1 --out /tmp/sim.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

import radiomap
from radiomap.channel import trace
from radiomap.scene import get_scene

TARGET_POS_PER_S = 2000.0
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "simulate.json"


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


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scene", default="xing-indoor")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000])
    ap.add_argument("--max-order", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
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
