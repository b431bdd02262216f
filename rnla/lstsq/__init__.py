"""Sketched least squares and ridge: sketch-and-solve, sketch-and-precondition, and the
iterative Hessian sketch."""

from rnla.lstsq._result import LstsqProgress, LstsqResult
from rnla.lstsq.cost import choose_method, default_sketch_size
from rnla.lstsq.solve import METHODS, SOLVERS, lstsq, ridge

__all__ = ["lstsq", "ridge", "LstsqResult", "LstsqProgress", "default_sketch_size",
           "choose_method", "METHODS", "SOLVERS"]
