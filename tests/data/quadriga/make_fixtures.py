"""QuaDRiGa-style .mat fixtures: H [antennas, subcarriers, N] complex, location [3, N] (m).

``qd-v5.mat`` is written by ``scipy.io.savemat`` (MATLAB v5); ``qd-v73.mat`` by h5py in MATLAB's v7.3
layout: a 512-byte user block starting with the MATLAB text header, every array stored with its axes
reversed (column-major), complex numbers as a compound of ``real`` and ``imag``, a ``MATLAB_class``
attribute. Both hold the same arrays (``qd-truth.npz``). Run: ``python make_fixtures.py``.
"""
from pathlib import Path

import h5py
import numpy as np
import scipy.io

here = Path(__file__).parent
rng = np.random.default_rng(11)
n, na, k = 7, 4, 16
H = (rng.normal(size=(na, k, n)) + 1j * rng.normal(size=(na, k, n))).astype(np.complex128)
location = np.vstack([rng.uniform(0, 10, n), rng.uniform(0, 5, n), np.full(n, 1.5)])
np.savez(here / "qd-truth.npz", H=H, location=location)
scipy.io.savemat(here / "qd-v5.mat", {"H": H, "location": location})

header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."
with h5py.File(here / "qd-v73.mat", "w", userblock_size=512) as f:
    cplx = np.dtype([("real", "<f8"), ("imag", "<f8")])
    h = np.empty(H.T.shape, cplx)
    h["real"], h["imag"] = H.T.real, H.T.imag
    d = f.create_dataset("H", data=h)
    d.attrs["MATLAB_class"] = np.bytes_("double")
    d = f.create_dataset("location", data=location.T)
    d.attrs["MATLAB_class"] = np.bytes_("double")
with open(here / "qd-v73.mat", "r+b") as f:
    f.write(header.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM")
