"""Simulated hardware impairments (issue 14 item 4): closed forms, seeding, heard masks."""

import numpy as np
import pytest

from radiomap.data import CSIDataset
from radiomap.data.impairments import (
    Impairments,
    apply_offsets,
    draw_offsets,
    heard_mask,
    impair,
    parse_impairments,
)
from radiomap.errors import ParameterError
from radiomap.features.stage import extract

K_IDX = np.arange(-16, 16)
SPACING = 312.5e3


def _dataset(n=12, b=4, a=1, seed=0, **kw):
    rng = np.random.default_rng(seed)
    amp = 1.0 + rng.random((n, b, a, len(K_IDX)))
    phase = np.cumsum(rng.uniform(-0.2, 0.2, (n, b, a, len(K_IDX))), axis=-1)
    scale = rng.uniform(0.1, 2.0, (n, b, 1, 1))  # APs near and far
    csi = (scale * amp * np.exp(1j * phase)).astype(np.complex64)
    meta = {"subcarriers": {"indices": K_IDX.tolist(), "spacing_hz": SPACING}}
    return CSIDataset(csi, positions=rng.uniform(0, 5, (n, 3)), meta=meta, **kw)


def test_parse_impairments():
    imp = parse_impairments("agc=6,sto=2e-8,cpo=1,heard=1,packets=5,snr=25")
    assert imp == Impairments(packets=5, heard=1, snr=25.0, agc=6.0, sto=2e-8, cpo=1.0)
    assert parse_impairments("") == Impairments()
    for bad, msg in (("agc", "key=value"), ("gain=3", "key=value"), ("packets=2.5", "int"),
                     ("agc=x", "float"), ("cpo=2", "cpo"), ("packets=0", "packets")):
        with pytest.raises(ParameterError, match=msg):
            parse_impairments(bad)


def test_offsets_closed_form_and_seeding():
    ds = _dataset()
    imp = Impairments(agc=6, sto=2e-8, cpo=1)
    out = impair(ds, imp, seed=3)
    off = draw_offsets((12, 4), imp, np.random.default_rng(3))
    assert np.abs(off["gain_db"]).max() <= 6 and np.abs(off["sto_s"]).max() <= 2e-8
    assert np.abs(off["gain_db"]).max() > 3 and np.abs(off["cpo_rad"]).max() > 1.5  # ranges are used
    f = K_IDX * SPACING
    expected = ds.csi * (10 ** (off["gain_db"] / 20))[..., None, None] \
        * np.exp(-2j * np.pi * off["sto_s"][..., None, None] * f + 1j * off["cpo_rad"][..., None, None])
    np.testing.assert_allclose(out.csi, expected, rtol=2e-5, atol=1e-6)
    np.testing.assert_array_equal(apply_offsets(ds.csi, off, f), out.csi)
    np.testing.assert_array_equal(impair(ds, imp, seed=3).csi, out.csi)  # seeded
    assert not np.allclose(impair(ds, imp, seed=4).csi, out.csi)
    assert out.meta["impairments"] == {"packets": 1, "heard": 0, "snr": None, "agc": 6, "sto": 2e-8, "cpo": 1,
                                       "seed": 3}


def test_preprocessing_undoes_the_impairments():
    ds = _dataset()
    out = impair(ds, Impairments(agc=10, sto=2e-8, cpo=1), seed=0)
    np.testing.assert_allclose(extract(out, "agc-amplitude"), extract(ds, "agc-amplitude"), rtol=1e-5)
    np.testing.assert_allclose(extract(out, "phase-sanitised"), extract(ds, "phase-sanitised"), atol=1e-4)
    assert np.abs(extract(out, "phase-sanitised") - np.unwrap(np.angle(ds.csi), axis=-1)).max() > 0.1


def test_heard_strongest_ap_per_point_and_packets():
    ds = _dataset(n=10, b=4)
    out = impair(ds, Impairments(packets=3, heard=1, agc=3), seed=1)
    assert out.n_samples == 30
    np.testing.assert_array_equal(out.point_id, np.repeat(np.arange(10), 3))
    np.testing.assert_array_equal(out.positions, np.repeat(ds.positions, 3, axis=0))
    strongest = np.argmax(np.mean(np.abs(ds.csi) ** 2, axis=(2, 3)), axis=1)
    np.testing.assert_array_equal(out.tx_id, np.repeat(strongest, 3))
    assert out.ap_mask.sum(1).tolist() == [1] * 30 and out.meta["transmitters"] == ["AP0", "AP1", "AP2", "AP3"]
    assert np.all(out.csi[~out.ap_mask] == 0) and np.all(np.abs(out.csi[out.ap_mask]) > 0)
    assert np.isnan(out.rssi[~out.ap_mask]).all() and np.isfinite(out.rssi[out.ap_mask]).all()
    np.testing.assert_array_equal(extract(out, "tx-onehot"), np.eye(4)[out.tx_id])
    # two heard APs: the two strongest, no single transmitter
    two = impair(ds, Impairments(heard=2), seed=0)
    assert two.tx_id is None and two.ap_mask.sum(1).tolist() == [2] * 10
    walk = _dataset(n=4, timestamps=np.arange(4.0))
    with pytest.raises(ParameterError, match="packet stream"):
        impair(walk, Impairments(packets=2))


def test_heard_mask_uses_the_mean_over_a_point():
    power = np.array([[1.0, 0.0], [0.0, 3.0], [5.0, 0.0]])
    np.testing.assert_array_equal(heard_mask(power, np.array([0, 0, 1]), 1),
                                  [[False, True], [False, True], [True, False]])


def test_noise_floor():
    ds = _dataset(n=400, b=2, seed=5)
    out = impair(ds, Impairments(snr=10.0), seed=0)
    floor = np.mean(np.abs(ds.csi.astype(complex)) ** 2) / 10.0
    assert np.mean(np.abs(out.csi - ds.csi) ** 2) == pytest.approx(floor, rel=0.03)
