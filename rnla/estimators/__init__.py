"""scikit-learn estimators over rnla's function API (requires scikit-learn)."""

try:
    import sklearn  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess without sklearn
    raise ImportError("rnla.estimators needs scikit-learn: pip install 'rnla[sklearn]'") from exc

from rnla.estimators.decomposition import RandomizedPCA, RandomizedSVD
from rnla.estimators.kernel import (
    NystromFeatures,
    NystromKernelRidge,
    QMCFourierFeatures,
    QMCKernelRidge,
)
from rnla.estimators.linear import (
    SketchedLinearRegression,
    SketchedRidge,
    SketchedRidgeClassifier,
    SketchedRidgeCV,
)
from rnla.estimators.projection import SketchProjection

__all__ = ["SketchedLinearRegression", "SketchedRidge", "SketchedRidgeCV",
           "SketchedRidgeClassifier", "QMCFourierFeatures",
           "QMCKernelRidge",
           "SketchProjection", "RandomizedSVD", "RandomizedPCA", "NystromFeatures",
           "NystromKernelRidge"]
