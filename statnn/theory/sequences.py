"""Mean-field overlap dynamics of a sequence memory under synchronous Glauber updates.

Couplings J = (λ/N) Σ_μ ξ^{μ+1} (ξ^μ)ᵀ + (ν/N) Σ_μ ξ^μ (ξ^μ)ᵀ (cyclic), P random ±1
patterns, N → ∞ at fixed P. All neurons are updated at once with P(S_i = +1) =
1/(1 + e^{−2βh_i}), so ⟨S_i(t+1)⟩ = tanh(β h_i(t)) with h_i = Σ_μ (λ ξ_i^{μ+1} + ν ξ_i^μ) m_μ,
and by the law of large numbers over the sites the overlaps evolve deterministically:

    m_ν(t+1) = ⟨ ξ^ν tanh(β Σ_μ (λ ξ^{μ+1} + ν ξ^μ) m_μ(t)) ⟩_ξ,

the average over one site's P pattern bits ξ ∈ {−1, +1}^P (enumerated exactly). At T = 0,
tanh becomes sign (with sign(0) = 0 for the average: a tie is a fair coin).
"""

from __future__ import annotations

import itertools

import numpy as np

from statnn._validation import param_error


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


__all__ = ["sequence_overlaps"]
