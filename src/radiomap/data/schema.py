"""HDF5 schema of ``CSIDataset``, version 2 (readable with plain h5py; version 1 files read unchanged).

Layout
------
/                      attrs: ``schema`` = "radiomap.csidataset", ``schema_version`` = 2,
                       ``meta`` = JSON string (scene description, noise, simulator, seed, version, ...)
/csi                   complex64 [N, B, N_a, K] or [N, B, N_a, K, S]          (optional if /features exists)
/positions             float64 [N, 3] metres                                  (optional)
/timestamps            float64 [N] seconds                                    (optional)
/los                   bool [N, B]                                            (optional)
/velocity              float64 [N, 3] m/s                                     (optional)
/trajectory_id         int32 [N]                                              (optional)
/point_id              int32 [N]                                              (optional)
/features/<name>       float16/float32/... [N, ...]                           (optional)
/paths/<field>         ground-truth ``Paths`` arrays, first axis N            (optional)

Added in version 2 (measured data; all optional, absent in version 1 files):

/tx_id                 int32 [N]      transmitter of each packet (index into meta["transmitters"], e.g. MACs)
/ap_mask               bool [N, B]    which APs/arrays heard the sample (multi-AP captures)
/rssi                  float32 [N, B] received signal strength as the hardware reports it (dBm or dB);
                                      NaN allowed only where ``ap_mask`` is False
/carrier_hz            float64 [N]    per-sample carrier (Hz) where it varies (channel hopping)
/source_file           bytes [N]      capture file (base name) of each sample, fixed-length UTF-8
/packet_index          int64 [N]      index of the packet within its capture file

A version-2 ``meta["scene"]`` may describe a measured scene (``"measured": true``): AP positions
may be null (unknown) and walls absent. ``meta["subcarriers"]`` (optional) records the stored
subcarriers of measured data: ``{"indices": [K] int, "spacing_hz": float, "standard": str}``.
"""

UTF8 = "utf-8"
"""Stored dtype of text fields: fixed-length UTF-8 bytes (chunked and checksummed like every array)."""

SCHEMA_NAME = "radiomap.csidataset"
SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
"""Schema versions ``CSIDataset.load`` accepts."""

OPTIONAL_FIELDS = {
    # name: (dtype kind(s), trailing shape (None = any), numpy dtype to store)
    "positions": ("f", (3,), "float64"),
    "timestamps": ("f", (), "float64"),
    "velocity": ("f", (3,), "float64"),
    "trajectory_id": ("iu", (), "int32"),
    "point_id": ("iu", (), "int32"),
}

V2_FIELDS = {
    # name: (dtype kind(s), trailing shape ("B" = number of APs), dtype to store)
    "tx_id": ("iu", (), "int32"),
    "ap_mask": ("b", ("B",), "bool"),
    "rssi": ("fiu", ("B",), "float32"),
    "carrier_hz": ("f", (), "float64"),
    "source_file": ("USO", (), UTF8),
    "packet_index": ("iu", (), "int64"),
}
"""Per-sample fields added in schema version 2; validated by ``radiomap.data.fields``."""

OPTIONAL_FIELDS.update(V2_FIELDS)
