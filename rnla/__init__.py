"""rnla: randomized numerical linear algebra.

Sketch operators (Gaussian, SRHT, CountSketch / sparse sign, uniform and
leverage-score sampling), leverage scores, sketched least squares and ridge
regression, QMC Fourier feature maps with box discrepancy, positive LPs, on a
numba (CPU) backend.
"""

import logging

from rnla import sketch
from rnla._status import Status
from rnla.lstsq import LstsqProgress, LstsqResult, lstsq, ridge, ridge_path
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

# diagnostics go to the "rnla" logger; the application decides where they are shown
logging.getLogger("rnla").addHandler(logging.NullHandler())

#: estimators need scikit-learn, so they load on first access (``rnla.SketchedRidge``)
_ESTIMATORS = ("SketchedLinearRegression", "SketchedRidge", "SketchedRidgeCV",
               "SketchedRidgeClassifier", "QMCFourierFeatures",
               "QMCKernelRidge", "SketchProjection", "RandomizedSVD", "RandomizedPCA",
               "NystromFeatures", "NystromKernelRidge")
#: subpackages loaded on first access, so that ``import rnla`` stays cheap (the feature
#: maps need scipy.stats and scipy.special, which cost more than numpy and scipy.sparse)
_SUBPACKAGES = ("lp", "efficiency", "estimators", "lowrank", "features", "spectrum")
#: functions of those subpackages re-exported here, also loaded on first access
_LAZY = {"FourierFeatureMap": "features", "fourier_features": "features"}


def __getattr__(name: str):
    import importlib

    if name in _ESTIMATORS:
        return getattr(importlib.import_module("rnla.estimators"), name)
    if name in _SUBPACKAGES:
        return importlib.import_module(f"rnla.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(f"rnla.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'rnla' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_ESTIMATORS) | set(_SUBPACKAGES) | set(_LAZY))


__all__ = [
    "sketch",
    "features",
    "lp",
    "lowrank",
    "efficiency",
    "fourier_features",
    "FourierFeatureMap",
    "lstsq",
    "ridge",
    "ridge_path",
    "LstsqResult",
    "LstsqProgress",
    "Status",
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
