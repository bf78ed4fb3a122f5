"""Preprocessing feature transforms (issue 14 item 3) against closed forms."""

import subprocess

import numpy as np
import pytest

from radiomap.data import CSIDataset
from radiomap.errors import DataError, ParameterError
from radiomap.features.preprocessing import (
    agc_normalise,
    compose,
    sanitise_phase,
    split_composite,
    time_taps,
    window_mean,
)
from radiomap.features.stage import FEATURES, extract, materialise

# 802.11n 20 MHz data subcarriers: -28..28 without DC and the pilots +-7, +-21 (gaps of 2)
HT20 = np.array([k for k in range(-28, 29) if k not in (0, -21, -7, 7, 21)])


def _smooth_csi(rng, shape, k):
    """CSI whose phase varies slowly across the subcarriers (so unwrapping is unambiguous)."""
    amp = 1.0 + 0.5 * rng.random((*shape, len(k)))
    phase = np.cumsum(rng.uniform(-0.3, 0.3, (*shape, len(k))), axis=-1)
    return amp * np.exp(1j * phase)


def test_planted_linear_phase_is_removed_exactly():
    rng = np.random.default_rng(0)
    h = _smooth_csi(rng, (20, 2, 3), HT20)
    slope = rng.uniform(-0.25, 0.25, (20, 2, 3, 1))  # rad per subcarrier index (a timing offset)
    offset = rng.uniform(-np.pi, np.pi, (20, 2, 3, 1))  # carrier phase offset
    planted = h * np.exp(1j * (slope * HT20 + offset))
    np.testing.assert_allclose(sanitise_phase(planted, HT20), sanitise_phase(h, HT20), atol=1e-9)
    # a channel that is only a linear phase sanitises to zero
    pure = 3.0 * np.exp(1j * (slope * HT20 + offset))
    np.testing.assert_allclose(sanitise_phase(pure, HT20), 0.0, atol=1e-9)


def test_phase_feature_uses_the_real_subcarrier_indices():
    rng = np.random.default_rng(1)
    slope = 0.2
    csi = np.exp(1j * slope * HT20)[None, None, None, :].repeat(4, 0) * rng.uniform(1, 2, (4, 1, 1, 1))
    with_map = CSIDataset(csi.astype(np.complex64), meta={"subcarriers": {"indices": HT20.tolist(),
                                                                          "spacing_hz": 312.5e3}})
    np.testing.assert_array_equal(with_map.subcarrier_indices(), HT20)
    assert np.abs(extract(with_map, "phase-sanitised")).max() < 1e-5
    # read as a uniform grid (no map), the slope across the pilot/DC gaps is not linear: residual left
    no_map = CSIDataset(csi.astype(np.complex64))
    assert np.abs(extract(no_map, "phase-sanitised")).max() > 0.05


def test_agc_amplitude_is_invariant_to_packet_gain():
    rng = np.random.default_rng(2)
    csi = (rng.normal(size=(30, 3, 2, 16)) + 1j * rng.normal(size=(30, 3, 2, 16))).astype(np.complex64)
    csi[5, 1] = 0  # an AP that did not hear packet 5
    gain = 10.0 ** (rng.uniform(-10, 10, (30, 3, 1, 1)) / 20.0)
    a = extract(CSIDataset(csi), "agc-amplitude")
    b = extract(CSIDataset((csi * gain).astype(np.complex64)), "agc-amplitude")
    np.testing.assert_allclose(a, b, rtol=1e-5)
    power = np.mean(a ** 2, axis=(2, 3))
    np.testing.assert_allclose(np.delete(power.ravel(), 5 * 3 + 1), 1.0, rtol=1e-6)
    assert power[5, 1] == 0.0 and np.all(a[5, 1] == 0.0)


def test_amplitude_db_closed_form():
    csi = np.full((2, 1, 1, 4), 10.0 + 0j, dtype=np.complex64)
    csi[1, 0, 0, 0] = 0
    raw = extract(CSIDataset(csi), "amplitude-db", agc=False)
    np.testing.assert_allclose(raw[0], 20.0)
    assert raw[1, 0, 0, 0] == pytest.approx(-60.0)  # the floor
    agc = extract(CSIDataset(csi), "amplitude-db")
    np.testing.assert_allclose(agc[0], 0.0, atol=1e-9)  # |H| / rms = 1
    np.testing.assert_allclose(agc[1, 0, 0, 1:], 20 * np.log10(np.sqrt(4 / 3)), atol=1e-6)


