"""``import rnla`` stays cheap: what a user does not need yet loads on first use."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.smoke


def test_import_loads_neither_scipy_stats_nor_sklearn_nor_dask():
    code = ("import sys, rnla; "
            "print(','.join(m for m in ('scipy.stats', 'scipy.special', 'sklearn', 'dask', "
            "'cupy', 'torch', 'rnla.features', 'rnla.lowrank', 'rnla.lp') "
            "if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "", f"import rnla loaded {loaded}"


def test_lazy_names_resolve():
    import rnla

    assert rnla.fourier_features is rnla.features.fourier_features
    assert rnla.FourierFeatureMap.__module__.startswith("rnla.features")
    assert {"features", "lowrank", "fourier_features"} <= set(dir(rnla))
