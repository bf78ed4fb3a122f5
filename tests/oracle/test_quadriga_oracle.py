"""Independent oracle: radiomap's CFR synthesis against quadriga-lib.

quadriga-lib (``quadriga_lib.arrayant.get_channels_spherical`` / ``get_channels_planar`` +
``quadriga_lib.channel.baseband_freq_response``) recomputes, from the same path geometry, the
per-element path lengths, the carrier phases and the per-subcarrier phases of the
``xing-indoor`` channels; radiomap's ``Paths.cfr`` must agree to 1e-4 relative.

What is shared and what is independent
--------------------------------------
* Geometry given to quadriga: AP centre, AP heading (``orientation``), the ULA element offsets
  built here in the array's local frame (``(0, (m - (N-1)/2) lambda/2, 0)``, quadriga rotates
  them by the heading), the user position, and the first/last-bounce points (the scatterer
  position for a single-bounce path, a point on the AP-user segment for the direct path).
  quadriga computes every element-to-user length itself.
* Per-path complex amplitudes: both tools are fed the SAME per-path complex gain (radiomap's
  ``Paths.gain``: free-space or bistatic scatterer loss, penetration loss), because quadriga's
  ``path_gain`` is a free input, not a model. Free-space amplitudes are checked separately
  against the closed form ``lambda / (4 pi d)`` with quadriga's own lengths.
* Spherical amplitude term: radiomap scales each element by ``d_l / d_{l,n}``; quadriga does
  not, so that factor is applied to quadriga's coefficients using quadriga's OWN lengths
  (``d_{l,n} = c * delay`` with absolute delays; ``d_l`` from an extra element placed at the
  array centre). Every phase (carrier and subcarrier) therefore comes from quadriga alone.
* Frequency grid, derived (no fudge): radiomap uses ``f_k = f_c + (k - K/2) B / K``.
  quadriga's coefficient phase is ``exp(-j 2 pi f_ref d / c)`` with ``f_ref = center_freq`` and
  ``baseband_freq_response`` multiplies path ``l`` by ``exp(-j 2 pi p_k B tau_l)`` with
  ``p_k = pilot_grid[k]``; the absolute frequency is ``f_ref + p_k B``. Spherical test:
  ``f_ref = f_c - B/2`` and ``p_k = k / K``. Planar test: ``f_ref = f_c`` and
  ``p_k = (k - K/2) / K`` (radiomap's plane model takes the steering phase at the carrier and
  the centre delay for the subcarrier phase, which is exactly quadriga's planar coefficient at
  ``f_c`` with centre delays). quadriga's default grid ``carriers=K`` includes both band edges
  (spacing ``B / (K-1)``) and does NOT match: a test checks that it fails.

Sensitivity: the last tests show the same comparison fails (error > 100x the tolerance) when one
element moves by lambda/20, when the subcarrier grid is quadriga's default, or when the
reference frequency is off by B/2.
"""

from __future__ import annotations

import numpy as np
import pytest
import quadriga_lib as qd

from radiomap import SPEED_OF_LIGHT
from radiomap.channel import trace
from radiomap.channel.paths import KIND_DIRECT, KIND_SCATTERER
from radiomap.scene import get_scene

TOL = 1e-4
N_POSITIONS = 10


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scene():
    return get_scene("xing-indoor")


@pytest.fixture(scope="module")
def positions(scene):
    """10 walkable user positions (seed 0) plus one close to AP 0 (strongest near-field effect)."""
    grid = scene.grid(0.5)
    rng = np.random.default_rng(0)
    pos = grid[rng.choice(len(grid), N_POSITIONS, replace=False)]
    ap_xy = np.asarray(scene.aps[0].position, dtype=np.float64)[:2]
    toward_centre = np.array([8.0, 4.0]) - ap_xy
    near_xy = ap_xy + toward_centre / np.linalg.norm(toward_centre)  # 1 m from AP 0 (horizontally)
    return np.vstack([pos, [near_xy[0], near_xy[1], scene.user_heights[0]]])


@pytest.fixture(scope="module")
def paths(scene, positions):
    return trace(scene, positions, max_order=0, scatterers=True)


