"""Sketched least squares and ridge: sketch-and-solve, sketch-and-precondition, and the
iterative Hessian sketch."""

from rnla.lstsq._result import LstsqProgress, LstsqResult
from rnla.lstsq.cost import choose_method, default_sketch_size
from rnla.lstsq.ridge_path import RidgePathResult, ridge_path
from rnla.lstsq.solve import METHODS, SOLVERS, lstsq, ridge

__all__ = ["lstsq", "ridge", "ridge_path", "RidgePathResult", "LstsqResult", "LstsqProgress",
           "default_sketch_size",
           "choose_method", "METHODS", "SOLVERS"]
