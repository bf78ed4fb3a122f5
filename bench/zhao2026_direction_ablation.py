"""Why Fusion-TDC stays below the template ceiling: one-factor ablations on VALIDATION data.

    OMP_NUM_THREADS=1 python bench/zhao2026_direction_ablation.py [VARIANT ...] [--speed 5] [--budget 90]
                                                                 [--out bench/results/zhao2026_direction_ablation.jsonl]
    OMP_NUM_THREADS=1 python bench/zhao2026_direction_ablation.py --spatial   # templates of other points

The ``zhao-tbf`` training grid of the ``cpu`` configuration (2 m, 1200 positions) is split by position:
a seeded 20 % (240 positions) is held out for validation and never trained on; the direction training
set is the other 960 positions x 16 headings (the test split of ``radiomap bench zhao2026`` is not
touched). Validation: every held-out position at one uniform random heading, Doppler profiles at 0 and
20 dB, true coordinates; the template ceiling of the same noisy profiles is reported with each. Each
variant changes one thing of ``base`` (:data:`BASE`: the ``cpu`` preset as it was before this ablation,
trained over 0-20 dB; ``small-fast+no-smoothing`` is the ``cpu`` preset adopted from it) under the same wall-clock
budget (``--budget`` s, 1 thread); one JSON line per variant is appended to ``--out``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import torch

from radiomap.data import CSIDataset
from radiomap.eval import accuracy
from radiomap.experiments import zhao2026 as z
from radiomap.features import beamspace as bs
from radiomap.features.tbf import tb_shapes
from radiomap.localize.loanet import CPU, FusionTDCDirection, heading_to_class
from radiomap.mobility import random_headings
from radiomap.scene import get_scene

VAL_FRACTION = 0.2
VAL_SNRS = (0.0, 20.0)
_CACHE: dict = {}  # training sets and templates shared by the variants of one process


def _tdc(**kw):
    return lambda p: dataclasses.replace(p, tdc=dataclasses.replace(p.tdc, **kw))


def _train(**kw):
    return lambda p: dataclasses.replace(p, train_tdc=dataclasses.replace(p.train_tdc, **kw))


BASE = dataclasses.replace(  # the cpu preset before this ablation (what every variant changes one thing of)
    CPU, tdc=dataclasses.replace(CPU.tdc, hidden=64, ffn=128, enc_layers=2, smoothing=0.1),
    train_tdc=dataclasses.replace(CPU.train_tdc, batch_size=64, lr=1e-3))
# name -> (preset changes, Settings changes, budget factor, share of the training positions)
VARIANTS = {
    "base": ({}, {}, 1.0, 1.0),
    "snr20-only": ({}, {"dir_train_snr_db": None}, 1.0, 1.0),
    "random-headings": ({}, {"dir_headings": "random"}, 1.0, 1.0),
    "linear-doppler": ({"tdc": _tdc(log_doppler=False)}, {}, 1.0, 1.0),
    "all-doppler-bins": ({"tdc": _tdc(doppler_bins=0)}, {}, 1.0, 1.0),
    "no-standardize": ({"tdc": _tdc(standardize=False)}, {}, 1.0, 1.0),
    "no-smoothing": ({"tdc": _tdc(smoothing=0.0)}, {}, 1.0, 1.0),
    "no-coords": ({"tdc": _tdc(coords=False)}, {}, 1.0, 1.0),
    "coord-fourier4": ({"tdc": _tdc(coord_fourier=4)}, {}, 1.0, 1.0),
    "hidden128": ({"tdc": _tdc(hidden=128, ffn=256)}, {}, 1.0, 1.0),
    "hidden32-1layer": ({"tdc": _tdc(hidden=32, ffn=64, enc_layers=1)}, {}, 1.0, 1.0),
    "deeper-4enc": ({"tdc": _tdc(enc_layers=4, dec_layers=2)}, {}, 1.0, 1.0),
    "budget-x3": ({}, {}, 3.0, 1.0),
    "budget-x0.33": ({}, {}, 1 / 3, 1.0),
    "data-50%": ({}, {}, 1.0, 0.5),
    "data-25%": ({}, {}, 1.0, 0.25),
    "batch256-lr3e-3": ({"train": _train(batch_size=256, lr=3e-3)}, {}, 1.0, 1.0),
    # combinations of what won above
    "small-fast": ({"tdc": _tdc(hidden=32, ffn=64, enc_layers=1), "train": _train(batch_size=256, lr=3e-3)}, {},
                   1.0, 1.0),
    "small-fast+random-headings": ({"tdc": _tdc(hidden=32, ffn=64, enc_layers=1),
                                    "train": _train(batch_size=256, lr=3e-3)}, {"dir_headings": "random"}, 1.0, 1.0),
    "small-fast+no-smoothing": ({"tdc": _tdc(hidden=32, ffn=64, enc_layers=1, smoothing=0.0),
                                 "train": _train(batch_size=256, lr=3e-3)}, {}, 1.0, 1.0),
}


def build(seed: int = 0):
    """Traced training grid, the position split and the Doppler route of every position."""
    scene = get_scene(z.SCENE)
    st = z.CPU_SETTINGS
    rng = np.random.default_rng(seed)
    pos = scene.grid(st.grid_m)
    vel = random_headings(len(pos), st.train_speed_kmh * z.KMH, rng)
    params, paths = z.trace_params(scene, pos, vel)
    perm = np.random.default_rng(seed + 1).permutation(len(pos))
    n_val = int(round(VAL_FRACTION * len(pos)))
    return scene, pos, params, paths, np.sort(perm[n_val:]), np.sort(perm[:n_val])


def route_for(scene, params, paths, idx, n_cls, n_taps, reps: int):
    """A ``_DopplerRoute`` whose 'train' side is the positions ``idx`` (each weight row repeated ``reps`` times)."""
    _, shape_d = tb_shapes(scene, n_taps)
    p = params.subset(idx)
    w = bs.doppler_weights(p, shape_d)
    return z._DopplerRoute(scene, shape_d, idx, np.repeat(w, reps, axis=0), np.repeat(p.power.sum(1), reps),
                           np.asarray(paths.arrival[idx, 0]), w, p.power.sum(1), np.asarray(paths.arrival[idx, 0]),
                           z.tbf_keys({"n_taps": n_taps, "eta": CPU.eta})["x_d"])


def run_variant(name, data, speed_kmh, budget_s, seed=0):
    scene, pos, params, paths, tr_idx, val_idx = data
    preset_kw, st_kw, budget_f, share = VARIANTS[name]
    preset = BASE
    for fn in preset_kw.values():
        preset = fn(preset)
    st = dataclasses.replace(z.CPU_SETTINGS, **st_kw)
    n_cls, v = preset.tdc.n_classes, speed_kmh * z.KMH
    rng = np.random.default_rng(seed + 2)
    tr = tr_idx[:int(round(share * len(tr_idx)))] if share < 1 else tr_idx
    route = route_for(scene, params, paths, tr, n_cls, preset.n_taps, n_cls)
    meta = {"experiment": "zhao2026-ablation"}
    key = ("train", speed_kmh, st.dir_train_snr_db, st.dir_headings, share, preset.n_taps)
    if key not in _CACHE:
        _CACHE[key] = z.direction_training_set(route, pos[tr], params.power[tr], n_cls, v, st, rng, meta)
    train = _CACHE[key]
    est = FusionTDCDirection(preset="cpu", max_time_s=budget_s * budget_f, train_snr_db=st.dir_train_snr_db,
                             seed=seed)
    est._cfg = lambda: preset  # the ablated preset
    t0 = time.perf_counter()
    est.fit(train)
    fit_s = time.perf_counter() - t0
    info = est.fit_info_.training["direction"]
    # validation: held-out positions, one random heading each, 0 and 20 dB, true coordinates
    vroute = route_for(scene, params, paths, val_idx, n_cls, preset.n_taps, 1)
    vrng = np.random.default_rng(seed + 3)  # same headings and noise for every variant
    vel_t = random_headings(len(val_idx), v, vrng)
    true_cls = heading_to_class(vel_t, n_cls)
    nu_t = vroute.cycles(vroute.arr_test, vel_t, params.power[val_idx] > 0)
    key = ("templates", speed_kmh, preset.n_taps)
    if key not in _CACHE:
        _CACHE[key] = z.direction_templates(vroute, vroute.arr_test, vroute.w_test, params.power[val_idx], v)
    templates = _CACHE[key]
    out = {"variant": name, "speed_kmh": speed_kmh, "budget_s": budget_s * budget_f, "n_train": train.n_samples,
           "n_val": len(val_idx), "epochs": info["epochs_run"], "best_epoch": info["best_epoch"],
           "stopped": info["stopped"], "fit_s": fit_s, "threads": torch.get_num_threads(),
           "val_loss_last3": [h["val"] for h in info["history"][-3:]]}
    for snr in VAL_SNRS:
        x_d = vroute.profiles(vroute.w_test, nu_t, total_power=vroute.ptot_test, snr_db=snr, rng=vrng)
        ds = CSIDataset(None, positions=pos[val_idx], features={vroute.x_d_key: x_d}, meta=meta)
        out[f"val acc {snr:g} dB (%)"] = 100 * accuracy(true_cls, est.predict(ds))
        out[f"ceiling {snr:g} dB (%)"] = z.template_ceiling(x_d, templates, vroute.ptot_test, snr, vroute.shape_d,
                                                            true_cls, v, n_cls)
    return out


def spatial_decay(data, speed_kmh=5.0, offsets=(0.1, 0.25, 0.5, 1.0, 2.0), seed=0) -> list[dict]:
    """How far the templates of another point still tell the heading: the validation profiles (20 dB and 0 dB, the
    validation headings and noise of :func:`run_variant`) matched to the templates of a point ``offset`` m away
    (random horizontal direction, mirrored when outside the floor), and to those of the nearest training position."""
    scene, pos, params, paths, tr_idx, val_idx = data
    n_cls, v = CPU.tdc.n_classes, speed_kmh * z.KMH
    vroute = route_for(scene, params, paths, val_idx, n_cls, CPU.n_taps, 1)
    vrng = np.random.default_rng(seed + 3)
    vel_t = random_headings(len(val_idx), v, vrng)
    true_cls = heading_to_class(vel_t, n_cls)
    nu_t = vroute.cycles(vroute.arr_test, vel_t, params.power[val_idx] > 0)
    x_d = {snr: vroute.profiles(vroute.w_test, nu_t, total_power=vroute.ptot_test, snr_db=snr, rng=vrng)
           for snr in VAL_SNRS}
    rng = np.random.default_rng(seed + 5)
    near = tr_idx[np.linalg.norm(pos[val_idx][:, None] - pos[tr_idx][None], axis=-1).argmin(1)]
    cases = [("own point", 0.0, params, paths, val_idx), ("nearest training position", None, params, paths, near)]
    for off in offsets:
        ang = rng.uniform(0, 2 * np.pi, len(val_idx))
        p2 = pos[val_idx] + off * np.column_stack([np.cos(ang), np.sin(ang), np.zeros(len(val_idx))])
        p2 = np.where(scene.contains(p2[:, :2])[:, None], p2, 2 * pos[val_idx] - p2)
        pr, pa = z.trace_params(scene, p2, np.zeros_like(p2))
        cases.append((f"{off:g} m away", off, pr, pa, np.arange(len(p2))))
    rows = []
    for label, off, pr, pa, idx in cases:
        r = route_for(scene, pr, pa, idx, n_cls, CPU.n_taps, 1)
        tm = z.direction_templates(r, r.arr_test, r.w_test, pr.power[idx], v)
        row = {"templates of": label, "offset_m": off, "speed_kmh": speed_kmh}
        for snr in VAL_SNRS:
            row[f"acc {snr:g} dB (%)"] = z.template_ceiling(x_d[snr], tm, r.ptot_test, snr, vroute.shape_d, true_cls,
                                                          v, n_cls)
        rows.append(row)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("variants", nargs="*", default=list(VARIANTS))
    ap.add_argument("--speed", type=float, default=5.0)
    ap.add_argument("--budget", type=float, default=90.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).with_name("results") / "zhao2026_direction_ablation.jsonl")
    ap.add_argument("--spatial", action="store_true", help="only the template-vs-distance diagnostic")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    data = build(a.seed)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    if a.spatial:
        rows = spatial_decay(data, a.speed, seed=a.seed)
        out = a.out.with_name("zhao2026_direction_spatial.json")
        out.write_text(json.dumps(rows, indent=2))
        for r in rows:
            print(json.dumps(r))
        return
    for name in a.variants:
        row = run_variant(name, data, a.speed, a.budget, a.seed)
        print(json.dumps(row), flush=True)
        with a.out.open("a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
