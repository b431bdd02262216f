"""GPU benchmark of the CuPy path, each case against its device baseline in one run.

    python -m bench.gpu [--quick]

Needs CuPy and a CUDA device (it exits with a message otherwise).  Cases (sizes of
the backend issue; ``--quick`` divides n by 16):

* sparse sign sketch (s = 8, k = 1024) of 2^22 x 256 float64 vs a device-to-device
  copy of the matrix (target: within 3x);
* Gaussian sketch (k = 4096) of 2^20 x 512 vs cuBLAS GEMM with a pre-drawn S
  (target: within 1.3x);
* FWHT of 2^24 x 64 vs the copy (target: within 3x);
* ``rnla.lstsq`` on 2^20 x 512 float64 vs ``cupy.linalg.lstsq`` (target: 5x faster
  at 1e-10 relative error in x);
* Fourier features 2^20 x 64 -> 4096 vs a plain GEMM + cos.

Writes ``bench/results/gpu.{json,md}`` (``gpu_quick`` with ``--quick``) with the
device, driver and CuPy versions.  Timings are medians of device-synchronised runs
after a warm-up.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from bench._common import write_results


def _device_time(cp, fn, repeats: int) -> float:
    fn()
    cp.cuda.Device().synchronize()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        cp.cuda.Device().synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _row(case, ours, baseline, name, target, **extra) -> dict:
    return {"case": case, "rnla_s": ours, "baseline": name, "baseline_s": baseline,
            "ratio": ours / baseline, "target": target, **extra}


def _sparse_sign(cp, rnla, rng, shrink, repeats) -> dict:
    A = rng.standard_normal((2**22 // shrink, 256))
    S = rnla.make_sketch("sparse_sign", 1024, A.shape[0], rng=1, s=8)
    return _row("sparse sign s=8, 2^22 x 256 -> 1024",
                _device_time(cp, lambda: S @ A, repeats),
                _device_time(cp, lambda: A.copy(), repeats), "device copy", "<= 3")


def _gaussian(cp, rnla, rng, shrink, repeats) -> dict:
    A = rng.standard_normal((2**20 // shrink, 512))
    G = rnla.make_sketch("gaussian", 4096, A.shape[0], rng=2)
    pre_drawn = rng.standard_normal((4096, A.shape[0])) / 64.0
    return _row("Gaussian k=4096, 2^20 x 512", _device_time(cp, lambda: G @ A, repeats),
                _device_time(cp, lambda: pre_drawn @ A, repeats), "cuBLAS GEMM, S pre-drawn",
                "<= 1.3")


def _lstsq(cp, rnla, rng, shrink, repeats) -> dict:
    A = rng.standard_normal((2**20 // shrink, 512))
    b = A @ rng.standard_normal(512) + rng.standard_normal(A.shape[0])
    x_ref = cp.linalg.lstsq(A, b, rcond=None)[0]
    result = rnla.lstsq(A, b, rng=3)
    error = float(cp.linalg.norm(result.x - x_ref) / cp.linalg.norm(x_ref))
    return _row("lstsq 2^20 x 512", _device_time(cp, lambda: rnla.lstsq(A, b, rng=3), repeats),
                _device_time(cp, lambda: cp.linalg.lstsq(A, b, rcond=None), repeats),
                "cupy.linalg.lstsq", "<= 0.2", relative_error=error, method=result.method)


def _fwht(cp, rnla, rng, shrink, repeats) -> dict:
    X = rng.standard_normal((2**24 // shrink, 64))
    K = rnla.backend.kernels(cp)
    return _row("FWHT 2^24 x 64", _device_time(cp, lambda: K.fwht(X), repeats),
                _device_time(cp, lambda: X.copy(), repeats), "device copy", "<= 3")


def _features(cp, rnla, rng, shrink, repeats) -> dict:
    X = rng.standard_normal((2**20 // shrink, 64))
    fmap = rnla.features.FourierFeatureMap(4096, rng=4).fit(X)
    W = cp.asarray(fmap.frequencies_.T)
    return _row("Fourier features 2^20 x 64 -> 4096",
                _device_time(cp, lambda: fmap.transform(X), repeats),
                _device_time(cp, lambda: cp.cos(X @ W), repeats), "GEMM + cos", "report")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="n divided by 16")
    args = parser.parse_args(argv)
    try:
        import cupy as cp

        if cp.cuda.runtime.getDeviceCount() < 1:
            raise RuntimeError("no CUDA device")
    except Exception as err:  # noqa: BLE001 - any failure means: no usable GPU
        print(f"bench.gpu needs CuPy and a CUDA device: {err}", file=sys.stderr)
        return 2
    import rnla

    shrink = 16 if args.quick else 1
    repeats = 3 if args.quick else 5
    rng = cp.random.default_rng(0)
    rows = [case(cp, rnla, rng, shrink, repeats)
            for case in (_sparse_sign, _gaussian, _lstsq, _fwht, _features)]

    props = cp.cuda.runtime.getDeviceProperties(0)
    params = {"quick": args.quick, "repeats": repeats,
              "device": props["name"].decode() if isinstance(props["name"], bytes)
              else props["name"],
              "driver": cp.cuda.runtime.driverGetVersion(),
              "runtime": cp.cuda.runtime.runtimeGetVersion(), "cupy": cp.__version__,
              "numpy": np.__version__}
    write_results("gpu" + ("_quick" if args.quick else ""), params, rows,
                  ["case", "rnla_s", "baseline", "baseline_s", "ratio", "target"],
                  notes=f"Device: {params['device']}, driver {params['driver']}, CuPy "
                        f"{params['cupy']}.  ratio = rnla time / baseline time.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
