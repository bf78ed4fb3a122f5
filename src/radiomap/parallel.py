"""The executor seam: work cut into shards, run in-process by default or on Dask when asked.

Every parallel command (``simulate``, ``features compute``, ``localize``, ``bench --seeds``) cuts its
work into shards whose boundaries and seeds depend only on the input and the user's seed, never on
the number of workers, and runs them through one :class:`Executor`:

- :class:`InProcess` (no ``--workers``, no ``--scheduler``): the shards run one after another in this
  process; Dask is not imported at all;
- :class:`DaskExecutor`: ``--workers N`` starts a ``dask.distributed.LocalCluster`` of N single-threaded
  worker processes; ``--scheduler ADDRESS`` connects to a running scheduler (a cluster started by hand, by
  ``dask-jobqueue`` on SLURM/PBS, ...). Workers read and write the files named in their tasks, so on a
  cluster those paths must be on a shared file system.

Shard ``i`` of a run with seed ``s`` draws its random numbers from
``numpy.random.SeedSequence(s).spawn(...)[i]`` (:func:`shard_seed`), so the result is bitwise identical
for any number of workers and to the in-process run. See ``docs/parallel.md``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from radiomap.errors import ParameterError

_CONNECT_TIMEOUT_S = 10
_TRIM_KEY = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


def shard_bounds(n: int, size: int) -> list[tuple[int, int]]:
    """Row ranges of the shards of ``n`` items, ``size`` items each (the last one shorter).

    Parameters
    ----------
    n : int
        Number of items (positions, samples), >= 0.
    size : int
        Items per shard, >= 1.

    Returns
    -------
    list of (start, stop) int pairs
        ``ceil(n / size)`` half-open ranges covering ``0..n`` in order.
    """
    if size < 1:
        raise ParameterError(f"shard size must be >= 1, got {size}")
    return [(start, min(start + size, n)) for start in range(0, n, size)]


def shard_seed(seed: int, index: int) -> np.random.SeedSequence:
    """Seed of shard ``index``: child ``index`` of ``SeedSequence(seed).spawn``, independent of the shard count.

    Parameters
    ----------
    seed : int
        The user's seed (>= 0).
    index : int
        Shard index (>= 0).

    Returns
    -------
    numpy.random.SeedSequence
        Pass it to ``numpy.random.default_rng``.
    """
    return np.random.SeedSequence(seed, spawn_key=(index,))


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB).

    Returns
    -------
    float
        ``VmHWM`` of ``/proc/self/status`` on Linux (reset by ``exec``, unlike ``ru_maxrss``, which a spawned
        worker inherits from its parent), else ``getrusage(RUSAGE_SELF).ru_maxrss``.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class InProcess:
    """Runs shards one after another in this process (the default; imports no Dask).

    Attributes
    ----------
    workers : int
        0 (no worker processes).
    dashboard : None
        No dashboard.
    """

    workers = 0
    dashboard = None

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        """Apply ``fn`` to each item in order.

        Parameters
        ----------
        fn : callable
            Function of one item.
        items : iterable
            Task arguments.

        Yields
        ------
        (int, object)
            Index of the item and ``fn(item)``, in order.
        """
        for i, item in enumerate(items):
            yield i, fn(item)


class DaskExecutor:
    """Runs shards as tasks of a ``dask.distributed`` client, yielding results as they complete.

    Parameters
    ----------
    client : distributed.Client
        A connected client (``LocalCluster`` or remote scheduler).

    Attributes
    ----------
    workers : int
        Workers connected when the executor was made.
    dashboard : str or None
        Link to the scheduler's dashboard.
    """

    def __init__(self, client) -> None:
        self.client = client
        self.workers = len(client.scheduler_info().get("workers", {}))
        self.dashboard = client.dashboard_link

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        """Submit ``fn`` on every item; yield results in completion order (a failed task raises here).

        Parameters
        ----------
        fn : callable
            Function of one item (picklable: a module-level function).
        items : iterable
            Task arguments (small: paths, ranges, settings; never bulk arrays).

        Yields
        ------
        (int, object)
            Index of the item and ``fn(item)``, as the tasks finish.
        """
        from distributed import as_completed

        futures = self.client.map(fn, list(items), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for future, result in as_completed(futures, with_results=True):
            yield index[future.key], result


Executor = InProcess | DaskExecutor
"""What every sharded function takes: anything with ``map(fn, items) -> iterator of (index, result)``."""


@contextlib.contextmanager
def executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Executor]:
    """The executor for ``--workers`` / ``--scheduler``: in-process without either.

    Parameters
    ----------
    workers : int or None
        Start a ``LocalCluster`` of this many single-threaded worker processes (>= 1).
    scheduler : str or None
        Address of a running Dask scheduler (``tcp://host:8786``), or a scheduler file (``.json``).

    Yields
    ------
    InProcess or DaskExecutor
        Closed (cluster shut down, client disconnected) on exit.

    Raises
    ------
    ParameterError
        Both given, ``workers < 1``, Dask not installed, or the scheduler cannot be reached.
    """
    check_executor_options(workers, scheduler)
    if workers is None and scheduler is None:
        yield InProcess()
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ParameterError("--workers/--scheduler need Dask: pip install 'radiomap[parallel]'") from exc
    with contextlib.ExitStack() as stack:
        if workers is not None:
            import dask

            # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which turns off glibc's dynamic
            # mmap threshold: every large NumPy temporary is then mmap'd and unmapped again, and the tracer
            # runs 1.5x slower (measured, docs/parallel.md). Our shards are bounded, so leave glibc's default.
            with dask.config.set({_TRIM_KEY: None}):
                cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                           dashboard_address=":0", silence_logs=logging.ERROR))
            client = stack.enter_context(Client(cluster))
        else:
            kw = {"scheduler_file": scheduler} if scheduler.endswith(".json") else {"address": scheduler}
            try:
                client = stack.enter_context(Client(**kw, timeout=_CONNECT_TIMEOUT_S))
            except (OSError, TimeoutError, ValueError) as exc:
                raise ParameterError(f"--scheduler {scheduler}: cannot connect ({exc})") from exc
        yield DaskExecutor(client)


def check_executor_options(workers: int | None, scheduler: str | None) -> None:
    """Validate ``--workers`` / ``--scheduler`` before any work (one-line ``ParameterError``).

    Parameters
    ----------
    workers : int or None
        Local worker processes (>= 1).
    scheduler : str or None
        Scheduler address or scheduler file.
    """
    if workers is not None and scheduler is not None:
        raise ParameterError("give either --workers or --scheduler, not both")
    if workers is not None and workers < 1:
        raise ParameterError(f"--workers must be >= 1, got {workers}")
    if scheduler is not None and not scheduler.strip():
        raise ParameterError("--scheduler needs an address such as tcp://host:8786")
