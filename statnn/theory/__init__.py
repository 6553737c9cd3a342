"""Closed forms and saddle-point solvers of the statistical mechanics of neural networks.

* :mod:`~statnn.theory.curie_weiss` -- mean-field ferromagnet, m = tanh(beta (J m + h)).
* :mod:`~statnn.theory.ising` -- Onsager/Yang exact results for the 2D square-lattice Ising
  model.
* :mod:`~statnn.theory.ags` -- Amit-Gutfreund-Sompolinsky replica-symmetric theory of the
  Hopfield model (retrieval overlap, capacity, phase boundaries).
* :mod:`~statnn.theory.perceptron` -- Cover's counting theorem and Gardner's capacity.
* :mod:`~statnn.theory.dense` -- dense associative memories (polynomial and exponential)
  by signal-to-noise; the sparse-pattern capacity asymptote.
* :mod:`~statnn.theory.sparse` -- biased (low-activity) patterns: α_c(a) of the covariance
  rule with the optimal threshold, replica-symmetric at T = 0.
* :mod:`~statnn.theory.sk` -- Sherrington-Kirkpatrick spin glass, replica-symmetric.

Conventions (docs/conventions.md): spins +-1, H = -1/2 sum_{i != j} J_ij S_i S_j - sum_i h_i S_i,
weight exp(-H / T), k_B = 1. This subpackage depends only on numpy, scipy and
:mod:`statnn.errors` / :mod:`statnn._validation`. Every function validates its arguments
first and raises :class:`~statnn.errors.ValidationError` naming the bad one; array inputs
give array outputs.
"""

from statnn.theory.ags import (
    AGSSolution,
    ags_critical_load,
    ags_free_energy,
    ags_global_minimum_load,
    ags_overlap,
    ags_retrieval_temperature,
    ags_solution,
    one_step_error,
    spin_glass_temperature,
)
from statnn.theory.curie_weiss import curie_weiss_magnetization
from statnn.theory.dense import (
    dense_bit_error,
    dense_capacity,
    dense_load,
    exp_all_patterns_load,
    exp_capacity,
    exp_critical_load,
    exp_noise_exponent,
    sparse_capacity_asymptote,
)
from statnn.theory.ising import (
    ising_critical_temperature,
    onsager_energy,
    onsager_magnetization,
    onsager_specific_heat,
)
from statnn.theory.perceptron import (
    cover_count,
    cover_probability,
    gardner_capacity,
    gardner_margin,
)
from statnn.theory.sequences import (
    delayed_sequence_dwell_time,
    delayed_sequence_overlaps,
    sequence_overlaps,
)
from statnn.theory.sk import SK_GROUND_STATE_ENERGY, sk_rs_energy, sk_rs_overlap
from statnn.theory.sparse import (
    SparseCapacity,
    sparse_capacity,
    sparse_overlap,
    sparse_threshold,
)

__all__ = [
    "dense_bit_error",
    "dense_capacity",
    "dense_load",
    "exp_all_patterns_load",
    "exp_capacity",
    "exp_critical_load",
    "exp_noise_exponent",
    "delayed_sequence_dwell_time",
    "delayed_sequence_overlaps",
    "sequence_overlaps",
    "sparse_capacity_asymptote",
    "SparseCapacity",
    "sparse_capacity",
    "sparse_overlap",
    "sparse_threshold",
    "AGSSolution",
    "SK_GROUND_STATE_ENERGY",
    "ags_critical_load",
    "ags_free_energy",
    "ags_global_minimum_load",
    "ags_overlap",
    "ags_retrieval_temperature",
    "ags_solution",
    "cover_count",
    "cover_probability",
    "curie_weiss_magnetization",
    "gardner_capacity",
    "gardner_margin",
    "ising_critical_temperature",
    "one_step_error",
    "onsager_energy",
    "onsager_magnetization",
    "onsager_specific_heat",
    "sk_rs_energy",
    "sk_rs_overlap",
    "spin_glass_temperature",
]
