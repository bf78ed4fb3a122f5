"""WiFi CSI loaders: 802.11 index maps, Nexmon pcaps cross-checked against csiread, ESP32 CSV, import CLI."""

import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from radiomap.cli import app
from radiomap.data import CSIDataset
from radiomap.data.loaders import load_capture
from radiomap.data.loaders.nexmon import chanspec_carrier_hz, read_nexmon
from radiomap.data.loaders.subcarriers import INTEL5300_INDICES, MAPS, subcarrier_map
from radiomap.errors import DataError
from tests.loaders import writers

csiread = pytest.importorskip("csiread")
runner = CliRunner()

CHIP_VERSION = {"4339": 1, "43455c0": 101, "4358": 3, "4366c0": 106}
CHANSPEC = {20: 0xD024, 40: 0xD826, 80: 0xE02A}  # 5 GHz, channels 36 / 38 / 42 (centre)


@pytest.mark.parametrize("standard, n_fft, n_data, n_pilot, dc, n_guard", [
    ("legacy20", 64, 48, 4, [0], 11), ("ht20", 64, 52, 4, [0], 7), ("ht40", 128, 108, 6, [-1, 0, 1], 11),
    ("vht80", 256, 234, 8, [-1, 0, 1], 11),
])
def test_subcarrier_maps_partition_the_fft(standard, n_fft, n_data, n_pilot, dc, n_guard):
    m = MAPS[standard]
    assert (len(m.data), len(m.pilot), m.dc.tolist(), len(m.guard)) == (n_data, n_pilot, dc, n_guard)
    parts = np.concatenate([m.data, m.pilot, m.dc, m.guard])
    assert sorted(parts.tolist()) == list(range(-n_fft // 2, n_fft // 2))  # a partition of every bin
    assert np.array_equal(m.data, -m.data[::-1])  # symmetric
    assert (m.fft_bins(m.data) == np.where(m.data < 0, m.data + n_fft, m.data)).all()
    assert len(INTEL5300_INDICES[20]) == len(INTEL5300_INDICES[40]) == 30


def _planted(n_fft, rng, n=5):
    """Packets with known data subcarriers and large garbage on DC, pilots and guards (as on the 43455c0)."""
    csi = rng.integers(-2000, 2000, size=(n, n_fft)) + 1j * rng.integers(-2000, 2000, size=(n, n_fft))
    m = subcarrier_map(int(n_fft / 3.2))
    junk = np.concatenate([m.dc, m.guard, m.pilot]) % n_fft
    csi[:, junk] = 30000 + 30000j
    return csi


@pytest.mark.parametrize("chip, bw", [("4339", 20), ("43455c0", 80), ("43455c0", 40), ("4358", 80), ("4366c0", 40)])
def test_nexmon_parse_equals_csiread(tmp_path, chip, bw):
    rng = np.random.default_rng(int(bw) + len(chip))
    n_fft = int(bw * 3.2)
    frames, truth = [], []
    for i in range(6):
        if chip in ("4358", "4366c0"):
            n_man, n_exp = {"4358": (9, 5), "4366c0": (12, 6)}[chip]
            lim = (1 << (n_man - 1)) - 1
            re, im = rng.integers(-lim, lim + 1, (2, n_fft))
            e = rng.integers(-(1 << (n_exp - 1)), -(1 << (n_exp - 1)) + 4, n_fft)  # no shift overflow
            words = writers.pack_float(re, im, e, n_man, n_exp)
        else:
            csi = _planted(n_fft, rng, 1)[0]
            words = writers.int16_words(csi)
        truth.append(words)
        frames.append(writers.udp_frame(writers.nexmon_payload(
            words, seq=i, rssi=-40 - i, chanspec=CHANSPEC[bw], chip=CHIP_VERSION[chip],
            mac=bytes([0xAA, 0xBB, 0xCC, 0, 0, i % 2]))))
    path = tmp_path / "cap.pcap"
    path.write_bytes(writers.pcap(frames))
    ours = read_nexmon(path.read_bytes())  # chip from the chip-version field
    ref = csiread.NexmonPull46(str(path), chip=chip, bw=bw, if_report=False)
    ref.read()
    assert ref.count == 6
    np.testing.assert_array_equal(ours.csi, ref.csi.astype(np.complex64))
    np.testing.assert_array_equal(ours.rssi, ref.rssi)
    np.testing.assert_array_equal(ours.seq, ref.seq)
    np.testing.assert_array_equal(ours.core, ref.core)
    np.testing.assert_array_equal(ours.stream, ref.spatial)
    np.testing.assert_array_equal(ours.chanspec, ref.chan_spec)
    np.testing.assert_array_equal(ours.mac, ref.src_addr)
    np.testing.assert_allclose(ours.timestamps, ref.sec + ref.usec * 1e-6)


@pytest.mark.parametrize("bw, k", [(20, 52), (40, 108), (80, 234)])
def test_nexmon_loader_keeps_data_subcarriers_by_index(tmp_path, bw, k):
    rng = np.random.default_rng(bw)
    n_fft = int(bw * 3.2)
    csi = _planted(n_fft, rng)
    frames = [writers.udp_frame(writers.nexmon_payload(writers.int16_words(c), seq=i, chanspec=CHANSPEC[bw],
                                                       chip=101)) for i, c in enumerate(csi)]
    (tmp_path / "p.pcap").write_bytes(writers.pcap(frames))
    ds = load_capture("nexmon", tmp_path / "p.pcap")
    m = subcarrier_map(bw)
    assert ds.csi.shape == (5, 1, 1, k)
    np.testing.assert_array_equal(ds.csi[:, 0, 0], csi[:, m.data % n_fft].astype(np.complex64))
    assert np.abs(ds.csi).max() < 3000  # none of the 30000 garbage bins kept
    assert ds.meta["subcarriers"]["indices"] == m.data.tolist()
    assert ds.scene.ofdm.carrier_hz == {20: 5.18e9, 40: 5.19e9, 80: 5.21e9}[bw]
    assert ds.rssi.shape == (5, 1) and ds.tx_id.tolist() == [0] * 5 and ds.packet_index.tolist() == list(range(5))
    with_pilots = load_capture("nexmon", tmp_path / "p.pcap", subcarriers="data+pilot")
    assert with_pilots.n_subcarriers == k + len(m.pilot)


def test_nexmon_cores_become_antennas_and_incomplete_frames_are_dropped(tmp_path):
    rng = np.random.default_rng(3)
    frames, truth = [], []
    for seq in range(4):
        cores = (0, 1) if seq != 2 else (0,)  # frame 2 lost its core-1 packet
        for core in cores:
            c = _planted(64, rng, 1)[0]
            truth.append((seq, core, c))
            frames.append(writers.udp_frame(writers.nexmon_payload(writers.int16_words(c), seq=seq, core=core,
                                                                   chanspec=CHANSPEC[20], chip=1)))
    (tmp_path / "mimo.pcap").write_bytes(writers.pcap(frames))
    ds = load_capture("nexmon", tmp_path / "mimo.pcap")
    assert ds.csi.shape == (3, 1, 2, 52)
    data = MAPS["ht20"].data % 64
    expect = {(s, c): v[data] for s, c, v in truth}
    for n, seq in enumerate((0, 1, 3)):
        for core in (0, 1):
            np.testing.assert_array_equal(ds.csi[n, 0, core], expect[(seq, core)].astype(np.complex64))
    assert any("1 frame(s) without one packet per core/stream dropped" in s for s in ds.meta["import_notes"])


def test_chanspec_decoding():
    hz, bw = chanspec_carrier_hz(np.array([0xE02A, 0xD024, 0x1006, 0x100E]))
    assert hz.tolist() == [5.21e9, 5.18e9, 2.437e9, 2.484e9] and bw.tolist() == [80, 20, 20, 20]


def _capture_folder(tmp_path, n_files=3, packets=4):
    rng = np.random.default_rng(9)
    tmp_path.mkdir(parents=True, exist_ok=True)
    for f in range(n_files):
        frames = [writers.udp_frame(writers.nexmon_payload(
            writers.int16_words(_planted(64, rng, 1)[0]), seq=i, chanspec=CHANSPEC[20], chip=101,
            mac=bytes([2, 0, 0, 0, 0, f % 2]))) for i in range(packets)]
        (tmp_path / f"p{f}.pcap").write_bytes(writers.pcap(frames, t0=1000.0 + 10 * f))
    return tmp_path


def test_import_cli_with_positions_per_file(tmp_path):
    folder = _capture_folder(tmp_path / "caps")
    pos = tmp_path / "points.csv"
    pos.write_text("file,x,y\np0.pcap,1,2\np1,3,4\n")  # p2 has no row: skipped and counted
    out = tmp_path / "ds.h5"
    res = runner.invoke(app, ["import", "nexmon", str(folder), "--positions", str(pos), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "1 capture file(s) without a row" in res.output and "8 samples" in res.output
    ds = CSIDataset.load(out)
    assert ds.point_id.tolist() == [0] * 4 + [1] * 4
    np.testing.assert_array_equal(ds.positions[:, :2], [[1, 2]] * 4 + [[3, 4]] * 4)
    assert ds.source_file.tolist() == ["p0.pcap"] * 4 + ["p1.pcap"] * 4
    assert ds.meta["transmitters"] == ["02:00:00:00:00:00", "02:00:00:00:00:01"]
    assert ds.tx_id.tolist() == [0] * 4 + [1] * 4
    assert ds.scene.measured and not ds.scene.has_ap_positions
    res = runner.invoke(app, ["info", str(out)])
    assert res.exit_code == 0 and "tx_id" in res.output
    res = runner.invoke(app, ["formats"])
    assert res.exit_code == 0 and "nexmon" in res.output and "dichasus" in res.output


def test_position_log_join_drops_samples_outside(tmp_path):
    folder = _capture_folder(tmp_path / "caps", n_files=1, packets=10)  # t = 1000.00 .. 1000.09
    log = tmp_path / "log.csv"
    log.write_text("t,x,y,z\n1000.0,0,0,1\n1000.05,5,0,1\n")
    ds = load_capture("nexmon", folder, log, max_gap=0.02)
    assert ds.n_samples == 6  # 1000.00..1000.05 inside the log; the rest dropped
    np.testing.assert_allclose(ds.positions[:, 0], np.arange(6) * 1.0, atol=1e-6)
    assert any("4 of 10 sample(s)" in s for s in ds.meta["import_notes"])


def test_esp32_csv(tmp_path):
    rng = np.random.default_rng(4)
    csi = rng.integers(-30, 30, (3, 64)) + 1j * rng.integers(-30, 30, (3, 64))
    lines = [writers.esp32_line("AA:BB:CC:DD:EE:0F", -50 - i, 6, 10.0 + i, c) for i, c in enumerate(csi)]
    (tmp_path / "log.csv").write_text("".join(lines))
    ds = load_capture("esp32", tmp_path / "log.csv")
    m = MAPS["legacy20"]
    np.testing.assert_array_equal(ds.csi[:, 0, 0], csi[:, m.data % 64].astype(np.complex64))
    assert ds.scene.ofdm.carrier_hz == 2.437e9 and ds.rssi[:, 0].tolist() == [-50, -51, -52]
    assert ds.meta["transmitters"] == ["aa:bb:cc:dd:ee:0f"]


def _cli(*args):
    return subprocess.run([sys.executable, "-c", "from radiomap.cli import main; main()", *args],
                          capture_output=True, text=True)


def test_bad_inputs_are_one_line_errors(tmp_path):
    folder = _capture_folder(tmp_path / "caps", n_files=1)
    good = (folder / "p0.pcap").read_bytes()
    (tmp_path / "trunc.pcap").write_bytes(good[:-7])
    (tmp_path / "junk.pcap").write_bytes(b"not a pcap at all" * 3)
    bad_pos = tmp_path / "bad.csv"
    bad_pos.write_text("name,x\np0,1\n")
    cases = [
        (["import", "nexmon", str(tmp_path / "trunc.pcap")], "truncated pcap"),
        (["import", "nexmon", str(tmp_path / "junk.pcap")], "not a pcap capture file"),
        (["import", "nexmon", str(tmp_path / "missing.pcap")], "no such file"),
        (["import", "nexmon", str(folder), "--positions", str(bad_pos)], "misses column(s) file or t, y"),
        (["import", "pcapx", str(folder)], "unknown import format 'pcapx'"),
        (["import", "nexmon", str(folder), "--spec", "x.json"], "does not take option(s) spec"),
        (["import", "nexmon", str(folder), "--chip", "4321"], "chip='4321'"),
        (["import", "nexmon", str(folder), "--bandwidth", "40"], "not --bandwidth 40"),
    ]
    for args, message in cases:
        r = _cli(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
    with pytest.raises(DataError, match="no nexmon_csi packets"):
        read_nexmon(writers.pcap([b"\x00" * 400]))
