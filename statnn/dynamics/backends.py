"""The backend registry: one name per kernel family, looked up at run time.

A backend module exposes ``make_kernel(net, *, rule, schedule, n_temps, chains, device)``
returning an object with the :class:`Kernel` protocol. Modules are imported lazily so that
``import statnn`` never pulls in numba's compiler or torch.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple, Protocol

import numpy as np

from statnn._validation import param_error
from statnn.errors import BackendUnavailableError

BACKENDS: dict[str, str] = {
    "numpy": "statnn.dynamics.reference",
    "numba": "statnn.dynamics.numba.kernel",
    "torch": "statnn.dynamics.torch.kernels",
}
DEFAULT_BACKEND = "numba"

RULES = ("glauber", "metropolis")
SCHEDULES = ("random", "sequential", "permuted", "synchronous", "checkerboard")


class SamplerState(NamedTuple):
    """State of many chains: spins (n_T, chains, n) in the backend's own array type.

    ``rng`` and ``cache`` (e.g. cached local fields) belong to the backend; ``sweep``
    counts the Monte Carlo sweeps done so far.
    """

    spins: Any
    rng: Any
    sweep: int = 0
    cache: Any = None


class StepInfo(NamedTuple):
    """What a call to ``step`` did, per temperature and chain (n_T, chains)."""

    flips: np.ndarray
    acceptance: np.ndarray


class Kernel(Protocol):
    """What a backend provides for one network, rule, schedule and chain layout."""

    def init(self, spins: np.ndarray, seed: np.random.SeedSequence) -> SamplerState: ...

    def step(
        self, state: SamplerState, betas: np.ndarray, sweeps: int
    ) -> tuple[SamplerState, np.ndarray]:
        """Run ``sweeps`` sweeps at inverse temperatures ``betas`` (n_T,); return flips (n_T, chains)."""

    def spins(self, state: SamplerState) -> np.ndarray:
        """The spins as a numpy int8 array (n_T, chains, n)."""

    def permute(self, state: SamplerState, perm: np.ndarray) -> SamplerState:
        """Reorder temperature slots per chain: slot t of chain c takes old slot perm[t, c]."""


def load_backend(name: Any, caller: str):
    """Import and return the backend module called ``name`` (BackendUnavailableError if it cannot)."""
    if not isinstance(name, str) or name not in BACKENDS:
        listed = ", ".join(repr(b) for b in BACKENDS)
        raise param_error("backend", caller, f"one of {listed}", name)
    try:
        return importlib.import_module(BACKENDS[name])
    except ImportError as exc:
        raise BackendUnavailableError(
            f"The {name!r} backend cannot be used here: {exc}. Install what it needs or "
            "choose another backend (statnn never falls back silently)."
        ) from exc
