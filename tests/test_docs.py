"""What the API reference relies on: documented result fields, no unpublished citations."""

import dataclasses
import pathlib
import re

import pytest

import rnla
from rnla.efficiency import Efficiency
from rnla.features import LearnedSequence
from rnla.lowrank import (
    EighResult,
    InterpolativeResult,
    KernelRidgeResult,
    NystromResult,
    SVDResult,
)
from rnla.lp import LPProgress, LPResult
from rnla.lstsq import LstsqProgress, LstsqResult, RidgePathResult
from rnla.spectrum import DiagonalResult, NormResult, SpectralDensity, TraceResult

pytestmark = pytest.mark.smoke  # also run against the lowest supported versions

ROOT = pathlib.Path(rnla.__file__).parent


@pytest.mark.parametrize("record", [LstsqResult, LstsqProgress, LPResult, LPProgress,
                                    Efficiency, LearnedSequence, SVDResult, EighResult,
                                    InterpolativeResult, TraceResult, DiagonalResult,
                                    NormResult, SpectralDensity, NystromResult,
                                    KernelRidgeResult, RidgePathResult])
def test_every_field_of_a_result_is_documented(record):
    """The docs build exempts result records from numpydoc's Parameters check because
    they list their fields under Attributes; this is that check."""
    doc = record.__doc__
    assert "Attributes\n    ----------" in doc
    attributes = doc.split("Attributes\n    ----------", 1)[1]
    documented = set(re.findall(r"^    (\w+)(?: :|, |$)", attributes, re.M))
    documented |= {name for group in re.findall(r"^    ([\w, ]+) :", attributes, re.M)
                   for name in group.split(", ")}
    fields = {f.name for f in dataclasses.fields(record) if not f.name.startswith("_")}
    assert fields <= documented, f"undocumented fields of {record.__name__}: " \
                                 f"{sorted(fields - documented)}"


def test_docstrings_cite_only_the_repository_or_published_work():
    pattern = re.compile(r"\bspec\b(?! 7)|\bspec/|\bthe spec\b", re.I)
    offenders = []
    for path in ROOT.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line) and "find_spec" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_committed_inventories_are_what_the_script_writes_and_cover_the_aliases():
    """The docs link to numpy, scipy, scikit-learn and Python offline, from inventories in
    the repository: they must decode, match docs/_inventories/build.py, and hold every
    object the parameter-type aliases of docs/conf.py name."""
    import importlib.util
    import zlib

    docs = ROOT.parent / "docs"
    spec = importlib.util.spec_from_file_location("build_inventories",
                                                  docs / "_inventories" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    names = set()
    for key, (project, version, _, generated, objects) in build.INVENTORIES.items():
        data = (docs / "_inventories" / f"{key}.inv").read_bytes()
        assert data == build.inventory(project, version, generated, objects)
        body = zlib.decompress(data.split(b"zlib.\n", 1)[1]).decode()
        names |= {line.split()[0] for line in body.splitlines()}
    conf = (docs / "conf.py").read_text()
    aliases = re.search(r"numpydoc_xref_aliases = \{(.*?)\n\}", conf, re.S).group(1)
    targets = set(re.findall(r': "([\w.]+)"', aliases))
    assert targets and targets <= names
