"""Sketch sizes that make an operator a subspace embedding."""

from __future__ import annotations

import math

from rnla._validation import check_int, check_option, check_real

__all__ = ["embedding_size"]


def _sampling_size(d: int, beta_inv: float, eps: float, delta: float) -> int:
    # Matrix Bernstein for k iid terms X_t = u u^T/(k p) - I/k with
    # ||u u^T / p|| <= beta_inv * d:  ||U^T S^T S U - I|| <= e w.p. 1 - delta when
    # k >= 2 (beta_inv d + (beta_inv d + 1) e / 3) ln(2d/delta) / e^2.
    e = eps * (2.0 - eps)  # eigenvalues in [1-e, 1+e]  =>  sigma(SU) in [1-eps, 1+eps]
    L = beta_inv * d
    return math.ceil(2.0 * (L + (L + 1.0) * e / 3.0) * math.log(2.0 * d / delta) / e**2)


def embedding_size(kind: str, d: int, eps: float = 0.5, *, delta: float = 0.1,
                   n: int | None = None, coherence: float = 1.0,
                   block_rows: int = 2**16) -> int:
    r"""Sketch size k that makes ``kind`` an eps-subspace embedding of a d-dim subspace.

    With probability at least 1 - delta, every singular value of S U (U an
    n x d orthonormal basis) lies in [1 - eps, 1 + eps].

    ========================  ==================================================
    kind                      k
    ========================  ==================================================
    ``"gaussian"``            :math:`((\sqrt d + \sqrt{2\ln(2/\delta)})/\epsilon)^2`
                              (Davidson–Szarek; rigorous)
    ``"countsketch"``         :math:`2 d^2/(\delta e^2)`, e = eps (2 - eps)
                              (second moment of U^T S^T S U - I and Markov; rigorous)
    ``"leverage"``            matrix Bernstein with :math:`\|u_i\|^2/p_i \le d`:
                              :math:`2(d + (d+1)e/3)\ln(2d/\delta)/e^2` (rigorous)
    ``"uniform"``             the same with d replaced by ``coherence`` * d, where
                              coherence = (n/d) max_i h_i (rigorous)
    ``"srht"``                the uniform size with the coherence after mixing,
                              :math:`(1 + \sqrt{8\ln(n/\delta)/d})^2`, which H D
                              achieves w.p. 1 - delta (Tropp 2011, Lemma 3.3); needs n
    ``"block_srht"``          the same per block: the coherence after mixing is
                              :math:`c(1 + \sqrt{8 m\ln(n/\delta)/(c d)})^2` for m
                              blocks and block coherence c = ``coherence`` (capped at
                              m; 1 when the leverage is spread evenly over the blocks,
                              m when one block holds it all); needs n
    ``"sparse_sign"``         the Gaussian size: no bound with usable constants is
                              known; with s = 8 nonzeros per column this is what is
                              observed (checked by rnla's tests), not a theorem
    ========================  ==================================================

    Parameters
    ----------
    kind : str
        A sketch kind of ``rnla.make_sketch``.
    d : int
        Dimension of the subspace.
    eps : float, default=0.5
        Distortion, 0 < eps < 1.
    delta : float, default=0.1
        Failure probability, 0 < delta < 1.
    n : int, optional
        Ambient dimension; required for ``"srht"`` and ``"block_srht"``.
    coherence : float, default=1.0
        (n/d) max_i h_i of the subspace, for ``"uniform"``; between 1 and n/d.  For
        ``"block_srht"``, (m/d) max_i L_i with L_i the leverage of block i.
    block_rows : int, default=65536
        Rows per block of ``"block_srht"`` (as in :class:`BlockSRHT`).

    Returns
    -------
    int
        The sketch size k.

    Examples
    --------
    >>> from rnla.sketch import embedding_size
    >>> embedding_size("gaussian", 50, 0.5)
    363
    """
    check_option(kind, "kind", ("gaussian", "srht", "block_srht", "countsketch", "sparse_sign",
                                "uniform", "leverage"))
    d = check_int(d, "d", low=1)
    eps = check_real(eps, "eps", 0.0, 1.0, low_open=True, high_open=True)
    delta = check_real(delta, "delta", 0.0, 1.0, low_open=True, high_open=True)
    coherence = check_real(coherence, "coherence", 1.0)
    if kind in ("gaussian", "sparse_sign"):
        return math.ceil(((math.sqrt(d) + math.sqrt(2 * math.log(2 / delta))) / eps) ** 2)
    if kind == "countsketch":
        return math.ceil(2 * d * d / (delta * (eps * (2 - eps)) ** 2))
    if kind == "leverage":
        return _sampling_size(d, 1.0, eps, delta)
    if kind == "uniform":
        return _sampling_size(d, coherence, eps, delta)
    if n is None:
        raise ValueError(f"`n` is required for kind={kind!r}")
    n = check_int(n, "n", low=1)
    blocks, c = 1, 1.0
    if kind == "block_srht":
        b = min(check_int(block_rows, "block_rows", low=1), 1 << (n - 1).bit_length())
        blocks = -(-n // b)
        c = min(coherence, blocks)
    mixed = c * (1.0 + math.sqrt(8.0 * blocks * math.log(n / delta) / (c * d))) ** 2
    return _sampling_size(d, mixed, eps, delta)
