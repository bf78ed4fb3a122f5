"""Issue 20 diagnostics: what limits the ``large`` neural map (validation data only, never the test split).

Simulates the ``large`` preset's training set exactly as ``chatelier2025.simulate_data`` (same seed, so the
same training points), plus an independent *validation* set (its own seed, disjoint from the test drops):
noiseless channels for the per-point NMSE and a 20 dB copy for localization next to the PEB. Fits one
``neuralmap`` with ``--set KEY=VALUE`` overrides of the localizer and writes ``--out``/``diag.json``:
validation-NMSE history, wall / CPU time, load, per-point NMSE and localization error / PEB binned by
distance to the nearest Taylor-region border and by distance to the AP, and the noiseless localization
error (the map's own bias).

Usage: ``python scripts/neuralmap_large_diag.py --out DIR [--n-val 600] [--set atoms_per_region=64 ...]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import time
from pathlib import Path

import numpy as np

from radiomap.experiments.chatelier2025 import ChatelierConfig, make_scene, uniform_positions
from radiomap.limits import snr_position_error_bound
from radiomap.localize import LOCALIZERS
from radiomap.localize.neuralmap import csi_matrix, predict_map
from radiomap.localize.training import torch_threads
from radiomap.simulate import simulate_dataset

VAL_SEED = 12345


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def binned(values: np.ndarray, key: np.ndarray, edges: list[float], how) -> list[dict]:
    out = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        m = (key >= a) & (key < b)
        if m.any():
            out.append({"bin": [a, b], "n": int(m.sum()), "value": float(how(m))})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--preset", default="large")
    ap.add_argument("--n-val", type=int, default=600)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/wt20-cache"))
    ap.add_argument("--set", nargs="*", default=[], dest="overrides")
    ap.add_argument("--cfg", nargs="*", default=[], help="ChatelierConfig overrides (n_train=...)")
    ap.add_argument("--no-loc", action="store_true")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    cfg = ChatelierConfig.preset(args.preset)
    for item in args.cfg:
        k, _, v = item.partition("=")
        cfg = dataclasses.replace(cfg, **{k: type(getattr(cfg, k))(v)})
    scene = make_scene(cfg)
    height = float(scene.user_heights[0])
    lam = scene.ofdm.wavelength
    args.cache.mkdir(parents=True, exist_ok=True)
    tag = f"{args.preset}-{cfg.n_train}-{cfg.n_antennas}-{'_'.join(map(str, cfg.area))}"
    rng = np.random.default_rng(0)  # simulate_data's seed 0: the bench's training points
    x_train = uniform_positions(rng, cfg.area, cfg.n_train, height)
    train = simulate_dataset(scene, x_train, seed=0)
    vrng = np.random.default_rng(VAL_SEED)
    x_val = uniform_positions(vrng, cfg.area, args.n_val, height)
    val0 = simulate_dataset(scene, x_val)
    val20 = simulate_dataset(scene, x_val, snr_db=20.0, seed=VAL_SEED + 1)
    peb_f = args.cache / f"peb-{tag}-{args.n_val}.npy"
    if peb_f.exists():
        peb = np.load(peb_f)
    else:
        peb = snr_position_error_bound(scene, x_val, 20.0)
        np.save(peb_f, peb)
    params = {"n_regions": cfg.n_regions, "atoms_per_region": cfg.atoms_per_region,
              "region_overlap": cfg.region_overlap, "hidden": cfg.hidden,
              "epochs": cfg.epochs, "patience": cfg.patience, "batch_size": cfg.batch_size,
              "global_step": cfg.global_step, "device": "cpu", "seed": 0}
    for item in args.overrides:
        k, _, v = item.partition("=")
        params[k] = type(params.get(k, 0.0))(v) if k in params else float(v) if "." in v else int(v)
    load0 = os.getloadavg()
    with torch_threads(cfg.torch_threads):
        t, c = time.perf_counter(), cpu_s()
        loc = LOCALIZERS.get("neuralmap")(**params).fit(train)
        fit_wall, fit_cpu = time.perf_counter() - t, cpu_s() - c
        load1 = os.getloadavg()
        model = loc.model_
        h_tr = csi_matrix(train) / loc.scale_
        p_tr = predict_map(model, x_train)
        train_nmse = float(10 * np.log10(np.sum(np.abs(p_tr - h_tr) ** 2) / np.sum(np.abs(h_tr) ** 2)))
        del h_tr, p_tr
        truth = csi_matrix(val0) / loc.scale_
        pred = predict_map(model, x_val)
        e_pt = np.sum(np.abs(pred - truth) ** 2, axis=(1, 2))
        s_pt = np.sum(np.abs(truth) ** 2, axis=(1, 2))
        lo, hi = loc.lo_, loc.hi_
        r = cfg.n_regions
        edges_x = lo[0] + (hi[0] - lo[0]) * np.arange(1, r) / r
        edges_y = lo[1] + (hi[1] - lo[1]) * np.arange(1, r) / r
        dx = np.min(np.abs(x_val[:, :1] - edges_x[None]), axis=1) if r > 1 else np.full(len(x_val), np.inf)
        dy = np.min(np.abs(x_val[:, 1:2] - edges_y[None]), axis=1) if r > 1 else np.full(len(x_val), np.inf)
        d_border = np.minimum(dx, dy)
        d_ap = np.linalg.norm(x_val - np.asarray(scene.aps[0].position)[None], axis=1)
        res = {"params": params, "cfg": dataclasses.asdict(cfg), "fit_wall_s": fit_wall, "fit_cpu_s": fit_cpu,
               "load_before": load0, "load_after_fit": load1,
               "val_nmse_db_internal": loc.fit_info_.training["map"]["best_val"],
               "epochs_run": loc.fit_info_.training["map"]["epochs_run"],
               "history": loc.fit_info_.objective,
               "train_nmse_db (all training points)": train_nmse,
               "val_set_nmse_db": float(10 * np.log10(e_pt.sum() / s_pt.sum())),
               "nmse_vs_border": binned(e_pt, d_border, [0, 0.05, 0.15, 0.3, 0.5, 10],
                                        lambda m: 10 * np.log10(e_pt[m].sum() / s_pt[m].sum())),
               "nmse_vs_ap": binned(e_pt, d_ap, [0, 7, 8, 9, 10, 20],
                                    lambda m: 10 * np.log10(e_pt[m].sum() / s_pt[m].sum()))}
        if not args.no_loc:
            t, c = time.perf_counter(), cpu_s()
            p20 = loc.predict(val20)
            p0 = loc.predict(val0)
            res["loc_wall_s"], res["loc_cpu_s"] = time.perf_counter() - t, cpu_s() - c
            e20 = np.linalg.norm(p20[:, :2] - x_val[:, :2], axis=1)
            e0 = np.linalg.norm(p0[:, :2] - x_val[:, :2], axis=1)
            pm = np.median(peb)
            res.update({
                "median20_over_peb": float(np.median(e20) / pm), "p90_20_over_peb90": float(
                    np.quantile(e20, 0.9) / np.quantile(peb, 0.9)),
                "frac20_lt_lam4": float(np.mean(e20 < lam / 4)),
                "median0_over_peb20": float(np.median(e0) / pm), "median0_m": float(np.median(e0)),
                "median20_m": float(np.median(e20)), "peb_median_m": float(pm),
                "ratio20_vs_border": binned(e20, d_border, [0, 0.05, 0.15, 0.3, 0.5, 10],
                                            lambda m: np.median(e20[m] / peb[m])),
                "ratio20_vs_ap": binned(e20, d_ap, [0, 7, 8, 9, 10, 20], lambda m: np.median(e20[m] / peb[m])),
                "bias0_vs_border": binned(e0, d_border, [0, 0.05, 0.15, 0.3, 0.5, 10],
                                          lambda m: np.median(e0[m] / peb[m])),
                "bias0_vs_ap": binned(e0, d_ap, [0, 7, 8, 9, 10, 20], lambda m: np.median(e0[m] / peb[m])),
            })
            np.savez(args.out / "val_loc.npz", x=x_val, p20=p20, p0=p0, peb=peb, e_pt=e_pt, s_pt=s_pt)
    res["load_end"] = os.getloadavg()
    (args.out / "diag.json").write_text(json.dumps(res, indent=1, default=float))
    short = {k: v for k, v in res.items() if not isinstance(v, list | dict) or k.endswith(("border", "ap"))}
    print(json.dumps(short, indent=1, default=float))


if __name__ == "__main__":
    main()
