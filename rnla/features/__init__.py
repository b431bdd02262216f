"""Random and quasi-Monte Carlo Fourier feature maps for shift-invariant kernels.

* ``qmc_points``: MC, Halton, Sobol', rank-1 lattice and digital-net point sets;
* ``spectral_frequencies`` / ``kernel_matrix``: spectral densities of the Gaussian,
  Laplacian, Cauchy and Matérn kernels, and the exact kernels;
* ``FourierFeatureMap`` / ``fourier_features``: the feature map (cos/sin pairs or
  cos + phase);
* ``box_discrepancy`` / ``box_discrepancy_squared`` / ``data_box``: the box
  discrepancy of a set of frequencies, in closed form, with its gradient;
* ``learn_sequence``: frequencies learned by minimising the box discrepancy;
* ``orthogonal_frequencies`` / ``StructuredOrthogonal``: orthogonal random features
  (ORF) and their structured Hadamard form (SORF), for the radial kernels.
"""

from rnla.features.discrepancy import (
    BOX_KERNELS,
    box_discrepancy,
    box_discrepancy_squared,
    data_box,
)
from rnla.features.fourier import (
    SAMPLERS,
    FourierFeatureMap,
    default_sequence,
    fourier_features,
    median_bandwidth,
)
from rnla.features.learn import LearnedSequence, learn_sequence
from rnla.features.orthogonal import (
    ORTHOGONAL_KERNELS,
    StructuredOrthogonal,
    orthogonal_frequencies,
)
from rnla.features.sequences import SEQUENCES, max_dimension, qmc_points
from rnla.features.spectral import (
    KERNELS,
    kernel_matrix,
    sequence_dimension,
    spectral_cdf,
    spectral_frequencies,
    spectral_pdf,
)

__all__ = [
    "SEQUENCES",
    "KERNELS",
    "BOX_KERNELS",
    "qmc_points",
    "max_dimension",
    "kernel_matrix",
    "sequence_dimension",
    "spectral_frequencies",
    "spectral_cdf",
    "spectral_pdf",
    "FourierFeatureMap",
    "fourier_features",
    "median_bandwidth",
    "box_discrepancy",
    "box_discrepancy_squared",
    "data_box",
    "learn_sequence",
    "LearnedSequence",
    "SAMPLERS",
    "default_sequence",
    "ORTHOGONAL_KERNELS",
    "orthogonal_frequencies",
    "StructuredOrthogonal",
]
