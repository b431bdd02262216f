"""The one dispatch point: ``engine_of`` decides the engine of a call from its arguments,
refuses mixes by name, and validates an operand in its engine."""

import numpy as np
import pytest
import scipy.sparse as sp

from rnla.backend import Engine, engine_of, generic_kernels, kernels

xps = pytest.importorskip("array_api_strict")
da = pytest.importorskip("dask.array")


def test_engine_from_the_arguments():
    A = np.ones((4, 2))
    assert engine_of(A=A, b=None, alpha=1.0) == Engine("host", np)
    assert engine_of(A=sp.csr_array(A)).kind == "host"
    assert engine_of(A=sp.linalg.aslinearoperator(A)).kind == "host"
    xe = engine_of(A=xps.asarray(A), b=xps.asarray(np.ones(4)))
    assert xe.kind == "xp" and xe.kernels is kernels(xe.xp)
    assert engine_of(A=da.from_array(A), b=np.ones(4)).kind == "dask"
    with generic_kernels():
        assert engine_of(A=A).kind == "xp"


def test_mixes_and_unserved_engines_are_refused_by_name():
    A = np.ones((4, 2))
    with pytest.raises(TypeError, match="`A` from array_api_strict, `b` from numpy"):
        engine_of(A=xps.asarray(A), b=np.ones(4))
    with pytest.raises(TypeError, match="`b` from dask"):
        engine_of(A=xps.asarray(A), b=da.from_array(np.ones(4)))
    with pytest.raises(TypeError, match="`W` is a Dask array; box_discrepancy"):
        engine_of(serves=("host", "xp"), what="box_discrepancy", W=da.from_array(A))
    with pytest.raises(TypeError, match="`A` is an array of array_api_strict; rnla.lp"):
        engine_of(serves=("host",), what="rnla.lp", A=xps.asarray(A))


def test_matrix_validates_in_its_engine():
    bad = np.ones((4, 2))
    bad[1, 1] = np.nan
    for engine, wrap in ((Engine("host", np), np.asarray),
                         (engine_of(A=xps.asarray(bad)), xps.asarray)):
        with pytest.raises(ValueError, match="`A` must contain only finite values"):
            engine.matrix(wrap(bad))
        assert engine.matrix(wrap(bad), check_finite=False).shape == (4, 2)
        with pytest.raises(TypeError, match="complex"):
            engine.matrix(wrap(np.ones((4, 2), dtype=complex)))
    lazy = engine_of(A=da.from_array(bad)).matrix(da.from_array(bad))  # values: at compute
    assert isinstance(lazy, da.Array)
    with pytest.raises(TypeError, match="LinearOperator"):
        Engine("host", np).matrix(sp.linalg.aslinearoperator(bad))