# -- helpers -------------------------------------------------------------------------------------
def _omni_array(local: np.ndarray, carrier_hz: float) -> dict:
    """quadriga arrayant dict: ``A`` omni (theta-polarised) elements at ``local [A, 3]`` (array frame)."""
    base = qd.arrayant.generate("omni")
    a = len(local)
    fields = ("e_theta_re", "e_theta_im", "e_phi_re", "e_phi_im")
    ant = {k: np.repeat(np.asarray(base[k]), a, axis=2) for k in fields}
    ant["azimuth_grid"] = np.asarray(base["azimuth_grid"])
    ant["elevation_grid"] = np.asarray(base["elevation_grid"])
    ant["element_pos"] = np.asfortranarray(local.T)
    ant["coupling_re"] = np.eye(a)
    ant["coupling_im"] = np.zeros((a, a))
    ant["center_freq"] = carrier_hz
    return ant


def _ula_local(n: int, wavelength: float) -> np.ndarray:
    """Half-wavelength ULA along the local y axis (quadriga heading = array-normal azimuth): ``[n, 3]``."""
    local = np.zeros((n, 3))
    local[:, 1] = (np.arange(n) - (n - 1) / 2) * wavelength / 2
    return local


def _interaction_points(scene, paths, n: int, b: int):
    """First/last-bounce points ``[3, L]`` and kinds ``[L]`` of the valid paths of pair (n, b).

    Each scatterer path is matched to the scatterer whose direction from the AP equals the path's
    departure; every scatterer must appear exactly once, and exactly one direct path.
    """
    o = np.asarray(scene.aps[b].position, dtype=np.float64)
    user = paths.positions[n]
    n_valid = int(paths.valid[n, b].sum())
    assert paths.valid[n, b, :n_valid].all()
    kinds = paths.kind[n, b, :n_valid]
    sc_dir = scene.scatterers - o
    sc_dir /= np.linalg.norm(sc_dir, axis=1, keepdims=True)
    points, used = np.zeros((3, n_valid)), []
    for l_ in range(n_valid):
        if kinds[l_] == KIND_DIRECT:
            points[:, l_] = (o + user) / 2  # any point on the AP-user segment; quadriga detects LOS
        else:
            assert kinds[l_] == KIND_SCATTERER
            dev = np.linalg.norm(sc_dir - paths.departure[n, b, l_], axis=1)
            s = int(np.argmin(dev))
            assert dev[s] < 1e-9
            points[:, l_] = scene.scatterers[s]
            used.append(s)
    assert (kinds == KIND_DIRECT).sum() == 1
    assert sorted(used) == list(range(len(scene.scatterers)))
    return points, kinds


def _quadriga_spherical(scene, paths, n: int, b: int, *, local=None, carrier_ref=None, pilot_grid=None,
                        carriers=None):
    """quadriga CFR ``[A, K]`` of pair (n, b) with radiomap's per-path gains (module docstring).

    Also returns quadriga's per-element lengths ``[A, L]`` and centre lengths ``[L]`` (m).
    """
    ofdm = scene.ofdm
    ap = scene.aps[b]
    n_a = ap.array.n_elements
    if local is None:
        local = _ula_local(n_a, ofdm.wavelength)
    tx = _omni_array(np.vstack([local, np.zeros((1, 3))]), ofdm.carrier_hz)  # last element: array centre
    rx = _omni_array(np.zeros((1, 3)), ofdm.carrier_hz)
    points, _ = _interaction_points(scene, paths, n, b)
    n_paths = points.shape[1]
    pol = np.zeros((8, n_paths))
    pol[0] = 1.0  # VV = 1: omni theta-polarised elements give a unit antenna response
    f_ref = ofdm.carrier_hz - ofdm.bandwidth_hz / 2 if carrier_ref is None else carrier_ref
    cre, cim, delay = qd.arrayant.get_channels_spherical(
        tx, rx, points, points, np.ones(n_paths), np.zeros(n_paths), pol,
        np.asarray(ap.position, dtype=np.float64), np.array([0.0, 0.0, ap.orientation]),
        paths.positions[n], np.zeros(3), f_ref, True, False)
    lengths = delay[0] * SPEED_OF_LIGHT  # [A + 1, L]
    el_len, centre = lengths[:n_a], lengths[n_a]
    coeff = (cre + 1j * cim)[0, :n_a] * paths.gain[n, b, :n_paths][None] * centre[None] / el_len
    if pilot_grid is None:
        pilot_grid = np.arange(ofdm.n_subcarriers) / ofdm.n_subcarriers
    kw = {"carriers": carriers} if carriers is not None else {"pilot_grid": pilot_grid}
    h = qd.channel.baseband_freq_response(coeff=[coeff[None]], delay=[delay[0][None, :n_a]],
                                          bandwidth=ofdm.bandwidth_hz, **kw)
    return h[0, :, :, 0], el_len, centre


