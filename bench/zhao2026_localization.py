"""The localization half of ``radiomap bench zhao2026`` (issue 17 item 3): the four networks and WKNN under the
report's one training rule (equal maximum epochs, early stopping on validation, no wall-clock cap), their
ranking, epochs to convergence and learning curves, in a few minutes instead of the whole bench.

    python bench/zhao2026_localization.py [--seed 0] [--out bench/zhao2026_localization.json]

Uses the stage functions of :mod:`radiomap.experiments.zhao2026` (same data, same settings as the ``cpu``
report); writes JSON with machine info, per method the 3-D error summary, fit time, epochs, best epoch, stop
reason and the per-epoch history.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from radiomap.eval import error_summary
from radiomap.eval.report import machine_info
from radiomap.experiments import zhao2026 as z
from radiomap.localize.loanet import get_preset
from radiomap.localize.training import torch_threads
from radiomap.scene import get_scene


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".json"))
    args = ap.parse_args()
    st = z.CPU_SETTINGS
    preset = get_preset(st.preset)
    scene = get_scene(z.SCENE)
    rng = np.random.default_rng(args.seed)
    kw = {"n_taps": preset.n_taps, "eta": preset.eta, "meta": {"seed": args.seed, "experiment": "zhao2026"}}
    t0 = time.perf_counter()
    with torch_threads(st.threads):
        data = z.make_fingerprints(scene, st, kw, rng)
        common = {"preset": st.preset, "seed": args.seed, "device": "cpu", "progress": False,
                  "max_time_s": st.budget_reg_s}
        loc = z.fit_localizers(data, st, common)
    rows = []
    for name, err in sorted(loc.errors.items(), key=lambda kv: kv[1].mean()):
        info = loc.methods[name].fit_info_.training.get("regressor", {}) if name in loc.methods else {}
        rows.append({"method": name, **error_summary(err), **loc.fit_rows.get(name, {}),
                     "best_epoch": info.get("best_epoch"), "best_val": info.get("best_val"),
                     "history": info.get("history")})
    print(f"zhao2026 localization, cpu preset, rule: max {preset.train_reg.epochs} epochs, patience "
          f"{preset.train_reg.patience}, cap {st.budget_reg_s} s")
    print(f"{'method':<13}{'mean':>7}{'median':>8}{'fit s':>8}{'epochs':>8}{'best':>6}  stopped")
    for r in rows:
        print(f"{r['method']:<13}{r['mean']:>7.3f}{r['median']:>8.3f}{r.get('fit_s') or 0:>8.1f}"
              f"{r.get('epochs') or 0:>8}{r['best_epoch'] if r['best_epoch'] is not None else '-':>6}  "
              f"{r.get('stopped') or '-'}")
    out = {"benchmark": "zhao2026_localization", "seed": args.seed, "settings": {
        "grid_m": st.grid_m, "n_test": st.n_test, "budget_reg_s": st.budget_reg_s,
        "epochs": preset.train_reg.epochs, "patience": preset.train_reg.patience,
        "val_fraction": preset.train_reg.val_fraction, "threads": st.threads},
        "runtime_s": time.perf_counter() - t0, "machine": machine_info(), "results": rows}
    args.out.write_text(json.dumps(out, indent=1, default=float))
    print(f"wrote {args.out} ({out['runtime_s']:.0f} s)")


if __name__ == "__main__":
    main()
