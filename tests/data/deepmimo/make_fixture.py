"""Make the DeepMIMO v4 fixture with the deepmimo package's own MATLAB-RT converter.

A transmitter at (0, 0, 3) m and 6 receivers at 1.5 m over a floor: per link a LOS ray and a floor
reflection (reflection coefficient -0.7), at 3.5 GHz. The rays (what MATLAB's raytrace would
export) are written as the JSON the converter reads; ``deepmimo.converters.matlab_rt`` turns them
into a scenario folder (params.json + per-TX matrices). ``rays.json`` keeps the planted rays so
tests compare the loader against them. Run: ``python make_fixture.py`` (needs ``pip install deepmimo``).
"""
import json
import shutil
from pathlib import Path

import numpy as np
from deepmimo.converters.matlab_rt.converter import convert_matlab_rt_json

C, FC = 299_792_458.0, 3.5e9
here = Path(__file__).parent
tx = np.array([0.0, 0.0, 3.0])
rxs = np.array([[2.0, 1.0, 1.5], [4.0, -1.0, 1.5], [6.0, 2.0, 1.5], [3.0, 3.0, 1.5], [8.0, 0.5, 1.5], [5.0, -3.0, 1.5]])


def ray(i, src, dst, via, gamma):
    pts = [src] + ([via] if via is not None else []) + [dst]
    d = sum(np.linalg.norm(b - a) for a, b in zip(pts[:-1], pts[1:], strict=True))
    dep, arr = pts[1] - pts[0], pts[-2] - pts[-1]  # departure from tx; arrival direction seen from rx
    amp = abs(gamma) * C / (4 * np.pi * FC * d)
    phase = np.angle(np.sign(gamma) * np.exp(-2j * np.pi * FC * d / C))

    def azel(v):
        v = v / np.linalg.norm(v)
        return [float(np.degrees(np.arctan2(v[1], v[0]))), float(np.degrees(np.arcsin(v[2])))]

    return {"index": i, "line_of_sight": via is None, "transmitter_location_m": src.tolist(),
            "receiver_location_m": dst.tolist(), "frequency_hz": FC, "path_loss_db": float(-20 * np.log10(amp)),
            "phase_shift_rad": float(phase), "propagation_delay_s": d / C, "propagation_distance_m": float(d),
            "angle_of_departure_deg": azel(dep), "angle_of_arrival_deg": azel(arr),
            "num_interactions": 0 if via is None else 1,
            "interactions": [] if via is None else [{"Type": "reflection", "Location": via.tolist(),
                                                     "MaterialName": "concrete"}],
            "path_coordinates_m": [p.tolist() for p in pts]}


links, planted = [], []
for r, rx in enumerate(rxs):
    image = tx * np.array([1, 1, -1])
    via = image + (rx - image) * (tx[2] / (tx[2] + rx[2]))  # where the image ray meets the floor
    via[2] = 0.0
    rays = [ray(1, tx, rx, None, 1.0), ray(2, tx, rx, via, -0.7)]
    planted.append(rays)
    links.append({"index": r + 1, "tx_index": 1, "rx_index": r + 1, "tx_position_m": tx.tolist(),
                  "rx_position_m": rx.tolist(), "num_rays": 2, "rays": rays})
export = {"metadata": {"experiment": "radiomap fixture", "matlab_version": "none (written by make_fixture.py)"},
          "scene": {"coordinate_system": "cartesian", "frequency_hz": FC},
          "propagation_model": {"coordinate_system": "cartesian", "method": "image", "max_num_reflections": 1},
          "num_tx": 1, "num_rx": len(rxs),
          "transmitters": [{"index": 1, "name": "bs", "antenna_position_m": tx.tolist(),
                            "transmitter_frequency_hz": FC}],
          "receivers": [{"index": r + 1, "name": f"ue{r}", "antenna_position_m": rx.tolist()}
                        for r, rx in enumerate(rxs)],
          "links": links}
src = here / "matlab_rt_export.json"
src.write_text(json.dumps(export, indent=1))
out = here / "scenario"
if out.exists():
    shutil.rmtree(out)
res = convert_matlab_rt_json(src, scenario_root=here, scenario_name="scenario", overwrite=True)
(here / "rays.json").write_text(json.dumps(planted))
print(res)
