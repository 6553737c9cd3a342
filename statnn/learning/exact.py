"""Exact enumeration of a small Boltzmann distribution (N ≤ 20 spins).

For couplings J (symmetric, zero diagonal) and biases b at inverse temperature β,

    P(S) = exp(−β E(S)) / Z,    E(S) = −½ Σ_{i≠j} J_ij S_i S_j − Σ_i b_i S_i,

summed over all 2^N states. The log-likelihood of data X (M × N, ±1) per sample is

    L(J, b) = (1/M) Σ_m [−β E(S^m)] − log Z,

and its gradient with respect to the pair parameter J_ij = J_ji (i < j) and to b_i is the
difference of data and model moments (β = 1):

    ∂L/∂J_ij = ⟨S_i S_j⟩_data − ⟨S_i S_j⟩_model,    ∂L/∂b_i = ⟨S_i⟩_data − ⟨S_i⟩_model.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import logsumexp

from statnn._validation import param_error

#: The largest N for which the 2^N states are enumerated (2^20 ≈ 10^6 states).
MAX_EXACT_N = 20

#: Rows of the state table handled at once (bounds the float64 work arrays to a few MB).
_CHUNK = 1 << 15


def check_exact_size(n: int, caller: str, name: str = "X") -> None:
    """Refuse N > :data:`MAX_EXACT_N` with a message that says what to use instead."""
    if n > MAX_EXACT_N:
        raise param_error(
            name,
            caller,
            f"data on at most {MAX_EXACT_N} spins for exact enumeration (2^N states)",
            f"<{n} spins>",
            hint="Use method='pcd' or 'pseudolikelihood' for larger networks.",
        )


def all_states(n: int) -> np.ndarray:
    """All 2^n states as an int8 array (2^n, n) of ±1; row k is the binary expansion of k."""
    k = np.arange(1 << n, dtype=np.int64)[:, None]
    bits = (k >> np.arange(n - 1, -1, -1, dtype=np.int64)) & 1
    return (2 * bits - 1).astype(np.int8)


def energies(J: np.ndarray, b: np.ndarray, states: np.ndarray) -> np.ndarray:
    """E(S) = −½ Sᵀ J S − bᵀ S for every row of ``states`` (chunked)."""
    out = np.empty(len(states))
    for start in range(0, len(states), _CHUNK):
        S = states[start : start + _CHUNK].astype(np.float64)
        out[start : start + _CHUNK] = -0.5 * np.einsum("ki,ki->k", S @ J, S) - S @ b
    return out


class ExactStats(NamedTuple):
    """Exact log Z, means ⟨S_i⟩ (N,) and second moments ⟨S_i S_j⟩ (N, N; ones on the diagonal)."""

    log_z: float
    mean: np.ndarray
    second: np.ndarray


def exact_stats(J: np.ndarray, b: np.ndarray, beta: float = 1.0) -> ExactStats:
    """log Z and the first two moments of exp(−β E) by summing over all 2^N states."""
    n = len(b)
    states = all_states(n)
    logw = -beta * energies(J, b, states)
    log_z = float(logsumexp(logw))
    mean = np.zeros(n)
    second = np.zeros((n, n))
    for start in range(0, len(states), _CHUNK):
        S = states[start : start + _CHUNK].astype(np.float64)
        p = np.exp(logw[start : start + _CHUNK] - log_z)
        mean += p @ S
        second += (S * p[:, None]).T @ S
    return ExactStats(log_z, mean, 0.5 * (second + second.T))


def log_likelihood(J: np.ndarray, b: np.ndarray, X: np.ndarray, beta: float = 1.0) -> float:
    """Exact mean log-likelihood (1/M) Σ_m log P(S^m) of ±1 data X (M, N)."""
    log_z = float(logsumexp(-beta * energies(J, b, all_states(len(b)))))
    return float(np.mean(-beta * energies(J, b, X)) - log_z)


def log_likelihood_gradient(
    J: np.ndarray, b: np.ndarray, X: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact gradient of :func:`log_likelihood` (β = 1) by moment differences.

    Returns (gJ, gb): gJ[i, j] = gJ[j, i] = ∂L/∂J_ij for the pair parameter (zero diagonal),
    gb[i] = ∂L/∂b_i.
    """
    Xf = np.asarray(X, dtype=np.float64)
    stats = exact_stats(J, b)
    gJ = Xf.T @ Xf / len(Xf) - stats.second
    np.fill_diagonal(gJ, 0.0)
    return gJ, Xf.mean(axis=0) - stats.mean


def exact_samples(
    J: np.ndarray, b: np.ndarray, n: int, rng: np.random.Generator, beta: float = 1.0
) -> np.ndarray:
    """``n`` independent exact samples (n, N) int8 of exp(−β E) by inverse-CDF draws."""
    states = all_states(len(b))
    logw = -beta * energies(J, b, states)
    p = np.exp(logw - logsumexp(logw))
    cdf = np.cumsum(p)
    idx = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
    return states[np.minimum(idx, len(states) - 1)]
