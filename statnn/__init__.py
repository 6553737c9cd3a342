"""statnn — statistical mechanics of neural networks.

Hopfield networks, Ising magnets and spin glasses simulated by Glauber Monte Carlo, next to
a perceptron/MLP trainer on the same neuron-and-coupling abstraction. See SPEC §1 in
docs/conventions.md for the exact physics conventions.
"""

__version__ = "0.1.0"

from . import datasets, errors, nn, theory  # noqa: E402
from .core.couplings import (  # noqa: E402
    Couplings,
    DenseCouplings,
    LatticeCouplings,
    PatternCouplings,
    SparseCouplings,
)
from .core.models import curie_weiss, ising, sk  # noqa: E402
from .core.network import Network  # noqa: E402
from .dynamics import Run, Sampler, sampler, simulate  # noqa: E402
from .memory import hopfield, random_patterns, recall  # noqa: E402
from .nn import MLP, MLPRegressor, Perceptron  # noqa: E402

__all__ = [
    "__version__",
    "datasets",
    "errors",
    "theory",
    "MLP",
    "MLPRegressor",
    "nn",
    "Perceptron",
    "random_patterns",
    "recall",
    "Couplings",
    "DenseCouplings",
    "LatticeCouplings",
    "PatternCouplings",
    "SparseCouplings",
    "Network",
    "Run",
    "Sampler",
    "curie_weiss",
    "hopfield",
    "ising",
    "sampler",
    "simulate",
    "sk",
]
