"""Sequence memory: asymmetric couplings that map each pattern onto the next.

    J_ij = (λ/N) Σ_μ ξ_i^{μ+1} ξ_j^μ + (ν/N) Σ_μ ξ_i^μ ξ_j^μ      (i ≠ j)

(Sompolinsky & Kanter 1986; Kleinfeld 1986). With synchronous (Little) dynamics at T = 0 and
λ > ν, the field of a state with overlap 1 on ξ^μ is h ≈ λ ξ^{μ+1} + ν ξ^μ, so the network
steps through the sequence one pattern per update of all neurons: the overlap trace
m_ν(t) = (1/N) ξ^ν · S(t) is 1 on ν = μ + t. For asynchronous updates the transition needs
slow (delayed) synapses — not provided here.
"""

from __future__ import annotations

import numpy as np

from statnn._validation import check_int, check_real, param_error
from statnn.core.couplings import pattern_projections
from statnn.core.network import Network
from statnn.dynamics.sampling import sampler
from statnn.memory.rules import _patterns


def sequence_memory(
    patterns, *, asymmetric: float = 1.0, symmetric: float = 0.0, cyclic: bool = True
) -> Network:
    """A network whose synchronous dynamics plays the patterns ξ^0 → ξ^1 → … in order.

    J = (λ/N) Σ_μ ξ^{μ+1} (ξ^μ)ᵀ + (ν/N) Σ_μ ξ^μ (ξ^μ)ᵀ with a zero diagonal, λ =
    ``asymmetric``, ν = ``symmetric``; with ``cyclic`` the last pattern leads back to the
    first (otherwise the sum over μ stops at P − 2). Dense N × N couplings.

    Parameters
    ----------
    patterns : array_like of ±1, shape (P, N)
        The sequence, in order.
    asymmetric : float
        λ, the weight of the transitions ξ^μ → ξ^{μ+1}.
    symmetric : float
        ν, the weight of the Hebbian (symmetric) term.
    cyclic : bool
        Whether the last pattern leads back to the first.

    Returns
    -------
    Network
        Dense, asymmetric couplings (no bias).

    Examples
    --------
    >>> import statnn as sn
    >>> from statnn.memory import sequence_memory, sequence_trace
    >>> xi = sn.random_patterns(4, 200, seed=0)
    >>> m = sequence_trace(sequence_memory(xi), xi, steps=4, seed=0)
    >>> [int(k) for k in m[:, 0, 0].argmax(axis=-1)]
    [0, 1, 2, 3, 0]
    """
    caller = "sequence_memory"
    xi = _patterns(patterns, caller)
    lam = check_real(asymmetric, "asymmetric", caller)
    nu = check_real(symmetric, "symmetric", caller)
    if not isinstance(cyclic, bool | np.bool_):
        raise param_error("cyclic", caller, "a bool", cyclic)
    p, n = xi.shape
    x = xi.astype(np.float64)
    nxt = np.roll(x, -1, axis=0) if cyclic else x[1:]
    J = lam * (nxt.T @ x[: len(nxt)]) / n + nu * (x.T @ x) / n
    np.fill_diagonal(J, 0.0)
    info = {"model": "sequence", "P": p, "N": n, "asymmetric": lam, "symmetric": nu}
    info["cyclic"] = bool(cyclic)
    return Network(J, name=f"sequence memory N={n} P={p}", info=info)


def sequence_trace(
    net: Network,
    patterns,
    *,
    start: int = 0,
    steps: int = 10,
    T=0.0,
    chains: int = 1,
    schedule: str = "synchronous",
    seed: int | None = None,
    backend: str | None = None,
) -> np.ndarray:
    """Overlap trace m_ν(t) = (1/N) ξ^ν · S(t), started from pattern ``start``.

    One step is one sweep (all neurons at once for ``schedule="synchronous"``), Glauber
    dynamics at each temperature of ``T``.

    Parameters
    ----------
    net : Network
        E.g. from :func:`sequence_memory`.
    patterns : array_like of ±1, shape (P, N)
        The patterns the overlaps are measured against.
    start : int
        Index of the initial pattern.
    steps : int >= 1
        Number of sweeps recorded.
    T : float or array of floats >= 0
        Temperatures.
    chains : int
        Independent runs per temperature.
    schedule : str
        Site schedule of the sampler (default synchronous).
    seed : int, optional
        Seed of the dynamics.
    backend : str, optional
        Monte Carlo backend (None: the package default).

    Returns
    -------
    ndarray, shape (steps + 1, n_T, chains, P)
        Row 0 is the initial state (overlap 1 with ``start``).

    Examples
    --------
    >>> import statnn as sn
    >>> from statnn.memory import sequence_memory, sequence_trace
    >>> xi = sn.random_patterns(3, 100, seed=0)
    >>> sequence_trace(sequence_memory(xi), xi, steps=3, seed=0).shape
    (4, 1, 1, 3)
    """
    caller = "sequence_trace"
    xi = _patterns(patterns, caller)
    steps = check_int(steps, "steps", caller, minimum=1)
    if not isinstance(start, int | np.integer) or not 0 <= start < len(xi):
        raise param_error("start", caller, f"a pattern index in [0, {len(xi)})", start)
    s = sampler(net, T=T, chains=chains, schedule=schedule, backend=backend, allow_asymmetric=True)
    state = s.init(init=np.asarray(xi[start]), seed=seed)
    spins = s.spins(state)
    trace = np.empty((steps + 1, *spins.shape[:-1], len(xi)))
    trace[0] = pattern_projections(spins, xi) / xi.shape[1]
    for t in range(1, steps + 1):
        state, _ = s.step(state, 1)
        trace[t] = pattern_projections(s.spins(state), xi) / xi.shape[1]
    return trace


__all__ = ["sequence_memory", "sequence_trace"]
