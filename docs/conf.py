"""Sphinx configuration: ``python -m sphinx -W -b html docs docs/_build/html``."""

import rnla

project = "rnla"
author = "the rnla developers"
copyright = "the rnla developers"
release = version = rnla.__version__

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
templates_path = ["_templates"]

myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

autosummary_generate = True
autosummary_imported_members = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# every public object documents its parameters and what it returns; a gap fails the build
numpydoc_validation_checks = {"GL08", "PR01", "PR02", "RT01"}
# result records document their fields under Attributes (as scipy's OptimizeResult);
# tests/test_docs.py checks that every field is there.  Status is a str Enum.
numpydoc_validation_exclude = {r"\.__init__$", r"\.__call__$", r"\.__matmul__$",
                               r"\.__repr__$", r"\.__sklearn_tags__$", r"^rnla\.Status$",
                               r"\.(LstsqResult|LstsqProgress|LPResult|LPProgress|Efficiency|"
                               r"LearnedSequence|SVDResult|EighResult|InterpolativeResult|TraceResult|"
                               r"DiagonalResult|NormResult|SpectralDensity|NystromResult|KernelRidgeResult)$"}

html_theme = "pydata_sphinx_theme"
html_title = f"rnla {release}"
html_theme_options = {"navigation_with_keys": False}
