"""DeepMIMO v4 scenario folders (ray-traced paths from Wireless InSite, Sionna RT, MATLAB, ...).

A folder holds ``params.json`` (``rt_params.frequency`` Hz, ``txrx_sets``) and per transmitter and
receiver set the path matrices ``{key}_t{set:03}_tx{idx:03}_r{set:03}.{npz|mat}``: ``power`` (dBW),
``phase`` (degrees, at the carrier), ``delay`` (s), ``aoa_az``/``aod_az`` (degrees), ``aoa_el``/``aod_el``
(polar angle from zenith, degrees), ``inter`` (interaction codes: 0 line of sight, one digit per
bounce), ``rx_pos`` [N, 3], ``tx_pos`` [1, 3]; absent paths are NaN. This reader does not need the
``deepmimo`` package.

Each transmitter is one AP (B = number of transmitters of the set); its paths become
``radiomap.channel.Paths`` with ``gain = 10^(P/20) exp(j phase) exp(+j 2 pi f_c tau)`` (the carrier
phase is re-applied by the CFR), and CSI is ``Paths.cfr(ofdm, wavefront="plane")`` on the dataset's
OFDM grid (``bandwidth`` MHz, ``n_subcarriers``) with a ULA of ``antennas`` elements at each AP.
LOS flags (a path with interaction code 0) are kept in ``/los``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from radiomap import SPEED_OF_LIGHT
from radiomap.channel.paths import Paths
from radiomap.data.loaders.base import Capture, Format
from radiomap.errors import DataError
from radiomap.scene import OFDM, ULA, AccessPoint

KEYS = ("power", "phase", "delay", "aoa_az", "aoa_el", "aod_az", "aod_el", "inter", "rx_pos", "tx_pos")


def _load_matrix(folder: Path, key: str, tx_set: int, tx_idx: int, rx_set: int) -> np.ndarray:
    stem = f"{key}_t{tx_set:03}_tx{tx_idx:03}_r{rx_set:03}"
    for ext in ("npz", "mat", "npy"):
        f = folder / f"{stem}.{ext}"
        if not f.is_file():
            continue
        try:
            if ext == "npz":
                with np.load(f) as z:
                    return np.asarray(z[key] if key in z else z[z.files[0]])
            if ext == "npy":
                return np.load(f)
            import scipy.io

            return np.asarray(scipy.io.loadmat(f)[key])
        except (OSError, KeyError, ValueError) as exc:
            raise DataError(f"{f}: unreadable DeepMIMO matrix ({exc})") from exc
    raise DataError(f"{folder}: DeepMIMO matrix {stem}.npz/.mat missing")


def _unit(az_deg: np.ndarray, polar_deg: np.ndarray) -> np.ndarray:
    az, th = np.deg2rad(az_deg), np.deg2rad(polar_deg)
    return np.stack([np.sin(th) * np.cos(az), np.sin(th) * np.sin(az), np.cos(th)], axis=-1)


def read_paths(folder: Path, antennas: int = 1) -> tuple[Paths, dict]:
    """Paths of every transmitter of the first TX set to every receiver of the first RX set.

    Parameters
    ----------
    folder : Path
        DeepMIMO v4 scenario folder (``params.json`` and the path matrices).
    antennas : int
        Elements of the ULA given to each transmitter (AP), facing +x.

    Returns
    -------
    paths : Paths
        ``[N receivers, B transmitters, L]`` (L = most paths of any transmitter, NaN-padded entries
        invalid); gain with the carrier phase removed, far-field element lengths.
    info : dict
        ``carrier_hz`` (float, Hz), ``aps`` (list of B AccessPoint), ``raytracer``, ``version``.

    Raises
    ------
    DataError
        No ``params.json``, no TX or RX set, or a missing/unreadable matrix.
    """
    params_file = folder / "params.json"
    if not params_file.is_file():
        raise DataError(f"{folder}: not a DeepMIMO v4 scenario folder (no params.json)")
    try:
        params = json.loads(params_file.read_text())
        fc = float(params["rt_params"]["frequency"])
        sets = params["txrx_sets"]
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{params_file}: missing rt_params.frequency or txrx_sets ({exc})") from exc
    tx_sets = [s for s in sets.values() if s.get("is_tx")]
    rx_sets = [s for s in sets.values() if s.get("is_rx")]
    if not tx_sets or not rx_sets:
        raise DataError(f"{params_file}: needs a transmitter set and a receiver set")
    ts, rs = int(tx_sets[0]["id"]), int(rx_sets[0]["id"])
    per_tx = []
    for t in range(int(tx_sets[0].get("num_active_points", tx_sets[0].get("num_points", 1)))):
        per_tx.append({k: _load_matrix(folder, k, ts, t, rs).astype(np.float64) for k in KEYS})
    lam = SPEED_OF_LIGHT / fc
    l_max = max(m["power"].shape[1] for m in per_tx)
    n = per_tx[0]["rx_pos"].shape[0]

    def stack(key):
        return np.stack([np.pad(m[key], ((0, 0), (0, l_max - m[key].shape[1])), constant_values=np.nan)
                         for m in per_tx], axis=1)                                  # [N, B, L]

    power, phase, delay, inter = stack("power"), stack("phase"), stack("delay"), stack("inter")
    valid = np.isfinite(power) & np.isfinite(delay)
    amp = np.where(valid, 10.0 ** (np.nan_to_num(power, nan=-400.0) / 20.0), 0.0)
    tau = np.where(valid, delay, 0.0)
    gain = amp * np.exp(1j * np.deg2rad(np.nan_to_num(phase))) * np.exp(2j * np.pi * fc * tau)
    departure = np.where(valid[..., None], _unit(np.nan_to_num(stack("aod_az")), np.nan_to_num(stack("aod_el"))), 0.0)
    arrival = np.where(valid[..., None], -_unit(np.nan_to_num(stack("aoa_az")), np.nan_to_num(stack("aoa_el"))), 0.0)
    ap_pos = np.stack([m["tx_pos"].reshape(-1, 3)[0] for m in per_tx])            # [B, 3]
    aps = [AccessPoint(f"tx{t}", tuple(p), ULA(antennas)) for t, p in enumerate(ap_pos)]
    elem = np.stack([ap.element_positions(lam) for ap in aps])                       # [B, A, 3]
    length = np.where(valid, tau * SPEED_OF_LIGHT, 1.0)
    rel = elem - ap_pos[:, None, :]
    el_len = length[..., None] - np.einsum("nblc,bac->nbla", departure, rel)          # far field at the AP
    codes = np.nan_to_num(inter, nan=0).astype(np.int64)
    order = np.where(codes > 0, np.floor(np.log10(np.maximum(codes, 1))) + 1, 0).astype(np.int8)
    los = (valid & (codes == 0)).any(axis=2)
    paths = Paths(positions=per_tx[0]["rx_pos"].reshape(n, 3), ap_positions=ap_pos, element_positions=elem,
                  gain=gain, length=length, element_length=el_len, departure=departure, arrival=arrival,
                  valid=valid, order=np.where(valid, order, 0).astype(np.int8),
                  kind=np.where(valid & (codes > 0), 1, 0).astype(np.int8), los=los)
    info = {"carrier_hz": fc, "aps": aps, "raytracer": params["rt_params"].get("raytracer_name"),
            "version": params.get("version")}
    return paths, info


def read_deepmimo_capture(path: Path, *, bandwidth: float | None = None, n_subcarriers: int | None = None,
                          antennas: int | None = None) -> Capture:
    """One DeepMIMO v4 scenario folder as a Capture, CSI from its paths on an OFDM grid.

    Parameters
    ----------
    path : Path
        Scenario folder.
    bandwidth : float or None
        Bandwidth (MHz); default 20.
    n_subcarriers : int or None
        K; default 64.
    antennas : int or None
        ULA size N_a per AP; default 1.

    Returns
    -------
    Capture
        csi complex64 ``[N receivers, B transmitters, N_a, K]`` (plane-wave CFR), positions
        ``[N, 3]`` (m), los ``[N, B]``, the paths and the transmitters as APs.
    """
    if not path.is_dir():
        raise DataError(f"{path}: a DeepMIMO scenario is a folder (with params.json)")
    n_ant = int(antennas or 1)
    paths, info = read_paths(path, n_ant)
    k = int(n_subcarriers or 64)
    ofdm = OFDM(info["carrier_hz"], float(bandwidth or 20) * 1e6, k)
    csi = paths.cfr(ofdm, wavefront="plane")
    n = paths.n_positions
    arrays = [ap.array for ap in info["aps"]]
    return Capture(csi=csi, carrier_hz=np.full(n, ofdm.carrier_hz), bandwidth_hz=ofdm.bandwidth_hz,
                   spacing_hz=ofdm.subcarrier_spacing, packet_index=np.arange(n, dtype=np.int64),
                   source_file=path.name, positions=paths.positions, los=paths.los,
                   paths={k2: v for k2, v in paths.to_arrays().items() if k2 != "positions"},
                   ap_names=[ap.name for ap in info["aps"]], ap_positions=paths.ap_positions, arrays=arrays,
                   orientations=[0.0] * len(arrays),
                   meta={"raytracer": info["raytracer"], "deepmimo_version": info["version"]})


DEEPMIMO = Format("deepmimo", "deepmimo", "DeepMIMO v4 scenario folder (ray-traced paths -> Paths -> CFR on the "
                  "dataset's OFDM grid; LOS kept); no deepmimo package needed", read_deepmimo_capture, (),
                  ("bandwidth", "n_subcarriers", "antennas"), folder=True)
