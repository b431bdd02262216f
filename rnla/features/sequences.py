r"""Point sets in the unit cube: Monte Carlo and quasi-Monte Carlo.

``qmc_points(n, d, sequence)`` returns ``n`` points of ``[0, 1)^d``:

* ``"mc"``: i.i.d. uniform points;
* ``"halton"``: scipy's Halton sequence (random digit permutations when scrambled;
  unscrambled, the point 0 at index 0 is skipped);
* ``"sobol"``: scipy's Sobol' sequence (Joe--Kuo direction numbers; linear matrix
  scramble and digital shift when scrambled);
* ``"lattice"``: the embedded rank-1 lattice sequence
  :math:`t_i = \{\phi_2(i)\, z\}` with Kuo's generating vector ``z``
  (``rnla.features._lattice_data``), randomly shifted, :math:`\{t_i + \Delta\}`,
  when scrambled;
* ``"digital_net"``: the base-2 digital net :math:`t_i = C\,\vec{\imath}` over GF(2)
  in natural index order, with the Sobol' generating matrices :math:`C_j`, and a
  random digital shift (XOR) when scrambled.

Powers of two are the natural sizes for Sobol', the lattice and the digital net:
the first :math:`2^m` points are then a complete net or lattice rule.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import qmc

from rnla._random import SeedLike, as_generator
from rnla._validation import check_int, check_option
from rnla.features._lattice_data import LATTICE_GENERATING_VECTOR, LATTICE_LOG2_MAX_POINTS

__all__ = ["SEQUENCES", "qmc_points", "max_dimension"]

SEQUENCES = ("mc", "halton", "sobol", "lattice", "digital_net")

_SOBOL_MAX_DIM = 21201  # Joe--Kuo direction numbers shipped with scipy
_MATRIX_BITS = 32  # rows of the Sobol' generating matrices (scipy's uint32 engine)
_NET_BITS = 52  # digits of a digital-net coordinate after the shift (exact in float64)
_MAX_DIM = {
    "mc": None,
    "halton": None,
    "sobol": _SOBOL_MAX_DIM,
    "lattice": len(LATTICE_GENERATING_VECTOR),
    "digital_net": _SOBOL_MAX_DIM,
}
_MAX_POINTS = {"lattice": 2**LATTICE_LOG2_MAX_POINTS, "digital_net": 2**_MATRIX_BITS}


def max_dimension(sequence: str) -> int | None:
    """Largest dimension ``sequence`` supports.

    Parameters
    ----------
    sequence : str
        One of ``SEQUENCES``.

    Returns
    -------
    int or None
        The largest dimension, None when unlimited.
    """
    return _MAX_DIM[check_option(sequence, "sequence", SEQUENCES)]


def qmc_points(n: int, d: int, sequence: str = "halton", scramble: bool = True,
               rng: SeedLike = None) -> np.ndarray:
    r"""Return ``n`` points of a (randomised) low-discrepancy sequence in ``[0, 1)^d``.

    Parameters
    ----------
    n, d : int
        Number of points and dimension.
    sequence : {"mc", "halton", "sobol", "lattice", "digital_net"}
        Point set (see the module docstring).  ``"lattice"`` supports ``d <= 1024``
        and ``n <= 2^20``; ``"sobol"`` and ``"digital_net"`` ``d <= 21201`` (and the
        net ``n <= 2^32``).
    scramble : bool
        Randomise the set (digit scrambling, random shift or digital shift) so that
        every point is uniform on the cube while the set keeps its structure.
        Ignored for ``"mc"``.
    rng : None, int, SeedSequence, Generator or RandomState
        Seed of the randomisation.

    Returns
    -------
    ndarray of shape (n, d), float64
        Randomised sets avoid 0 almost surely; unscrambled Sobol', lattice and net
        points start at 0, so map them through an inverse CDF only after clipping
        (``rnla.features.spectral_frequencies`` does).

    Examples
    --------
    >>> from rnla.features import qmc_points
    >>> t = qmc_points(8, 2, "lattice", scramble=False)
    >>> sorted((t[:, 1] * 8).tolist())  # every coordinate of a lattice rule is equispaced
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    """
    sequence = check_option(sequence, "sequence", SEQUENCES)
    n = check_int(n, "n", 1, _MAX_POINTS.get(sequence))
    d = check_int(d, "d", 1, _MAX_DIM[sequence])
    rng = as_generator(rng, "rng")
    if sequence == "mc":
        return rng.random((n, d))
    if sequence == "halton":
        engine = qmc.Halton(d, scramble=scramble, rng=rng)
        if not scramble:
            engine.fast_forward(1)  # index 0 is the origin
        return engine.random(n)
    if sequence == "sobol":
        with warnings.catch_warnings():  # balance warning for n not a power of two
            warnings.simplefilter("ignore", UserWarning)
            return qmc.Sobol(d, scramble=scramble, rng=rng).random(n)
    if sequence == "lattice":
        return _lattice(n, d, rng if scramble else None)
    return _digital_net(n, d, rng if scramble else None)


def _radical_inverse_bits(i: np.ndarray, bits: int) -> np.ndarray:
    """Bit reversal of ``i`` in ``bits`` bits: :math:`2^{bits} \\phi_2(i)`."""
    out = np.zeros_like(i)
    for k in range(bits):
        out |= ((i >> k) & 1) << (bits - 1 - k)
    return out


def _lattice(n: int, d: int, rng: np.random.Generator | None) -> np.ndarray:
    m = LATTICE_LOG2_MAX_POINTS
    z = np.asarray(LATTICE_GENERATING_VECTOR[:d], dtype=np.int64)
    # frac(phi_2(i) z) in exact integer arithmetic: phi_2(i) 2^m z mod 2^m
    k = _radical_inverse_bits(np.arange(n, dtype=np.int64), m)
    t = ((k[:, None] * z[None, :]) & (2**m - 1)) / float(2**m)
    if rng is not None:
        t += rng.random(d)
        t -= np.floor(t)
    return t


def _sobol_matrices(d: int, m: int) -> np.ndarray:
    """Columns of the Sobol' generating matrices as ``_NET_BITS``-bit integers, shape (d, m).

    In scipy's Gray-code order the unscrambled point of index :math:`2^{k+1} - 1` is
    the k-th column (its Gray code is :math:`2^k`)."""
    engine = qmc.Sobol(d, scramble=False, bits=_MATRIX_BITS)
    columns = np.empty((d, m), dtype=np.uint64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for k in range(m):
            engine.fast_forward(2 ** (k + 1) - 1 - engine.num_generated)
            columns[:, k] = np.rint(engine.random(1)[0] * 2.0**_MATRIX_BITS).astype(np.uint64)
    columns <<= np.uint64(_NET_BITS - _MATRIX_BITS)
    return columns


def _digital_net(n: int, d: int, rng: np.random.Generator | None) -> np.ndarray:
    m = max(1, int(n - 1).bit_length())
    C = _sobol_matrices(d, m)
    i = np.arange(n, dtype=np.uint64)
    x = np.zeros((n, d), dtype=np.uint64)
    for k in range(m):
        bit = ((i >> np.uint64(k)) & np.uint64(1)).astype(bool)
        x[bit] ^= C[:, k]
    if rng is not None:
        x ^= rng.integers(0, 2**_NET_BITS, size=d, dtype=np.uint64)
    return x / 2.0**_NET_BITS
