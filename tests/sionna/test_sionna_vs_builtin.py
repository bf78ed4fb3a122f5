"""Cross-check: the built-in image-method tracer against Sionna RT on one room.

Needs the optional Sionna RT backend, so it is skipped where ``sionna.rt`` is not installed
(CI). To run it (see ``docs/sionna-rt.md``)::

    python -m venv /tmp/sionnavenv && /tmp/sionnavenv/bin/pip install -e '.[sionna-rt]' pytest
    sudo apt-get install libllvm19          # Sionna's CPU (LLVM) backend
    export DRJIT_LIBLLVM_PATH=/usr/lib/x86_64-linux-gnu/libLLVM-19.so
    /tmp/sionnavenv/bin/python -m pytest tests/sionna/test_sionna_vs_builtin.py -m slow -s -p no:cacheprovider

Scene: an 8 m x 6 m x 3 m concrete room (eps 5, 20 dB) with a partition wall, floor and
ceiling, two APs (4-element ULAs, 3.5 GHz), ~20 users at 1.5 m. The "matched" variant drops
floor and ceiling and puts APs and users at one height, so that every path is horizontal: the
vertically polarised Sionna wave is then transverse electric on every wall, as radiomap's
Fresnel model assumes. ``-s`` prints the measured agreement numbers.
"""

import numpy as np
import pytest
from sionna_scenes import room_positions, room_scene

from radiomap import SPEED_OF_LIGHT
from radiomap.channel import trace

rt = pytest.importorskip("sionna.rt")
from radiomap.channel.sionna_rt import load_sionna_scene, solve_sionna, trace_sionna  # noqa: E402

pytestmark = pytest.mark.slow
SAMPLES = 10**5


def _run(scene_builtin, scene_sionna, pos, max_order=2):
    pb = trace(scene_builtin, pos, max_order=max_order, scatterers=False)
    ps = trace_sionna(scene_sionna, pos, max_order=max_order, samples_per_src=SAMPLES, seed=1)
    return pb, ps


@pytest.fixture(scope="module")
def full():
    scene, pos = room_scene(), room_positions(24, seed=3)
    return (scene, pos) + _run(scene, scene, pos)


@pytest.fixture(scope="module")
def matched():
    scene, pos = room_scene(slabs=False, ap_heights=(1.5, 1.5)), room_positions(24, seed=4)
    return (scene, pos) + _run(scene, scene, pos)


def _unmatched(pa, pb, order, tol=1e-3):
    """Paths of ``pa`` with the given order that have no valid path of ``pb`` within ``tol`` metres."""
    out = []
    for n, b, l_ in zip(*np.nonzero(pa.valid & (pa.order == order)), strict=True):
        d = np.abs(pb.length[n, b][pb.valid[n, b]] - pa.length[n, b, l_])
        if not len(d) or d.min() > tol:
            out.append((int(n), int(b), float(pa.length[n, b, l_])))
    return out


def _nearest(pa, pb, mask):
    """For each path of ``pa`` selected by ``mask``: (index into pb's path axis, length difference)."""
    rows = []
    for n, b, l_ in zip(*np.nonzero(mask), strict=True):
        cand = np.where(pb.valid[n, b], np.abs(pb.length[n, b] - pa.length[n, b, l_]), np.inf)
        j = int(np.argmin(cand))
        rows.append((n, b, l_, j, cand[j]))
    return rows


def _corr(hb, hs):
    """Normalised CFR correlation ``|<H_b, H_s>| / (||H_b|| ||H_s||)`` per (position, AP)."""
    num = np.abs(np.sum(hb.conj() * hs, axis=(2, 3)))
    return num / np.sqrt(np.sum(np.abs(hb) ** 2, axis=(2, 3)) * np.sum(np.abs(hs) ** 2, axis=(2, 3)))


def test_los_flags_agree(full):
    scene, pos, pb, ps = full
    np.testing.assert_array_equal(ps.los, pb.los)
    np.testing.assert_array_equal(pb.los, scene.los(pos))
    assert 0 < pb.los.sum() < pb.los.size  # the partition blocks some links


def test_direct_path_delay_and_los_gain_agree(full):
    _, _, pb, ps = full
    rows = _nearest(pb, ps, pb.valid & (pb.kind == 0))
    assert len(rows) == pb.los.size
    rel = [abs(ps.length[n, b, j] / pb.length[n, b, l_] - 1) for n, b, l_, j, _ in rows]
    assert max(rel) < 1e-9
    assert all(ps.kind[n, b, j] == 0 for n, b, l_, j, _ in rows)
    los = [abs(ps.gain[n, b, j] / pb.gain[n, b, l_] - 1) for n, b, l_, j, _ in rows if pb.los[n, b]]
    print(f"\ndirect: max rel delay diff {max(rel):.2e}, LOS gain max rel diff {max(los):.2e}")
    assert max(los) < 1e-5


