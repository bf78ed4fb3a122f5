"""Throughput of LOA-Net and its CNN baselines: training and inference samples/s, FLOPs, parameters.

    python bench/loanet.py [--preset cpu|paper] [--steps 20] [--threads 1] [--device cpu|cuda]
                           [--out bench/loanet.json]

Inputs have the shapes of the ``zhao-tbf`` scene (16 x 8 UPA = 128 angle beams, the preset's
delay taps, 112 Doppler bins); values are random (throughput does not depend on them). Training
throughput = optimiser steps (forward + backward + Adam update, the preset's batch size) per
second x batch size, after two warm-up steps; inference = batches of 256 under ``no_grad``.
Prints a table and writes JSON with machine info next to this file (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from torch.nn import functional as F

from radiomap.eval.report import machine_info
from radiomap.localize.loanet.cnn import CNN2DNet, CNN3DNet
from radiomap.localize.loanet.complexity import count_flops, count_params
from radiomap.localize.loanet.config import get_preset
from radiomap.localize.loanet.detr import build_maskdetr
from radiomap.localize.loanet.fusion_tdc import build_tdc, tdc_loss

N_H, N_V, N_T = 16, 8, 112


def models(preset):
    a, g = N_H * N_V, preset.n_taps

    def img(b):
        x = torch.rand(b, a, g)
        return x, (x > 0.5).float()

    return {
        "de-maskdetr": (build_maskdetr(preset.de, a, g), lambda b: img(b), preset.train_reg),
        "ec-maskdetr": (build_maskdetr(preset.ec, a, g), lambda b: img(b), preset.train_reg),
        "cnn2d": (CNN2DNet(preset.cnn), lambda b: img(b)[:1], preset.train_reg),
        "cnn3d": (CNN3DNet(preset.cnn, N_H, N_V), lambda b: img(b)[:1], preset.train_reg),
        "fusion-tdc": (build_tdc(preset.tdc, N_T), lambda b: (torch.rand(b, N_T), torch.randn(b, 3)),
                       preset.train_tdc),
    }


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench_one(name, model, make, train_cfg, preset, steps, device):
    model.to(device)
    bs = train_cfg.batch_size
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    inputs = [x.to(device) for x in make(bs)]
    target = (torch.randint(0, preset.tdc.n_classes, (bs,)) if name == "fusion-tdc" else torch.randn(bs, 3)).to(device)

    def step():
        out = model(*inputs)
        loss = tdc_loss(out, target, preset.tdc) if name == "fusion-tdc" else F.mse_loss(out, target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    model.train()
    for _ in range(2):
        step()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    train_sps = steps * bs / (time.perf_counter() - t0)
    model.eval()
    big = [x.to(device) for x in make(256)]
    with torch.no_grad():
        model(*big)
        _sync(device)
        t0 = time.perf_counter()
        n_rep = max(1, steps // 4)
        for _ in range(n_rep):
            model(*big)
        _sync(device)
    infer_sps = n_rep * 256 / (time.perf_counter() - t0)
    cpu_inputs = [x[:2].cpu() for x in big]
    flops = count_flops(model.cpu(), *cpu_inputs)
    return {"model": name, "batch": bs, "train_samples_per_s": train_sps, "infer_samples_per_s": infer_sps,
            "MFLOPs_per_sample": flops / 1e6, "params_M": count_params(model) / 1e6}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="cpu", choices=["cpu", "paper"])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".json"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    preset = get_preset(args.preset)
    rows = [bench_one(n, m, mk, tc, preset, args.steps, device) for n, (m, mk, tc) in models(preset).items()]
    print(f"LOA-Net throughput, preset {args.preset}, device {device}, {args.threads} thread(s)")
    print(f"{'model':<13}{'batch':>6}{'train/s':>11}{'infer/s':>11}{'MFLOPs':>10}{'params M':>10}")
    for r in rows:
        print(f"{r['model']:<13}{r['batch']:>6}{r['train_samples_per_s']:>11.1f}{r['infer_samples_per_s']:>11.1f}"
              f"{r['MFLOPs_per_sample']:>10.2f}{r['params_M']:>10.3f}")
    out = {"benchmark": "loanet", "preset": args.preset, "device": str(device), "steps": args.steps,
           "machine": machine_info(), "results": rows}
    args.out.write_text(json.dumps(out, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
