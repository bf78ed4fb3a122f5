"""Import throughput: Nexmon and Intel 5300 packets/s, DICHASUS-size (32 x 1024) records/s.

    python bench/import.py [--packets 20000] [--records 240] [--repeats 3] [--out bench/results/import.json]

- Nexmon: a 43455c0 80 MHz pcap written with the nexmon_csi UDP layout (tests/loaders/writers.py);
  radiomap's numpy parser (``read_nexmon``) and the full loader (``load_capture``: parse, 802.11 data
  subcarriers by index, dataset) against csiread's ``NexmonPull46.read``.
- Intel 5300: the committed public log (8 packets) repeated to ``--packets``; ``load_capture`` (csiread
  + scaled CSI + dataset) against csiread's ``Intel.read`` + ``get_scaled_csi``.
- DICHASUS: the TensorFlow-written fixture records (32 antennas x 1024 subcarriers) repeated to
  ``--records``; radiomap's TF-free reader (framing + CRC32C, Example + TensorProto decode) and the full
  loader (fftshift, calibration, arrays) against the ``tfrecord`` PyPI package (TF-free baseline,
  framing + CRC + protobuf Example parse), decoding the tensors with numpy.

Best of ``repeats`` runs; ratios > 1 mean radiomap is faster. Writes JSON with machine info.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def nexmon_file(folder: Path, n: int) -> Path:
    from tests.loaders import writers

    rng = np.random.default_rng(0)
    csi = rng.integers(-3000, 3000, (64, 256)) + 1j * rng.integers(-3000, 3000, (64, 256))
    frames = [writers.udp_frame(writers.nexmon_payload(writers.int16_words(csi[i % 64]), seq=i % 65536,
                                                       chanspec=0xE02A, chip=101)) for i in range(n)]
    path = folder / "nexmon.pcap"
    path.write_bytes(writers.pcap(frames))
    return path


def intel_file(folder: Path, n: int) -> Path:
    raw = (ROOT / "tests/data/intel5300/d02_p02_l01_first8.dat").read_bytes()
    path = folder / "intel.dat"
    path.write_bytes(raw * (n // 8))
    return path


def dichasus_folder(folder: Path, n: int) -> Path:
    src = ROOT / "tests/data/tfrecord"
    raw = (src / "dichasus-fx01.tfrecords").read_bytes()
    for f in ("spec.json", "reftx-offsets-dichasus-fx01.json"):
        (folder / f).write_bytes((src / f).read_bytes())
    (folder / "dichasus-fx01.tfrecords").write_bytes(raw * (n // 12))
    return folder / "dichasus-fx01.tfrecords"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--packets", type=int, default=20000)
    ap.add_argument("--records", type=int, default=240)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/import.json")
    args = ap.parse_args()

    import csiread
    import tfrecord.reader

    from radiomap.data.loaders import load_capture
    from radiomap.data.loaders.nexmon import read_nexmon
    from radiomap.data.loaders.tfrecord import parse_example, parse_tensor, read_records
    from radiomap.eval.report import machine_info

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # -- Nexmon
        pcap = nexmon_file(tmp, args.packets)

        def csiread_nexmon():
            d = csiread.NexmonPull46(str(pcap), chip="43455c0", bw=80, if_report=False)
            d.read()

        t_ref = best(csiread_nexmon, args.repeats)
        t_parse = best(lambda: read_nexmon(pcap.read_bytes()), args.repeats)
        t_load = best(lambda: load_capture("nexmon", pcap), args.repeats)
        n = args.packets
        rows += [{"what": "nexmon 43455c0 80 MHz", "impl": "csiread NexmonPull46.read", "per_s": n / t_ref},
                 {"what": "nexmon 43455c0 80 MHz", "impl": "radiomap read_nexmon (parse)", "per_s": n / t_parse,
                  "ratio_vs_csiread": t_ref / t_parse},
                 {"what": "nexmon 43455c0 80 MHz", "impl": "radiomap load_capture (parse + map + dataset)",
                  "per_s": n / t_load, "ratio_vs_csiread": t_ref / t_load}]
        # -- Intel 5300
        dat = intel_file(tmp, args.packets)

        def csiread_intel():
            d = csiread.Intel(str(dat), nrxnum=3, ntxnum=3, if_report=False)
            d.read()
            d.get_scaled_csi()

        t_ref = best(csiread_intel, args.repeats)
        t_load = best(lambda: load_capture("intel5300", dat, carrier=2.462e9), args.repeats)
        rows += [{"what": "intel5300 HT40 3x30", "impl": "csiread Intel.read + get_scaled_csi", "per_s": n / t_ref},
                 {"what": "intel5300 HT40 3x30", "impl": "radiomap load_capture (csiread + dataset)",
                  "per_s": n / t_load, "ratio_vs_csiread": t_ref / t_load}]
        # -- DICHASUS records, 32 x 1024
        rec = dichasus_folder(tmp, args.records)
        m = args.records

        def baseline():
            out = []
            for ex in tfrecord.reader.tfrecord_loader(str(rec), None, {"csi": "byte", "pos-tachy": "byte"}):
                out.append(parse_tensor(bytes(ex["csi"])))
            return out

        def ours_decode():
            raw, spans = read_records(rec)
            return [parse_tensor(parse_example(raw, o, o + k)["csi"][1][0]) for o, k in spans]

        t_base = best(baseline, args.repeats)
        t_frame = best(lambda: read_records(rec), args.repeats)
        t_dec = best(ours_decode, args.repeats)
        t_load = best(lambda: load_capture("dichasus", rec), args.repeats)
        rows += [{"what": "dichasus 32x1024 record", "impl": "tfrecord (PyPI) loader + numpy tensor decode",
                  "per_s": m / t_base},
                 {"what": "dichasus 32x1024 record", "impl": "radiomap framing + CRC32C only", "per_s": m / t_frame,
                  "ratio_vs_tfrecord": t_base / t_frame},
                 {"what": "dichasus 32x1024 record", "impl": "radiomap framing + CRC + Example + tensor decode",
                  "per_s": m / t_dec, "ratio_vs_tfrecord": t_base / t_dec},
                 {"what": "dichasus 32x1024 record", "impl": "radiomap load_capture (+ fftshift, calibration, arrays)",
                  "per_s": m / t_load, "ratio_vs_tfrecord": t_base / t_load}]
    print(f"{'what':26s} {'implementation':58s} {'per s':>10s} {'ratio':>7s}")
    for r in rows:
        ratio = r.get("ratio_vs_csiread", r.get("ratio_vs_tfrecord"))
        print(f"{r['what']:26s} {r['impl']:58s} {r['per_s']:10.0f} {'' if ratio is None else f'{ratio:7.2f}'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "import", "packets": args.packets, "records": args.records,
                                    "repeats": args.repeats, "machine": machine_info(), "results": rows}, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
