"""Benchmark of the model-based neural map: training throughput and localization queries/s.

Data: the ``chatelier-plane`` scene with a 16-antenna ULA, 16 subcarriers, a 2 m x 2 m part of the
plane, exact spherical-wavefront CSI. Measures, per device (CPU, and CUDA when available):
training samples/s (forward + backward, fixed number of epochs) of the model-based map and of the
plain / Fourier-feature MLP baselines, and localization queries/s of the 5-stage search at 20 dB
SNR (with its per-stage time). Prints a table and writes JSON with machine info.

Usage: ``python bench/neuralmap.py [--out bench/neuralmap.json] [--n-train 2000] [--n-queries 2000]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from radiomap.localize.neuralmap.atoms import init_atoms
from radiomap.localize.neuralmap.baselines_mlp import build_fourier_mlp, build_plain_mlp
from radiomap.localize.neuralmap.localize import PipelineConfig, localize
from radiomap.localize.neuralmap.localizer import csi_matrix
from radiomap.localize.neuralmap.model import build_model_based_map, n_parameters
from radiomap.localize.neuralmap.train import train_map
from radiomap.scene import ULA, get_scene
from radiomap.simulate import simulate_dataset


def machine() -> dict:
    info = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".json"))
    ap.add_argument("--n-train", type=int, default=2000)
    ap.add_argument("--n-queries", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    scene = get_scene("chatelier-plane")
    scene = dataclasses.replace(scene, aps=tuple(dataclasses.replace(a, array=ULA(16)) for a in scene.aps))
    lam, z = scene.ofdm.wavelength, float(scene.user_heights[0])
    rng = np.random.default_rng(args.seed)
    lo, hi = np.array([4.0, 4.0]), np.array([6.0, 6.0])
    x = np.column_stack([rng.uniform(lo, hi, (args.n_train, 2)), np.full(args.n_train, z)])
    xq = np.column_stack([rng.uniform(lo, hi, (args.n_queries, 2)), np.full(args.n_queries, z)])
    h = csi_matrix(simulate_dataset(scene, x, seed=args.seed))
    scale = float(np.sqrt(np.mean(np.abs(h) ** 2)))
    h = h / scale
    hq = csi_matrix(simulate_dataset(scene, xq, snr_db=20.0, seed=args.seed + 1)) / scale
    t = time.perf_counter()
    init = init_atoms(x, h, wavelength=lam, atoms_per_region=32, seed=args.seed)
    init_s = time.perf_counter() - t

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for dev in devices:
        models = {
            "model-based": build_model_based_map(init, lo=lo, hi=hi, wavelength=lam, seed=args.seed),
            "plain MLP": build_plain_mlp(lo=[*lo, z - 0.5], hi=[*hi, z + 0.5], n_antennas=16, n_subcarriers=16,
                                         hidden=64, seed=args.seed),
            "Fourier-feature MLP": build_fourier_mlp(lo=[*lo, z - 0.5], hi=[*hi, z + 0.5], n_antennas=16,
                                                     n_subcarriers=16, wavelength=lam, hidden=64, seed=args.seed),
        }
        for name, model in models.items():
            res = train_map(model, x, h, epochs=args.epochs, patience=args.epochs, seed=args.seed, device=dev)
            row = {"device": dev, "model": name, "parameters": n_parameters(model),
                   "train samples/s": res.samples_per_s, "train time (s)": res.train_time_s}
            if name == "model-based":
                if dev == "cuda":
                    torch.cuda.synchronize()
                t = time.perf_counter()
                _, costs = localize(model, hq, lo=lo, hi=hi, z=z, wavelength=lam, config=PipelineConfig(),
                                    device=dev)
                if dev == "cuda":
                    torch.cuda.synchronize()
                elapsed = time.perf_counter() - t
                row["queries/s"] = args.n_queries / elapsed
                row["stage time (s)"] = {s: round(c["time_s"], 3) for s, c in costs.items() if "time_s" in c}
            model.to("cpu")
            rows.append(row)

    result = {"benchmark": "neuralmap", "machine": machine(), "settings": {
        "scene": "chatelier-plane (ULA 16, 2 m x 2 m area)", "n_train": args.n_train, "n_queries": args.n_queries,
        "epochs": args.epochs, "batch_size": 128, "atoms": 32, "query_snr_db": 20.0, "seed": args.seed,
        "omp_init_s": init_s, "pipeline": dataclasses.asdict(PipelineConfig())}, "results": rows}
    print(f"{'device':6} {'model':22} {'params':>8} {'train samples/s':>16} {'queries/s':>10}")
    for r in rows:
        qps = f"{r['queries/s']:.0f}" if "queries/s" in r else "-"
        print(f"{r['device']:6} {r['model']:22} {r['parameters']:8d} {r['train samples/s']:16.0f} {qps:>10}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
