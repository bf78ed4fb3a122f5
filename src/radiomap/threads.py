"""How many threads radiomap's own thread pools may use in this process.

The built-in tracer runs blocks of positions (and its per-AP tables) in thread pools. Their size follows
the convention of the BLAS and OpenMP runtimes, so that one setting governs every pool in the process:
``OMP_NUM_THREADS`` when it is set to a positive integer, else the number of CPUs this process may run on.
Dask's nanny sets ``OMP_NUM_THREADS=1`` in every worker process it starts, so N single-threaded workers
on N cores run N threads, not N x cores.
"""

from __future__ import annotations

import os


def thread_budget() -> int:
    """Threads this process's own pools may use (>= 1).

    Returns
    -------
    int
        ``OMP_NUM_THREADS`` if it is a positive integer, else the CPUs in this process's affinity mask
        (``os.cpu_count()`` where the platform has no affinity).
    """
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)
