"""Scaling of the neural map with area, antennas and Taylor regions (CPU presets of chatelier2025).

Runs ``bench/neuralmap_full.py --preset P`` for each preset (default ``cpu``, ``medium``, ``large``) in
its own process, so that each peak resident memory is that size's alone, then writes
``--out``/``scaling.json`` and ``--out``/``scaling.md``: reconstruction NMSE on the lambda/4 grid,
neuralmap median error and its ratio to the PEB median at each SNR, p90 / PEB p90, nn-pi's median,
peak memory, wall and CPU times and the load average (1-minute at the start / 15-minute at the end of
each run). ``--scene`` runs the presets on another scene (e.g. ``chatelier-plane-nlos``).

Usage: ``python bench/neuralmap_scaling.py --out DIR [--presets cpu medium large] [--scene NAME] [--reuse]``
(``--reuse`` keeps the ``bench.json`` of presets already run into ``DIR``, e.g. by
``bench/neuralmap_full.py --preset P --out DIR/P``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = ("preset", "area (m^2)", "antennas", "regions", "region overlap", "atoms", "train points", "test points",
           "grid NMSE (dB)", "neuralmap median @ 20 dB (m)", "median / PEB @ 20 dB", "p90 / PEB p90 @ 20 dB",
           "median / PEB @ 5 dB", "nn-pi median @ 20 dB (m)", "peak RSS (GB)", "fit time (s)", "total time (s)",
           "CPU time (s)", "load avg")


def row(result: dict) -> dict:
    """One table row from a ``neuralmap_full.py`` result.

    Parameters
    ----------
    result : dict
        Content of its ``bench.json``.

    Returns
    -------
    dict
        Keyed by ``COLUMNS``.
    """
    cfg, loc = result["config"], result["localization"]
    area = (cfg["area"][2] - cfg["area"][0]) * (cfg["area"][3] - cfg["area"][1])
    nm20, nm5 = loc["neuralmap @ 20 dB"], loc.get("neuralmap @ 5 dB", {})
    return dict(zip(COLUMNS, (
        result["preset"], area, cfg["n_antennas"], f"{cfg['n_regions']} x {cfg['n_regions']}",
        cfg.get("region_overlap", 1.0),
        cfg["n_regions"] ** 2 * cfg["atoms_per_region"], cfg["n_train"], cfg["n_test"], result["grid_nmse_db"],
        nm20["median (m)"], nm20["median / PEB median"], nm20["p90 / PEB p90"], nm5.get("median / PEB median"),
        loc.get("nn-pi @ 20 dB", {}).get("median (m)"), result["peak_rss_gb"], result["fit_time_s"],
        result["wall_time_s"], result.get("cpu_time_s"),
        None if "load_average" not in result else
        f"{result['load_average']['start']:.1f} / {result['load_average']['end_15min']:.1f}"), strict=True))


def markdown(rows: list[dict], scene: str) -> str:
    """The scaling table as Markdown.

    Parameters
    ----------
    rows : list of dict
    scene : str

    Returns
    -------
    str
    """
    def fmt(v):
        return "-" if v is None else f"{v:.3g}" if isinstance(v, float) else str(v)

    lines = [f"# neuralmap scaling on `{scene}` (measured)", "", "| " + " | ".join(COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(fmt(r[c]) for c in COLUMNS) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> list[dict]:
    """Run the presets and write the table.

    Parameters
    ----------
    argv : list of str or None

    Returns
    -------
    list of dict
        The rows.
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--presets", nargs="+", default=["cpu", "medium", "large"])
    ap.add_argument("--scene", default="chatelier-plane")
    ap.add_argument("--small", action="store_true", help="pass --small to every run (tests)")
    ap.add_argument("--reuse", action="store_true",
                    help="keep a preset's --out/PRESET/bench.json from an earlier run instead of rerunning it")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for preset in args.presets:
        cmd = [sys.executable, str(HERE / "neuralmap_full.py"), "--preset", preset, "--scene", args.scene,
               "--out", str(args.out / preset)] + (["--small"] if args.small else [])
        if not (args.reuse and (args.out / preset / "bench.json").is_file()):
            subprocess.run(cmd, check=True)
        results.append(json.loads((args.out / preset / "bench.json").read_text()))
    rows = [row(r) for r in results]
    (args.out / "scaling.json").write_text(json.dumps({"scene": args.scene, "rows": rows, "runs": results},
                                                      indent=2, default=float))
    (args.out / "scaling.md").write_text(markdown(rows, args.scene))
    print(markdown(rows, args.scene))
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
