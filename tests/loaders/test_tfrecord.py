"""TensorFlow-free TFRecord readers on records written by TensorFlow itself (tests/data/tfrecord/README.md)."""

import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from radiomap import SPEED_OF_LIGHT
from radiomap.data.loaders import load_capture
from radiomap.data.loaders.tfrecord import _crc32c_python, crc32c, parse_example, parse_tensor, record_spans
from radiomap.errors import DataError
from radiomap.scene import ula_steering
from tests.loaders import writers

DATA = Path(__file__).parent.parent / "data" / "tfrecord"


@pytest.fixture(scope="module")
def dichasus():
    return load_capture("dichasus", DATA / "dichasus-fx01.tfrecords"), np.load(DATA / "dichasus-fx01-truth.npz")


def _closed_form(elem_pos, pos, freqs):
    d = np.linalg.norm(elem_pos[None, :, :] - pos[:, None, :], axis=-1)               # [N, M]
    lam = SPEED_OF_LIGHT / 1.272e9
    return (lam / (4 * np.pi * d))[..., None] * np.exp(-2j * np.pi * freqs * d[..., None] / SPEED_OF_LIGHT)


def test_dichasus_calibrated_csi_equals_closed_form(dichasus):
    ds, truth = dichasus
    assert ds.csi.shape == (12, 4, 8, 1024) and ds.scene.ofdm.carrier_hz == 1.272e9
    np.testing.assert_allclose(ds.positions, truth["positions"])
    np.testing.assert_allclose(ds.scene.ofdm.frequencies, truth["frequencies"])
    want = _closed_form(truth["element_positions"], truth["positions"], truth["frequencies"])   # [N, 32, K]
    # radiomap's element positions of each array, matched to the hardware channels by position
    wl = ds.scene.ofdm.wavelength
    got_pos = np.concatenate([ap.element_positions(wl) for ap in ds.scene.aps])                # [32, 3]
    match = np.argmin(np.linalg.norm(got_pos[:, None] - truth["element_positions"][None], axis=-1), axis=1)
    assert np.abs(got_pos - truth["element_positions"][match]).max() < 1e-9
    assert sorted(match.tolist()) == list(range(32))
    got = ds.csi.reshape(12, 32, 1024)
    err = np.abs(got - want[:, match]).max() / np.abs(want).max()
    assert err < 1e-6


def test_dichasus_music_finds_planted_direction(dichasus):
    from radiomap.features.music import music_angle_ula

    ds, truth = dichasus
    wl = ds.scene.ofdm.wavelength
    errs = []
    for b, ap in enumerate(ds.scene.aps):
        n_h, n_v = ap.array.n_h, ap.array.n_v
        top = [m * n_v + (n_v - 1) for m in range(n_h)]                  # the top row as a horizontal ULA
        centre = ap.element_positions(wl)[top].mean(axis=0)
        u = truth["positions"] - centre
        planted = np.arcsin((u / np.linalg.norm(u, axis=1, keepdims=True)) @ ap.axis)   # cone angle
        est = music_angle_ula(ds.csi[:, b][:, top],
                              lambda th, n=n_h, d=ap.array.spacing_h: ula_steering(th, n, d, wl), 0.05)
        errs.append(np.rad2deg(np.abs(est - planted)))
    assert np.max(errs) < 1.0, np.max(errs)


def test_espargos_csi_equals_closed_form(tmp_path):
    import json

    truth = np.load(DATA / "espargos-fx07-truth.npz")
    fc = float(truth["carrier_hz"])
    geo = [{"name": f"a{a}", "origin": o.tolist(), "right": [1.0, 0.0, 0.0]}
           for a, o in enumerate(truth["array_origins"])]
    (tmp_path / "arrays.json").write_text(json.dumps(geo))
    ds = load_capture("espargos", DATA / "espargos-fx07.tfrecords", carrier=fc, arrays=tmp_path / "arrays.json")
    assert ds.csi.shape == (10, 4, 8, 117)
    np.testing.assert_allclose(ds.positions, truth["positions"])
    assert ds.meta["transmitters"] == ["aa:bb:cc:00:00:01", "aa:bb:cc:00:00:02"] and ds.tx_id.tolist() == [0, 1] * 5
    assert ds.timestamps[1] - ds.timestamps[0] == pytest.approx(0.02) and ds.rssi.shape == (10, 4)
    wl = SPEED_OF_LIGHT / fc
    f = fc + truth["subcarrier_offsets_hz"]
    for b, ap in enumerate(ds.scene.aps):
        d = np.linalg.norm(ap.element_positions(wl)[None] - truth["positions"][:, None], axis=-1)   # [N, 8]
        want = np.exp(-2j * np.pi * f * d[..., None] / SPEED_OF_LIGHT)
        assert np.abs(ds.csi[:, b] - want).max() < 1e-5