def _rel_err(h_rm: np.ndarray, h_qd: np.ndarray) -> float:
    """``max |H_radiomap - H_quadriga| / max |H_quadriga|`` over elements and subcarriers."""
    return float(np.abs(h_rm - h_qd).max() / np.abs(h_qd).max())


# -- agreement -----------------------------------------------------------------------------------
def test_local_ula_frame_matches_radiomap_elements(scene):
    """quadriga's frame (local y axis rotated by the heading) places the elements where radiomap does."""
    lam = scene.ofdm.wavelength
    for ap in scene.aps:
        local = _ula_local(ap.array.n_elements, lam)
        c, s = np.cos(ap.orientation), np.sin(ap.orientation)
        rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        glob = np.asarray(ap.position) + local @ rot.T
        np.testing.assert_allclose(glob, ap.element_positions(lam), atol=1e-12)


def test_spherical_cfr_matches_quadriga(scene, paths):
    """Direct + 8 single-bounce scatterer paths, 4 APs x 8 elements x 64 subcarriers, 11 positions."""
    h_rm = paths.cfr(scene.ofdm, wavefront="spherical")
    errs = np.zeros((paths.n_positions, paths.n_aps))
    for n in range(paths.n_positions):
        for b in range(paths.n_aps):
            h_qd, el_len, centre = _quadriga_spherical(scene, paths, n, b)
            n_paths = len(centre)
            # per-element and centre path lengths: radiomap's exact lengths equal quadriga's
            np.testing.assert_allclose(paths.element_length[n, b, :n_paths].T, el_len, rtol=0, atol=1e-9)
            np.testing.assert_allclose(paths.length[n, b, :n_paths], centre, rtol=0, atol=1e-9)
            errs[n, b] = _rel_err(h_rm[n, b], h_qd)
    assert errs.max() < TOL, f"max relative CFR error {errs.max():.2e} (per pair: {errs.round(8).tolist()})"


def test_plane_cfr_matches_quadriga_planar(scene, paths):
    """Plane-wave CFR vs ``get_channels_planar`` with angles from the geometry (not from radiomap)."""
    ofdm = scene.ofdm
    k_sub = ofdm.n_subcarriers
    h_rm = paths.cfr(ofdm, wavefront="plane")
    rx = _omni_array(np.zeros((1, 3)), ofdm.carrier_hz)
    worst = 0.0
    for n in range(paths.n_positions):
        user = paths.positions[n]
        for b, ap in enumerate(scene.aps):
            o = np.asarray(ap.position, dtype=np.float64)
            tx = _omni_array(_ula_local(ap.array.n_elements, ofdm.wavelength), ofdm.carrier_hz)
            points, kinds = _interaction_points(scene, paths, n, b)
            n_paths = points.shape[1]
            direct = kinds == KIND_DIRECT
            dep = np.where(direct[None], user[:, None] - o[:, None], points - o[:, None])  # [3, L]
            arr = np.where(direct[None], dep, user[:, None] - points)
            length = np.where(direct, np.linalg.norm(user - o),
                              np.linalg.norm(points - o[:, None], axis=0) + np.linalg.norm(arr, axis=0))
            aod, eod = np.arctan2(dep[1], dep[0]), np.arcsin(dep[2] / np.linalg.norm(dep, axis=0))
            aoa, eoa = np.arctan2(-arr[1], -arr[0]), np.arcsin(-arr[2] / np.linalg.norm(arr, axis=0))
            pol = np.zeros((8, n_paths))
            pol[0] = 1.0
            cre, cim, _, _ = qd.arrayant.get_channels_planar(
                tx, rx, aod, eod, aoa, eoa, np.ones(n_paths), length, pol, o,
                np.array([0.0, 0.0, ap.orientation]), user, np.zeros(3), ofdm.carrier_hz, True, False)
            coeff = (cre + 1j * cim)[0] * paths.gain[n, b, :n_paths][None]
            h_qd = qd.channel.baseband_freq_response(
                coeff=[coeff[None]], delay=[(length / SPEED_OF_LIGHT)[None, None]],
                bandwidth=ofdm.bandwidth_hz, pilot_grid=(np.arange(k_sub) - k_sub / 2) / k_sub)[0, :, :, 0]
            worst = max(worst, _rel_err(h_rm[n, b], h_qd))
    assert worst < TOL, f"max relative plane-wave CFR error {worst:.2e}"


