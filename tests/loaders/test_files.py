"""Loaders on true-format files: Intel 5300 (public dataset, MIT), QuaDRiGa-style .mat (v5 + v7.3),
DeepMIMO v4 (written by the deepmimo package's own converter)."""

import json
from pathlib import Path

import numpy as np
import pytest

from radiomap import SPEED_OF_LIGHT
from radiomap.data.loaders import load_capture
from radiomap.data.loaders.subcarriers import INTEL5300_INDICES
from radiomap.errors import DataError

DATA = Path(__file__).parent.parent / "data"


def test_intel5300_public_file_matches_csiread():
    csiread = pytest.importorskip("csiread")
    path = DATA / "intel5300" / "d02_p02_l01_first8.dat"   # iVANET-PolyU/CSI_IPS_2020-21, first 8 packets
    ds = load_capture("intel5300", path, carrier=2.462e9)
    ref = csiread.Intel(str(path), nrxnum=3, ntxnum=3, if_report=False)
    ref.read()
    scaled = ref.get_scaled_csi()
    assert ds.csi.shape == (8, 1, 3, 30) and ref.count == 8
    np.testing.assert_allclose(ds.csi[:, 0], np.transpose(scaled[:, :, :3, 0], (0, 2, 1)), rtol=1e-6)
    assert ds.meta["subcarriers"]["indices"] == INTEL5300_INDICES[40].tolist()  # rate flags say HT40
    np.testing.assert_allclose(ds.rssi[:, 0], ref.get_total_rss(), rtol=1e-6)
    assert np.all(np.diff(ds.timestamps) > 0) and ds.scene.ofdm.carrier_hz == 2.462e9


def test_intel5300_truncated_file_is_one_line_error(tmp_path):
    pytest.importorskip("csiread")
    raw = (DATA / "intel5300" / "d02_p02_l01_first8.dat").read_bytes()
    (tmp_path / "junk.dat").write_bytes(b"\x00\x03\x99abc")
    with pytest.raises(DataError, match="no CSI packets"):
        load_capture("intel5300", tmp_path / "junk.dat")
    assert len(raw) == 3160


