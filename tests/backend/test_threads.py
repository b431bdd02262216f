"""Thread-count rules of the CPU kernels: serial below a size, adaptive in iterations."""

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


def test_adaptive_threads_keeps_the_faster_count():
    seen = []

    def kernel():
        # slow whenever more than one thread is allowed (a busy machine)
        seen.append(numba.get_num_threads())
        if numba.get_num_threads() > 1:
            import time

            time.sleep(0.002)
        return numba.get_num_threads()

    adaptive = _threads.AdaptiveThreads(kernel, recheck=8)
    results = [adaptive() for _ in range(8)]
    if numba.get_num_threads() > 1:
        assert results[:4] == [numba.get_num_threads(), 1, numba.get_num_threads(), 1]
        assert results[4:] == [1, 1, 1, 1]  # measured faster: one thread
    assert numba.get_num_threads() == max(seen)  # the caller's setting is restored


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
