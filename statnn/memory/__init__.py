"""Associative memory: learning rules, the Hopfield constructor, recall experiments.

* :func:`hopfield` — a network storing patterns with the Hebbian, pseudo-inverse, Storkey
  or perceptron rule (:mod:`.rules`), optionally diluted and for biased patterns;
* :func:`random_patterns` — unbiased or biased random ±1 patterns;
* :func:`recall` — cue with corrupted patterns, relax, measure overlaps (:func:`relax`
  runs the same dynamics from arbitrary states);
* :mod:`.experiments` — capacity curves, basins of attraction, spurious states and the
  (T, α) phase diagram, as functions returning plain dicts.
"""

from statnn.memory.networks import hopfield
from statnn.memory.patterns import random_patterns
from statnn.memory.retrieval import RecallResult, recall, relax
from statnn.memory.rules import (
    hebbian_couplings,
    perceptron_couplings,
    pseudo_inverse_couplings,
    storkey_couplings,
)
from statnn.memory.studies import (
    basin_of_attraction,
    capacity_curve,
    classify_states,
    phase_diagram,
    spurious_states,
)

__all__ = [
    "RecallResult",
    "basin_of_attraction",
    "capacity_curve",
    "classify_states",
    "hebbian_couplings",
    "hopfield",
    "perceptron_couplings",
    "phase_diagram",
    "pseudo_inverse_couplings",
    "random_patterns",
    "recall",
    "relax",
    "spurious_states",
    "storkey_couplings",
]
