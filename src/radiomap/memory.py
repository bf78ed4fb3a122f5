"""Memory estimates before large allocations: refuse with the size and the parameter to change.

Example
-------
>>> check_allocation(8 * 10**6, "the CSI of 1e6 samples", "use fewer positions")  # doctest: +SKIP
"""

from __future__ import annotations

import os

from radiomap.errors import ParameterError

USABLE_FRACTION = 0.8
"""Share of the currently available memory one allocation may take."""


def available_bytes() -> int:
    """Memory available to new allocations now (Linux ``MemAvailable``; else physical memory)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def format_bytes(n: float) -> str:
    """``1536 -> '1.5 KiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    raise AssertionError  # pragma: no cover - the loop always returns


def check_allocation(nbytes: float, what: str, hint: str) -> None:
    """Raise ``ParameterError`` if ``nbytes`` exceed :data:`USABLE_FRACTION` of the available memory.

    ``what`` names the allocation ("the HMM grid of 2,050,000 cells"), ``hint`` the parameter to
    change ("raise resolution=").
    """
    avail = available_bytes()
    if nbytes > USABLE_FRACTION * avail:
        raise ParameterError(f"{what} needs {format_bytes(nbytes)} but {format_bytes(avail)} of memory is "
                             f"available; {hint}")
