r"""The theory table: what each sketch's efficiencies should be, and where it comes from.

Three kinds of entries, each a function of (n, p, r):

* ``"exact"``: a finite-sample expectation, derived in closed form; the Monte Carlo
  mean must agree within its standard error.
* ``"approx"``: an expectation up to a stated relative slack, valid in a stated
  regime (large r, incoherent design).
* ``"order"``: Raskutti and Mahoney's upper bounds, whose constants are not
  stated precisely enough to check; only their scaling is checked (the slope of log(C - 1) against
  log(1/r)), never an absolute value.

References: G. Raskutti and M. Mahoney, "A statistical perspective on randomized
sketching for ordinary least-squares", JMLR 17 (2016), Table 1 and Theorems 1-3
("RM"); P. Ma, M. Mahoney and B. Yu, "A statistical perspective on algorithmic
leveraging", JMLR 16 (2015) ("MMY").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "Bound",
    "BOUNDS",
    "bounds_for",
    "gaussian_pe",
    "gaussian_re",
    "orthogonal_pe",
    "orthogonal_re",
    "with_replacement_pe",
    "with_replacement_re",
]


def gaussian_pe(n: int, p: int, r: int) -> float:
    r"""E C_PE of a Gaussian projection: :math:`1 + (n-p)/(r-p-1)`, r > p + 1.

    Rotating S by [U, U_perp] gives independent Gaussian blocks :math:`G_1` (r x p)
    and :math:`G_2` (r x (n-p)), and :math:`\|M\|_F^2 = p + \|(G_1^TG_1)^{-1}G_1^TG_2\|_F^2`,
    whose expectation is :math:`p + (n-p)\,E\,\mathrm{tr}(G_1^TG_1)^{-1}
    = p + (n-p)p/(r-p-1)` by the mean of the inverse Wishart
    (R. J. Muirhead, *Aspects of Multivariate Statistical Theory*, Wiley 1982, ch. 3).
    """
    return 1.0 + (n - p) / (r - p - 1)


def gaussian_re(n: int, p: int, r: int) -> float:
    r"""E C_RE of a Gaussian projection: :math:`1 + p/(r-p-1)` (from :func:`gaussian_pe`
    and :math:`C_{RE} - 1 = p(C_{PE} - 1)/(n-p)`)."""
    return 1.0 + p / (r - p - 1)


def orthogonal_pe(n: int, p: int, r: int) -> float:
    r"""E C_PE for S with r orthonormal rows spanning a Haar-random subspace:
    :math:`(n-p-1)/(r-p-1)`.

    :math:`U^TS^TSU` is matrix Beta_p(r/2, (n-r)/2) with
    :math:`E B^{-1} = (n-p-1)/(r-p-1) I` (the mean of an inverse matrix Beta).  The
    SRHT without replacement on an incoherent design, and uniform sampling without
    replacement averaged over a Gaussian design, follow it approximately (the slack
    and regime of its entry in ``BOUNDS``).
    """
    return (n - p - 1) / (r - p - 1)


def orthogonal_re(n: int, p: int, r: int) -> float:
    r"""E C_RE for Haar-random orthonormal rows: :math:`1 + p(n-r)/((n-p)(r-p-1))`."""
    return 1.0 + p * (n - r) / ((n - p) * (r - p - 1))


def with_replacement_pe(n: int, p: int, r: int) -> float:
    r"""First-order E C_PE of importance sampling with replacement: :math:`1 + (n-1)/r`.

    With :math:`U^TS^TSU \approx I`,
    :math:`E\|M\|_F^2 \approx p + \sum_i h_i (1 - \pi_i)/(r\pi_i)`, which equals
    :math:`p + p(n-1)/r` for uniform and for exact-leverage probabilities (MMY);
    valid once r is well above the coherence threshold (the slack and regime of its
    entry in ``BOUNDS``).
    """
    return 1.0 + (n - 1) / r


def with_replacement_re(n: int, p: int, r: int) -> float:
    r"""First-order E C_RE of importance sampling with replacement:
    :math:`1 + p(n-1)/(r(n-p))`."""
    return 1.0 + p * (n - 1) / (r * (n - p))


def _rm_pe(n, p, r):
    return 1.0 + n / r


def _rm_re(n, p, r):
    return 1.0 + p / r


def _rm_srht_pe(n, p, r):
    return math.log(n * p) * (1.0 + n / r)


def _rm_srht_re(n, p, r):
    return 1.0 + math.log(n * p) * (1.0 + p / r)


def _rm_srht_wc(n, p, r):
    return 1.0 + math.log(n * p) * p / r


@dataclass(frozen=True)
class Bound:
    """One entry of the theory table.

    ``value(n, p, r)`` is the expectation (``exact``, ``approx``) or the order
    expression with constant 1 (``order``); ``slack`` is the relative tolerance of an
    ``approx`` entry; ``regime(n, p, r, coherence)`` says where the entry applies;
    ``slope`` is the exponent of 1/r in C - 1 that an ``order`` entry predicts.
    """

    sketch: str
    replace: bool | None  # None: either
    criterion: str  # "wc", "pe" or "re"
    kind: str  # "exact", "approx" or "order"
    value: Callable[[int, int, int], float]
    source: str
    regime: Callable[[int, int, int, float], bool] = lambda n, p, r, mu: r > p + 1
    slack: float = 0.0
    slope: float = 1.0
    designs: tuple[str, ...] | None = None  # None: any design


def _rm_regime(n, p, r, mu):
    """RM's bounds need r of order p log p; the slope check starts at 2 p ln p."""
    return r >= 2 * p * math.log(max(p, 2))


