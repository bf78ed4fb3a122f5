"""Learned state <-> (arrays for safetensors, JSON): the generic encoder behind ``Localizer.save``.

Every public attribute ending in ``_`` of a fitted localizer is saved. Values are encoded
recursively:

- ``np.ndarray`` -> a safetensors entry ``<path>``; JSON ``{"__array__": "<path>"}`` (complex arrays as
  ``[..., 2]`` real/imaginary parts, ``{"__complex__": "<path>", "dtype": ...}``);
- ``tuple`` -> ``{"__tuple__": [...]}`` (tuples stay tuples), ``dict`` with string keys, ``list``;
- NumPy scalars -> Python numbers; ``None``, ``bool``, ``int``, ``float`` (NaN/Inf kept as
  ``{"__float__": "nan"}``), ``str`` as themselves;
- dataclasses defined in ``radiomap`` -> ``{"__dataclass__": "module:Class", "fields": {...}}``;
- ``torch.nn.Module`` -> its state dict as arrays ``<path>.<key>`` and ``{"__module__": "<path>"}``;
  the architecture is rebuilt on load by the localizer's ``_build_module(name)``.

Anything else raises ``TypeError`` at save time (a bug: the localizer must give the attribute a
persistable type), so that no fitted attribute is silently lost.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections.abc import Callable
from typing import Any

import numpy as np

_TRUSTED_PREFIX = "radiomap."


def encode(value: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """JSON form of a learned value (rules in the module docstring).

    Parameters
    ----------
    value : Any
        Array, number, string, None, tuple, list, dict with string keys, radiomap dataclass or
        torch module, nested.
    path : str
        Key prefix of its arrays (the attribute name, then ``.index`` / ``.key`` / ``.field``).
    arrays : dict[str, ndarray]
        Collects the arrays for safetensors; filled in place.

    Returns
    -------
    Any
        JSON-able value.

    Raises
    ------
    TypeError
        A value of another type (or an array of a non-numeric dtype, a dict with non-string keys).
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "c":  # safetensors has no complex dtype: real and imaginary parts
            arrays[path] = np.ascontiguousarray(np.stack([value.real, value.imag], axis=-1))
            return {"__complex__": path, "dtype": str(value.dtype)}
        if value.dtype.kind not in "biuf":
            raise TypeError(f"{path}: arrays of dtype {value.dtype} cannot be saved")
        arrays[path] = np.ascontiguousarray(value)
        return {"__array__": path}
    if isinstance(value, np.generic):
        return encode(value.item(), path, arrays)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, f"{path}.{i}", arrays) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [encode(v, f"{path}.{i}", arrays) for i, v in enumerate(value)]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"{path}: dict keys must be strings to be saved")
        return {"__dict__": {k: encode(v, f"{path}.{k}", arrays) for k, v in value.items()}}
    if dataclasses.is_dataclass(value) and type(value).__module__.startswith(_TRUSTED_PREFIX):
        fields = {f.name: encode(getattr(value, f.name), f"{path}.{f.name}", arrays)
                  for f in dataclasses.fields(value)}
        return {"__dataclass__": f"{type(value).__module__}:{type(value).__qualname__}", "fields": fields}
    if _is_module(value):
        for k, t in value.state_dict().items():
            arrays[f"{path}.{k}"] = t.detach().cpu().contiguous().numpy()
        return {"__module__": path}
    raise TypeError(f"{path}: values of type {type(value).__name__} cannot be saved; give the attribute a "
                    "persistable type (arrays, numbers, strings, lists, dicts, radiomap dataclasses, torch modules)")


def decode(obj: Any, arrays: dict[str, np.ndarray], build_module: Callable[[str], Any]) -> Any:
    """Inverse of :func:`encode`.

    Parameters
    ----------
    obj : Any
        JSON form written by ``encode``.
    arrays : dict[str, ndarray]
        The safetensors arrays.
    build_module : Callable[[str], torch.nn.Module]
        ``build_module(path)`` returns the untrained module stored at ``path``.

    Returns
    -------
    Any
        The value; arrays as stored (complex ones rebuilt), modules loaded and in eval mode.

    Raises
    ------
    ValueError
        An unknown encoding or a dataclass outside radiomap.
    """
    if isinstance(obj, list):
        return [decode(v, arrays, build_module) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__array__" in obj:
        return arrays[obj["__array__"]]
    if "__complex__" in obj:
        parts = arrays[obj["__complex__"]]
        return (parts[..., 0] + 1j * parts[..., 1]).astype(obj["dtype"])
    if "__float__" in obj:
        return float(obj["__float__"])
    if "__tuple__" in obj:
        return tuple(decode(v, arrays, build_module) for v in obj["__tuple__"])
    if "__dict__" in obj:
        return {k: decode(v, arrays, build_module) for k, v in obj["__dict__"].items()}
    if "__dataclass__" in obj:
        return _dataclass(obj["__dataclass__"], {k: decode(v, arrays, build_module)
                                                 for k, v in obj["fields"].items()})
    if "__module__" in obj:
        import torch

        path = obj["__module__"]
        module = build_module(path)
        state = {k[len(path) + 1:]: torch.from_numpy(np.array(v)) for k, v in arrays.items()
                 if k.startswith(path + ".")}
        module.load_state_dict(state)
        return module.eval()
    raise ValueError(f"unknown encoded value {sorted(obj)}")


def _dataclass(target: str, fields: dict) -> Any:
    module, qualname = target.split(":")
    if not module.startswith(_TRUSTED_PREFIX):
        raise ValueError(f"refusing to rebuild {target}: not a radiomap class")
    cls: Any = importlib.import_module(module)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    if not dataclasses.is_dataclass(cls):
        raise ValueError(f"{target} is not a dataclass")
    init = {f.name for f in dataclasses.fields(cls) if f.init}
    obj = cls(**{k: v for k, v in fields.items() if k in init})
    for k, v in fields.items():
        if k not in init:
            object.__setattr__(obj, k, v)
    return obj


def _is_module(value: Any) -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return isinstance(value, torch.nn.Module)


def equal(a: Any, b: Any) -> bool:
    """Deep equality of learned values (arrays by value, modules by state dict, dataclasses by fields).

    Parameters
    ----------
    a, b : Any

    Returns
    -------
    bool
        Same types throughout (tuples stay tuples), arrays of equal dtype, shape and values (NaN
        equal to NaN), NumPy scalars compared as Python numbers.
    """
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype \
            and a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if _is_module(a) or _is_module(b):
        if not (_is_module(a) and _is_module(b)):
            return False
        sa, sb = a.state_dict(), b.state_dict()
        return sa.keys() == sb.keys() and all(bool((sa[k].cpu() == sb[k].cpu()).all()) for k in sa)
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(equal(getattr(a, f.name), getattr(b, f.name))
                                          for f in dataclasses.fields(a))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    a, b = (v.item() if isinstance(v, np.generic) else v for v in (a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b
