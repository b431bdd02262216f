r"""Numba kernels of the Fourier feature maps and the box discrepancy (CPU backend).

The feature kernels turn :math:`Z = XW` into :math:`\cos Z, \sin Z` in place.  They
evaluate sine and cosine together with one argument reduction: :math:`z = j\pi/2 + r`,
:math:`|r| \le \pi/4`, by a three-part Cody--Waite split of :math:`\pi/2` (exact for
:math:`|j| < 2^{20}`), then fdlibm's minimax polynomials for :math:`\sin r, \cos r`
(errors below 1 ulp of :math:`r`).  The code has no branches, so LLVM vectorises it; a
row with :math:`|z| \ge 10^6` falls back to ``math.sin``/``math.cos``.  The result
agrees with ``numpy.cos``/``numpy.sin`` to within 2 ulp (absolute error below
:math:`2^{-53}`): this is an exact-accuracy implementation, not an approximation of
lower accuracy.

float32 input is computed in float32 (twice the SIMD width): a three-part split of
:math:`\pi/2` with 8- and 11-bit leading parts (exact for :math:`|j| < 2^{13}`) and
Cephes' single-precision polynomials, within 2 ulp of float32 for :math:`|z| < 8192`;
a row with larger entries is computed in float64 as above.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from rnla.backend.cpu._threads import sized

__all__ = ["cos_sin", "cos_phase", "sinc_box_sum", "gaussian_from_gram", "distance_kernel"]

_PIO2_1 = 1.57079632673412561417e00  # first 33 bits of pi/2
_PIO2_2 = 6.07710050630396597660e-11  # next 33 bits
_PIO2_3 = 2.02226624871116645580e-21  # next 33 bits
_TWO_OVER_PI = 6.36619772367581382433e-01
_S1, _S2, _S3 = -1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04
_S4, _S5, _S6 = 2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10
_C1, _C2, _C3 = 4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05
_C4, _C5, _C6 = -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11
_REDUCTION_LIMIT = 1.0e6  # |z| below which the three-part reduction is exact enough
_F = np.float32
_F_PIO2_1, _F_PIO2_2 = _F(1.5703125), _F(4.837512969970703125e-4)  # 8 and 11 bits
_F_PIO2_3 = _F(7.54978995489188216e-8)
_F_TWO_OVER_PI = _F(6.36619772367581382433e-01)
_F_S1, _F_S2, _F_S3 = _F(-1.6666654611e-1), _F(8.3321608736e-3), _F(-1.9515295891e-4)
_F_C1, _F_C2, _F_C3 = _F(4.166664568298827e-2), _F(-1.388731625493765e-3), _F(2.443315711809948e-5)
_F_HALF, _F_ONE, _F_QUARTER, _F_FOUR = _F(0.5), _F(1.0), _F(0.25), _F(4.0)
_F_REDUCTION_LIMIT = 8192.0  # |z| below which the float32 reduction is exact enough


@njit(inline="always")
def _sincos(z):
    """(sin z, cos z) for |z| < 1e6, branch-free."""
    j = math.floor(z * _TWO_OVER_PI + 0.5)
    r = ((z - j * _PIO2_1) - j * _PIO2_2) - j * _PIO2_3
    r2 = r * r
    s = r + r * r2 * (_S1 + r2 * (_S2 + r2 * (_S3 + r2 * (_S4 + r2 * (_S5 + r2 * _S6)))))
    hz = 0.5 * r2
    w = 1.0 - hz
    c = w + (((1.0 - w) - hz)
             + r2 * r2 * (_C1 + r2 * (_C2 + r2 * (_C3 + r2 * (_C4 + r2 * (_C5 + r2 * _C6))))))
    q = j - 4.0 * math.floor(0.25 * j)  # quadrant j mod 4
    odd = (q == 1.0) | (q == 3.0)
    sv = c if odd else s
    cv = s if odd else c
    sv = -sv if q >= 2.0 else sv
    cv = -cv if (q == 1.0) | (q == 2.0) else cv
    return sv, cv


@njit(inline="always")
def _sincos_reduced_f32(j, r):
    """(sin, cos) of ``j pi/2 + r`` in float32 for |r| <= pi/4, branch-free."""
    r2 = r * r
    s = r + r * r2 * (_F_S1 + r2 * (_F_S2 + r2 * _F_S3))
    c = (_F_ONE - _F_HALF * r2) + r2 * r2 * (_F_C1 + r2 * (_F_C2 + r2 * _F_C3))
    q = j - _F_FOUR * np.floor(_F_QUARTER * j)  # quadrant j mod 4
    odd = (q == _F(1.0)) | (q == _F(3.0))
    sv = c if odd else s
    cv = s if odd else c
    sv = -sv if q >= _F(2.0) else sv
    cv = -cv if (q == _F(1.0)) | (q == _F(2.0)) else cv
    return sv, cv


@njit(inline="always")
def _sincos_f32(z):
    """(sin z, cos z) in float32 arithmetic for a float32 |z| < 8192."""
    j = np.floor(z * _F_TWO_OVER_PI + _F_HALF)
    return _sincos_reduced_f32(j, ((z - j * _F_PIO2_1) - j * _F_PIO2_2) - j * _F_PIO2_3)


@njit(inline="always")
def _cos_shifted_f32(z, jp, hi, lo):
    """cos(z + phase) in float32 for |z| < 8192, the phase given reduced as
    ``jp pi/2 + hi + lo`` (|hi| <= pi/4, lo its float32 remainder).

    z is reduced on its own; the two reduced parts are added exactly (TwoSum)
    and reduced once more, so no rounding of ``z + phase`` enters.
    """
    jz = np.floor(z * _F_TWO_OVER_PI + _F_HALF)
    a = ((z - jz * _F_PIO2_1) - jz * _F_PIO2_2) - jz * _F_PIO2_3
    t = a + hi
    tb = t - a
    e = (a - (t - tb)) + (hi - tb)
    k = np.floor(t * _F_TWO_OVER_PI + _F_HALF)  # -1, 0 or 1
    r = (((t - k * _F_PIO2_1) - k * _F_PIO2_2) - k * _F_PIO2_3) + (e + lo)
    return _sincos_reduced_f32(jz + jp + k, r)[1]


@njit(inline="always")
def _row_max_abs(row, s):
    big = 0.0
    for k in range(s):
        big = max(big, abs(row[k]))
    return big


@njit(parallel=True, cache=True, fastmath={"contract"})
def _cos_sin(out, s, scale):
    for i in prange(out.shape[0]):
        row = out[i]
        if _row_max_abs(row, s) < _REDUCTION_LIMIT:
            for k in range(s):
                sv, cv = _sincos(np.float64(row[k]))
                row[k] = scale * cv
                row[s + k] = scale * sv
        else:
            for k in range(s):
                z = np.float64(row[k])
                row[k] = scale * math.cos(z)
                row[s + k] = scale * math.sin(z)


@njit(parallel=True, cache=True, fastmath={"contract"})
def _cos_sin_f32(out, s, scale):
    scale32 = np.float32(scale)
    for i in prange(out.shape[0]):
        row = out[i]
        if _row_max_abs(row, s) < _F_REDUCTION_LIMIT:
            for k in range(s):
                sv, cv = _sincos_f32(row[k])
                row[k] = scale32 * cv
                row[s + k] = scale32 * sv
        else:
            for k in range(s):
                sv, cv = _sincos(np.float64(row[k])) if abs(row[k]) < _REDUCTION_LIMIT else (
                    math.sin(np.float64(row[k])), math.cos(np.float64(row[k])))
                row[k] = scale * cv
                row[s + k] = scale * sv


@njit(parallel=True, cache=True, fastmath={"contract"})
def _cos_phase_f32(out, phase, scale):
    s = out.shape[1]
    scale32 = np.float32(scale)
    jp = np.floor(phase * (2.0 / np.pi) + 0.5)
    reduced = phase - jp * (np.pi / 2)
    hi = reduced.astype(np.float32)
    lo = (reduced - hi.astype(np.float64)).astype(np.float32)
    jp = jp.astype(np.float32)
    for i in prange(out.shape[0]):
        row = out[i]
        if _row_max_abs(row, s) < _F_REDUCTION_LIMIT:
            for k in range(s):
                row[k] = scale32 * _cos_shifted_f32(row[k], jp[k], hi[k], lo[k])
        else:
            for k in range(s):
                row[k] = scale * math.cos(np.float64(row[k]) + phase[k])


@njit(parallel=True, cache=True, fastmath={"contract"})
def _cos_phase(out, phase, scale):
    s = out.shape[1]
    for i in prange(out.shape[0]):
        row = out[i]
        if _row_max_abs(row, s) < _REDUCTION_LIMIT:
            for k in range(s):
                row[k] = scale * _sincos(np.float64(row[k]) + phase[k])[1]
        else:
            for k in range(s):
                row[k] = scale * math.cos(np.float64(row[k]) + phase[k])


@sized(lambda out, s, scale: out.nbytes)
def cos_sin(out: np.ndarray, s: int, scale: float) -> np.ndarray:
    """``scale [cos Z, sin Z]`` (n x 2s) for ``Z = out[:, :s]``, written over ``out``."""
    (_cos_sin_f32 if out.dtype == np.float32 else _cos_sin)(out, s, scale)
    return out


@sized(lambda out, phase, scale: out.nbytes)
def cos_phase(out: np.ndarray, phase: np.ndarray, scale: float) -> np.ndarray:
    """``scale cos(Z + phase)`` (phase per column) for ``Z = out``, written over ``out``."""
    (_cos_phase_f32 if out.dtype == np.float32 else _cos_phase)(out, phase, scale)
    return out


@njit(inline="always")
def _sinc_and_slope(x):
    """sin(x)/x and its derivative (x cos x - sin x)/x^2, with Taylor series near 0."""
    if abs(x) < 0.05:
        x2 = x * x
        f = 1.0 - x2 / 6.0 * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0))
        g = -x / 3.0 * (1.0 - x2 / 10.0 * (1.0 - x2 / 28.0 * (1.0 - x2 / 54.0)))
        return f, g
    sv, cv = _sincos(x) if abs(x) < _REDUCTION_LIMIT else (math.sin(x), math.cos(x))
    return sv / x, (x * cv - sv) / (x * x)


@njit(parallel=True, cache=True)
def _sinc_box_sum(W, V, b, want_grad):
    s, d = W.shape
    totals = np.zeros(s)
    G = np.zeros((s, d))
    for row in prange(s):
        f = np.empty(d)
        g = np.empty(d)
        suffix = np.empty(d + 1)
        acc = 0.0
        for m in range(V.shape[0]):
            for j in range(d):
                f[j], g[j] = _sinc_and_slope(b[j] * (W[row, j] - V[m, j]))
            suffix[d] = 1.0
            for j in range(d - 1, -1, -1):
                suffix[j] = suffix[j + 1] * f[j]
            acc += suffix[0]
            if want_grad:
                prefix = 1.0
                for j in range(d):
                    G[row, j] += b[j] * g[j] * prefix * suffix[j + 1]
                    prefix *= f[j]
        totals[row] = acc
    return totals.sum(), G


@sized(lambda W, V, b, want_grad: 8 * W.shape[0] * V.shape[0] * W.shape[1])
def sinc_box_sum(W: np.ndarray, V: np.ndarray, b: np.ndarray, want_grad: bool):
    r"""Sum of the normalised sinc kernel over all pairs, and its gradient in ``W``.

    Returns :math:`T = \sum_{l,m} \prod_j f_j(w_{lj} - v_{mj})`, with
    :math:`f_j(z) = \sin(b_j z)/(b_j z)`, and ``G[l, j]`` :math:`= \partial T/\partial w_{lj}`
    (``W`` as first argument only; zeros when ``want_grad`` is False).  Products of
    the other factors use prefix and suffix products, so a zero factor is harmless.
    """
    return _sinc_box_sum(W, V, b, want_grad)


@njit(parallel=True, cache=True, fastmath={"contract"})
def _gaussian_from_gram(G, x_sq, y_sq):
    for i in prange(G.shape[0]):
        row = G[i]
        xi = x_sq[i]
        for j in range(row.shape[0]):
            row[j] = math.exp(-0.5 * max(xi + y_sq[j] - 2.0 * row[j], 0.0))


@sized(lambda G, x_sq, y_sq: G.nbytes)
def gaussian_from_gram(G: np.ndarray, x_sq: np.ndarray, y_sq: np.ndarray) -> np.ndarray:
    """``exp(-max(x_sq_i + y_sq_j - 2 G_ij, 0) / 2)`` written over the Gram block
    ``G = X Y^T`` (float64, C order): the Gaussian kernel of the rows in one pass."""
    _gaussian_from_gram(G, x_sq, y_sq)
    return G


@njit(parallel=True, cache=True, fastmath={"contract"})
def _distance_exponent(out, X, Yt, kind):
    # out[i, j] = -sum_k |t| (Laplacian), -sum_k t^2/2 (Gaussian), with t = x_ik - y_jk,
    # or the Cauchy kernel prod_k 1/(1 + t^2) itself; the loop over j runs over
    # contiguous Yt rows and vectorises
    for i in prange(X.shape[0]):
        row = out[i]
        row[:] = 1.0 if kind == 1 else 0.0
        for k in range(X.shape[1]):
            xk = X[i, k]
            yk = Yt[k]
            if kind == 0:
                for j in range(row.shape[0]):
                    row[j] -= abs(xk - yk[j])
            elif kind == 2:
                for j in range(row.shape[0]):
                    t = xk - yk[j]
                    row[j] -= 0.5 * t * t
            else:
                for j in range(row.shape[0]):
                    t = xk - yk[j]
                    row[j] *= 1.0 + t * t
        if kind == 1:
            for j in range(row.shape[0]):
                row[j] = 1.0 / row[j]


@sized(lambda X, Y, kernel: 8 * X.shape[0] * Y.shape[0])
def distance_kernel(X: np.ndarray, Y: np.ndarray, kernel: str) -> np.ndarray:
    """The Laplacian (``exp(-|x - y|_1)``), Cauchy (``prod 1/(1 + (x_k - y_k)^2)``) or
    Gaussian (``exp(-|x - y|_2^2 / 2)``, from the differences: for few features, where
    a Gram product cannot pay) kernel of the rows of X and Y (float64, already divided
    by the bandwidth): the exponent in one parallel pass, then numpy's vectorised exp
    in place (the Cauchy product needs none)."""
    out = np.empty((X.shape[0], Y.shape[0]))
    kind = {"laplacian": 0, "cauchy": 1, "gaussian": 2}[kernel]
    _distance_exponent(out, X, np.ascontiguousarray(Y.T), kind)
    return out if kind == 1 else np.exp(out, out=out)