def test_taps_of_a_single_delayed_path():
    k = np.arange(-32, 32)
    d = 5
    h = np.exp(-2j * np.pi * k * d / 64)[None, None, None, :]
    taps = time_taps(h, k, 16)
    expected = np.zeros(16)
    expected[d] = 8.0  # sqrt(64): unitary IFFT of 64 unit-magnitude bins
    np.testing.assert_allclose(taps[0, 0, 0], expected, atol=1e-9)
    with pytest.raises(ParameterError, match="n_taps"):
        time_taps(h, k, 65)


def test_window_mean_never_crosses_groups():
    rng = np.random.default_rng(3)
    n, w = 40, 3
    groups = rng.integers(0, 4, n)
    order = rng.permutation(n).astype(float)
    values = rng.normal(size=(n, 2))
    got = window_mean(values, groups, order, w)
    for i in range(n):  # brute force: the last w packets of i's group up to i (in order)
        same = np.flatnonzero((groups == groups[i]) & (order <= order[i]))
        last = same[np.argsort(order[same])][-w:]
        np.testing.assert_allclose(got[i], values[last].mean(0), atol=1e-12)


def test_window_feature_groups_by_point_and_transmitter():
    rng = np.random.default_rng(4)
    csi = (rng.normal(size=(12, 1, 2, 8)) + 1j * rng.normal(size=(12, 1, 2, 8))).astype(np.complex64)
    point = np.repeat([0, 1], 6)
    tx = np.tile([0, 1], 6)
    ds = CSIDataset(csi, point_id=point, tx_id=tx, meta={"transmitters": ["a", "b"]})
    mean = extract(ds, "window", window=100)
    amp = np.abs(agc_normalise(csi))
    for p in (0, 1):
        for t in (0, 1):
            idx = np.flatnonzero((point == p) & (tx == t))
            np.testing.assert_allclose(mean[idx[-1]], amp[idx].mean(0), atol=1e-12)  # whole group
            np.testing.assert_allclose(mean[idx[0]], amp[idx[0]], atol=1e-12)  # first packet: itself
    cov = extract(ds, "window", stat="cov", window=3)
    assert cov.shape == (12, 1, 2, 2, 2)
    np.testing.assert_allclose(cov[:, 0, 0, 0, 0] + cov[:, 0, 1, 1, 0], 1.0, atol=1e-12)  # unit trace
    np.testing.assert_allclose(cov[..., 0, 1, :] * [1, -1], cov[..., 1, 0, :], atol=1e-12)  # Hermitian
    with pytest.raises(DataError, match="point_id"):
        extract(CSIDataset(csi), "window")


def test_tx_onehot_from_tx_id_or_ap_mask():
    csi = np.ones((3, 2, 1, 4), np.complex64)
    ds = CSIDataset(csi, tx_id=np.array([2, 0, 2]), meta={"transmitters": ["a", "b", "c"]})
    np.testing.assert_array_equal(extract(ds, "tx-onehot"), [[0, 0, 1], [1, 0, 0], [0, 0, 1]])
    mask = np.array([[True, False], [False, True], [True, True]])
    np.testing.assert_array_equal(extract(CSIDataset(csi, ap_mask=mask), "tx-onehot"), mask.astype(float))
    with pytest.raises(DataError, match="tx_id or /ap_mask"):
        extract(CSIDataset(csi), "tx-onehot")


