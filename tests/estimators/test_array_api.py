"""scikit-learn's Array API checks for the estimators, on array_api_strict.

scikit-learn needs ``SCIPY_ARRAY_API=1`` before scipy is first imported, so the
checks run in a fresh interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("array_api_strict")

SCRIPT = textwrap.dedent("""
    import numpy as np, sklearn, array_api_strict as xps
    from sklearn.linear_model import LinearRegression, Ridge
    from sklearn.utils.estimator_checks import check_array_api_input
    from rnla.estimators import (QMCFourierFeatures, RandomizedPCA, RandomizedSVD,
                                 SketchedLinearRegression, SketchedRidge, SketchProjection)

    sklearn.set_config(array_api_dispatch=True)
    for est in (SketchedLinearRegression(random_state=0), SketchedRidge(2.0, random_state=0),
                QMCFourierFeatures(n_components=16, random_state=0),
                RandomizedSVD(random_state=0), RandomizedPCA(2, random_state=0),
                *(SketchProjection(n_components=3, kind=kind, random_state=0)
                  for kind in ("countsketch", "sparse_sign", "srht", "gaussian"))):
        weighted = (False,) if isinstance(est, (QMCFourierFeatures, SketchProjection,
                                                RandomizedSVD, RandomizedPCA)) \
            else (False, True)
        for check_values in (False, True):
            for sample_weight in weighted:
                check_array_api_input(type(est).__name__, est, "array_api_strict",
                                      check_values=check_values,
                                      check_sample_weight=sample_weight)
    # the sketched path on the device, against scikit-learn on numpy
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6000, 12)); w = rng.random(6000)
    y = X @ np.arange(12.0) + 3.0 + 0.1 * rng.standard_normal(6000)
    for ours, theirs in ((SketchedRidge(5.0, method="precondition", random_state=0), Ridge(5.0)),
                         (SketchedLinearRegression(method="precondition", random_state=0),
                          LinearRegression())):
        ours.fit(xps.asarray(X), xps.asarray(y), sample_weight=xps.asarray(w))
        theirs.fit(X, y, sample_weight=w)
        assert ours.solver_method_ == "precondition"
        assert isinstance(ours.coef_, type(xps.asarray(1.0)))
        assert np.abs(np.from_dlpack(ours.coef_) - theirs.coef_).max() < 1e-10
        assert abs(float(ours.intercept_) - theirs.intercept_) < 1e-10
        prediction = ours.predict(xps.asarray(X))
        assert np.abs(np.from_dlpack(prediction) - theirs.predict(X)).max() < 1e-9
    # the projection and its inverse on the device equal the numpy ones
    for kind in ("countsketch", "srht", "gaussian"):
        proj = SketchProjection(n_components=6, kind=kind, random_state=1)
        Y = proj.fit(xps.asarray(X)).transform(xps.asarray(X))
        assert isinstance(Y, type(xps.asarray(1.0)))
        sklearn.set_config(array_api_dispatch=False)
        Y_ref = SketchProjection(n_components=6, kind=kind, random_state=1).fit_transform(X)
        back_ref = proj.inverse_transform(Y_ref)
        sklearn.set_config(array_api_dispatch=True)
        assert np.abs(np.from_dlpack(Y) - Y_ref).max() <= 1e-12 * np.abs(Y_ref).max()
        back = np.from_dlpack(proj.inverse_transform(Y))
        assert np.abs(back - back_ref).max() <= 1e-10 * np.abs(back_ref).max()
    # the decompositions on the device equal the numpy ones
    for est in (RandomizedSVD(4, random_state=0), RandomizedPCA(4, whiten=True, random_state=0)):
        Z = est.fit(xps.asarray(X)).transform(xps.asarray(X))
        assert isinstance(Z, type(xps.asarray(1.0))) and isinstance(est.components_, type(Z))
        sklearn.set_config(array_api_dispatch=False)
        Z_ref = type(est)(**est.get_params()).fit(X).transform(X)
        sklearn.set_config(array_api_dispatch=True)
        assert np.abs(np.from_dlpack(Z) - Z_ref).max() <= 1e-9 * np.abs(Z_ref).max()
    # numpy-only estimators refuse, by name, rather than convert
    from rnla.estimators import QMCKernelRidge
    for est in (QMCKernelRidge(n_components=16),):
        try:
            est.fit(xps.asarray(X), xps.asarray(y))
        except TypeError as err:
            assert type(est).__name__ in str(err)
        else:
            raise AssertionError(f"{type(est).__name__} accepted array_api_strict input")
    print("array-api checks passed")
""")


def test_estimators_pass_sklearn_array_api_checks():
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "array-api checks passed" in done.stdout
