"""Random byte flips and truncations of a saved dataset and a saved model folder.

Loading must either fail with a one-line ``RadiomapError`` or give exactly the original content:
never another exception and never a silently different result.
"""

import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from radiomap.data import CSIDataset
from radiomap.errors import RadiomapError
from radiomap.localize import Localizer

FIELDS = ("csi", "positions", "timestamps", "los", "velocity", "trajectory_id", "point_id")
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def damage(data: bytes, where: float, xor: int, truncate: bool) -> bytes:
    """``data`` cut at fraction ``where``, or with the byte there XOR-ed with ``xor`` (1..255)."""
    pos = min(int(where * len(data)), len(data) - 1)
    if truncate:
        return data[:pos]
    out = bytearray(data)
    out[pos] ^= xor
    return bytes(out)


def same_dataset(a: CSIDataset, b: CSIDataset) -> bool:
    if a.meta != b.meta or set(a.features) != set(b.features):
        return False
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if (x is None) != (y is None) or (x is not None and (x.dtype != y.dtype or not np.array_equal(x, y))):
            return False
    return True


damages = st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255), st.booleans())


@pytest.fixture(scope="module")
def small_dataset(files, tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    CSIDataset.load(files / "test.h5").subset(np.arange(12)).save(d / "small.h5")
    return d / "small.h5"


@FUZZ
@given(damages)
def test_damaged_dataset_fails_clearly_or_loads_unchanged(small_dataset, tmp_path, dmg):
    original = CSIDataset.load(small_dataset)
    target = tmp_path / "d.h5"
    target.write_bytes(damage(small_dataset.read_bytes(), *dmg))
    try:
        loaded = CSIDataset.load(target)
    except RadiomapError as exc:
        assert "\n" not in str(exc)
        return
    assert same_dataset(loaded, original), f"silently different dataset after {dmg}"


@FUZZ
@given(st.sampled_from(["localizer.json", "state.safetensors"]), damages)
def test_damaged_model_fails_clearly_or_predicts_the_same(files, tmp_path, name, dmg):
    query = CSIDataset.load(files / "test.h5")
    expected = Localizer.load(files / "model").predict(query)
    folder = tmp_path / "m"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(files / "model", folder)
    (folder / name).write_bytes(damage((folder / name).read_bytes(), *dmg))
    try:
        loc = Localizer.load(folder)
    except RadiomapError as exc:
        assert "\n" not in str(exc)
        return
    np.testing.assert_array_equal(loc.predict(query), expected)
