"""statnn — statistical mechanics of neural networks.

Hopfield networks, Ising magnets and spin glasses simulated by Glauber Monte Carlo, next to
a perceptron/MLP trainer on the same neuron-and-coupling abstraction. The exact physics
conventions are in docs/conventions.md.
"""

import importlib

from statnn import errors, theory
from statnn._version import __version__
from statnn.core.couplings import (
    Couplings,
    DenseCouplings,
    LatticeCouplings,
    PatternCouplings,
    SparseCouplings,
)
from statnn.core.dense_memory import DenseMemoryCouplings
from statnn.core.models import curie_weiss, ising, sk
from statnn.core.network import Network
from statnn.dynamics import Run, Sampler, sampler, simulate
from statnn.memory import dense_memory, hopfield, random_patterns, recall, relax

#: Imported on first use: the feedforward half loads scikit-learn, which would double the
#: start-up time of every ``import statnn`` (PEP 562 module ``__getattr__``).
_LAZY = {
    "nn": ("statnn.nn", None),
    "datasets": ("statnn.datasets", None),
    "learning": ("statnn.learning", None),
    "BoltzmannMachine": ("statnn.learning", "BoltzmannMachine"),
    "MLP": ("statnn.nn", "MLP"),
    "MLPRegressor": ("statnn.nn", "MLPRegressor"),
    "Perceptron": ("statnn.nn", "Perceptron"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'statnn' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "__version__",
    "datasets",
    "errors",
    "learning",
    "BoltzmannMachine",
    "theory",
    "MLP",
    "MLPRegressor",
    "nn",
    "Perceptron",
    "random_patterns",
    "recall",
    "relax",
    "Couplings",
    "DenseCouplings",
    "LatticeCouplings",
    "PatternCouplings",
    "SparseCouplings",
    "Network",
    "Run",
    "Sampler",
    "curie_weiss",
    "dense_memory",
    "DenseMemoryCouplings",
    "hopfield",
    "ising",
    "sampler",
    "simulate",
    "sk",
]
