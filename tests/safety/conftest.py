"""Files for the safety tests: small real datasets, a model folder and damaged or odd variants."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from radiomap.data import CSIDataset
from radiomap.localize import get_localizer
from radiomap.scene import Scene, get_scene
from radiomap.simulate import simulate_dataset

RADIOMAP = str(Path(sys.executable).with_name("radiomap"))
"""The installed console script (the tests run what a user runs)."""


def run_cli(*args, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([RADIOMAP, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200"})


def variant(name: str, **changes) -> Scene:
    """xing-indoor with top-level scene fields replaced (``aps`` may be given as a function of the list)."""
    d = get_scene("xing-indoor").to_dict()
    for k, v in changes.items():
        d[k] = v(d[k]) if callable(v) else v
    d["name"] = name
    return Scene.from_dict(d)


def _one_antenna(aps):
    for ap in aps:
        ap["array"]["n"] = 1
    return aps


@pytest.fixture(scope="package")
def files(tmp_path_factory) -> Path:
    """A folder of inputs, built once; tests copy what they need into their own working folder."""
    d = tmp_path_factory.mktemp("safety")
    scene = get_scene("xing-indoor")
    rng = np.random.default_rng(0)
    grid = scene.grid(0.25)
    pos = grid[rng.choice(len(grid), 120, replace=False)]
    train = simulate_dataset(scene, pos, noise_variance=0.2, seed=1)
    train.save(d / "train.h5")
    simulate_dataset(scene, pos[:30], noise_variance=0.2, seed=2,
                     reference_power=train.meta["noise"]["reference_power"]).save(d / "test.h5")
    get_localizer("knn", k=4).fit(train).save(d / "model")
    for name, sc in {"one_antenna": variant("one-antenna", aps=_one_antenna),
                     "one_ap": variant("one-ap", aps=lambda aps: aps[:1])}.items():
        simulate_dataset(sc, pos, noise_variance=0.2, seed=1).save(d / f"{name}.h5")
    _damaged_copies(d)
    _odd_models(d)
    return d


def _damaged_copies(d: Path) -> None:
    data = (d / "test.h5").read_bytes()
    with h5py.File(d / "test.h5") as f:
        csi_offset = f["csi"].id.get_chunk_info(0).byte_offset
    inside = bytearray(data)
    inside[csi_offset + 100] ^= 0x5A  # a byte of stored CSI: the chunk checksum must catch it
    (d / "damaged_data.h5").write_bytes(inside)
    header = bytearray(data)
    header[512 + 200] ^= 0xFF  # HDF5 structure just after the seal (superblock, object headers)
    (d / "damaged_header.h5").write_bytes(header)
    _legacy_file(d / "test.h5", d / "legacy.h5")  # the HDF5 layout of radiomap 0.1 (no checksums)
    legacy = bytearray((d / "legacy.h5").read_bytes())
    heap = legacy.index(b"GCOL")  # the global heap holding variable-length strings
    legacy[heap + 1] ^= 0xFF
    (d / "damaged_heap.h5").write_bytes(legacy)
    test = CSIDataset.load(d / "test.h5")  # files in radiomap's layout written by plain h5py (no seal):
    _legacy_file(d / "test.h5", d / "huge.h5", csi=test.csi * np.complex64(1e30))  # finite but absurd CSI
    _legacy_file(d / "test.h5", d / "k32.h5", csi=test.csi[..., :32])  # K = 32 where its scene says K = 64


def _legacy_file(src: Path, dst: Path, csi: np.ndarray | None = None) -> None:
    """``src`` (optionally with other ``csi``) written as radiomap 0.1 wrote datasets, with plain h5py:
    default HDF5 format, variable-length JSON string, no seal."""
    ds = CSIDataset.load(src)
    with h5py.File(dst, "w") as f:
        f.attrs["schema"] = "radiomap.csidataset"
        f.attrs["schema_version"] = 1
        f.attrs["meta"] = json.dumps(ds.meta)
        f.create_dataset("csi", data=ds.csi if csi is None else csi)
        f.create_dataset("positions", data=ds.positions)
        f.create_dataset("los", data=ds.los)


def _odd_models(d: Path) -> None:
    from radiomap.localize.base import _checksum

    meta = json.loads((d / "model" / "localizer.json").read_text())
    blob = (d / "model" / "state.safetensors").read_bytes()
    for name, edit in {"no_method": lambda m: m.pop("method"), "no_state": lambda m: m.pop("state"),
                       "unknown_param": lambda m: m["params"].update(bogus=1)}.items():
        m = json.loads(json.dumps(meta))
        edit(m)
        m.pop("checksum")
        m["checksum"] = _checksum(blob, m)  # consistent checksum: only the structure is wrong
        shutil.copytree(d / "model", d / f"model_{name}")
        (d / f"model_{name}" / "localizer.json").write_text(json.dumps(m))
    shutil.copytree(d / "model", d / "model_flipped")
    b = bytearray(blob)
    b[len(b) // 2] ^= 0x01
    (d / "model_flipped" / "state.safetensors").write_bytes(b)


@pytest.fixture
def work(files, tmp_path) -> Path:
    """A working folder with copies of every input (so that no test can change another's)."""
    for p in files.iterdir():
        (shutil.copytree if p.is_dir() else shutil.copy2)(p, tmp_path / p.name)
    return tmp_path


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file (hidden ones included) and '<dir>' for folders."""
    import hashlib

    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        out[rel] = "<dir>" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out