def _after_coherence(n, p, r, mu):
    """Sampling bounds need r above mu p log p, mu = (n/p) max h (RM Thm 2; MMY)."""
    return r >= 10 * max(mu, 1.0) * p * math.log(max(p, 2))


_ORDER = "RM Table 1 (order only; constants not verified)"
_ANY = None

BOUNDS: tuple[Bound, ...] = (
    Bound("gaussian", _ANY, "pe", "exact", gaussian_pe, "inverse-Wishart mean"),
    Bound("gaussian", _ANY, "re", "exact", gaussian_re, "inverse-Wishart mean"),
    Bound("gaussian", _ANY, "wc", "exact", gaussian_re,
          "fixed data: E||M e||^2 = ||e||^2 E tr(G1^T G1)^{-1} = ||e||^2 p/(r-p-1)"),
    Bound("gaussian", _ANY, "wc", "order", _rm_re, _ORDER + ": 1 + O(p/r)", regime=_rm_regime),
    Bound("srht", False, "pe", "approx", orthogonal_pe, "Haar orthogonal rows",
          regime=lambda n, p, r, mu: r >= 4 * p, slack=0.10, designs=("GA",)),
    Bound("srht", False, "re", "approx", orthogonal_re, "Haar orthogonal rows",
          regime=lambda n, p, r, mu: r >= 4 * p, slack=0.10, designs=("GA",)),
    Bound("srht", _ANY, "pe", "order", _rm_srht_pe, _ORDER + ": O(log(np)(1 + n/r))",
          regime=_rm_regime),
    Bound("srht", _ANY, "re", "order", _rm_srht_re, _ORDER + ": 1 + O(log(np)(1 + p/r))",
          regime=_rm_regime),
    Bound("srht", _ANY, "wc", "order", _rm_srht_wc, _ORDER + ": 1 + O(log(np) p/r)",
          regime=_rm_regime),
    Bound("uniform", False, "pe", "approx", orthogonal_pe,
          "Haar formula averaged over Gaussian X",
          regime=lambda n, p, r, mu: r >= 4 * p, slack=0.10, designs=("GA",)),
    Bound("uniform", False, "re", "approx", orthogonal_re,
          "Haar formula averaged over Gaussian X",
          regime=lambda n, p, r, mu: r >= 4 * p, slack=0.10, designs=("GA",)),
    Bound("uniform", True, "pe", "approx", with_replacement_pe,
          "first-order sampling variance", regime=_after_coherence, slack=0.25,
          designs=("GA",)),
    Bound("uniform", True, "re", "approx", with_replacement_re,
          "first-order sampling variance", regime=_after_coherence, slack=0.25,
          designs=("GA",)),
    Bound("uniform", _ANY, "pe", "order", _rm_pe,
          _ORDER + ": O(1 + n/r) once r >= coherence threshold", regime=_after_coherence),
    Bound("uniform", _ANY, "re", "order", _rm_re,
          _ORDER + ": 1 + O(p/r) once r >= coherence threshold", regime=_after_coherence),
    Bound("leverage", True, "pe", "approx", with_replacement_pe,
          "first-order sampling variance",
          regime=lambda n, p, r, mu: r >= 10 * p * math.log(max(p, 2)), slack=0.25),
    Bound("leverage", True, "re", "approx", with_replacement_re,
          "first-order sampling variance",
          regime=lambda n, p, r, mu: r >= 10 * p * math.log(max(p, 2)), slack=0.25),
    Bound("leverage", _ANY, "pe", "order", _rm_pe, _ORDER + ": O(1 + n/r)",
          regime=_rm_regime),
    Bound("leverage", _ANY, "re", "order", _rm_re, _ORDER + ": 1 + O(p/r)",
          regime=_rm_regime),
    Bound("leverage", _ANY, "wc", "order", _rm_re, _ORDER + ": 1 + O(p/r)",
          regime=_rm_regime),
)


def bounds_for(sketch: str, replace: bool, criterion: str | None = None,
               design: str | None = None) -> list[Bound]:
    """The table's entries that apply to a sketch (and criterion, design)."""
    return [b for b in BOUNDS
            if b.sketch == sketch and (b.replace is None or b.replace == replace)
            and (criterion is None or b.criterion == criterion)
            and (design is None or b.designs is None or design in b.designs)]
