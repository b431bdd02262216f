"""scikit-learn estimators over rnla's function API (requires scikit-learn)."""

from rnla.estimators.linear import SketchedLinearRegression, SketchedRidge

__all__ = ["SketchedLinearRegression", "SketchedRidge"]
