"""Schema version 2: measured-data fields, v1 files read unchanged, measured scenes, geometry guards."""

import h5py
import numpy as np
import pytest

from radiomap.data import CSIDataset
from radiomap.errors import DataError, SceneError
from radiomap.scene import OFDM, Scene, measured_scene


def _measured(n=6, b=2):
    scene = measured_scene("cap", OFDM(5.18e9, 52 * 312.5e3, 52), ap_names=["aa:01", "aa:02"][:b], n_antennas=1,
                           positions=np.zeros((n, 3)))
    rng = np.random.default_rng(0)
    csi = (rng.normal(size=(n, b, 1, 52)) + 1j).astype(np.complex64)
    mask = np.zeros((n, b), bool)
    mask[np.arange(n), np.arange(n) % b] = True
    rssi = np.where(mask, -50.0, np.nan)
    return CSIDataset(csi, positions=rng.normal(size=(n, 3)), tx_id=np.arange(n) % b, ap_mask=mask, rssi=rssi,
                      carrier_hz=np.full(n, 5.18e9), source_file=np.array([f"p{i // 3}.pcap" for i in range(n)]),
                      packet_index=np.arange(n) % 3, point_id=np.arange(n) // 3,
                      meta={"scene": scene.to_dict(), "transmitters": ["aa:01", "aa:02"]})


def test_v2_round_trip_and_subset(tmp_path):
    ds = _measured()
    back = CSIDataset.load(ds.save(tmp_path / "m.h5"))
    for name in ("tx_id", "ap_mask", "carrier_hz", "packet_index"):
        np.testing.assert_array_equal(getattr(back, name), getattr(ds, name))
    np.testing.assert_array_equal(back.rssi, ds.rssi.astype(np.float32))
    assert back.source_file.tolist() == ds.source_file.tolist() and back.source_file.dtype.kind == "U"
    assert back.scene.measured and not back.scene.has_ap_positions
    sub = back.subset(np.array([1, 4]))
    assert sub.source_file.tolist() == ["p0.pcap", "p1.pcap"] and sub.tx_id.tolist() == [1, 0]
    with h5py.File(tmp_path / "m.h5") as f:  # readable with plain h5py
        assert f.attrs["schema_version"] == 2 and f["source_file"].asstr()[0] == "p0.pcap"


def test_version_1_files_read_unchanged(tmp_path):
    path = tmp_path / "v1.h5"
    with h5py.File(path, "w") as f:  # exactly what radiomap 0.1 (schema 1) wrote
        f.attrs["schema"] = "radiomap.csidataset"
        f.attrs["schema_version"] = 1
        f.attrs["meta"] = "{}"
        f.create_dataset("csi", data=np.ones((3, 1, 2, 4), np.complex64))
        f.create_dataset("positions", data=np.zeros((3, 3)))
        f.create_dataset("point_id", data=np.arange(3, dtype=np.int32))
    ds = CSIDataset.load(path)
    assert ds.csi.shape == (3, 1, 2, 4) and ds.point_id.tolist() == [0, 1, 2]
    assert ds.tx_id is None and ds.ap_mask is None and ds.source_file is None


@pytest.mark.parametrize("field, value, message", [
    ("tx_id", np.arange(5), "'tx_id': expected shape [N=6]"),
    ("tx_id", -np.ones(6, int), "indices >= 0"),
    ("ap_mask", np.ones((6, 3), bool), "'ap_mask': expected shape [N=6, B=2]"),
    ("ap_mask", np.ones((6, 2), int), "expected dtype kind 'b'"),
    ("rssi", np.full((6, 2), np.nan), "NaN or Inf where the AP heard"),
    ("carrier_hz", np.zeros(6), "carriers > 0"),
    ("source_file", np.array(["a"] * 5), "'source_file': expected shape"),
])
def test_v2_fields_validated_in_one_line(field, value, message):
    ds = _measured()
    kw = {k: getattr(ds, k) for k in ("tx_id", "ap_mask", "rssi", "carrier_hz", "source_file", "packet_index")}
    kw[field] = value
    if field == "rssi":
        kw["ap_mask"] = None
    with pytest.raises(DataError, match=message.replace("[", r"\[").replace("]", r"\]")) as err:
        CSIDataset(ds.csi, meta=ds.meta, **kw)
    assert "\n" not in str(err.value)


def test_measured_scene_unknown_positions_and_geometry_guard():
    scene = Scene.from_dict(_measured().scene.to_dict())
    assert scene.measured and scene.walls == () and np.isnan(scene.ap_positions).all()
    with pytest.raises(SceneError, match="WCL needs AP positions") as err:
        scene.require_geometry("WCL")
    assert "\n" not in str(err.value)
    known = measured_scene("k", OFDM(5e9, 20e6, 52), ap_names=["a"], ap_positions=np.array([[1.0, 2.0, 3.0]]))
    known.require_geometry("WCL")  # no error
    assert known.to_dict()["aps"][0]["position"] == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("method", ["wcl", "aoa", "hmm"])
def test_geometry_methods_refuse_measured_scene_in_one_line(method):
    from radiomap.localize import LOCALIZERS

    ds = _measured()
    with pytest.raises(SceneError, match="needs AP positions") as err:
        LOCALIZERS.get(method)().fit(ds.without_positions() if method == "hmm" else ds)
    assert "\n" not in str(err.value)
