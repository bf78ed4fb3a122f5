"""Throughput of the CSI features on CPU (samples/s; one sample = all APs of one position).

    python bench/features.py [--n 4000] [--repeats 3] [--threads 1] [--out bench/features.json]

CSI is simulated once on the ``xing-indoor`` scene (4 APs x 8 antennas x 64 subcarriers, noise
variance 0.2) at random walkable positions; each feature is timed ``repeats`` times and the best
run is reported. It also measures how well each delay feature separates LOS from NLOS (AUC) and
follows distance (Spearman rho with log distance), the criterion for the default delay feature.
Prints tables and writes JSON with machine info next to this file (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def discriminative_power(ds, features: dict[str, np.ndarray]) -> list[dict]:
    """Per feature [N, B]: AUC of NLOS vs LOS (0.5 = useless; symmetric, max(AUC, 1 - AUC)) and
    Spearman correlation with log10 distance to the AP within LOS and within NLOS (pooled over APs)."""
    from scipy.stats import mannwhitneyu, spearmanr

    dist = np.linalg.norm(ds.positions[:, None, :] - ds.scene.ap_positions[None], axis=-1)
    los = ds.los
    out = []
    for name, f in features.items():
        u = mannwhitneyu(f[~los], f[los]).statistic / ((~los).sum() * los.sum())
        out.append({"feature": name, "auc_nlos_vs_los": float(max(u, 1 - u)),
                    "spearman_logd_los": float(spearmanr(f[los], np.log10(dist[los])).statistic),
                    "spearman_logd_nlos": float(spearmanr(f[~los], np.log10(dist[~los])).statistic),
                    "n_los": int(los.sum()), "n_nlos": int((~los).sum())})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=4000, help="number of samples")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch/BLAS threads hint (torch only)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".json"))
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from radiomap.eval.report import machine_info
    from radiomap.features import frequency_selectivity, music_angle, rms_delay_spread, rss_db
    from radiomap.features.seed000 import feature_matrix
    from radiomap.scene import get_scene
    from radiomap.simulate import simulate_dataset

    scene = get_scene("xing-indoor")
    rng = np.random.default_rng(args.seed)
    cells = scene.grid(0.05)
    pos = cells[rng.choice(len(cells), size=args.n, replace=len(cells) < args.n)]
    ds = simulate_dataset(scene, pos, noise_variance=0.2, seed=args.seed)
    csi = ds.csi
    bw = scene.ofdm.bandwidth_hz
    cases = {
        "rss_db": lambda: rss_db(csi),
        "music_angle (0.1 deg grid)": lambda: music_angle(csi, scene, 0.1),
        "music_angle (1 deg grid)": lambda: music_angle(csi, scene, 1.0),
        "frequency_selectivity": lambda: frequency_selectivity(csi),
        "rms_delay_spread (oversample 4)": lambda: rms_delay_spread(csi, bw, 4),
        "rms_delay_spread (oversample 1)": lambda: rms_delay_spread(csi, bw, 1),
        "seed000 feature_matrix": lambda: feature_matrix(csi, scene),
    }
    rows = []
    for name, fn in cases.items():
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        best = min(times)
        rows.append({"feature": name, "best_s": best, "samples_per_s": args.n / best,
                     "us_per_sample": 1e6 * best / args.n})
    print(f"{'feature':34s} {'samples/s':>12s} {'us/sample':>10s}")
    for r in rows:
        print(f"{r['feature']:34s} {r['samples_per_s']:12.0f} {r['us_per_sample']:10.1f}")
    disc = []
    clean = simulate_dataset(scene, pos, seed=args.seed)  # same positions, no noise
    for label, d in (("noise variance 0.2", ds), ("noiseless", clean)):
        c = d.csi
        feats = {"selectivity": frequency_selectivity(c), "rms_delay_spread": rms_delay_spread(c, bw),
                 "rss_db": rss_db(c)}
        disc += [{"data": label, **r} for r in discriminative_power(d, feats)]
    print(f"\n{'data':20s} {'feature':18s} {'AUC LOS/NLOS':>12s} {'rho(log d) LOS':>15s} {'rho(log d) NLOS':>16s}")
    for r in disc:
        print(f"{r['data']:20s} {r['feature']:18s} {r['auc_nlos_vs_los']:12.3f} {r['spearman_logd_los']:15.3f} "
              f"{r['spearman_logd_nlos']:16.3f}")
    out = {"benchmark": "features", "settings": {"scene": scene.name, "n": args.n, "repeats": args.repeats,
                                                 "threads": args.threads, "seed": args.seed,
                                                 "noise_variance": 0.2, "csi_shape": list(csi.shape)},
           "machine": machine_info(), "results": rows, "discriminative_power": disc}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
