"""Synthetic scenes and datasets for the baseline tests (no simulator needed).

A 16 m x 8 m room, 4 corner APs at 4 m facing the centre, 8-element ULAs, 5 GHz / 80 MHz /
64 subcarriers. CSI is a LOS plane wave per AP with free-space amplitude ``1/d`` plus, when
asked, one weak scattered path and white noise.
"""

import numpy as np

from radiomap.data import CSIDataset
from radiomap.scene import OFDM, ULA, AccessPoint, Scene

CORNERS = ((0.0, 0.0), (16.0, 0.0), (16.0, 8.0), (0.0, 8.0))


def room_scene(n_sub=64, name="synth-room", shift=0.0):
    aps = tuple(
        AccessPoint(f"ap{i}", (x + shift, y, 4.0), ULA(8), float(np.arctan2(4.0 - y, 8.0 - x)))
        for i, (x, y) in enumerate(CORNERS)
    )
    walkable = np.array([[0.0, 0.0], [16.0, 0.0], [16.0, 8.0], [0.0, 8.0]])
    return Scene(name=name, ofdm=OFDM(5e9, 80e6, n_sub), aps=aps, walls=(), materials={}, walkable=walkable)


def los_csi(scene, positions, noise=0.0, scatter=0.0, seed=0):
    """complex64 [N, B, 8, K]: LOS plane wave (amplitude 1/d) + optional scattered path + noise."""
    rng = np.random.default_rng(seed)
    f = scene.ofdm.frequencies
    wl = scene.ofdm.wavelength
    out = []
    for ap in scene.aps:
        d = positions - np.asarray(ap.position)
        dist = np.linalg.norm(d, axis=-1)
        h = (ap.steering(d / dist[:, None], wl) / dist[:, None])[:, :, None] * np.exp(
            -2j * np.pi * f[None, None, :] * (dist / 3e8)[:, None, None])
        if scatter:
            u = rng.standard_normal((len(positions), 3))
            u /= np.linalg.norm(u, axis=1, keepdims=True)
            tau = (dist + rng.uniform(3, 20, len(dist))) / 3e8
            h = h + scatter * (ap.steering(u, wl) / dist[:, None])[:, :, None] * np.exp(
                -2j * np.pi * f[None, None, :] * tau[:, None, None])
        out.append(h)
    csi = np.stack(out, axis=1) * 8.0  # unit-ish power at a few metres
    if noise:
        white = rng.standard_normal(csi.shape) + 1j * rng.standard_normal(csi.shape)
        csi = csi + np.sqrt(noise / 2) * white
    return csi.astype(np.complex64)


def random_positions(n, seed=0, margin=0.5):
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(margin, 16 - margin, n), rng.uniform(margin, 8 - margin, n),
                            np.full(n, 1.5)])


def make_dataset(n=200, seed=0, noise=0.0, scatter=0.0, scene=None, positions=None):
    scene = scene or room_scene()
    pos = random_positions(n, seed) if positions is None else positions
    csi = los_csi(scene, pos, noise=noise, scatter=scatter, seed=seed + 100)
    los = np.ones((len(pos), len(scene.aps)), bool)
    return CSIDataset(csi, positions=pos, los=los, meta={"scene": scene.to_dict(), "seed": seed})
