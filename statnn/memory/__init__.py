"""Associative memory: learning rules, the Hopfield constructor, recall experiments."""

from .hopfield import hopfield
from .patterns import random_patterns
from .rules import (
    hebbian_couplings,
    perceptron_couplings,
    pseudo_inverse_couplings,
    storkey_couplings,
)

__all__ = [
    "hebbian_couplings",
    "hopfield",
    "perceptron_couplings",
    "pseudo_inverse_couplings",
    "random_patterns",
    "storkey_couplings",
]
