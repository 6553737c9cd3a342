"""statnn — statistical mechanics of neural networks.

Hopfield networks, Ising magnets and spin glasses simulated by Glauber Monte Carlo, next to
a perceptron/MLP trainer on the same neuron-and-coupling abstraction. See SPEC §1 in
docs/conventions.md for the exact physics conventions.
"""

__version__ = "0.1.0"

import importlib  # noqa: E402

from . import errors, theory  # noqa: E402
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

#: Imported on first use: the feedforward half loads scikit-learn, which would double the
#: start-up time of every ``import statnn`` (PEP 562 module ``__getattr__``).
_LAZY = {
    "nn": ("statnn.nn", None),
    "datasets": ("statnn.datasets", None),
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