def test_espargos_without_geometry_is_a_measured_scene():
    ds = load_capture("espargos", DATA / "espargos-fx07.tfrecords")
    assert not ds.scene.has_ap_positions and any("carrier not in ESPARGOS" in s for s in ds.meta["import_notes"])


def test_crc32c_matches_reference():
    for data in (b"", b"123456789", bytes(range(256)) * 3):
        assert _crc32c_python(data) == crc32c(data)
    assert _crc32c_python(b"123456789") == 0xE3069283  # the CRC-32C check value


def _example(features: dict) -> bytes:
    """A tf.train.Example written by hand (protobuf wire format): bytes features only."""
    def ld(num, payload):
        return _varint((num << 3) | 2) + _varint(len(payload)) + payload

    entries = b"".join(ld(1, ld(1, k.encode()) + ld(2, ld(1, ld(1, v)))) for k, v in features.items())
    return ld(1, entries)


def _varint(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def _tensor(arr: np.ndarray) -> bytes:
    """A TensorProto as tf.io.serialize_tensor writes it (dtype, shape, tensor_content)."""
    codes = {np.dtype(np.float32): 1, np.dtype(np.float64): 2, np.dtype(np.complex64): 8}
    shape = b"".join(b"\x12" + _varint(len(d)) + d for d in (b"\x08" + _varint(s) for s in arr.shape))
    content = np.ascontiguousarray(arr).tobytes()
    return b"\x08" + _varint(codes[arr.dtype]) + b"\x12" + _varint(len(shape)) + shape + b"\x22" + \
        _varint(len(content)) + content


arrays = st.integers(1, 4).flatmap(lambda nd: st.tuples(*[st.integers(1, 5)] * nd)).flatmap(
    lambda shape: st.builds(lambda seed, dt: np.random.default_rng(seed).normal(size=shape).astype(dt),
                            st.integers(0, 2**31), st.sampled_from([np.float32, np.float64, np.complex64])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(arrays, min_size=1, max_size=4))
def test_random_records_round_trip(tensors):
    raw = writers.tfrecord([_example({"t": _tensor(t), "name": b"x" * i}) for i, t in enumerate(tensors)])
    spans = record_spans(raw)
    assert len(spans) == len(tensors)
    for (o, n), t in zip(spans, tensors, strict=True):
        ex = parse_example(raw, o, o + n)
        np.testing.assert_array_equal(parse_tensor(ex["t"][1][0]), t)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_byte_flips_and_truncations_give_one_line_data_errors(data):
    raw = bytearray(writers.tfrecord([_example({"t": _tensor(np.arange(6, dtype=np.float32))})] * 2))
    records_before = {0: 0, len(raw) // 2: 1}  # cut position -> whole records before it (two equal records)
    if data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] ^= 1 << data.draw(st.integers(0, 7))
    else:
        raw = raw[:data.draw(st.integers(0, len(raw) - 1))]
        if len(raw) in records_before:  # a cut between records leaves a shorter, valid file
            assert len(record_spans(bytes(raw))) == records_before[len(raw)]
            return
    with pytest.raises(DataError) as err:  # CRC or framing catches every other flip and cut
        record_spans(bytes(raw))
    assert "\n" not in str(err.value)


def test_corrupt_fixture_copy_is_refused_by_the_loader(tmp_path):
    raw = bytearray((DATA / "espargos-fx07.tfrecords").read_bytes())
    raw[5000] ^= 0xFF
    (tmp_path / "bad.tfrecords").write_bytes(bytes(raw))
    with pytest.raises(DataError, match="data CRC mismatch in record"):
        load_capture("espargos", tmp_path / "bad.tfrecords")
    with pytest.raises(DataError, match="no spec.json"):
        load_capture("dichasus", tmp_path / "bad.tfrecords")
    assert struct.calcsize("<Q") == 8
