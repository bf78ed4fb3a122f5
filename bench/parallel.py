"""Parallel execution through ``radiomap.parallel``: speed-up, memory per worker, overhead per shard.

Measures on this machine, with a Dask ``LocalCluster`` of single-threaded worker processes:

* ``simulate``: ``radiomap.simulate.simulate_file`` of ``--n`` positions of ``--scene`` (default
  ``office-floor``, 308 walls, 4 APs x 8 antennas x 64 subcarriers, order ``--order``) in shards of
  ``--shard-size``, in process and on 1 and 2 workers (cluster started before the clock): wall time,
  speed-up, seconds per shard on the worker, the single writer's time, peak RSS per worker, and the
  scheduling overhead per shard (wall time on one worker minus shard and writer time, per shard); the
  three files must be identical byte for byte;
* ``writer``: the single writer's time per position at the office's CSI size (``xing-indoor`` at order 0,
  ``--writer-n`` positions, in process);
* ``overhead``: ``--tasks`` empty tasks through ``DaskExecutor.map`` (ms per task);
* ``sweep``: ``radiomap.experiments.sweep.sweep`` of ``--sweep`` over 2 seeds on 1 and 2 workers;
* ``rss`` (with ``--rss N1 N2``): peak RSS of ``radiomap simulate`` in a subprocess (``getrusage`` of the
  child) on a 1-antenna, 8-subcarrier variant of ``xing-indoor`` at order 0, for each N.

From the one-worker cost per position and the writer's cost per position it prints an estimate for
``--estimate-n`` positions on ``--estimate-workers`` workers. The machine's load average is recorded at
the start and end of every section (other users' load slows the workers). Prints a table and writes JSON
with machine info to ``--out`` (default ``bench/results/parallel.json``).

Usage::

    python bench/parallel.py                                   # office-floor, 256 positions, xing2025 sweep
    python bench/parallel.py --sections simulate --rss 10000 1000000
    python bench/parallel.py --sections sweep --out bench/results/parallel_sweep.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import radiomap


def machine_info() -> dict:
    """Platform, CPU count and affinity, library versions and the load at start."""
    import dask

    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "cpu_count": os.cpu_count(),
            "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "numpy": np.__version__, "dask": dask.__version__, "radiomap": radiomap.__version__,
            "load_average_1_5_15": list(os.getloadavg())}


def _noop(x):
    return x


def _warm(scene: dict) -> None:
    """Import the tracer and CFR code (torch) in this process: first-call costs stay out of the timings."""
    from radiomap.scene import Scene
    from radiomap.simulate import simulate_dataset

    sc = Scene.from_dict(scene)
    simulate_dataset(sc, sc.grid(1.0)[:4], max_order=0)


def warm(ex, scene) -> None:
    """:func:`_warm` on every worker of ``ex`` (or in this process)."""
    if hasattr(ex, "client"):
        ex.client.run(_warm, scene.to_dict())
    else:
        _warm(scene.to_dict())


def bench_simulate(args, tmp: Path) -> dict:
    from radiomap.parallel import executor
    from radiomap.scene import get_scene
    from radiomap.simulate import simulate_file

    scene = get_scene(args.scene)
    cand = scene.grid(0.25)
    pos = cand[np.random.default_rng(0).choice(len(cand), size=args.n, replace=len(cand) < args.n)]
    runs, files = [], []
    for workers in (None, 1, 2):
        t0 = time.perf_counter()
        with executor(workers) as ex:
            startup = time.perf_counter() - t0
            warm(ex, scene)
            load0 = os.getloadavg()[0]
            out = tmp / f"sim-{workers or 0}.h5"
            t1 = time.perf_counter()
            done = simulate_file(scene, pos, out, max_order=args.order, snr_db=20.0, seed=0,
                                 shard_size=args.shard_size, executor=ex)
            wall = time.perf_counter() - t1
        files.append(out.read_bytes())
        shard = float(np.sum(done["shard_s"]))
        cpu = float(np.sum(done["shard_cpu_s"]))
        runs.append({"workers": workers or 0, "mode": "in-process" if workers is None else f"{workers} worker(s)",
                     "startup_s": startup, "wall_s": wall, "shards": done["shards"],
                     "shard_s_median": float(np.median(done["shard_s"])), "shard_s_sum": shard,
                     "shard_cpu_s_sum": cpu,
                     "write_s": done["write_s"], "worker_max_rss_mb": max(done["worker_max_rss_mb"]),
                     "overhead_per_shard_s": (wall - shard - done["write_s"]) / done["shards"] if workers == 1
                     else None,
                     "efficiency": shard / ((workers or 1) * (wall - done["write_s"])),
                     "load_start": load0, "load_end": os.getloadavg()[0]})
    by = {r["workers"]: r for r in runs}
    return {"scene": scene.name, "n": args.n, "order": args.order, "shard_size": args.shard_size, "runs": runs,
            "identical_files": all(f == files[0] for f in files),
            "speedup_2_vs_1_worker": by[1]["wall_s"] / by[2]["wall_s"],
            "speedup_2_workers_vs_in_process": by[0]["wall_s"] / by[2]["wall_s"],
            "s_per_position_1_worker": by[1]["shard_s_sum"] / args.n,
            "cpu_s_per_position_1_worker": by[1]["shard_cpu_s_sum"] / args.n}


def bench_writer(args, tmp: Path) -> dict:
    """The single writer's cost per position at CSI of the office's size (4 APs x 8 x 64), at order 0."""
    from radiomap.scene import get_scene
    from radiomap.simulate import simulate_file

    scene = get_scene("xing-indoor")
    cand = scene.grid(0.05)
    pos = cand[np.random.default_rng(0).choice(len(cand), size=args.writer_n, replace=False)]
    _warm(scene.to_dict())
    done = simulate_file(scene, pos, tmp / "writer.h5", max_order=0, snr_db=20.0, seed=0)
    size = (tmp / "writer.h5").stat().st_size
    (tmp / "writer.h5").unlink()
    return {"scene": scene.name, "n": args.writer_n, "write_s": done["write_s"], "file_mb": size / 1e6,
            "write_s_per_position": done["write_s"] / args.writer_n, "load_end": os.getloadavg()[0]}


def bench_overhead(args) -> dict:
    from radiomap.parallel import executor

    out = {}
    for workers in (1, 2):
        with executor(workers) as ex:
            list(ex.map(_noop, range(10)))  # warm-up
            t0 = time.perf_counter()
            list(ex.map(_noop, range(args.tasks)))
            out[f"{workers}_workers_ms_per_task"] = 1e3 * (time.perf_counter() - t0) / args.tasks
    return out | {"tasks": args.tasks, "load": os.getloadavg()[0]}


def bench_sweep(args, tmp: Path) -> dict:
    from radiomap.experiments import EXPERIMENTS
    from radiomap.experiments.sweep import sweep
    from radiomap.parallel import executor

    run = EXPERIMENTS.get(args.sweep)
    rows = []
    for workers in (1, 2):
        load0 = os.getloadavg()[0]
        with executor(workers) as ex:
            t0 = time.perf_counter()
            _, failures = sweep(run, args.sweep, tmp / f"sweep-{workers}", [0, 1], [{}], executor=ex)
            rows.append({"workers": workers, "wall_s": time.perf_counter() - t0, "failed": len(failures),
                         "load_start": load0, "load_end": os.getloadavg()[0]})
    return {"experiment": args.sweep, "seeds": [0, 1], "runs": rows, "speedup": rows[0]["wall_s"] / rows[1]["wall_s"]}


def bench_rss(args, tmp: Path) -> dict:
    from radiomap.scene import Scene, get_scene, save_scene

    d = get_scene("xing-indoor").to_dict()
    d["name"], d["ofdm"]["n_subcarriers"] = "xing-1x8", 8
    for ap in d["aps"]:
        ap["array"]["n"] = 1
    scene = tmp / "xing-1x8.toml"
    save_scene(Scene.from_dict(d), scene)
    rows = []
    for n in args.rss:
        code = ("import sys; from radiomap.cli import main; from radiomap.parallel import peak_rss_mb\n"
                "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    assert e.code == 0\n"
                "print(peak_rss_mb())")
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-c", code, "-q", "simulate", str(scene), "--positions", "random", "--n",
                            str(n), "--max-order", "0", "--snr", "20", "-o", str(tmp / f"rss-{n}.h5")],
                           capture_output=True, text=True, check=True)
        rows.append({"n": n, "peak_rss_mb": float(r.stdout.split()[-1]), "wall_s": time.perf_counter() - t0,
                     "load_end": os.getloadavg()[0]})
        (tmp / f"rss-{n}.h5").unlink()
    return {"scene": "xing-indoor, 1 antenna, 8 subcarriers, order 0", "runs": rows,
            "ratio_largest_vs_smallest": rows[-1]["peak_rss_mb"] / rows[0]["peak_rss_mb"]}


def estimate(sim: dict, writer: dict, n: int, workers: int) -> dict:
    """Time for ``n`` positions on ``workers`` workers: tracing spread over the workers, overlapped with the writer.

    Tracing uses the CPU time per position of the one-worker run (a core of its own per worker); the
    wall time measured here is inflated by the other load on this machine.
    """
    trace = n * sim["cpu_s_per_position_1_worker"] / workers
    write = n * writer["write_s_per_position"]
    return {"n": n, "workers": workers, "trace_h": trace / 3600, "writer_h": write / 3600,
            "total_h": max(trace, write) / 3600, "file_gb": n * writer["file_mb"] / writer["n"] / 1e3}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scene", default="office-floor")
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--order", type=int, default=2)
    ap.add_argument("--shard-size", type=int, default=32)
    ap.add_argument("--tasks", type=int, default=200)
    ap.add_argument("--writer-n", type=int, default=8192, help="positions of the writer-cost run")
    ap.add_argument("--sections", default="simulate,sweep", help="comma-separated: simulate (with writer, "
                    "overhead and estimate), sweep")
    ap.add_argument("--sweep", default="xing2025", help="experiment of the 2-seed sweep")
    ap.add_argument("--rss", type=int, nargs="*", default=[], help="sizes N of the peak-RSS runs")
    ap.add_argument("--estimate-n", type=int, default=10**7)
    ap.add_argument("--estimate-workers", type=int, default=64)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("results") / "parallel.json")
    args = ap.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
    result = {"benchmark": "parallel", "machine": machine_info()}
    sections = set(args.sections.split(","))
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if "simulate" in sections:
            result["simulate"] = bench_simulate(args, tmp)
            result["writer"] = bench_writer(args, tmp)
            result["overhead"] = bench_overhead(args)
            result["estimate"] = estimate(result["simulate"], result["writer"], args.estimate_n,
                                          args.estimate_workers)
        if "sweep" in sections:
            result["sweep"] = bench_sweep(args, tmp)
        if args.rss:
            result["rss"] = bench_rss(args, tmp)
    result["machine"]["load_average_end"] = list(os.getloadavg())
    report(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))


def report(result: dict) -> None:
    """Print the measured tables."""
    if "simulate" in result:
        report_simulate(result)
    if "sweep" in result:
        sw = result["sweep"]
        print(f"sweep {sw['experiment']} seeds 0,1: " + ", ".join(
            f"{r['workers']} worker(s) {r['wall_s']:.1f} s (load {r['load_start']:.1f})" for r in sw["runs"])
            + f"; speed-up {sw['speedup']:.2f}x")
    if "rss" in result:
        print("peak RSS: " + ", ".join(f"N={r['n']}: {r['peak_rss_mb']:.0f} MB" for r in result["rss"]["runs"])
              + f"; ratio {result['rss']['ratio_largest_vs_smallest']:.2f}x")
    print(f"load average at end {result['machine']['load_average_end']}")


def report_simulate(result: dict) -> None:
    """Print the simulate, writer, overhead and estimate results."""
    sim = result["simulate"]
    print(f"simulate {sim['scene']}, {sim['n']} positions, order {sim['order']}, shards of {sim['shard_size']} "
          f"(identical files: {sim['identical_files']})")
    print(f"{'mode':<14}{'wall s':>9}{'shard s':>9}{'write s':>9}{'RSS MB':>8}{'ovh/shard s':>12}{'effic.':>7}"
          f"{'load':>6}")
    for r in sim["runs"]:
        ovh = "-" if r["overhead_per_shard_s"] is None else f"{r['overhead_per_shard_s']:.3f}"
        print(f"{r['mode']:<14}{r['wall_s']:>9.2f}{r['shard_s_median']:>9.2f}{r['write_s']:>9.2f}"
              f"{r['worker_max_rss_mb']:>8.0f}{ovh:>12}{r['efficiency']:>7.2f}{r['load_start']:>6.1f}")
    print(f"one worker: {sim['s_per_position_1_worker']:.3f} s wall, {sim['cpu_s_per_position_1_worker']:.3f} s CPU "
          "per position")
    w = result["writer"]
    print(f"writer: {w['n']} positions of {w['scene']} ({w['file_mb']:.0f} MB) in {w['write_s']:.2f} s = "
          f"{1e3 * w['write_s_per_position']:.3f} ms per position")
    print(f"speed-up 2 vs 1 worker {sim['speedup_2_vs_1_worker']:.2f}x, vs in-process "
          f"{sim['speedup_2_workers_vs_in_process']:.2f}x; empty task "
          f"{result['overhead']['1_workers_ms_per_task']:.1f} ms (1 worker), "
          f"{result['overhead']['2_workers_ms_per_task']:.1f} ms (2 workers)")
    e = result["estimate"]
    print(f"estimate {e['n']:.0e} positions on {e['workers']} workers: tracing {e['trace_h']:.2f} h, single "
          f"writer {e['writer_h']:.2f} h, overlapped: {e['total_h']:.2f} h ({e['file_gb']:.0f} GB)")


if __name__ == "__main__":
    main()
