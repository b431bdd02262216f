"""Write the intersphinx inventories of numpy, scipy, scikit-learn and Python that the docs link
to: the build runs offline (CI has no network), so the inventories are committed.

    python docs/_inventories/build.py

Each inventory holds the objects rnla's docs name, with the page address of the
library's stable documentation.  Sphinx's inventory format, version 2: four header
lines, then zlib-compressed lines ``name domain:role priority uri display-name``.
"""

from __future__ import annotations

import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: (project, version, base URL, {object: (role, page)}); a page "" means the generated
#: page named after the object
INVENTORIES = {
    "numpy": ("NumPy", "stable", "https://numpy.org/doc/stable/", "reference/generated/", {
        "numpy.ndarray": "class",
        "numpy.linalg.lstsq": "function",
        "numpy.linalg.svd": "function",
        "numpy.linalg.eigh": "function",
        "numpy.memmap": "class",
        "numpy.random.Generator": ("class", "reference/random/generator.html"),
        "numpy.random.SeedSequence": ("class", "reference/random/bit_generators/"
                                                "generated/numpy.random.SeedSequence.html"),
        "numpy.random.RandomState": ("class", "reference/random/legacy.html"),
        "numpy.random.default_rng": ("function", "reference/random/generator.html"),
        "numpy.float32": ("attribute", "reference/arrays.scalars.html"),
        "numpy.float64": ("attribute", "reference/arrays.scalars.html"),
        "numpy.inf": ("data", "reference/constants.html"),
        "numpy.nan": ("data", "reference/constants.html"),
        "numpy": ("module", "index.html"),
        # what numpydoc's default type aliases point to
        "array_like": ("std:term", "glossary.html", "term-array_like"),
        "arrays.scalars": ("std:label", "reference/arrays.scalars.html", "arrays-scalars"),
    }),
    "python": ("Python", "3", "https://docs.python.org/3/", "library/", {
        "None": ("data", "library/constants.html"),
        "True": ("data", "library/constants.html"),
        "False": ("data", "library/constants.html"),
        "list": ("class", "library/stdtypes.html"),
        "tuple": ("class", "library/stdtypes.html"),
        "str": ("class", "library/stdtypes.html"),
        "dict": ("class", "library/stdtypes.html"),
        "float": ("class", "library/functions.html"),
        "int": ("class", "library/functions.html"),
        "callable": ("function", "library/functions.html"),
        "contextlib.contextmanager": ("function", "library/contextlib.html"),
        "collections.namedtuple": ("function", "library/collections.html"),
        "iterable": ("std:term", "glossary.html", "term-iterable"),
        "sequence": ("std:term", "glossary.html", "term-sequence"),
        "generator": ("std:term", "glossary.html", "term-generator"),
        "bltin-boolean-values": ("std:label", "library/stdtypes.html",
                                 "bltin-boolean-values"),
    }),
    "scipy": ("SciPy", "stable", "https://docs.scipy.org/doc/scipy/", "reference/generated/", {
        "scipy.sparse.linalg.LinearOperator": "class",
        "scipy.sparse.linalg.aslinearoperator": "function",
        "scipy.sparse.linalg.cg": "function",
        "scipy.sparse.linalg.lsqr": "function",
        "scipy.sparse.linalg.lsmr": "function",
        "scipy.sparse.linalg.svds": "function",
        "scipy.sparse.linalg.eigsh": "function",
        "scipy.sparse.csr_array": "class",
        "scipy.sparse.csc_array": "class",
        "scipy.sparse.csr_matrix": "class",
        "scipy.sparse.csc_matrix": "class",
        "scipy.optimize.linprog": "function",
        "scipy.optimize.lsq_linear": "function",
        "scipy.optimize.OptimizeResult": "class",
        "scipy.stats.qmc.Sobol": "class",
        "scipy.stats.qmc.Halton": "class",
        "scipy.linalg.interpolative": ("module", "reference/linalg.interpolative.html"),
    }),
    "sklearn": ("scikit-learn", "stable", "https://scikit-learn.org/stable/",
                "modules/generated/", {
        "sklearn.linear_model.Ridge": "class",
        "sklearn.linear_model.RidgeCV": "class",
        "sklearn.linear_model.RidgeClassifier": "class",
        "sklearn.linear_model.LinearRegression": "class",
        "sklearn.kernel_ridge.KernelRidge": "class",
        "sklearn.kernel_approximation.Nystroem": "class",
        "sklearn.kernel_approximation.RBFSampler": "class",
        "sklearn.decomposition.PCA": "class",
        "sklearn.decomposition.TruncatedSVD": "class",
        "sklearn.random_projection.GaussianRandomProjection": "class",
        "sklearn.random_projection.SparseRandomProjection": "class",
        "sklearn.utils.extmath.randomized_svd": "function",
        "sklearn.model_selection.GridSearchCV": "class",
        "sklearn.pipeline.Pipeline": "class",
    }),
}


def inventory(project: str, version: str, generated: str, objects: dict) -> bytes:
    lines = []
    for name, spec in sorted(objects.items()):
        role, page, anchor = ((spec, "", "") if isinstance(spec, str) else
                              (spec + ("",))[:3])
        page = page or f"{generated}{name}.html"
        if role.startswith("std:"):      # glossary terms and labels: an explicit anchor
            lines.append(f"{name} {role} -1 {page}#{anchor} {name}")
        else:
            lines.append(f"{name} py:{role} 1 {page}#$ -")
    header = (f"# Sphinx inventory version 2\n# Project: {project}\n# Version: {version}\n"
              "# The remainder of this file is compressed using zlib.\n")
    return header.encode() + zlib.compress(("\n".join(lines) + "\n").encode(), 9)


def main() -> None:
    for key, (project, version, _, generated, objects) in INVENTORIES.items():
        (HERE / f"{key}.inv").write_bytes(inventory(project, version, generated, objects))


if __name__ == "__main__":
    main()