def test_atheros_public_file_matches_csiread(tmp_path):
    """The first 12 packets of csiread's own Atheros CSI Tool sample (MIT), through the console script."""
    import subprocess

    from radiomap.data import CSIDataset
    from radiomap.data.loaders.subcarriers import MAPS

    csiread = pytest.importorskip("csiread")
    path = DATA / "atheros" / "ath_csi_1_first12.dat"
    out = subprocess.run(["radiomap", "import", "atheros", str(path), "-o", str(tmp_path / "ath.h5")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    ds = CSIDataset.load(tmp_path / "ath.h5")
    ref = csiread.Atheros(str(path), nrxnum=3, ntxnum=3, tones=56, if_report=False)
    ref.read()
    assert ref.count == 12 and ds.csi.shape == (12, 1, 3, 56)   # the file: 3 rx, 2 tx, 56 tones
    np.testing.assert_allclose(ds.csi[:, 0], np.transpose(ref.csi[:, :, :, 0], (0, 2, 1)), rtol=1e-6)
    assert ds.meta["subcarriers"]["indices"] == MAPS["ht20"].used.tolist()
    assert ds.scene.ofdm.carrier_hz == 2.437e9                  # channel 6, from the file
    np.testing.assert_array_equal(ds.rssi[:, 0], ref.rssi)
    assert np.all(np.diff(ds.timestamps) > 0)


@pytest.mark.parametrize(("name", "n_rx", "k", "carrier", "pl_csi"), [
    ("rx_by_qca9300_first12.csi", 3, 52, 5.2e9, [56, 3, 1]),    # QCA9300 NIC, HT20: 56 tones, data 52
    ("rx_by_iwl5300_first12.csi", 2, 28, 2.417e9, [30, 2, 1]),  # IWL5300 NIC: 30 grouped tones, data 28
])
def test_picoscenes_public_files_match_csiread(name, n_rx, k, carrier, pl_csi):
    """The first 12 frames of csiread's PicoScenes samples (MIT); the reference is csiread read with the
    buffer sizes its own ``check()`` reports for the file (csiread skips CSI that does not fit)."""
    csiread = pytest.importorskip("csiread")
    path = DATA / "picoscenes" / name
    ds = load_capture("picoscenes", path)
    ref = csiread.Picoscenes(str(path), {"CSI": pl_csi, "PilotCSI": [0, 0, 0], "LegacyCSI": [0, 0, 0],
                                         "BasebandSignals": [0, 0, 0], "PreEQSymbols": [0, 0, 0], "MPDU": 0},
                             if_report=False)
    ref.read()
    sub = ref.raw["CSI"]["SubcarrierIndex"][0]
    keep = np.isin(sub, ds.meta["subcarriers"]["indices"])
    assert ds.csi.shape == (12, 1, n_rx, k) and keep.sum() == k
    assert not np.isin([-21, -7, 7, 21], ds.meta["subcarriers"]["indices"]).any()  # HT20 pilots dropped
    csi = ref.raw["CSI"]["CSI"]                                 # [N, tones, rx, tx]
    np.testing.assert_allclose(ds.csi[:, 0], np.transpose(csi[:, keep][..., 0], (0, 2, 1)), rtol=1e-6)
    assert np.abs(ds.csi).min() > 0                             # CSI was read, not left as zero buffers
    assert ds.scene.ofdm.carrier_hz == carrier
    np.testing.assert_array_equal(ds.rssi[:, 0], ref.raw["RxSBasic"]["RSSI"])
    assert len(ds.meta["transmitters"]) == 1


@pytest.mark.parametrize("name", ["qd-v5.mat", "qd-v73.mat"])
def test_quadriga_mat_v5_and_v73(name):
    truth = np.load(DATA / "quadriga" / "qd-truth.npz")
    ds = load_capture("quadriga", DATA / "quadriga" / name, carrier=3.5e9, bandwidth=20)
    assert ds.csi.shape == (7, 1, 4, 16)
    np.testing.assert_allclose(ds.csi[:, 0], np.transpose(truth["H"], (2, 0, 1)).astype(np.complex64))
    np.testing.assert_allclose(ds.positions, truth["location"].T)
    assert ds.scene.ofdm.bandwidth_hz == 20e6


def test_quadriga_missing_variable(tmp_path):
    import scipy.io

    scipy.io.savemat(tmp_path / "x.mat", {"H": np.ones((2, 3, 4), complex)})
    with pytest.raises(DataError, match="misses variable\\(s\\) location"):
        load_capture("quadriga", tmp_path / "x.mat")


@pytest.fixture(scope="module")
def deepmimo():
    folder = DATA / "deepmimo" / "scenario"
    return load_capture("deepmimo", folder, bandwidth=20, n_subcarriers=64), \
        json.loads((DATA / "deepmimo" / "rays.json").read_text())


def test_deepmimo_paths_equal_the_planted_rays(deepmimo):
    ds, rays = deepmimo
    assert ds.csi.shape == (6, 1, 1, 64) and ds.los.all()
    gain, length = ds.paths["gain"][:, 0], ds.paths["length"][:, 0]
    fc = 3.5e9
    for n, link in enumerate(rays):
        for lidx, r in enumerate(link):
            assert length[n, lidx] == pytest.approx(r["propagation_distance_m"], rel=1e-9)
            amp = 10 ** (-r["path_loss_db"] / 20)
            want = amp * np.exp(1j * r["phase_shift_rad"]) * np.exp(2j * np.pi * fc * r["propagation_delay_s"])
            assert abs(gain[n, lidx] - want) < 1e-9 * amp
        np.testing.assert_allclose(ds.positions[n], link[0]["receiver_location_m"])
    assert ds.paths["order"][:, 0, :2].tolist() == [[0, 1]] * 6


def test_deepmimo_cfr_is_the_closed_form_and_agrees_with_deepmimo(deepmimo):
    ds, rays = deepmimo
    f = ds.scene.ofdm.frequencies
    want = np.array([sum(10 ** (-r["path_loss_db"] / 20) * np.exp(1j * r["phase_shift_rad"])
                         * np.exp(-2j * np.pi * (f - 3.5e9) * r["propagation_delay_s"]) for r in link)
                     for link in rays])
    np.testing.assert_allclose(ds.csi[:, 0, 0], want, rtol=2e-5, atol=1e-9)
    # deepmimo's own generator on its grid (k = 0..K-1, 20 MHz, sqrt(P/K) amplitudes), from the same files
    ref = np.load(DATA / "deepmimo" / "deepmimo-channels.npz")["H"][:, 0, 0]
    k = np.arange(64)
    g = ds.paths["gain"][:, 0] * np.exp(-2j * np.pi * 3.5e9 * ds.paths["length"][:, 0] / SPEED_OF_LIGHT)
    tau = ds.paths["length"][:, 0] / SPEED_OF_LIGHT
    ours = (g[:, :, None] / 8.0 * np.exp(-2j * np.pi * k * 20e6 / 64 * tau[:, :, None])).sum(axis=1)
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())


def test_deepmimo_folder_errors(tmp_path):
    with pytest.raises(DataError, match="no params.json"):
        load_capture("deepmimo", tmp_path)
