"""Statistical efficiency of sketched least squares (Raskutti and Mahoney; Ma, Mahoney and Yu).

Data models (``make_design``, ``make_response``), the three criteria estimated by
Monte Carlo over sketches (``estimate_efficiency``), the theory table
(``rnla.efficiency.bounds``) and the benchmark suite (``rnla.efficiency.suite``,
run by ``python -m rnla bench efficiency``).
"""

from rnla.efficiency.criteria import SKETCHES, Efficiency, efficiency_draws, estimate_efficiency
from rnla.efficiency.designs import DESIGNS, coherence, make_design, make_response

__all__ = ["DESIGNS", "SKETCHES", "Efficiency", "coherence", "efficiency_draws",
           "estimate_efficiency", "make_design", "make_response"]
