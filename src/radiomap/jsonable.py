"""The package's one JSON encoder: NumPy values, tuples, paths and non-finite floats made JSON-safe."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np


def jsonable(obj: Any) -> Any:
    """``obj`` with NumPy arrays/scalars as lists/numbers, tuples as lists, paths as strings and
    NaN/Inf as ``None`` (JSON has no non-finite numbers), recursively."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def dumps(obj: Any, **kw: Any) -> str:
    """``json.dumps(jsonable(obj))``; never writes NaN or Infinity."""
    return json.dumps(jsonable(obj), allow_nan=False, **kw)