def test_raw_sionna_delays_agree_to_float32_precision(full):
    """Sionna's own (float32) delays, before the float64 image-method refinement."""
    scene, pos, pb, _ = full
    s_scene, planes = load_sionna_scene(scene)
    raw = solve_sionna(s_scene, planes, pos, max_depth=0, samples_per_src=SAMPLES)
    direct = raw["valid"] & (raw["interactions"] == 0).all(0)
    np.testing.assert_array_equal(direct.any(-1), pb.los)
    length_raw = np.where(direct, raw["tau"], 0).sum(-1) * SPEED_OF_LIGHT
    rel = np.abs(length_raw / np.linalg.norm(pos[:, None] - scene.ap_positions[None], axis=-1) - 1)[pb.los]
    print(f"\nraw Sionna LOS delays (float32): max rel diff {rel.max():.2e}")
    assert rel.max() < 1e-6


def test_first_order_reflection_delays_agree(full):
    _, _, pb, ps = full
    n1 = int((pb.valid & (pb.order == 1)).sum())
    assert n1 > 100
    assert _unmatched(pb, ps, 1) == []
    assert _unmatched(ps, pb, 1) == []
    n2 = int((pb.valid & (pb.order == 2)).sum())
    m2 = len(_unmatched(pb, ps, 2))
    print(f"\norder 1: {n1} builtin paths, all found by Sionna within 1 mm; order 2: {n2 - m2}/{n2} found")


def test_moved_wall_is_detected(full):
    scene, pos, pb, _ = full
    ps_moved = trace_sionna(room_scene(wall_shift=0.05), pos, max_order=1, samples_per_src=SAMPLES, seed=1)
    missing = _unmatched(pb, ps_moved, 1)
    print(f"\nwall moved by 5 cm in the Sionna scene: {len(missing)} builtin order-1 paths unmatched")
    # every user sees the east wall from both APs (AP 0 through the partition or not): one miss per link
    assert len(missing) >= pb.los.size // 2
    np.testing.assert_array_equal(ps_moved.los, pb.los)


def test_cfr_correlation(full, matched):
    scene, _, pb, ps = full
    c_full = _corr(pb.cfr(scene.ofdm), ps.cfr(scene.ofdm))
    scene_m, _, pbm, psm = matched
    c_m = _corr(pbm.cfr(scene_m.ofdm), psm.cfr(scene_m.ofdm))
    los = pbm.los
    # wall reflections that cross no wall: |gain| 4 pi L / lambda = |Fresnel r| >= 0.38 here (eps 5),
    # whereas a path through the partition has <= 0.1 (20 dB): penetration models differ by design
    coef = np.abs(pbm.gain) * 4 * np.pi * pbm.length / scene_m.ofdm.wavelength
    rows = _nearest(pbm, psm, pbm.valid & (pbm.order == 1) & (coef > 0.2))
    ratio = np.array([abs(psm.gain[n, b, j] / pbm.gain[n, b, l_]) for n, b, l_, j, d in rows if d < 1e-3])
    assert len(ratio) == len(rows) > 50
    print(f"\nCFR correlation, full scene (V-pol; floor/ceiling TM in Sionna, TE in radiomap): "
          f"median {np.median(c_full):.4f}, min {c_full.min():.4f}"
          f"\nCFR correlation, matched scene LOS links: median {np.median(c_m[los]):.5f}, "
          f"min {c_m[los].min():.5f}; NLOS links: median {np.median(c_m[~los]):.4f}, "
          f"min {c_m[~los].min():.4f}"
          f"\nmatched scene, {len(ratio)} unobstructed wall reflections, |gain| ratio Sionna/builtin: "
          f"median {np.median(ratio):.4f}, range [{ratio.min():.4f}, {ratio.max():.4f}]")
    assert np.median(c_full) > 0.85
    assert c_m[los].min() > 0.99 and np.median(c_m[los]) > 0.999
    assert np.abs(ratio - 1).max() < 0.05


def test_batched_equals_one_call(full):
    scene, pos, _, _ = full
    one = trace_sionna(scene, pos[:6], max_order=1, samples_per_src=SAMPLES, seed=1)
    many = trace_sionna(scene, pos[:6], max_order=1, samples_per_src=SAMPLES, seed=1, batch=4)
    assert one.n_paths == many.n_paths
    for name in ("valid", "order", "kind", "los"):
        np.testing.assert_array_equal(getattr(many, name), getattr(one, name))
    np.testing.assert_allclose(many.element_length, one.element_length, rtol=1e-12)
    np.testing.assert_allclose(many.gain, one.gain, rtol=1e-5, atol=1e-12)
