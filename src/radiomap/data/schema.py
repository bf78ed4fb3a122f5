"""HDF5 schema of ``CSIDataset``, version 1 (readable with plain h5py).

Layout
------
/                      attrs: ``schema`` = "radiomap.csidataset", ``schema_version`` = 1,
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
"""

SCHEMA_NAME = "radiomap.csidataset"
SCHEMA_VERSION = 1

OPTIONAL_FIELDS = {
    # name: (dtype kind(s), trailing shape (None = any), numpy dtype to store)
    "positions": ("f", (3,), "float64"),
    "timestamps": ("f", (), "float64"),
    "velocity": ("f", (3,), "float64"),
    "trajectory_id": ("iu", (), "int32"),
    "point_id": ("iu", (), "int32"),
}
