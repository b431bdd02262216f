r"""Stochastic Lanczos quadrature, deflated by a block Krylov space.

For a symmetric A and a unit vector u, q Lanczos steps from u give a tridiagonal
:math:`T_q` whose eigenvalues :math:`\theta_j` and squared first eigenvector entries
:math:`\tau_j^2` form the Gauss quadrature of the spectral measure of A seen from u:
:math:`u^T f(A) u \approx \sum_j \tau_j^2 f(\theta_j)`, exact for polynomials of degree
below 2q and with an error that decays like :math:`\rho^{-2q}` for f analytic on an
ellipse of parameter :math:`\rho` around the spectrum (Ubaru, Chen and Saad 2017).

The estimator of :math:`\operatorname{tr} f(A)` splits it as in Hutch++ and its
Krylov-aware variant (Chen and Hallman 2023):
:math:`\operatorname{tr}(Q^T f(A) Q) + \operatorname{tr}((I - QQ^T) f(A) (I - QQ^T))`.
Q holds the first half of the blocks of a block Krylov space
:math:`[\Omega, A\Omega, \dots]`; the first term is the block Gauss quadrature of the
whole space (exact for polynomials of degree below the number of blocks beyond Q), the
second is estimated by Lanczos from probes uniform on the unit sphere of the
complement of Q, scaled by its dimension (unbiased, and exact on the constant part of
f).  With no block space this is plain SLQ.  Every Lanczos run is fully
reorthogonalized (classical Gram-Schmidt twice): the runs of all probes move together,
one product with a block per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from rnla.backend import to_host
from rnla.lowrank._operator import Operand, orthonormalize
from rnla.spectrum._operand import check_symmetric_block, eps_of, probes, times

__all__ = ["Quadrature", "quadrature", "lanczos_runs"]


@dataclass
class Quadrature:
    """The spectral measure of A, estimated: a fixed part from the block space and one
    measure per probe, all weights divided by n so that
    ``fixed + mean over probes`` estimates :math:`\\frac1n \\sum_i \\delta_{\\lambda_i}`.

    Attributes
    ----------
    fixed_nodes, fixed_weights : host arrays of shape (r,)
    probe_nodes, probe_weights : host arrays of shape (steps, m)
    """

    fixed_nodes: np.ndarray
    fixed_weights: np.ndarray
    probe_nodes: np.ndarray
    probe_weights: np.ndarray

    def per_probe(self, f) -> np.ndarray:
        """:math:`\\frac1n \\operatorname{tr} f(A)` as estimated by each probe."""
        fixed = float(np.sum(self.fixed_weights * f(self.fixed_nodes)))
        return fixed + np.sum(self.probe_weights * f(self.probe_nodes), axis=0)

    @property
    def nodes(self) -> np.ndarray:
        return np.concatenate([self.fixed_nodes, self.probe_nodes.ravel()])

    @property
    def weights(self) -> np.ndarray:
        m = self.probe_nodes.shape[1]
        return np.concatenate([self.fixed_weights, self.probe_weights.ravel() / m])


def lanczos_runs(op: Operand, U, steps: int, what: str, check: bool = True):
    r"""Simultaneous Lanczos runs from the unit columns of U, fully reorthogonalized:
    the Gauss quadrature nodes and weights of each, host arrays of shape (steps, m)
    (a run that breaks down early keeps zero weights on its unused nodes).  ``check``:
    test the symmetry of A on the first product (not from probes in a deflated
    complement, where :math:`\|AU\|` is far below :math:`\|A\|\|U\|`)."""
    xp = op.xp
    m = U.shape[1]
    basis = [U]
    alpha, beta = [], []
    V, previous, b = U, None, None
    alive = np.ones(m, dtype=bool)
    length = np.full(m, steps)
    eps = eps_of(op)
    for j in range(steps):
        W = times(op, V)
        if j == 0 and check:
            check_symmetric_block(op, V, W, what)
        a = xp.sum(V * W, axis=0)
        W = W - V * a[None, :]
        if previous is not None:
            W = W - previous * b[None, :]
        for _ in range(2):  # full reorthogonalization, classical Gram-Schmidt twice
            for B in basis:
                W = W - B * xp.sum(B * W, axis=0)[None, :]
        alpha.append(to_host(a).astype(np.float64))
        if j == steps - 1:
            break
        b_host = to_host(xp.linalg.vector_norm(W, axis=0)).astype(np.float64)
        scale = float(np.abs(np.array(alpha)).max())
        ended = alive & (b_host <= 100 * eps * max(scale, np.finfo(float).tiny))
        length[ended] = j + 1                      # an invariant subspace: exact from here
        alive &= ~ended
        b_host = np.where(alive, b_host, 0.0)
        beta.append(b_host)
        previous, b = V, op.from_host(b_host)
        V = W * op.from_host(np.where(alive, 1.0 / np.where(alive, b_host, 1.0), 0.0))[None, :]
        basis.append(V)
        if not alive.any():
            break
    alpha = np.array(alpha)
    beta = np.array(beta) if beta else np.zeros((0, m))
    nodes = np.zeros((steps, m))
    weights = np.zeros((steps, m))
    for i in range(m):
        k = int(min(length[i], alpha.shape[0]))
        theta, Y = scipy.linalg.eigh_tridiagonal(alpha[:k, i], beta[:k - 1, i])
        nodes[:k, i] = theta
        weights[:k, i] = Y[0] ** 2
    return nodes, weights


def _block_space(op: Operand, block: int, depth: int, rng, what: str):
    """Block Krylov space of ``depth`` blocks of ``block`` columns (one product per
    block), its Rayleigh quotient's eigenpairs, and the weight each eigenvector puts on
    the first half of the blocks (the deflated space Q)."""
    xp = op.xp
    n = op.shape[0]
    Q = orthonormalize(probes(op, block, "gaussian", rng), xp)
    blocks, images = [Q], []
    for j in range(depth):
        images.append(times(op, Q))
        if j == 0:
            check_symmetric_block(op, Q, images[0], what)
        if j == depth - 1 or (j + 2) * block > n:
            break
        Q = orthonormalize(images[-1], xp, against=xp.concat(blocks, axis=1))
        blocks.append(Q)
    basis, image = xp.concat(blocks, axis=1), xp.concat(images, axis=1)
    T = to_host(basis.T @ image).astype(np.float64)
    theta, Y = np.linalg.eigh((T + T.T) / 2)
    kept = block * max(1, len(blocks) // 2)
    weights = np.sum(Y[:kept] ** 2, axis=0)
    return basis[:, :kept], theta, weights


def quadrature(op: Operand, *, n_probes: int, steps: int, block: int, depth: int,
               rng, what: str) -> Quadrature:
    """The deflated SLQ measure of a symmetric A (``block=0``: plain SLQ with sign
    probes, as Hutchinson's estimator and the SLQ of imate and PyHessian).

    Parameters
    ----------
    op : Operand
    n_probes, steps : int
        Probes and Lanczos steps per probe (``n_probes * steps`` columns).
    block, depth : int
        The block Krylov space (``block * depth`` columns; its first half is deflated).
    rng : Generator
    what : str

    Returns
    -------
    Quadrature
    """
    xp = op.xp
    n = op.shape[0]
    if block:
        Q, theta, weights = _block_space(op, block, depth, rng, what)
        G = probes(op, n_probes, "gaussian", rng)
        G = G - Q @ (Q.T @ G)
        G = G - Q @ (Q.T @ G)
        dimension = n - Q.shape[1]
        fixed_nodes, fixed_weights = theta, weights / n
    else:
        G = probes(op, n_probes, "rademacher", rng)
        dimension = n
        fixed_nodes, fixed_weights = np.zeros(0), np.zeros(0)
    U = G / xp.linalg.vector_norm(G, axis=0)[None, :]
    nodes, weights = lanczos_runs(op, U, min(steps, n), what, check=not block)
    return Quadrature(fixed_nodes, fixed_weights, nodes, weights * (dimension / n))
