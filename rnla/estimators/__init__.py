"""scikit-learn estimators over rnla's function API (requires scikit-learn)."""

from rnla.estimators.kernel import QMCFourierFeatures, QMCKernelRidge
from rnla.estimators.linear import SketchedLinearRegression, SketchedRidge
from rnla.estimators.projection import SketchProjection

__all__ = ["SketchedLinearRegression", "SketchedRidge", "QMCFourierFeatures", "QMCKernelRidge",
           "SketchProjection"]
