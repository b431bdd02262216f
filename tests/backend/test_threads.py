"""Thread-count rules of the CPU kernels: serial below a size or on busy cores."""

from __future__ import annotations

import numba
import numpy as np

from rnla.backend.cpu import _threads, normal_residual


def test_threads_for_runs_small_work_serially_and_restores():
    before = numba.get_num_threads()
    with _threads.threads_for(_threads.SERIAL_BELOW_BYTES - 1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with _threads.threads_for(_threads.SERIAL_BELOW_BYTES):
        assert numba.get_num_threads() == min(before, _threads.available_cpus())
    assert numba.get_num_threads() == before


def test_sized_kernel_gives_the_same_bits_on_any_thread_count(rng, monkeypatch):
    A = rng.standard_normal((40000, 8))  # 2.4 MiB: parallel by the size rule
    X, B = rng.standard_normal((8, 2)), rng.standard_normal((40000, 2))
    G, rr = normal_residual(A, X, B)
    monkeypatch.setattr(_threads, "SERIAL_BELOW_BYTES", 2**62)  # force the serial twin
    G1, rr1 = normal_residual(A, X, B)
    np.testing.assert_array_equal(G, G1)
    np.testing.assert_array_equal(rr, rr1)


def test_fwht_gives_the_same_bits_on_any_thread_count(rng, monkeypatch):
    from rnla.backend.cpu import fwht

    for order in ("C", "F"):
        for d in (1, 3):
            A = np.asarray(rng.standard_normal((2**18, d)), order=order)  # 2 MiB and more: parallel
            X = fwht(A.copy(order=order))
            with monkeypatch.context() as m:
                m.setattr(_threads, "SERIAL_BELOW_BYTES", 2**62)
                X1 = fwht(A.copy(order=order))
            np.testing.assert_array_equal(X, X1)


def test_busy_machine_runs_large_kernels_on_the_free_cpus(monkeypatch):
    default = numba.get_num_threads()
    if default != numba.config.NUMBA_NUM_THREADS or "NUMBA_NUM_THREADS" in __import__("os").environ:
        import pytest

        pytest.skip("the thread count is set explicitly here")
    cpus = min(default, _threads.available_cpus())
    monkeypatch.setattr(_threads, "busy_cpus", lambda: cpus)  # every CPU taken elsewhere
    with _threads.threads_for(_threads.SERIAL_BELOW_BYTES):
        assert numba.get_num_threads() == 1
    monkeypatch.setattr(_threads, "busy_cpus", lambda: 0)
    with _threads.threads_for(_threads.SERIAL_BELOW_BYTES):
        assert numba.get_num_threads() == cpus
    assert numba.get_num_threads() == default


def test_an_explicit_thread_count_is_not_lowered_for_load(monkeypatch):
    monkeypatch.setattr(_threads, "busy_cpus", lambda: 10**6)
    before = numba.get_num_threads()
    monkeypatch.setenv("NUMBA_NUM_THREADS", str(before))  # the user's explicit choice
    with _threads.threads_for(_threads.SERIAL_BELOW_BYTES):
        assert numba.get_num_threads() == min(before, _threads.available_cpus())
    with _threads.threads_for(_threads.SERIAL_BELOW_BYTES - 1):  # the size rule still holds
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before


def test_load_probe_needs_agreeing_readings(monkeypatch):
    readings = iter([1, 1, 1, 0, 1])
    monkeypatch.setattr(_threads, "_runnable_elsewhere", lambda: next(readings))
    monkeypatch.setattr(_threads, "LOAD_PROBE_SECONDS", 0.0)  # read at every call
    monkeypatch.setitem(_threads._probe, "interval", 0.0)
    monkeypatch.setitem(_threads._probe, "readings", [0])
    monkeypatch.setitem(_threads._probe, "at", __import__("time").monotonic())
    cpus = _threads.available_cpus()
    seen = []
    for _ in range(5):
        _threads._probe["interval"] = 0.0  # the read's own cost would space them out
        seen.append(_threads.busy_cpus())
    # a lone reading is taken for a daemon waking; three in a row for load
    assert seen == [0, 0, min(1, cpus), 0, 0]


def test_load_probe_forgets_stale_readings(monkeypatch):
    monkeypatch.setattr(_threads, "_runnable_elsewhere", lambda: 1)
    monkeypatch.setitem(_threads._probe, "readings", [0, 0, 0])
    monkeypatch.setitem(_threads._probe, "at", -1e9)  # the last reading, long ago
    assert _threads.busy_cpus() == min(1, _threads.available_cpus())  # the load of now


def test_load_probe_reads_this_machine():
    busy = _threads.busy_cpus()
    assert 0 <= busy <= _threads.available_cpus()


def test_lp_kernels_give_the_same_bits_on_any_thread_count(monkeypatch):
    from rnla.lp import solve_packing

    rng = np.random.default_rng(3)
    import scipy.sparse as sp

    A = sp.random_array((3000, 3000), density=0.01, random_state=rng, format="csc")
    A = A + sp.eye_array(3000, format="csc")  # no empty column, ~1.1 MiB of CSC arrays
    monkeypatch.setattr(_threads, "SERIAL_BELOW_BYTES", 0)
    monkeypatch.setattr(_threads, "busy_cpus", lambda: 0)
    parallel = solve_packing(A, 0.05)
    monkeypatch.setattr(_threads, "SERIAL_BELOW_BYTES", 2**62)
    serial = solve_packing(A, 0.05)
    np.testing.assert_array_equal(parallel.x, serial.x)
    np.testing.assert_array_equal(parallel.dual, serial.dual)


def test_load_probe_costs_at_most_a_percent_of_the_time_between_reads(monkeypatch):
    import time

    def slow_read():
        time.sleep(0.002)  # a process with very many threads
        return 0

    monkeypatch.setattr(_threads, "_runnable_elsewhere", slow_read)
    monkeypatch.setitem(_threads._probe, "at", -1e9)
    _threads.busy_cpus()
    assert _threads._probe["interval"] >= 0.2  # 100 x the read's cost
