"""rnla: randomized numerical linear algebra.

Sketch operators (Gaussian, SRHT, CountSketch / sparse sign, uniform and
leverage-score sampling), leverage scores, sketched least squares and ridge
regression, QMC Fourier feature maps with box discrepancy, positive LPs, on a
numba (CPU) backend.
"""

from rnla import features, sketch
from rnla.features import FourierFeatureMap, fourier_features
from rnla.lstsq import LstsqResult, lstsq, ridge
from rnla.sketch import (
    SRHT,
    CountSketch,
    GaussianSketch,
    LeverageSampling,
    SketchOperator,
    SparseSign,
    UniformSampling,
    embedding_size,
    leverage_scores,
    make_sketch,
)

__version__ = "0.1.0"

#: estimators need scikit-learn, so they load on first access (``rnla.SketchedRidge``)
_ESTIMATORS = ("SketchedLinearRegression", "SketchedRidge", "QMCFourierFeatures",
               "QMCKernelRidge")


def __getattr__(name: str):
    if name in _ESTIMATORS:
        from rnla import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module 'rnla' has no attribute {name!r}")


__all__ = [
    "sketch",
    "features",
    "fourier_features",
    "FourierFeatureMap",
    "lstsq",
    "ridge",
    "LstsqResult",
    "make_sketch",
    "leverage_scores",
    "embedding_size",
    "SketchOperator",
    "GaussianSketch",
    "SRHT",
    "CountSketch",
    "SparseSign",
    "UniformSampling",
    "LeverageSampling",
    *_ESTIMATORS,
]
