"""The backend registry: one name per kernel family, looked up at run time.

A backend module exposes ``make_kernel(net, *, rule, schedule, n_temps, chains, device,
**options)`` returning an object with the :class:`Kernel` protocol, and ``OPTIONS``, the
names (with a one-line meaning) of the settings ``backend_options=`` may pass to it. Modules
are imported lazily so that ``import statnn`` never pulls in numba's compiler or torch.
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


class Records(NamedTuple):
    """What a kernel's ``record`` measured (numba: :meth:`NumbaKernel.record
    <statnn.dynamics.numba.kernel.NumbaKernel.record>`, torch: :meth:`TorchKernel.record
    <statnn.dynamics.torch.base.TorchKernel.record>`): per neuron, by temperature slot."""

    energy: np.ndarray  # (n_T, chains, R) E/N
    magnetization: np.ndarray  # (n_T, chains, R)
    overlaps: np.ndarray | None  # (n_T, chains, R, P)
    replica_overlap: np.ndarray | None  # (n_T, chains // 2, R)
    flips: np.ndarray  # (n_T, chains) during the recorded sweeps
    swap_tried: np.ndarray | None  # (n_T − 1,)
    swap_accepted: np.ndarray | None
    round_trips: np.ndarray | None  # (n_T, chains): of the replica now at each slot
    #: the ExchangeState (statnn.dynamics.numba.kernel) of the numba or torch backend, to
    #: continue the exchange in the next call
    exchange: Any = None


class Relaxed(NamedTuple):
    """What a kernel's ``relax`` found (the loop under :func:`statnn.recall`: numba's
    ``NumbaKernel.relax``, torch's :meth:`TorchKernel.relax
    <statnn.dynamics.torch.base.TorchKernel.relax>`), by flat chain index k = t · chains + c."""

    done_at: np.ndarray  # (n_T, chains) sweep after which a T = 0 chain was a fixed point, or −1
    spin_sums: np.ndarray | None  # (K, N) int32: Σ S over the window sweeps each chain ran
    overlap_sums: np.ndarray | None  # (K, P) int64: Σ M over those sweeps (cached M only)
    overlaps: np.ndarray | None  # (K, P) final M_μ = Σ_i ξ_i^μ S_i (cached M only)


class Kernel(Protocol):
    """What a backend provides for one network, rule, schedule and chain layout.

    Contract of ``step``: it is pure. It returns a new state and never changes the one it
    is given — not its spins, not its caches, not its random stream (a generator object
    is copied, not advanced) — so stepping the same state twice gives identical results,
    and an old state stays valid after the chain moved on. ``check_state`` names what does
    not fit before any compiled code sees the arrays.
    """

    def init(self, spins: np.ndarray, seed: np.random.SeedSequence) -> SamplerState: ...

    def step(
        self, state: SamplerState, betas: np.ndarray, sweeps: int
    ) -> tuple[SamplerState, np.ndarray]:
        """Run ``sweeps`` sweeps at inverse temperatures ``betas`` (n_T,); return flips (n_T, chains)."""

    def check_state(self, state: SamplerState) -> str | None:
        """None if ``state`` has the arrays this kernel's ``init`` makes, else what differs."""

    def spins(self, state: SamplerState) -> np.ndarray:
        """The spins as a numpy int8 array (n_T, chains, n)."""

    def rebind(self, state: SamplerState) -> SamplerState:
        """A state of another kernel of this backend and layout, caches recomputed for this one."""

    def permute(self, state: SamplerState, perm: np.ndarray) -> SamplerState:
        """Reorder temperature slots per chain: slot t of chain c takes old slot perm[t, c]."""


def check_numpy_spins(spins, shape) -> str | None:
    """What is wrong with spins meant to be a C-contiguous int8 numpy array of ``shape``."""
    if not isinstance(spins, np.ndarray):
        return f"spins are a {type(spins).__name__}, not a numpy array (another backend's?)"
    if spins.shape != shape:
        return f"spins have shape {spins.shape}, not {shape}"
    if spins.dtype != np.int8:
        return f"spins have dtype {spins.dtype}, not int8"
    if not spins.flags.c_contiguous:
        return "spins are not C-contiguous"
    return None


def check_backend_options(options: Any, backend: str, module, caller: str) -> dict:
    """``backend_options`` as a dict whose keys the backend knows (``module.OPTIONS``)."""
    known = getattr(module, "OPTIONS", {})
    listed = ", ".join(repr(k) for k in known) or "none"
    expected = f"None or a dict of the {backend!r} backend's options (keys: {listed})"
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise param_error("backend_options", caller, expected, options)
    for key in options:
        if key not in known:
            raise param_error("backend_options", caller, expected, f"<unknown key {key!r}>")
    return dict(options)


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
