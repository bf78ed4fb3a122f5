"""``-p name=value`` options of the CLI."""

from __future__ import annotations

import json

from radiomap.errors import ParameterError


def parse_params(items: list[str] | None) -> dict:
    """``["k=4", "inputs=beamspace", "hidden=[64,64]"]`` -> dict; values parsed as JSON when possible."""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ParameterError(f"parameter {item!r} is not of the form name=value")
        key, value = item.split("=", 1)
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out
