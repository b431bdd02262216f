r"""Random and quasi-random Fourier feature maps for shift-invariant kernels.

Given frequencies :math:`w_1, \dots, w_s` (rows of ``frequencies_``), the map is

* ``kind="cos_sin"`` (default): :math:`z(x) = s^{-1/2}[\cos(Xw_1), \dots, \cos(Xw_s),
  \sin(Xw_1), \dots, \sin(Xw_s)]`, 2s columns; :math:`z(x)^T z(y) =
  \frac1s\sum_l \cos((x - y)^T w_l)`, the real part of the complex QMC estimate;
* ``kind="cos_phase"``: :math:`z(x) = \sqrt{2/s}\,[\cos(Xw_l + b_l)]_l`, s columns,
  the Rahimi--Recht form of scikit-learn's ``RBFSampler``, with the phase
  :math:`b_l = 2\pi t_{l,D+1}` taken from one extra coordinate of the point set.

Frequencies are :math:`w_l = \Phi^{-1}(t_l)` for points :math:`t_l` of a
(quasi-)random sequence (``rnla.features.qmc_points``) pushed through the inverse
CDF of the kernel's spectral density (``rnla.features.spectral_frequencies``).
The transform is one GEMM, :math:`Z = XW^T`, followed by a fused, parallel sine and
cosine kernel in ``rnla.backend`` that overwrites Z in place.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from array_api_compat import device as array_device
from scipy.spatial.distance import pdist

from rnla._random import SeedLike, as_generator
from rnla._validation import (
    check_int,
    check_matrix,
    check_option,
    check_real,
)
from rnla.backend import engine_of, kernels
from rnla.features.discrepancy import BOX_KERNELS, data_box
from rnla.features.learn import learn_sequence
from rnla.features.orthogonal import (
    ORTHOGONAL_KERNELS,
    StructuredOrthogonal,
    orthogonal_frequencies,
)
from rnla.features.sequences import SEQUENCES, max_dimension, qmc_points
from rnla.features.spectral import (
    KERNELS,
    kernel_matrix,
    sequence_dimension,
    spectral_frequencies,
)

__all__ = ["FourierFeatureMap", "fourier_features", "median_bandwidth", "SAMPLERS",
           "default_sequence"]

#: every accepted ``sequence`` name: point sets, learned sets, orthogonal samplers
SAMPLERS = (*SEQUENCES, "learned", "orf", "orf_qmc", "sorf", "auto")


#: below this dimension scrambled Sobol' beats orthogonal directions (docs/features.md)
ORTHOGONAL_MIN_DIMENSION = 12


def default_sequence(kernel: str, d: int) -> str:
    """What ``sequence="auto"`` means for d-dimensional data: ``"orf_qmc"`` for the
    radial kernels (Gaussian, Matérn) from d = 12 on, scrambled ``"sobol"`` otherwise,
    the best measured (``python -m bench.features_quality`` and docs/features.md).

    In low dimension QMC's faster rate wins: on standardised Gaussian data scrambled
    Sobol' had 0.1x to 0.5x the Gram error of ``"orf_qmc"`` for d = 2 and 4, and they
    cross near d = 12; from there on orthogonal directions win.

    Parameters
    ----------
    kernel : str
        One of ``KERNELS``.
    d : int
        Dimension of the data.

    Returns
    -------
    str
        The sampler.
    """
    radial = kernel in ORTHOGONAL_KERNELS
    return "orf_qmc" if radial and d >= ORTHOGONAL_MIN_DIMENSION else "sobol"

KINDS = ("cos_sin", "cos_phase")


def median_bandwidth(X, max_rows: int = 1000, rng: SeedLike = 0) -> float:
    r"""Median heuristic: the median of :math:`\|x_i - x_k\|_2` over pairs of rows.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix of shape (n, d)
        The data.
    max_rows : int, default=1000
        Rows used at most (a random subset beyond that).
    rng : None, int, SeedSequence, Generator or RandomState, default=0
        Randomness of the subset.

    Returns
    -------
    float
        The median distance, a bandwidth for the Gaussian kernel.

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.features import median_bandwidth
    >>> median_bandwidth(np.array([[0.0], [1.0], [3.0]]))
    2.0
    """
    engine = engine_of(X=X)
    X = engine.matrix(X, "X")
    if X.shape[0] > max_rows:
        rows = np.sort(as_generator(rng, "rng").choice(X.shape[0], max_rows, replace=False))
        X = engine.take_rows(X, rows)
    X = X.toarray() if sp.issparse(X) else engine.compute(X)[0]  # at most max_rows rows
    X = check_matrix(X, "X")  # a Dask sample's values are checked here
    if X.shape[0] < 2:
        raise ValueError("`X` needs at least 2 rows for the median-distance bandwidth")
    value = float(np.median(pdist(np.asarray(X, dtype=np.float64))))
    if value <= 0:
        raise ValueError("the median distance between rows of `X` is 0; pass a bandwidth")
    return value


#: rows of the data on which a learned set must beat its starting set
_VALIDATION_ROWS = 300


def _keep_if_better(learned, X: np.ndarray, sigma: float, kernel: str,
                    rng: np.random.Generator) -> np.ndarray:
    """The learned frequencies if they approximate the kernel on (up to 300) rows of the
    data better than the starting set does, else the starting set, with a warning.

    The box discrepancy integrates the kernel error uniformly over the box that holds
    every difference of rows.  In more than a few dimensions almost all of that volume
    lies much farther out than the differences of the data do (the corners, where the
    kernel is nearly 0), so minimising it can trade accuracy at the data's scale for
    accuracy where no pair of rows lies: measured on standardised diabetes (d = 10),
    the spectral Gram error went from 0.07 (the Halton start) to 0.84.
    """
    rows = X if X.shape[0] <= _VALIDATION_ROWS else X[np.sort(
        rng.choice(X.shape[0], _VALIDATION_ROWS, replace=False))]
    rows = np.asarray(rows, dtype=np.float64)
    K = kernel_matrix(rows, kernel=kernel, bandwidth=sigma)

    def gram_error(W):
        P = rows @ W.T
        Z = np.hstack([np.cos(P), np.sin(P)]) / np.sqrt(W.shape[0])
        return np.linalg.norm(Z @ Z.T - K, 2)

    after, before = gram_error(learned.frequencies), gram_error(learned.start)
    if after <= before:
        return learned.frequencies
    warnings.warn(f"sequence='learned': the learned set approximates the kernel on the data "
                  f"worse than its starting set (Gram error {after / np.linalg.norm(K, 2):.3g} "
                  f"against {before / np.linalg.norm(K, 2):.3g} on {rows.shape[0]} rows), so "
                  "the starting set is kept.  The box discrepancy weighs differences far "
                  "beyond those of the data; see rnla.features.learn_sequence",
                  UserWarning, stacklevel=3)
    return learned.start


class FourierFeatureMap:
    r"""Fourier feature map of a shift-invariant kernel: fit the frequencies once, transform many.

    Parameters
    ----------
    n_features : int
        Number of output columns (even for ``kind="cos_sin"``: n_features/2 frequencies).
    kernel : {"gaussian", "laplacian", "cauchy", "matern"}
        See ``rnla.features.spectral``.
    bandwidth : float or "median"
        :math:`\sigma`; ``"median"`` takes the median distance between rows at ``fit``.
    sequence : str or array, default="auto"
        Point set of the frequencies: one of ``SAMPLERS`` or the points.

        * ``"auto"``: ``default_sequence(kernel, d)``, ``"orf_qmc"`` for the Gaussian
          and Matérn kernels from d = 12 on, scrambled ``"sobol"`` otherwise.
        * ``"mc"``, ``"halton"``, ``"sobol"``, ``"lattice"``, ``"digital_net"``: point
          sets (``qmc_points``) through the spectral inverse CDF.
        * ``"orf"``: orthogonal random features, blocks of d frequencies with
          Haar-orthogonal directions and i.i.d. radii from the kernel's radial law;
          ``"orf_qmc"``: the same with stratified radii (scrambled Sobol' quantiles),
          still exactly unbiased; ``"sorf"``: structured directions
          :math:`H D_1 H D_2 H D_3` applied by three fast Walsh--Hadamard transforms
          per block.  Radial kernels only (Gaussian, Matérn); see
          ``rnla.features.orthogonal``.
        * ``"learned"`` starts from Halton and minimises the box discrepancy
          (``learn_sequence``; Gaussian and Laplacian kernels) over the box that holds
          every difference of rows of the data (``data_box``); it is kept only if it
          approximates the kernel on the data better than its start.
        * An array of shape (n_frequencies, D) gives the points directly
          (D = ``sequence_dimension(d, kernel)``, plus one for ``cos_phase``).
    kind : {"cos_sin", "cos_phase"}
    scramble : bool
        Randomise the point set (ignored for ``"mc"`` and arrays).
    nu : float
        Matérn smoothness.
    n_replicates : int, default=1
        Randomised QMC: the frequencies are ``n_replicates`` independently
        randomised point sets of ``n_frequencies / n_replicates`` points each.  The
        kernel estimate is their mean, so the features are the same in law, and
        :meth:`kernel_standard_error` estimates its error from their spread.
        Needs a randomised set (``scramble=True``, or ``"mc"``, ``"orf"``,
        ``"orf_qmc"``, ``"sorf"``); not ``"learned"`` or given points.
    rng : None, int, SeedSequence, Generator or RandomState

    Attributes
    ----------
    sequence_ : str or None
        The sampler that ran (``"auto"`` resolved); None for given points.
    frequencies_ : ndarray of shape (n_frequencies, d)
    phase_ : ndarray of shape (n_frequencies,) or None
    bandwidth_ : float
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.features import FourierFeatureMap, kernel_matrix
    >>> X = np.random.default_rng(0).standard_normal((50, 3))
    >>> fmap = FourierFeatureMap(1024, bandwidth=2.0, sequence="sobol", rng=0).fit(X)
    >>> Z = fmap.transform(X)
    >>> Z.shape
    (50, 1024)
    >>> K = kernel_matrix(X, bandwidth=2.0)
    >>> bool(np.linalg.norm(Z @ Z.T - K, 2) / np.linalg.norm(K, 2) < 0.005)
    True
    """

    def __init__(self, n_features: int, kernel: str = "gaussian",
                 bandwidth: float | str = 1.0, *, sequence="auto", kind: str = "cos_sin",
                 scramble: bool = True, nu: float = 1.5, n_replicates: int = 1,
                 rng: SeedLike = None):
        self.n_features = check_int(n_features, "n_features", 1)
        self.kernel = check_option(kernel, "kernel", KERNELS)
        self.kind = check_option(kind, "kind", KINDS)
        if self.kind == "cos_sin" and self.n_features % 2:
            raise ValueError(f"`n_features` must be even for kind='cos_sin' (a cos and a sin "
                             f"column per frequency); got {n_features}")
        if isinstance(bandwidth, str):
            check_option(bandwidth, "bandwidth", ("median",))
        else:
            check_real(bandwidth, "bandwidth", 0.0, low_open=True)
        self.bandwidth = bandwidth
        if isinstance(sequence, str):
            check_option(sequence, "sequence", SAMPLERS)
            if sequence == "learned":
                check_option(self.kernel, "kernel (with sequence='learned')", BOX_KERNELS)
            if sequence in ("orf", "orf_qmc", "sorf"):
                check_option(self.kernel, f"kernel (with sequence={sequence!r})",
                             ORTHOGONAL_KERNELS)
        self.sequence = sequence
        self.scramble = bool(scramble)
        self.nu = check_real(nu, "nu", 0.0, low_open=True)
        self.n_replicates = check_int(n_replicates, "n_replicates", 1, self.n_frequencies)
        if self.n_frequencies % self.n_replicates:
            raise ValueError(f"`n_replicates` must divide the number of frequencies "
                             f"({self.n_frequencies}); got {n_replicates}")
        if self.n_replicates > 1:
            if not isinstance(sequence, str) or sequence == "learned":
                raise ValueError("`n_replicates` > 1 needs randomised point sets; the "
                                 "learned set and given points are fixed")
            if not self.scramble and sequence in ("halton", "sobol", "lattice",
                                                  "digital_net", "auto"):
                raise ValueError("`n_replicates` > 1 needs `scramble=True`: unscrambled "
                                 "replicates would be identical")
        self.rng = rng

    @property
    def n_frequencies(self) -> int:
        """Frequencies drawn: ``n_features / 2`` for ``cos_sin``, else ``n_features``."""
        return self.n_features // 2 if self.kind == "cos_sin" else self.n_features

    def fit(self, X) -> FourierFeatureMap:
        """Draw the frequencies for data with ``X.shape[1]`` columns.

        Parameters
        ----------
        X : array_like or scipy.sparse matrix of shape (n, d)
            The data; its values are read only for ``bandwidth="median"`` and
            ``sequence="learned"``.

        Returns
        -------
        FourierFeatureMap
            ``self``, with ``frequencies_``, ``phase_``, ``bandwidth_`` and
            ``n_features_in_`` set.
        """
        learned = isinstance(self.sequence, str) and self.sequence == "learned"
        engine = engine_of(serves=("host",) if learned else ("host", "xp", "dask"),
                           what="sequence='learned', fitted on the host (L-BFGS on the data's "
                                "box: fit on a numpy sample of `X`, then transform arrays of "
                                "any namespace),", X=X)
        X = engine.matrix(X, "X")
        d = X.shape[1]
        rng = as_generator(self.rng, "rng")
        sigma = (median_bandwidth(X, rng=rng) if isinstance(self.bandwidth, str)
                 else float(self.bandwidth))
        s = self.n_frequencies
        D = sequence_dimension(d, self.kernel) + (self.kind == "cos_phase")
        name = self.sequence if isinstance(self.sequence, str) else None
        if name == "auto":
            name = default_sequence(self.kernel, d)
        self.sequence_ = name
        R = self.n_replicates
        replicate_rngs = [rng] if R == 1 else rng.spawn(R)
        if name == "learned":
            dense = X.toarray() if sp.issparse(X) else X
            learned = learn_sequence(s, d, data_box(dense), sigma, self.kernel,
                                     scramble=self.scramble, rng=rng)
            W = _keep_if_better(learned, dense, sigma, self.kernel, rng)
            t_phase = qmc_points(s, 1, "halton", self.scramble, rng)[:, 0]
        elif name in ("orf", "orf_qmc"):
            W = np.vstack([orthogonal_frequencies(s // R, d, self.kernel, sigma, self.nu,
                                                  qmc_radii=name == "orf_qmc", rng=r)
                           for r in replicate_rngs])
            t_phase = rng.random(s)
        elif name == "sorf":
            self._structured = [StructuredOrthogonal(s // R, d, self.kernel, sigma, self.nu, r)
                                for r in replicate_rngs]
            W = np.vstack([part.to_dense() for part in self._structured])
            t_phase = rng.random(s)
        else:
            t = np.vstack([self._points(name, s // R, D, d, r) for r in replicate_rngs])
            W = spectral_frequencies(t[:, :sequence_dimension(d, self.kernel)], d, self.kernel,
                                     sigma, self.nu)
            t_phase = t[:, -1]
        self.frequencies_ = np.ascontiguousarray(W)
        self.phase_ = 2.0 * np.pi * t_phase if self.kind == "cos_phase" else None
        self.bandwidth_ = sigma
        self.n_features_in_ = d
        return self

    def _points(self, name: str | None, s: int, D: int, d: int,
                rng: np.random.Generator) -> np.ndarray:
        if name is None:
            t = np.asarray(self.sequence, dtype=np.float64)
            if t.shape != (s, D):
                raise ValueError(f"`sequence` points must have shape ({s}, {D}); got {t.shape}")
            if not (np.isfinite(t).all() and (t >= 0).all() and (t <= 1).all()):
                raise ValueError("`sequence` points must lie in [0, 1]")
            return t
        limit = max_dimension(name)
        if limit is not None and D > limit:
            raise ValueError(f"sequence {name!r} supports at most {limit} dimensions; "
                             f"{self.kernel} {self.kind} features of {d} columns need {D}")
        return qmc_points(s, D, name, self.scramble, rng)

    def transform(self, X) -> np.ndarray:
        """Features of the rows of ``X`` (dense or scipy.sparse), shape (n, n_features).

        Parameters
        ----------
        X : array_like, scipy.sparse matrix or Dask array of shape (n, d)
            The data, of any Array-API namespace: the features come back in it.  A
            Dask array gives a lazy Dask array (``map_blocks`` over its row chunks).

        Returns
        -------
        ndarray of shape (n, n_features)
            The features; float32 input gives float32, other inputs float64.
        """
        if not hasattr(self, "frequencies_"):
            raise RuntimeError("this FourierFeatureMap is not fitted; call fit(X) first")
        engine = engine_of(X=X)
        X = engine.matrix(X, "X")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"`X` must have {self.n_features_in_} columns (as at fit); "
                             f"got {X.shape[1]}")
        return engine.map_rows(X, self._transform_host, self._transform_namespace,
                               self.n_features_in_, self.n_features)

    def _transform_host(self, X):
        W = self.frequencies_.T.astype(X.dtype)
        s = W.shape[1]
        out = np.empty((X.shape[0], self.n_features), dtype=X.dtype)
        Z = out[:, :s]
        if self.sequence_ == "sorf":  # 3 FWHTs per block
            dense = X.toarray() if sp.issparse(X) else X
            part_size = s // self.n_replicates
            for r, part in enumerate(self._structured):
                part.project(dense, Z[:, r * part_size:(r + 1) * part_size])
        elif sp.issparse(X):
            Z[...] = X @ W
        else:
            np.matmul(X, W, out=Z)
        backend = kernels()
        if self.kind == "cos_sin":
            out = backend.cos_sin(out, s, 1.0 / np.sqrt(s))
        else:
            out = backend.cos_phase(out, self.phase_, np.sqrt(2.0 / s))
        return out

    def _transform_namespace(self, X, xp):
        """``transform`` in X's namespace: one product with the (small) frequencies, moved
        to X's device, then the kernel set's cos/sin (SORF uses its dense frequencies)."""
        device = array_device(X)
        W = xp.asarray(np.ascontiguousarray(self.frequencies_.T), dtype=X.dtype, device=device)
        s = W.shape[1]
        backend = kernels(xp)
        if self.kind == "cos_sin":
            return backend.cos_sin(X @ W, s, 1.0 / np.sqrt(s))
        phase = xp.asarray(self.phase_, dtype=X.dtype, device=device)
        return backend.cos_phase(X @ W, phase, np.sqrt(2.0 / s))

    def kernel_standard_error(self, X, Y=None) -> np.ndarray:
        r"""Standard error of the kernel estimate :math:`z(x_i)^T z(y_j)` from the replicates.

        Each of the R = ``n_replicates`` randomised sets gives an unbiased estimate
        :math:`\hat k_r(x, y)` (for ORF and randomised QMC; SORF up to its small bias),
        and the features' estimate is their mean; its standard error is
        :math:`\mathrm{sd}_r(\hat k_r) / \sqrt R`.

        Parameters
        ----------
        X : array_like or scipy.sparse matrix of shape (n, d)
            Rows x_i.
        Y : array_like or scipy.sparse matrix of shape (m, d), optional
            Rows y_j (default: X).

        Returns
        -------
        ndarray of shape (n, m)
            The standard errors, in float64.
        """
        R = self.n_replicates
        if R < 2:
            raise ValueError("kernel_standard_error needs n_replicates >= 2; got "
                             f"n_replicates={R}")
        ZX = self.transform(X).astype(np.float64, copy=False)
        ZY = ZX if Y is None else self.transform(Y).astype(np.float64, copy=False)
        s = self.n_frequencies
        size = s // R
        total = np.zeros((ZX.shape[0], ZY.shape[0]))
        squares = np.zeros_like(total)
        for r in range(R):
            cols = np.arange(r * size, (r + 1) * size)
            if self.kind == "cos_sin":
                cols = np.r_[cols, cols + s]
            Kr = (s / size) * (ZX[:, cols] @ ZY[:, cols].T)
            total += Kr
            squares += Kr * Kr
        variance = np.maximum(squares - total * total / R, 0.0) / (R - 1)
        return np.sqrt(variance / R)

    def fit_transform(self, X) -> np.ndarray:
        """``fit(X).transform(X)``.

        Parameters
        ----------
        X : array_like or scipy.sparse matrix of shape (n, d)
            The data.

        Returns
        -------
        ndarray of shape (n, n_features)
            The features.
        """
        return self.fit(X).transform(X)


def fourier_features(X, n_features: int, kernel: str = "gaussian",
                     bandwidth: float | str = 1.0, sequence="auto", kind: str = "cos_sin",
                     rng: SeedLike = None, **options) -> np.ndarray:
    r"""Fourier features of the rows of ``X``: :math:`z(x)^T z(y) \approx k(x, y)`.

    One-shot form of ``FourierFeatureMap(n_features, kernel, bandwidth, sequence=...,
    kind=..., rng=..., **options).fit_transform(X)``; see that class.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix of shape (n, d)
        The data; an array of another Array-API library gives features in its
        namespace and on its device (the frequencies are drawn on the host).
    n_features : int
        Output columns.
    kernel : str, default="gaussian"
        One of ``rnla.features.KERNELS``.
    bandwidth : float or "median", default=1.0
        Kernel bandwidth sigma.
    sequence : str or ndarray, default="auto"
        Point set behind the frequencies.
    kind : {"cos_sin", "cos_phase"}, default="cos_sin"
        Feature form.
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness (scrambling, MC draws, phases).
    **options
        Passed to :class:`FourierFeatureMap` (``scramble``, ``nu``).

    Returns
    -------
    ndarray of shape (n, n_features)
        The features.

    Examples
    --------
    >>> import numpy as np
    >>> import rnla
    >>> X = np.random.default_rng(1).random((100, 4))
    >>> Z = rnla.fourier_features(X, 512, bandwidth=1.0, sequence="lattice", rng=0)
    >>> K = rnla.features.kernel_matrix(X, bandwidth=1.0)
    >>> bool(np.linalg.norm(Z @ Z.T - K, 2) / np.linalg.norm(K, 2) < 0.01)
    True
    """
    return FourierFeatureMap(n_features, kernel, bandwidth, sequence=sequence, kind=kind,
                             rng=rng, **options).fit_transform(X)
