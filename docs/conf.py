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
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",     # MathJax 3 shipped with the site: math renders offline
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
templates_path = ["_templates"]

# links to numpy, scipy and scikit-learn from inventories committed in the repository
# (the build runs offline; docs/_inventories/build.py writes them)
intersphinx_mapping = {
    "numpy": ("https://numpy.org/doc/stable/", "_inventories/numpy.inv"),
    "scipy": ("https://docs.scipy.org/doc/scipy/", "_inventories/scipy.inv"),
    "sklearn": ("https://scikit-learn.org/stable/", "_inventories/sklearn.inv"),
    "python": ("https://docs.python.org/3/", "_inventories/python.inv"),
}
intersphinx_disabled_reftypes = ["*"]   # only explicit numpy:/scipy:/sklearn: or full names
# parameter types that name one of those objects link to its page
numpydoc_xref_param_type = True
numpydoc_xref_ignore = "all"
numpydoc_xref_aliases = {
    "ndarray": "numpy.ndarray",
    "Generator": "numpy.random.Generator",
    "SeedSequence": "numpy.random.SeedSequence",
    "RandomState": "numpy.random.RandomState",
    "LinearOperator": "scipy.sparse.linalg.LinearOperator",
    "scipy.sparse.linalg.LinearOperator": "scipy.sparse.linalg.LinearOperator",
    "csr_array": "scipy.sparse.csr_array",
    "csr_matrix": "scipy.sparse.csr_matrix",
    "numpy.random.Generator": "numpy.random.Generator",
}

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
numpydoc_validation_exclude = {r"NystromPreconditioner\.(?!from_factor|from_eigh)\w+$",
                               r"\.__init__$", r"\.__call__$", r"\.__matmul__$",
                               r"\.__repr__$", r"\.__sklearn_tags__$", r"^rnla\.Status$",
                               r"\.(LstsqResult|LstsqProgress|LPResult|LPProgress|Efficiency|"
                               r"LearnedSequence|SVDResult|EighResult|InterpolativeResult|TraceResult|"
                               r"DiagonalResult|NormResult|SpectralDensity|NystromResult|KernelRidgeResult|RidgePathResult)$"}

html_theme = "pydata_sphinx_theme"
html_title = f"rnla {release}"
html_theme_options = {"navigation_with_keys": False}
