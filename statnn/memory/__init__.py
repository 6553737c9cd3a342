"""Associative memory: learning rules, the Hopfield constructor, recall experiments.

* :func:`hopfield` — a network storing patterns with the Hebbian, pseudo-inverse, Storkey
  or perceptron rule (:mod:`.rules`), optionally diluted and for biased patterns;
* :func:`random_patterns` — unbiased or biased random ±1 patterns;
* :func:`recall` — cue with corrupted patterns, relax, measure overlaps (:func:`relax`
  runs the same dynamics from arbitrary states);
* :mod:`.experiments` — capacity curves, basins of attraction, spurious states and the
  (T, α) phase diagram, as functions returning plain dicts.
"""

from .experiments import (
    basin_of_attraction,
    capacity_curve,
    classify_states,
    phase_diagram,
    spurious_states,
)
from .hopfield import hopfield
from .patterns import random_patterns
from .recall import RecallResult, recall, relax
from .rules import (
    hebbian_couplings,
    perceptron_couplings,
    pseudo_inverse_couplings,
    storkey_couplings,
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
