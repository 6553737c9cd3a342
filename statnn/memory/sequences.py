"""Sequence memory: asymmetric couplings that map each pattern onto the next.

    J_ij = (λ/N) Σ_μ ξ_i^{μ+1} ξ_j^μ + (ν/N) Σ_μ ξ_i^μ ξ_j^μ      (i ≠ j)

(Sompolinsky & Kanter 1986; Kleinfeld 1986). With synchronous (Little) dynamics at T = 0 and
λ > ν, the field of a state with overlap 1 on ξ^μ is h ≈ λ ξ^{μ+1} + ν ξ^μ, so the network
steps through the sequence one pattern per update of all neurons: the overlap trace
m_ν(t) = (1/N) ξ^ν · S(t) is 1 on ν = μ + t.

Under asynchronous (single-site) updates the same couplings do not step cleanly: the
sequence term needs slow synapses, :func:`delayed_sequence_trace` (Sompolinsky & Kanter,
Phys. Rev. Lett. 57, 2861, 1986; Kleinfeld, PNAS 83, 9469, 1986), with the field

    h_i = Σ_{j≠i} J^s_ij S_j(t) + λ Σ_{j≠i} J^a_ij S̄_j(t),
    J^s = (ν/N) Σ_μ ξ^μ (ξ^μ)ᵀ,  J^a = (1/N) Σ_μ ξ^{μ+1} (ξ^μ)ᵀ   (cyclic),

where S̄ is a slow copy of the state: the state τ sweeps ago (``kernel="delay"``) or its
exponential average with time constant τ (``kernel="exponential"``). While the network sits
on ξ^μ and S̄ still points at ξ^{μ−1}, the field (ν + λ) ξ^μ holds it there; once S̄ has
caught up with ξ^μ, the field ν ξ^μ + λ ξ^{μ+1} turns the neurons where ξ^{μ+1} ≠ ξ^μ as
soon as λ > ν, and the network moves on. Each pattern is held for about τ sweeps
(:func:`statnn.theory.delayed_sequence_dwell_time`).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from statnn._validation import (
    check_choice,
    check_int,
    check_real,
    check_seed,
    check_temperatures,
    param_error,
)
from statnn.core.couplings import pattern_projections
from statnn.core.network import Network
from statnn.dynamics.backends import DEFAULT_BACKEND
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

KERNELS = ("delay", "exponential")


def _reference_updates(X, Ks, Ka, sites, u, beta, zero_t, sym, lam, exponential, decay, st):
    """The numpy reference of :mod:`statnn.dynamics.numba.sequences`: the field from the
    dense N × N couplings and an explicit slow state (the last L + 1 states, or the
    exponentially averaged vector), O(N) per update."""
    n = X.shape[1]
    s, hist, sbar = st["s"], st["hist"], st["sbar"]
    for k, i in enumerate(sites):
        if exponential:
            sbar = s + (sbar - s) * decay
            slow = sbar
        else:
            slow = hist[0]
        a = float(Ks[i] @ s)
        b = float(Ka[i] @ slow)
        h = (sym * a + lam * b) / n
        if zero_t:
            new = 1 if h > 0 else (-1 if h < 0 else s[i])
        else:
            new = 1 if u[k] < 1.0 / (1.0 + np.exp(-2.0 * beta * h)) else -1
        if new != s[i]:
            s = s.copy()
            s[i] = new
        if not exponential:
            hist.append(s)
    st["s"], st["sbar"] = s, sbar
    return s


def delayed_sequence_trace(
    patterns,
    *,
    asymmetric: float = 2.0,
    symmetric: float = 1.0,
    tau: float = 10.0,
    kernel: str = "delay",
    sweeps: int = 50,
    T=0.0,
    chains: int = 1,
    start: int = 0,
    seed=None,
    backend: str | None = None,
) -> np.ndarray:
    """Overlap trace m_ν(t) of a sequence memory with slow synapses, asynchronous updates.

    Random-order single-site Glauber dynamics (each update picks a neuron uniformly at
    random; N updates make one sweep, the unit of t and τ) with the field

        h_i = (1/N) Σ_{j≠i} Σ_μ [ν ξ_i^μ ξ_j^μ S_j(t) + λ ξ_i^{μ+1} ξ_j^μ S̄_j(t)]   (cyclic),

    P(S_i = +1) = 1/(1 + e^{−2βh_i}); at T = 0, S_i = sign(h_i) and a zero field keeps the
    state. The slow trace S̄ is

    * ``kernel="delay"``: S̄(t) = S(t − τ), the state round(τN) updates earlier (the initial
      state before that);
    * ``kernel="exponential"``: S̄(t) = ∫_0^∞ e^{−s/τ} S(t − s) ds / τ (S̄ = S at t = 0).

    Started on pattern ``start`` (S̄ too), the network holds each pattern while S̄ lags
    behind it and moves to the next once S̄ has caught up, provided λ > ν: the overlaps
    m_ν(t) = (1/N) ξ^ν · S(t) visit the patterns in order, each for about τ sweeps
    (:func:`statnn.theory.delayed_sequence_dwell_time`,
    :func:`statnn.theory.delayed_sequence_overlaps`). For λ < ν the network stays on the
    first pattern. Sompolinsky & Kanter, Phys. Rev. Lett. 57, 2861 (1986); Kleinfeld,
    PNAS 83, 9469 (1986).

    Parameters
    ----------
    patterns : array_like of ±1, shape (P, N)
        The cycle ξ^0 → ξ^1 → … → ξ^{P−1} → ξ^0, P >= 2.
    asymmetric : float
        λ, the weight of the slow sequence term.
    symmetric : float
        ν, the weight of the fast Hebbian term.
    tau : float > 0
        Delay or time constant of the slow synapses, in sweeps (the delay is rounded to
        whole updates, at least one).
    kernel : {"delay", "exponential"}
        The slow trace.
    sweeps : int >= 1
        Number of sweeps recorded.
    T : float or array of floats >= 0
        Temperatures.
    chains : int >= 1
        Independent runs per temperature (each its own random stream).
    start : int
        Index of the initial pattern.
    seed : int, SeedSequence, Generator or None
        Seed of the dynamics; the same seed gives the same trajectories on both backends.
    backend : {"numba", "numpy"}, optional
        ``numba``: O(P) per update from the cached projections; ``numpy``: the reference,
        O(N) per update from the dense couplings. None: the package default.

    Returns
    -------
    ndarray, shape (sweeps + 1, n_T, chains, P)
        m_ν after every sweep; row 0 is the initial state.

    Examples
    --------
    >>> import statnn as sn
    >>> from statnn.memory import delayed_sequence_trace, transition_times
    >>> xi = sn.random_patterns(4, 400, seed=0)
    >>> m = delayed_sequence_trace(xi, asymmetric=2.0, tau=5, sweeps=30, seed=1)
    >>> [int(k) for k in m[::6, 0, 0].argmax(axis=-1)]
    [0, 1, 2, 3, 0, 1]
    """
    caller = "delayed_sequence_trace"
    xi = _patterns(patterns, caller)
    p, n = xi.shape
    if p < 2:
        raise param_error("patterns", caller, "a (P, N) array of ±1 with P >= 2", f"<{p} pattern>")
    lam = check_real(asymmetric, "asymmetric", caller)
    nu = check_real(symmetric, "symmetric", caller)
    tau = check_real(tau, "tau", caller, 0.0, strict_minimum=True)
    kernel = check_choice(kernel, "kernel", caller, KERNELS)
    sweeps = check_int(sweeps, "sweeps", caller, minimum=1)
    temps = check_temperatures(T, caller)
    chains = check_int(chains, "chains", caller, minimum=1)
    if not isinstance(start, int | np.integer) or isinstance(start, bool) or not 0 <= start < p:
        raise param_error("start", caller, f"a pattern index in [0, {p})", start)
    backend = DEFAULT_BACKEND if backend is None else check_choice(
        backend, "backend", caller, ("numba", "numpy")
    )
    streams = check_seed(seed, caller).spawn(len(temps) * chains)
    exponential = kernel == "exponential"
    lag = max(1, round(tau * n))
    xt = np.ascontiguousarray(xi.T, dtype=np.int8)  # (N, P)
    if backend == "numba":
        from statnn.dynamics.numba.sequences import delayed_sequence_updates

        c = np.einsum("ip,ip->i", np.roll(xt, -1, axis=1).astype(np.int64), xt)
    else:
        X = xi.astype(np.float64)
        Ks = X.T @ X
        Ka = np.roll(X, -1, axis=0).T @ X
        np.fill_diagonal(Ks, 0.0)
        np.fill_diagonal(Ka, 0.0)
    trace = np.empty((sweeps + 1, len(temps), chains, p))
    for a, temp in enumerate(temps):
        beta = np.inf if temp == 0 else 1.0 / temp
        for k in range(chains):
            rng = np.random.default_rng(streams[a * chains + k])
            s0 = np.array(xi[start], dtype=np.int8)
            if backend == "numba":
                s = s0.copy()
                proj = xt.T.astype(np.int64) @ s.astype(np.int64)
                st = (
                    s, proj, s.astype(np.float64), proj.astype(np.float64),
                    np.full(1 if exponential else lag + 1, -1, dtype=np.int64),
                    np.zeros(n, dtype=np.int64), np.zeros(1, dtype=np.int64),
                )  # fmt: skip
                trace[0, a, k] = proj / n
            else:
                st = {"s": s0.copy(), "sbar": s0.astype(np.float64)}
                st["hist"] = deque([st["s"]] * (lag + 1), maxlen=lag + 1)
                trace[0, a, k] = X @ st["s"] / n
            for t in range(1, sweeps + 1):
                sites = rng.integers(0, n, size=n)
                u = rng.random(n)
                if backend == "numba":
                    delayed_sequence_updates(
                        xt, c, sites, u, beta, temp == 0, nu, lam, exponential,
                        1.0 / (tau * n), *st,
                    )  # fmt: skip
                    trace[t, a, k] = st[1] / n
                else:
                    s = _reference_updates(
                        X, Ks, Ka, sites, u, beta, temp == 0, nu, lam, exponential,
                        np.exp(-1.0 / (tau * n)), st,
                    )  # fmt: skip
                    trace[t, a, k] = X @ s / n
    return trace


def transition_times(overlaps) -> np.ndarray:
    """Times at which the leading pattern changes, interpolated within the sweep.

    With k(t) = argmax_ν m_ν(t), at each record t where k changes from a to b the crossing
    of m_b − m_a through 0 is placed by linear interpolation between t − 1 and t. Their
    differences are the dwell times of a sequence (:func:`delayed_sequence_trace`).

    Parameters
    ----------
    overlaps : array_like, shape (records, P)
        One chain's overlap trace, one row per sweep.

    Returns
    -------
    ndarray of float
        The crossing times, in sweeps from row 0.

    Examples
    --------
    >>> import numpy as np
    >>> from statnn.memory import transition_times
    >>> m = np.array([[1.0, 0.0], [0.6, 0.2], [0.2, 0.8], [0.0, 1.0]])
    >>> transition_times(m)
    array([1.4])
    """
    m = np.asarray(overlaps, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] < 2 or not np.all(np.isfinite(m)):
        raise param_error(
            "overlaps", "transition_times", "a finite (records, P) array with records >= 2",
            m if m.size <= 6 else f"<array of shape {m.shape}>",
        )  # fmt: skip
    lead = m.argmax(axis=1)
    times = []
    for t in np.flatnonzero(lead[1:] != lead[:-1]) + 1:
        a, b = lead[t - 1], lead[t]
        before = m[t - 1, b] - m[t - 1, a]  # <= 0
        after = m[t, b] - m[t, a]  # > 0
        times.append(t - 1 + (-before) / (after - before))
    return np.asarray(times)


__all__ = [
    "delayed_sequence_trace",
    "sequence_memory",
    "sequence_trace",
    "transition_times",
]
