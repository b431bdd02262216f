r"""Numba kernels of the positive-LP solvers (CPU backend).

A is held as CSC arrays ``(indptr, indices, data)`` of the m x n packing matrix,
i.e. the CSR of :math:`A^T`, so :math:`q = A^T p` is one dot product per column,
parallel and free of atomics.  Every kernel works in float64: the penalties
:math:`p_j = \exp(((Ax)_j - 1)/\mu)` reach :math:`(nm/\varepsilon)^8`, beyond
float32's range.  Randomness arrives as pre-drawn numbers, so results do not depend
on the thread count.  The parallel kernels run on the thread count of
``rnla.backend.cpu._threads`` (one thread below 1 MiB of A or while other processes
hold the cores).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from rnla.backend.cpu._threads import sized

__all__ = ["lp_penalties", "lp_certificates", "dbscd_steps", "coordinate_steps", "pdhg_steps"]


def _csc_bytes(indptr, indices, data, *_, **__) -> int:
    return data.nbytes + indices.nbytes


@njit(parallel=True, cache=True)
def _lp_penalties(indptr, indices, data, r, mu, p, q):
    """p = exp((r - 1)/mu) and q = A^T p, in place."""
    for j in prange(r.size):
        p[j] = math.exp((r[j] - 1.0) / mu)
    for i in prange(q.size):
        s = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            s += data[k] * p[indices[k]]
        q[i] = s


@njit(parallel=True, cache=True)
def _bucketize(q, x, ub, kappa, K, bucket):
    for i in prange(q.size):
        g = q[i] - 1.0
        a = min(abs(g), 1.0)
        if a <= kappa or (g < 0.0 and x[i] >= ub[i]):
            bucket[i] = -1
        elif a >= 1.0:
            bucket[i] = 0
        else:
            bucket[i] = min(K, int(math.floor(-np.log2(a))))


@njit(parallel=True, cache=True)
def _dbscd_steps(indptr, indices, data, x, r, ub, scale, mu, kappa, uniforms, p, q,
                bucket, members, dvals, dr, touched, mark):
    r"""Run ``uniforms.size`` DB-SCD iterations on the packing matrix (in place).

    Each iteration buckets the truncated gradient :math:`\xi = \min(A^Tp - 1, 1)` by
    powers of two, picks a nonempty bucket b uniformly (``uniforms``), and moves every
    coordinate of it multiplicatively, :math:`x_i \leftarrow x_i (1 - \beta\,
    \mathrm{sign}\,g_i)` clipped to :math:`[0, u_i]`, with
    :math:`\beta = \min(1/2, s_b \mu 2^{-b}/16)`; the step is accepted when the exact
    change of :math:`f = \mu\sum_j p_j - 1^Tx` satisfies the Armijo test
    :math:`\Delta f \le \frac12 \sum_i d_i g_i` (always at the theory step
    :math:`s_b = 1`), after which :math:`s_b` doubles, else it halves.  ``r = Ax``
    and ``p``, ``q`` are kept current for the final x.

    Returns ``(iterations, nonzeros touched, stationary)``; ``stationary`` means
    every coordinate is inactive (:math:`|\xi_i| \le \kappa`).
    """
    K = scale.size - 1
    counts = np.zeros(K + 1, dtype=np.int64)
    nonempty = np.zeros(K + 1, dtype=np.int64)
    touched_nnz = 0
    for t in range(uniforms.size):
        _bucketize(q, x, ub, kappa, K, bucket)
        counts[:] = 0
        for i in range(x.size):
            if bucket[i] >= 0:
                counts[bucket[i]] += 1
        n_nonempty = 0
        for b in range(K + 1):
            if counts[b] > 0:
                nonempty[n_nonempty] = b
                n_nonempty += 1
        if n_nonempty == 0:
            return t, touched_nnz, True
        b = nonempty[min(n_nonempty - 1, int(uniforms[t] * n_nonempty))]
        n_members = 0
        for i in range(x.size):
            if bucket[i] == b:
                members[n_members] = i
                n_members += 1
        gamma = 2.0 ** (-b)
        s_max = 8.0 / (mu * gamma)  # beta = 1/2
        while True:
            beta = min(0.5, scale[b] * mu * gamma / 16.0)
            sum_d = 0.0
            sum_dg = 0.0
            n_touched = 0
            for k in range(n_members):
                i = members[k]
                g = q[i] - 1.0
                xi = x[i] * (1.0 - beta) if g > 0.0 else x[i] * (1.0 + beta)
                xi = min(max(xi, 0.0), ub[i])
                d = xi - x[i]
                dvals[k] = d
                sum_d += d
                sum_dg += d * g
                for kk in range(indptr[i], indptr[i + 1]):
                    j = indices[kk]
                    if mark[j] == 0:
                        mark[j] = 1
                        touched[n_touched] = j
                        n_touched += 1
                    dr[j] += data[kk] * d
                touched_nnz += indptr[i + 1] - indptr[i]
            df = 0.0
            for k in range(n_touched):
                j = touched[k]
                df += p[j] * math.expm1(dr[j] / mu)
            df = mu * df - sum_d
            accept = (df <= 0.5 * sum_dg) or scale[b] <= 1.0
            if accept:
                for k in range(n_members):
                    x[members[k]] += dvals[k]
                for k in range(n_touched):
                    r[touched[k]] += dr[touched[k]]
                scale[b] = min(2.0 * scale[b], s_max)
            for k in range(n_touched):
                dr[touched[k]] = 0.0
                mark[touched[k]] = 0
            if accept:
                break
            scale[b] = max(1.0, 0.5 * scale[b])
        _lp_penalties(indptr, indices, data, r, mu, p, q)
        touched_nnz += indices.size
    return uniforms.size, touched_nnz, False


@njit(cache=True)
def coordinate_steps(indptr, indices, data, ub, z, v, Az, Av, picks, k0, tau, L, mu):
    r"""Allen-Zhu and Orecchia's accelerated coordinate descent, ``picks.size`` steps.

    The iterates are kept implicitly, :math:`y_k = z_k + c_k v_k` and
    :math:`x_{k+1} = z_k + c_{k+1} v_k` with :math:`c_k = (1-\tau)^k`, together with
    ``Az`` and ``Av``, so a step costs O(nnz of one column).  Step k (from ``k0 + 1``):
    :math:`\xi = \min(1, (A^Tp(x))_i - 1)`, mirror step
    :math:`z_i' = \mathrm{clip}(z_i - n\alpha_k\xi/a_i, 0, 1/a_i)` with
    :math:`n\alpha_k = 1/(L c_k)`, and gradient step :math:`y_i = x_i + (z_i' - z_i)/(n\alpha_k L)`.
    Returns the nonzeros touched.
    """
    log1m = math.log1p(-tau)
    touched = 0
    for t in range(picks.size):
        k = k0 + t + 1
        c = math.exp(k * log1m)
        i = picks[t]
        s = 0.0
        for kk in range(indptr[i], indptr[i + 1]):
            j = indices[kk]
            s += data[kk] * math.exp((Az[j] + c * Av[j] - 1.0) / mu)
        touched += indptr[i + 1] - indptr[i]
        xi_grad = min(1.0, s - 1.0)
        n_alpha = 1.0 / (L * c)
        z_new = min(max(z[i] - n_alpha * xi_grad * ub[i], 0.0), ub[i])
        dz = z_new - z[i]
        if dz == 0.0:
            continue
        dy = dz / (n_alpha * L)
        dv = (dy - dz) / c
        z[i] = z_new
        v[i] += dv
        for kk in range(indptr[i], indptr[i + 1]):
            j = indices[kk]
            Az[j] += data[kk] * dz
            Av[j] += data[kk] * dv
        touched += indptr[i + 1] - indptr[i]
    return touched


@njit(parallel=True, cache=True)
def _lp_certificates(indptr, indices, data, row_indptr, row_indices, x, r, p, q, x_out, y_out):
    r"""Feasible packing and covering points from the current iterate, rescaled locally.

    :math:`x'_i = x_i \min_{j \ni i} 1/\max(1, r_j)` gives :math:`(Ax')_j \le
    r_j/\max(1, r_j) \le 1`; :math:`y_j = p_j \max_{i \ni j} 1/q_i` gives
    :math:`(A^Ty)_i \ge \sum_j A_{ji} p_j / q_i = 1`.  Both dominate the global
    rescalings :math:`x/\max(1, \max r)` and :math:`p/\min q`.  ``(indptr, indices,
    data)`` is the CSC of A, ``(row_indptr, row_indices)`` its CSR pattern.
    """
    for i in prange(x.size):
        worst = 1.0
        for k in range(indptr[i], indptr[i + 1]):
            worst = max(worst, r[indices[k]])
        x_out[i] = x[i] / worst
    for j in prange(p.size):
        best = 0.0
        for k in range(row_indptr[j], row_indptr[j + 1]):
            qi = q[row_indices[k]]
            best = max(best, 1.0 / qi if qi > 0.0 else math.inf)
        y_out[j] = p[j] * best


@njit(parallel=True, cache=True)
def _pdhg_steps(indptr, indices, data, row_indptr, row_indices, row_data, tau, sigma, k0,
                steps, reflect, x, y, x0, y0, xt, yt, z, row_scale, col_scale, u):
    r"""``steps`` reflected Halpern PDHG iterations (k = ``k0``, ``k0 + 1``, ...) on the
    saddle problem :math:`\min_{x \ge 0} \max_{y \ge 0} -1^Tx + y^T(Ax - 1)`, in place.

    With T the PDHG step :math:`\tilde x = \max(0, x - \tau \circ (A^Ty - 1))`,
    :math:`\tilde y = \max(0, y + \sigma \circ (A(2\tilde x - x) - 1))`, each iteration is

    .. math:: z \leftarrow \frac{k+1}{k+2}\big((1+\rho)\,T(z) - \rho z\big)
              + \frac{1}{k+2} z_0, \qquad z = (x, y),\ \rho = \text{reflect},

    (Lu and Yang's r2HPDHG).  One pass over the CSC arrays (``A^T y``, per column, with
    the previous iteration's x update fused in) and one over the CSR arrays (per row)
    per iteration, parallel and free of atomics, so the result does not depend on the
    thread count.  ``xt``, ``yt`` hold the last :math:`T(z)`, the point to certify;
    ``z`` (length n) is work space for :math:`2\tilde x - x`, written by the first pass
    so that the second gathers one vector.

    A scaled pattern, :math:`A_{ji} = r_j c_i` on every stored entry (a 0/1 matrix in
    standard form), is given by nonempty ``row_scale`` r and ``col_scale`` c: the data
    arrays are then not read, the first pass sums ``u = r y`` (work space of length m)
    and the second ``z = c (2 x~ - x)``, a third fewer loads per nonzero.
    """
    pattern = row_scale.size > 0
    if pattern:
        for j in prange(y.size):
            u[j] = row_scale[j] * y[j]
    for t in range(steps):
        k = k0 + t
        for i in prange(x.size):
            if t > 0:  # the x half of the previous iteration's Halpern step
                c = (k + 0.0) / (k + 1.0)
                x[i] = c * ((1.0 + reflect) * xt[i] - reflect * x[i]) + x0[i] / (k + 1.0)
            s = 0.0
            if pattern:
                for kk in range(indptr[i], indptr[i + 1]):
                    s += u[indices[kk]]
                s *= col_scale[i]
            else:
                for kk in range(indptr[i], indptr[i + 1]):
                    s += data[kk] * y[indices[kk]]
            xt[i] = max(0.0, x[i] - tau[i] * (s - 1.0))
            z[i] = (col_scale[i] if pattern else 1.0) * (2.0 * xt[i] - x[i])
        c = (k + 1.0) / (k + 2.0)
        for j in prange(y.size):
            s = 0.0
            if pattern:
                for kk in range(row_indptr[j], row_indptr[j + 1]):
                    s += z[row_indices[kk]]
                s *= row_scale[j]
            else:
                for kk in range(row_indptr[j], row_indptr[j + 1]):
                    s += row_data[kk] * z[row_indices[kk]]
            yt[j] = max(0.0, y[j] + sigma[j] * (s - 1.0))
            y[j] = c * ((1.0 + reflect) * yt[j] - reflect * y[j]) + y0[j] / (k + 2.0)
            if pattern:
                u[j] = row_scale[j] * y[j]
    if steps > 0:
        k = k0 + steps - 1
        c = (k + 1.0) / (k + 2.0)
        for i in prange(x.size):
            x[i] = c * ((1.0 + reflect) * xt[i] - reflect * x[i]) + x0[i] / (k + 2.0)


lp_penalties = sized(_csc_bytes)(_lp_penalties)
dbscd_steps = sized(_csc_bytes)(_dbscd_steps)
lp_certificates = sized(_csc_bytes)(_lp_certificates)
pdhg_steps = sized(_csc_bytes)(_pdhg_steps)
