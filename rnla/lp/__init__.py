"""Positive LP solvers: packing and covering by DB-SCD, with duality certificates."""

from rnla.lp.solve import LPProgress, LPResult, solve_covering, solve_packing, solve_positive_lp

__all__ = ["LPProgress", "LPResult", "solve_covering", "solve_packing", "solve_positive_lp"]
