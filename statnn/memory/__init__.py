"""Associative memory: learning rules, the Hopfield constructor, recall experiments.

* :func:`hopfield` — a network storing patterns with the Hebbian, pseudo-inverse, Storkey
  or perceptron rule (:mod:`.rules`), optionally diluted and for biased patterns;
* :func:`dense_memory` — a dense associative memory (polynomial or exponential energy);
* :func:`sequence_memory` / :func:`sequence_trace` — asymmetric couplings that play a
  sequence of patterns, and the overlap trace m_ν(t); :func:`delayed_sequence_trace` — the
  same cycle under asynchronous updates with slow (delayed or low-pass) synapses;
* :func:`random_patterns` — unbiased or biased random ±1 patterns;
* :func:`recall` — cue with corrupted patterns, relax, measure overlaps (:func:`relax`
  runs the same dynamics from arbitrary states);
* :mod:`.experiments` — capacity curves, basins of attraction, spurious states and the
  (T, α) phase diagram, as functions returning plain dicts.
"""

from statnn.memory.dense import dense_memory
from statnn.memory.networks import hopfield
from statnn.memory.patterns import random_patterns
from statnn.memory.retrieval import RecallResult, recall, relax
from statnn.memory.rules import (
    hebbian_couplings,
    perceptron_couplings,
    pseudo_inverse_couplings,
    storkey_couplings,
)
from statnn.memory.sequences import (
    delayed_sequence_trace,
    sequence_memory,
    sequence_trace,
    transition_times,
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
    "dense_memory",
    "hebbian_couplings",
    "hopfield",
    "perceptron_couplings",
    "phase_diagram",
    "pseudo_inverse_couplings",
    "random_patterns",
    "recall",
    "relax",
    "delayed_sequence_trace",
    "sequence_memory",
    "sequence_trace",
    "transition_times",
    "spurious_states",
    "storkey_couplings",
]