def test_path_amplitudes_closed_form(scene, paths):
    """LOS direct paths: ``|gain| = lambda / (4 pi d)`` with quadriga's length; scatterer paths never
    exceed the bistatic bound ``g lambda / (4 pi d1 d2)`` and reach it when nothing is crossed."""
    lam = scene.ofdm.wavelength
    n_los, at_bound = 0, 0
    for n in range(paths.n_positions):
        for b, ap in enumerate(scene.aps):
            _, _, centre = _quadriga_spherical(scene, paths, n, b)
            points, kinds = _interaction_points(scene, paths, n, b)
            g = np.abs(paths.gain[n, b, :len(kinds)])
            direct = kinds == KIND_DIRECT
            if paths.los[n, b]:
                n_los += 1
                np.testing.assert_allclose(g[direct], lam / (4 * np.pi * centre[direct]), rtol=1e-12)
            else:
                assert g[direct][0] < lam / (4 * np.pi * centre[direct][0])
            o = np.asarray(ap.position, dtype=np.float64)
            d1 = np.linalg.norm(points[:, ~direct] - o[:, None], axis=0)
            d2 = np.linalg.norm(points[:, ~direct] - paths.positions[n][:, None], axis=0)
            np.testing.assert_allclose(d1 + d2, centre[~direct], rtol=1e-12)
            ratio = g[~direct] / (scene.scatterer_gain * lam / (4 * np.pi * d1 * d2))
            assert (ratio <= 1 + 1e-12).all()
            at_bound += int(np.isclose(ratio, 1.0, rtol=1e-12, atol=0).sum())
    assert n_los > 0 and at_bound > 0


# -- sensitivity: the same comparison must fail on small, specific errors ----------------------------
def _errors(scene, paths, **kw) -> np.ndarray:
    h_rm = paths.cfr(scene.ofdm, wavefront="spherical")
    return np.array([[_rel_err(h_rm[n, b], _quadriga_spherical(scene, paths, n, b, **kw)[0])
                      for b in range(paths.n_aps)] for n in range(paths.n_positions)])


def test_oracle_detects_element_moved_by_lambda_over_20(scene, paths):
    """Moving element 3 by lambda/20 along the array normal (local x) breaks the agreement."""
    lam = scene.ofdm.wavelength
    local = _ula_local(scene.aps[0].array.n_elements, lam)
    local[3, 0] += lam / 20
    errs = _errors(scene, paths, local=local)
    assert errs.min() > 100 * TOL, f"perturbed element not detected: min error {errs.min():.2e}"


@pytest.mark.parametrize("variant", ["default-carriers", "half-subcarrier-shift", "reference-at-carrier"])
def test_oracle_detects_frequency_grid_errors(scene, paths, variant):
    """quadriga's default ``carriers=K`` grid (both edges), a half-subcarrier shift or a reference
    frequency off by B/2 all break the agreement: the per-subcarrier phases are really compared."""
    k_sub = scene.ofdm.n_subcarriers
    kw = {
        "default-carriers": {"carriers": k_sub},
        "half-subcarrier-shift": {"pilot_grid": (np.arange(k_sub) + 0.5) / k_sub},
        "reference-at-carrier": {"carrier_ref": scene.ofdm.carrier_hz},
    }[variant]
    errs = _errors(scene, paths, **kw)
    assert errs.min() > 100 * TOL, f"{variant} not detected: min error {errs.min():.2e}"
