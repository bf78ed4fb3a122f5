"""LOA-Net at the ``paper`` configuration end to end on one GPU (about 10 minutes of device time).

    python bench/loanet_paper.py [--budget-reg 240] [--budget-tdc 120] [--speeds 5] [--out FILE]
    python bench/loanet_paper.py --small          # reduced size on CPU (CI, tests): seconds

Full size (the default; needs CUDA, refuses to start without it unless ``--device cpu``): the
``zhao-tbf`` scene on the 1 m training grid (4800 TBFs here; the seed's QuaDRiGa floor had 5043),
2100 random test points, the ``paper`` preset (144 delay taps, hidden 256, DE-MaskDETR 4 + 2 layers,
Fusion-TDC 4 + 2 layers, the seed's batch sizes and learning rates). It trains DE-MaskDETR-Reg
(wall-clock budget ``--budget-reg`` s, early stopping on a held-out 10 % of the grid) and, at each
of ``--speeds`` (km/h), Fusion-TDC over SNRs uniform in 0-20 dB (``--budget-tdc`` s). It reports
the localization error at every SNR, direction accuracy with DE-MaskDETR coordinates and the
template ceiling at every speed and SNR, timings and the machine, as JSON (``--out``).

Planned device time (an estimate; this script has not yet run on a GPU): data and Doppler profiles ~3 min
(tracing, TBFs and the 4800 x 16 direction profiles run on the CPU), DE-MaskDETR 240 s, Fusion-TDC 120 s
per speed, testing ~1 min: ~10 min at one speed. The JSON's ``timings`` say where the time went.

``--small``: 12 m grid, 12 test points, 8 direction positions, one epoch each, 0 and 20 dB, on the CPU (1 thread);
the same code path and the same networks, for tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from radiomap.eval import error_summary, position_errors
from radiomap.eval.report import machine_info
from radiomap.experiments import zhao2026 as z
from radiomap.localize.loanet import LOANet, get_preset
from radiomap.scene import get_scene

SMALL = dict(grid_m=12.0, n_test=12, n_dir_train_pos=8, snrs_db=(0.0, 20.0), budget_reg_s=1.0, budget_tdc_s=1.0)


def settings(args) -> z.Settings:
    """The ``paper`` sizes, or the reduced ones of ``--small``."""
    st = dataclasses.replace(z.FULL_SETTINGS, speeds_kmh=tuple(args.speeds), snr_sweep_speed_kmh=args.speeds[0],
                             budget_reg_s=args.budget_reg, budget_tdc_s=args.budget_tdc)
    return dataclasses.replace(st, **SMALL, threads=1) if args.small else st


def run(args) -> dict:
    st = settings(args)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    timings, started = {}, time.perf_counter()
    rng = np.random.default_rng(args.seed)
    scene = get_scene(z.SCENE)
    preset = get_preset(st.preset)
    kw = {"n_taps": preset.n_taps, "eta": preset.eta, "meta": {"seed": args.seed, "experiment": "loanet_paper"}}
    t0 = time.perf_counter()
    data = z.make_fingerprints(scene, st, kw, rng)
    timings["data_s"] = time.perf_counter() - t0
    common = {"preset": st.preset, "seed": args.seed, "device": device, "progress": False}
    t0 = time.perf_counter()
    de = LOANet(backbone="de", max_time_s=st.budget_reg_s, **common).fit(data.train)
    timings["de_maskdetr_fit_s"] = time.perf_counter() - t0
    test = data.tests[st.snr_train_db]
    pred = de.predict(test)
    loc = z.Localization({"de-maskdetr": de}, {"de-maskdetr": pred}, {}, {})
    loc_rows = [{"SNR (dB)": snr, **error_summary(position_errors(de.predict(ds), data.test_pos, dims=3))}
                for snr, ds in data.tests.items()]
    reg = de.fit_info_.training["regressor"]
    t0 = time.perf_counter()
    direction = z.direction_task(scene, data, loc, st, preset.tdc.n_classes, kw,
                                 {"seed": args.seed, "device": device, "progress": False}, rng)
    timings["direction_s"] = time.perf_counter() - t0
    timings["total_s"] = time.perf_counter() - started
    return {
        "benchmark": "loanet_paper", "small": args.small, "device": device,
        "gpu": torch.cuda.get_device_name(0) if device.startswith("cuda") else None,
        "settings": {"preset": st.preset, "grid_m": st.grid_m, "n_train": len(data.train_pos),
                     "n_test": len(data.test_pos), "speeds_kmh": list(st.speeds_kmh), "snrs_db": list(st.snrs_db),
                     "dir_train_snr_db": st.dir_train_snr_db, "budget_reg_s": st.budget_reg_s,
                     "budget_tdc_s": st.budget_tdc_s, "n_taps": preset.n_taps, "hidden": preset.de.hidden},
        "localization_vs_snr": loc_rows,
        "de_maskdetr_training": {k: reg[k] for k in ("epochs_run", "best_epoch", "best_val", "stopped",
                                                     "train_time_s", "samples_per_s")},
        "direction_vs_speed": direction.rows, "direction_vs_snr": direction.vs_snr,
        "direction_training": {str(k): v for k, v in direction.training.items()},
        "complexity": {"de-maskdetr": de.network_cost(test), "fusion-tdc": direction.estimator.network_cost()},
        "timings": timings, "machine": machine_info(),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="reduced size on the CPU (tests)")
    ap.add_argument("--budget-reg", type=float, default=240.0, help="DE-MaskDETR wall-clock budget (s)")
    ap.add_argument("--budget-tdc", type=float, default=120.0, help="Fusion-TDC budget per speed (s)")
    ap.add_argument("--speeds", type=float, nargs="+", default=[5.0], help="direction speeds (km/h)")
    ap.add_argument("--device", default=None, help="torch device (default: cuda if available; cpu with --small)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="report JSON (default bench/results/loanet_paper*.json)")
    args = ap.parse_args(argv)
    if args.small:
        args.device = args.device or "cpu"
    elif args.device is None and not torch.cuda.is_available():
        print("loanet_paper: no CUDA device; the paper size needs a GPU (use --small, or --device cpu to force)",
              file=sys.stderr)
        return 2
    out = args.out or Path(__file__).with_name("results") / ("loanet_paper_small.json" if args.small
                                                             else "loanet_paper.json")
    threads = 1 if args.small else None
    with z.torch_threads(threads):
        report = run(args)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=float))
    d = {r["speed (km/h)"]: r for r in report["direction_vs_speed"]}
    print(f"loanet_paper ({'small' if args.small else 'paper'}, {report['device']}): "
          f"DE-MaskDETR mean {report['localization_vs_snr'][-1]['mean']:.2f} m at 20 dB; direction "
          + ", ".join(f"{s:g} km/h {r['Fusion-TDC (%)']:.1f} % (ceiling {r['template ceiling (%)']:.1f} %)"
                      for s, r in d.items())
          + f"; {report['timings']['total_s']:.0f} s; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
