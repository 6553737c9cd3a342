"""Mean-field overlap dynamics of a sequence memory under synchronous Glauber updates.

Couplings J = (λ/N) Σ_μ ξ^{μ+1} (ξ^μ)ᵀ + (ν/N) Σ_μ ξ^μ (ξ^μ)ᵀ (cyclic), P random ±1
patterns, N → ∞ at fixed P. All neurons are updated at once with P(S_i = +1) =
1/(1 + e^{−2βh_i}), so ⟨S_i(t+1)⟩ = tanh(β h_i(t)) with h_i = Σ_μ (λ ξ_i^{μ+1} + ν ξ_i^μ) m_μ,
and by the law of large numbers over the sites the overlaps evolve deterministically:

    m_ν(t+1) = ⟨ ξ^ν tanh(β Σ_μ (λ ξ^{μ+1} + ν ξ^μ) m_μ(t)) ⟩_ξ,

the average over one site's P pattern bits ξ ∈ {−1, +1}^P (enumerated exactly). At T = 0,
tanh becomes sign (with sign(0) = 0 for the average: a tie is a fair coin).

Asynchronous dynamics with slow synapses (:func:`delayed_sequence_overlaps`,
:func:`delayed_sequence_dwell_time`): the field is h = ν Σ_μ ξ^μ m_μ + λ Σ_μ ξ^{μ+1} m̄_μ
with m̄ the overlaps of a slow trace S̄ of the state (delayed by τ, or low-pass filtered with
time constant τ). Random-order single-site updates are, as N → ∞, a Poisson clock of rate
one per sweep on every neuron, so the mean state m_x of the sites with pattern bits x obeys

    dm_x/dt = tanh(β h_x) − m_x   (sign at T = 0),   m_ν = 2^{−P} Σ_x x^ν m_x,

with m̄(t) = m(t − τ) (delay) or dm̄/dt = (m − m̄)/τ (exponential).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from statnn._validation import check_choice, check_real, param_error
from statnn.theory._common import real_array


def sequence_overlaps(
    P: int,
    steps: int,
    T: float = 0.0,
    *,
    asymmetric: float = 1.0,
    symmetric: float = 0.0,
    start: int = 0,
):
    """Overlaps m_ν(t), t = 0 … ``steps``, of the N → ∞ synchronous dynamics (shape (steps + 1, P)).

    Starts from m = e_start (the pattern ``start``). P ≤ 16 (2^P site averages per step).

    Parameters
    ----------
    P : int in [2, 16]
        Number of patterns in the cycle.
    steps : int >= 0
        Number of synchronous steps.
    T : float >= 0
        Temperature.
    asymmetric, symmetric : float
        λ and ν of the couplings.
    start : int
        Index of the initial pattern.

    Returns
    -------
    ndarray, shape (steps + 1, P)
        m_ν(t).

    Examples
    --------
    >>> from statnn.theory import sequence_overlaps
    >>> [int(k) for k in sequence_overlaps(3, 4).argmax(axis=1)]
    [0, 1, 2, 0, 1]
    """
    caller = "sequence_overlaps"
    if not isinstance(P, int | np.integer) or not 2 <= P <= 16:
        raise param_error("P", caller, "an int in [2, 16]", P)
    if not isinstance(steps, int | np.integer) or steps < 0:
        raise param_error("steps", caller, "an int >= 0", steps)
    if not (isinstance(T, float | int) and T >= 0):
        raise param_error("T", caller, "a float >= 0", T)
    if not isinstance(start, int | np.integer) or not 0 <= start < P:
        raise param_error("start", caller, f"a pattern index in [0, {P})", start)
    xi = np.array(list(itertools.product([-1.0, 1.0], repeat=P)))  # (2^P, P): one site's bits
    # h = Σ_μ (λ ξ^{μ+1} + ν ξ^μ) m_μ = xi @ W m with W[ν, μ] = λ [ν = μ+1] + ν [ν = μ]
    W = asymmetric * np.roll(np.eye(P), 1, axis=0) + symmetric * np.eye(P)
    m = np.zeros((steps + 1, P))
    m[0, start] = 1.0
    for t in range(steps):
        h = xi @ (W @ m[t])
        out = np.sign(h) if T == 0 else np.tanh(h / T)
        m[t + 1] = xi.T @ out / len(xi)
    return m


def delayed_sequence_overlaps(
    P: int,
    sweeps: float,
    T: float = 0.0,
    *,
    asymmetric: float = 2.0,
    symmetric: float = 1.0,
    tau: float = 10.0,
    kernel: str = "delay",
    start: int = 0,
    dt: float = 0.01,
):
    """Overlaps m_ν(t) of the N → ∞ asynchronous dynamics with slow synapses.

    Integrates dm_x/dt = tanh(β h_x) − m_x (sign at T = 0) over the 2^P site classes x,
    h_x = Σ_μ x^μ (ν m_μ + λ m̄_{μ−1}), by Euler steps of ``dt`` sweeps, from m = m̄ = e_start
    (the slow trace sits on the start pattern for t ≤ 0). ``delay``: m̄(t) = m(t − τ);
    ``exponential``: dm̄/dt = (m − m̄)/τ. The model of
    :func:`statnn.memory.delayed_sequence_trace`.

    Parameters
    ----------
    P : int in [2, 16]
        Number of patterns in the cycle.
    sweeps : float > 0
        Length of the trace, in sweeps.
    T : float >= 0
        Temperature.
    asymmetric, symmetric : float
        λ (slow sequence term) and ν (fast Hebbian term).
    tau : float > 0
        Delay or time constant, in sweeps (the delay is rounded to a whole number of steps).
    kernel : {"delay", "exponential"}
        The slow trace.
    start : int
        Index of the initial pattern.
    dt : float in (0, 0.1]
        Euler step, in sweeps; 1/dt must be a whole number.

    Returns
    -------
    ndarray, shape (floor(sweeps) + 1, P)
        m_ν at t = 0, 1, 2, … sweeps.

    Examples
    --------
    >>> from statnn.theory import delayed_sequence_overlaps
    >>> m = delayed_sequence_overlaps(4, 20, asymmetric=2.0, tau=4)
    >>> [int(k) for k in m[::5].argmax(axis=1)]
    [0, 1, 2, 3, 0]
    """
    caller = "delayed_sequence_overlaps"
    if not isinstance(P, int | np.integer) or isinstance(P, bool) or not 2 <= P <= 16:
        raise param_error("P", caller, "an int in [2, 16]", P)
    sweeps = check_real(sweeps, "sweeps", caller, 0.0, strict_minimum=True)
    T = check_real(T, "T", caller, 0.0)
    lam = check_real(asymmetric, "asymmetric", caller)
    nu = check_real(symmetric, "symmetric", caller)
    tau = check_real(tau, "tau", caller, 0.0, strict_minimum=True)
    kernel = check_choice(kernel, "kernel", caller, ("delay", "exponential"))
    dt = check_real(dt, "dt", caller, 0.0, 0.1, strict_minimum=True)
    per_sweep = round(1.0 / dt)
    if abs(per_sweep * dt - 1.0) > 1e-9:
        raise param_error("dt", caller, "a float in (0, 0.1] with 1/dt a whole number", dt)
    if not isinstance(start, int | np.integer) or not 0 <= start < P:
        raise param_error("start", caller, f"a pattern index in [0, {P})", start)
    xi = np.array(list(itertools.product([-1.0, 1.0], repeat=P)))  # (2^P, P)
    shift = np.roll(np.eye(P), 1, axis=0)  # (shift @ m̄)[ν] = m̄_{ν−1}
    mx = xi[:, start].copy()  # mean state of each site class
    m = np.eye(P)[start]
    slow = m.copy()
    lag = max(1, round(tau / dt))
    steps = int(math.floor(sweeps)) * per_sweep
    history = np.tile(m, (lag, 1)) if kernel == "delay" else None  # m(t − τ) … m(t − dt)
    out = np.empty((steps // per_sweep + 1, P))
    out[0] = m
    for step in range(1, steps + 1):
        if kernel == "delay":
            slow = history[(step - 1) % lag].copy()
            history[(step - 1) % lag] = m
        h = xi @ (nu * m + lam * (shift @ slow))
        target = np.sign(h) if T == 0 else np.tanh(h / T)
        if T == 0:
            target = np.where(h == 0, mx, target)
        mx = mx + dt * (target - mx)
        if kernel == "exponential":
            slow = slow + dt * (m - slow) / tau
        m = xi.T @ mx / len(xi)
        if step % per_sweep == 0:
            out[step // per_sweep] = m
    return out


def delayed_sequence_dwell_time(asymmetric=2.0, tau=10.0, symmetric: float = 1.0):
    """Time each pattern is held, delayed synapses, T = 0, N → ∞: Δ = τ + ln(2λ / (λ − ν)).

    While the network sits on ξ^μ and its delayed copy on ξ^{μ−1}, a neuron with
    ξ_i^{μ+1} = −ξ_i^μ feels ξ_i^μ [ν (m_μ − m_{μ+1}) + λ (m̄_{μ−1} − m̄_μ)] with m̄(t) =
    m(t − τ): it turns as soon as m̄_μ − m̄_{μ−1} > ν/λ, which never happens for λ ≤ ν (no
    transitions: Δ = ∞). During a transition each neuron that must turn does so at its first
    update, so with a rate-one Poisson clock m_new − m_old = 1 − 2e^{−s} a time s after the
    transition began, and it passes ν/λ at s* = ln(2λ/(λ − ν)). The next transition starts
    when the delayed copy reaches that point, τ + s* after the previous one started: the
    transitions (and the crossings m_new = m_old) are Δ = τ + s* apart.

    Parameters
    ----------
    asymmetric : float or array of floats
        λ.
    tau : float or array of floats > 0
        The delay, in sweeps.
    symmetric : float > 0
        ν.

    Returns
    -------
    float or ndarray
        Δ in sweeps (inf where λ <= ν), broadcast over ``asymmetric`` and ``tau``.

    Examples
    --------
    >>> from statnn.theory import delayed_sequence_dwell_time
    >>> round(delayed_sequence_dwell_time(2.0, 10.0), 4)
    11.3863
    """
    caller = "delayed_sequence_dwell_time"
    lam, _ = real_array(asymmetric, "asymmetric", caller, expected="a float or array of floats")
    tau, _ = real_array(
        tau, "tau", caller, minimum=0, strict_minimum=True,
        expected="a float or array of floats > 0",
    )  # fmt: skip
    nu = check_real(symmetric, "symmetric", caller, 0.0, strict_minimum=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(lam > nu, tau + np.log(2.0 * lam / (lam - nu)), np.inf)
    return float(out) if out.ndim == 0 else out


__all__ = ["delayed_sequence_dwell_time", "delayed_sequence_overlaps", "sequence_overlaps"]
