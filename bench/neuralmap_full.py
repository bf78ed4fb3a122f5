"""One sized run of the chatelier2025 reproduction (seeds 001/003) with its wall time and peak memory.

The default is the ``full`` configuration for one GPU: 10 m x 10 m plane, 64-antenna ULA, 5 x 5 Taylor
regions, 40,000 training points, 10,000 test points at 20 and 5 dB (reconstruction NMSE on the lambda/4
grid of the whole plane, localization next to the position-error bound, fingerprint and MLP baselines).
``--preset`` picks another size (``cpu``, ``medium``, ``large``; see ``ChatelierConfig``), ``--scene`` the
NLOS variant, and ``--small`` shrinks the chosen preset to seconds on a CPU (for tests; same code path:
64 antennas and 2 x 2 regions for ``full``).

Writes the chatelier2025 report into ``--out``/``report`` (``report.md``, ``report.json``, ``report.html``,
figures) and ``--out``/``bench.json``: machine, configuration, wall and CPU time (all threads of the
process), the load average (1-minute at the start, 15-minute at the end), peak resident memory of the
process (and of the GPU when one is used) and the headline numbers.

Usage: ``python bench/neuralmap_full.py [--preset full] [--scene chatelier-plane] [--small] --out DIR``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import sys
import time
from pathlib import Path

import torch

from radiomap.eval.report import machine_info
from radiomap.experiments.chatelier2025 import PRESETS, ChatelierConfig, run

SMALL = {"area": (4.5, 4.5, 5.3, 5.3), "n_train": 800, "n_test": 100, "n_regions": 2, "atoms_per_region": 8,
         "hidden": 32, "epochs": 15, "patience": 15, "batch_size": 128, "mlp_baselines": False,
         "fingerprints": ("nn-pi",), "global_step": 0.5, "device": "cpu", "torch_threads": 1}
"""``--small``: the preset's antennas and scene, a 0.8 m x 0.8 m patch, a few epochs (seconds on a CPU)."""


def configure(preset: str, scene: str, small: bool, device: str | None, overrides: list[str] = ()) -> ChatelierConfig:
    """The run's configuration.

    Parameters
    ----------
    preset : str
        A ``chatelier2025.PRESETS`` name.
    scene : str
        Scene preset.
    small : bool
        Shrink to ``SMALL``.
    device : str or None
        Override the torch device.
    overrides : list of str
        ``KEY=VALUE`` for scalar ``ChatelierConfig`` fields (cast to the field's type).

    Returns
    -------
    ChatelierConfig
    """
    cfg = dataclasses.replace(ChatelierConfig.preset(preset), scene=scene)
    if small:
        cfg = dataclasses.replace(cfg, **SMALL)
    if device is not None:
        cfg = dataclasses.replace(cfg, device=device)
    changes = {}
    for item in overrides:
        key, _, value = item.partition("=")
        current = getattr(cfg, key, None)
        if not value or not isinstance(current, int | float | str) or isinstance(current, bool):
            raise SystemExit(f"--set {item!r}: expected KEY=VALUE for a scalar ChatelierConfig field")
        changes[key] = type(current)(value)
    return dataclasses.replace(cfg, **changes)


def headline(tables: dict) -> dict:
    """Numbers of the scaling table from a report's tables.

    Parameters
    ----------
    tables : dict
        ``Report.tables``.

    Returns
    -------
    dict
        ``grid_nmse_db`` and ``fit_time_s`` of the model-based map, and per ``"<method> @ <SNR> dB"``
        its median (m), median / PEB median, p90 / PEB p90 and time per query (ms); ``nlos`` the same
        restricted to the NLOS test points when the area has some.
    """
    rec = next(r for r in tables["reconstruction"]["rows"] if r["model"].startswith("model-based"))
    keys = ("median (m)", "median / PEB median", "p90 / PEB p90", "PEB median (m)")
    out = {"grid_nmse_db": rec["grid NMSE (dB)"], "fit_time_s": rec["fit time (s)"], "localization": {
        f"{r['method']} @ {r['SNR (dB)']:g} dB": {**{k: r[k] for k in keys}, "time/query (ms)": r["time/query (ms)"]}
        for r in tables["localization"]["rows"]}}
    if "by_los_region" in tables:
        out["nlos"] = {f"{r['method']} @ {r['SNR (dB)']:g} dB": {"points": r["points"], **{k: r[k] for k in keys}}
                       for r in tables["by_los_region"]["rows"] if r["part"] == "NLOS"}
    return out


def main(argv: list[str] | None = None) -> dict:
    """Run one configuration and write its report and ``bench.json``.

    Parameters
    ----------
    argv : list of str or None
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    dict
        The content of ``bench.json``.
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True,
                    help="folder for report/ (replaced if radiomap wrote it) and bench.json")
    ap.add_argument("--preset", choices=PRESETS, default="full")
    ap.add_argument("--scene", default="chatelier-plane")
    ap.add_argument("--small", action="store_true", help="shrink to seconds on a CPU (tests)")
    ap.add_argument("--device", default=None, help="torch device (default: the preset's, auto = CUDA if present)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a scalar ChatelierConfig field (repeatable)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--progress", action="store_true")
    args = ap.parse_args(argv)
    cfg = configure(args.preset, args.scene, args.small, args.device, args.set)
    t0, c0, load0 = time.perf_counter(), time.process_time(), os.getloadavg()[0]
    args.out.mkdir(parents=True, exist_ok=True)
    report = run(args.out / "report", config=cfg, seed=args.seed, progress=args.progress, overwrite=True)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    result = {"benchmark": "neuralmap_full", "preset": args.preset, "overrides": args.set, "small": args.small,
              "scene": args.scene, "seed": args.seed, "machine": machine_info(), "config": dataclasses.asdict(cfg),
              "wall_time_s": elapsed, "cpu_time_s": cpu,
              "load_average": {"start": load0, "end_15min": os.getloadavg()[2]},
              "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
              "peak_gpu_gb": torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None,
              **headline(report.tables)}
    (args.out / "bench.json").write_text(json.dumps(result, indent=2, default=float))
    nm = result["localization"]["neuralmap @ 20 dB"]
    print(f"{args.preset}{' (small)' if args.small else ''}: grid NMSE {result['grid_nmse_db']:.1f} dB, neuralmap "
          f"median {nm['median (m)']:.3g} m = {nm['median / PEB median']:.2f} x PEB at 20 dB, "
          f"{elapsed:.0f} s, peak RSS {result['peak_rss_gb']:.2f} GB -> {args.out}")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
