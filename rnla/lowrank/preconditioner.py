r"""The Nystrom preconditioner for :math:`(A + \mu I) x = b`, A positive semidefinite.

With a low-rank approximation :math:`\hat A = U \hat\Lambda U^T \approx A` (U
orthonormal, r columns: from ``rnla.lowrank.nystrom``, ``rpcholesky`` or any factor
:math:`\hat A = F F^T`), the preconditioner is :math:`P = \hat A + \mu I`, applied
exactly through

.. math:: P^{-1} = U (\hat\Lambda + \mu I)^{-1} U^T + \mu^{-1} (I - U U^T)

at O(nr) per column.  When :math:`\hat A` is a Nystrom approximation (so
:math:`0 \preceq A - \hat A`), the eigenvalues of :math:`P^{-1/2}(A + \mu I)P^{-1/2}`
lie in :math:`[1, 1 + \|A - \hat A\|/\mu]`: conjugate gradients converges in a number
of iterations that depends on the tail of the spectrum beyond rank r relative to
:math:`\mu`, not on the condition number of A; a rank about the effective dimension
:math:`d_\mu = \operatorname{tr} A (A + \mu I)^{-1}` makes it a small constant
(Frangella, Tropp and Udell 2023; Diaz, Epperly, Frangella, Tropp and Webber 2023).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla

from rnla._validation import check_real

__all__ = ["NystromPreconditioner"]


class NystromPreconditioner(spla.LinearOperator):
    r"""The inverse :math:`P^{-1}` of :math:`P = U \hat\Lambda U^T + \mu I` as a
    ``scipy.sparse.linalg.LinearOperator``: pass it as ``M=`` to ``scipy``'s ``cg``.

    Parameters
    ----------
    U : ndarray of shape (n, r)
        Orthonormal columns.
    eigenvalues : ndarray of shape (r,)
        :math:`\hat\Lambda`, nonnegative.
    mu : float
        The shift, > 0.

    Attributes
    ----------
    U, eigenvalues, mu
        As given.
    rank : int
        r.

    Notes
    -----
    Memory O(nr); each product O(nr) per column.  :meth:`from_factor` builds it from
    :math:`\hat A = FF^T` (a thin SVD, :math:`O(nr^2)`), :meth:`from_eigh` from the
    result of ``rnla.lowrank.nystrom``.

    Examples
    --------
    >>> import numpy as np, scipy.sparse.linalg as spla, rnla
    >>> rng = np.random.default_rng(0)
    >>> G = rng.standard_normal((500, 500)) * 0.9 ** np.arange(500)
    >>> A = G @ G.T; b = rng.standard_normal(500); mu = 1e-6
    >>> P = rnla.lowrank.NystromPreconditioner.from_eigh(rnla.lowrank.nystrom(A, 150, rng=0), mu)
    >>> its = []
    >>> x, info = spla.cg(A + mu * np.eye(500), b, M=P, rtol=1e-10, callback=its.append)
    >>> info, len(its) < 30
    (0, True)
    """

    def __init__(self, U, eigenvalues, mu: float):
        U = np.asarray(U, dtype=np.float64)
        lam = np.asarray(eigenvalues, dtype=np.float64).ravel()
        if U.ndim != 2 or U.shape[1] != lam.size:
            raise ValueError(f"`U` must have shape (n, {lam.size}) to match `eigenvalues`; "
                             f"got {U.shape}")
        if not (np.all(np.isfinite(U)) and np.all(np.isfinite(lam))):
            raise ValueError("`U` and `eigenvalues` must be finite")
        if lam.size and lam.min() < 0:
            raise ValueError(f"`eigenvalues` must be nonnegative; got {lam.min():.3g}")
        self.mu = check_real(mu, "mu", 0.0, low_open=True)
        self.U, self.eigenvalues = U, lam
        self.rank = lam.size
        self._scale = 1.0 / (lam + self.mu) - 1.0 / self.mu
        super().__init__(np.float64, (U.shape[0], U.shape[0]))

    @classmethod
    def from_factor(cls, F, mu: float) -> NystromPreconditioner:
        """From :math:`\\hat A = F F^T` (``rpcholesky(...).F``).

        Parameters
        ----------
        F : ndarray of shape (n, r)
        mu : float

        Returns
        -------
        NystromPreconditioner
        """
        U, s, _ = np.linalg.svd(np.asarray(F, dtype=np.float64), full_matrices=False)
        return cls(U, s**2, mu)

    @classmethod
    def from_eigh(cls, result, mu: float) -> NystromPreconditioner:
        """From an ``EighResult`` (``rnla.lowrank.nystrom`` or ``eigh``); negative
        eigenvalues are set to zero.

        Parameters
        ----------
        result : EighResult
        mu : float

        Returns
        -------
        NystromPreconditioner
        """
        return cls(result.eigenvectors, np.maximum(result.eigenvalues, 0.0), mu)

    def _matmat(self, V):
        V = np.asarray(V, dtype=np.float64)
        return self.U @ (self._scale[:, None] * (self.U.T @ V)) + V / self.mu

    def _matvec(self, v):
        return self._matmat(np.reshape(v, (-1, 1))).reshape(np.shape(v))

    def _adjoint(self):
        return self

    def __repr__(self) -> str:
        return f"NystromPreconditioner(n={self.shape[0]}, rank={self.rank}, mu={self.mu:.3g})"