def test_composition_concatenates_parts():
    assert split_composite("agc-amplitude+taps(n_taps=4,agc=true)+tx-onehot") == [
        "agc-amplitude", "taps(n_taps=4,agc=true)", "tx-onehot"]
    with pytest.raises(ParameterError, match="empty part"):
        split_composite("agc-amplitude++tx-onehot")
    rng = np.random.default_rng(5)
    csi = (rng.normal(size=(6, 2, 1, 8)) + 1j * rng.normal(size=(6, 2, 1, 8))).astype(np.complex64)
    ds = CSIDataset(csi, tx_id=np.arange(6) % 2, meta={"transmitters": ["a", "b"]})
    x = compose(ds, "agc-amplitude+tx-onehot")
    assert x.shape == (6, 2 * 8 + 2)
    np.testing.assert_allclose(x[:, :16], extract(ds, "agc-amplitude").reshape(6, -1))
    np.testing.assert_array_equal(x[:, 16:], np.eye(2)[np.arange(6) % 2])


def test_default_fingerprint_inputs_of_single_antenna_captures():
    from radiomap.localize.fingerprint import KNN, fingerprint_inputs, resolve_inputs

    rng = np.random.default_rng(6)
    csi = (rng.normal(size=(20, 1, 1, 8)) + 1j * rng.normal(size=(20, 1, 1, 8))).astype(np.complex64)
    pos = rng.uniform(0, 5, (20, 3))
    ds = CSIDataset(csi, positions=pos, tx_id=np.arange(20) % 3, meta={"transmitters": ["a", "b", "c"]})
    assert resolve_inputs(ds) == "agc-amplitude+tx-onehot"
    assert resolve_inputs(CSIDataset(csi)) == "agc-amplitude"
    rssi = rng.uniform(-90, -40, (20, 1))
    assert resolve_inputs(CSIDataset(csi, rssi=rssi)) == "rssi"
    assert resolve_inputs(CSIDataset(csi, rssi=rssi, tx_id=ds.tx_id, meta=ds.meta)) == "rssi+tx-onehot"
    assert resolve_inputs(CSIDataset(np.ones((2, 1, 2, 8), np.complex64))) == "seed000"
    np.testing.assert_array_equal(fingerprint_inputs(ds), compose(ds, "agc-amplitude+tx-onehot"))
    loc = KNN(k=1).fit(ds)
    assert loc.fit_info_.notes["inputs"] == "agc-amplitude+tx-onehot"
    # AGC gains do not change the fingerprint: every packet finds itself
    gained = CSIDataset(csi * rng.uniform(0.1, 10, (20, 1, 1, 1)).astype(np.float32), positions=pos,
                        tx_id=ds.tx_id, meta=ds.meta)
    np.testing.assert_allclose(loc.predict(gained), pos, atol=1e-12)


def test_rssi_feature_floors_unheard_and_weak_entries():
    csi = np.ones((3, 2, 1, 4), np.complex64)
    rssi = np.array([[-50.0, np.nan], [-130.0, -70.0], [np.nan, np.nan]])
    ds = CSIDataset(csi, rssi=rssi, ap_mask=~np.isnan(rssi))
    got = extract(ds, "rssi")
    np.testing.assert_array_equal(got, [[-50.0, -120.0], [-120.0, -70.0], [-120.0, -120.0]])
    np.testing.assert_array_equal(extract(ds, "rssi", floor_db=-60.0),
                                  [[-50.0, -60.0], [-60.0, -60.0], [-60.0, -60.0]])
    with pytest.raises(DataError, match="needs /rssi"):
        extract(CSIDataset(csi), "rssi")


def test_features_registered_and_computed_from_the_cli(tmp_path):
    for name in ("agc-amplitude", "amplitude-db", "phase-sanitised", "taps", "window", "rssi", "tx-onehot"):
        assert name in FEATURES
    rng = np.random.default_rng(7)
    csi = (rng.normal(size=(8, 1, 1, 16)) + 1j * rng.normal(size=(8, 1, 1, 16))).astype(np.complex64)
    CSIDataset(csi, point_id=np.arange(8) // 4).save(tmp_path / "in.h5")
    out = subprocess.run(["radiomap", "features", "compute", "taps", str(tmp_path / "in.h5"), "-o",
                          str(tmp_path / "out.h5"), "-p", "n_taps=4"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    ds = CSIDataset.load(tmp_path / "out.h5")
    np.testing.assert_allclose(ds.features["taps(n_taps=4)"], materialise(ds, [("taps", {"n_taps": 4})])
                               .features["taps(n_taps=4)"])
    assert ds.features["taps(n_taps=4)"].shape == (8, 1, 1, 4)
