"""Workers run one thread each with glibc's default allocator settings (the 2-worker speed-up depends on it)."""

import os

import pytest

from radiomap.threads import thread_budget


def _worker_environment():
    from radiomap.threads import thread_budget

    return thread_budget(), os.environ.get("MALLOC_TRIM_THRESHOLD_")


@pytest.mark.parametrize(("value", "expected"), [("3", 3), ("1", 1)])
def test_thread_budget_follows_omp_num_threads(monkeypatch, value, expected):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert thread_budget() == expected


@pytest.mark.parametrize("value", ["", "0", "many", "-2"])
def test_thread_budget_without_a_valid_setting_is_the_affinity(monkeypatch, value):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert thread_budget() == len(os.sched_getaffinity(0))


def test_local_workers_are_single_threaded_without_malloc_trim(dask2):
    found = dask2.client.run(_worker_environment)
    assert len(found) == 2
    assert all(v == (1, None) for v in found.values()), found
