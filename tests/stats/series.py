"""Test series shared by the diagnostics tests: AR(1) chains, and autocovariances whose ρ̂
are exact (so that Geyer's sequences can be steered onto their edge cases)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.signal import lfilter


def ar1(phi: float, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Stationary AR(1) x_t = φ x_{t-1} + √(1-φ²) ε_t along the last axis, unit variance."""
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal(shape)
    s = np.sqrt(1.0 - phi**2)
    eps[..., 0] /= s
    return lfilter([s], [1.0, -phi], eps, axis=-1)


class ExactAutocov(NamedTuple):
    """Chains' autocovariances ``acov`` (chains, n) and draws ``draws`` (chains, n) whose
    ρ̂(t) = 1 − (W − mean_k γ_k(t)) / var⁺ are exact dyadic numbers; ``label`` names the
    case in assertion messages."""

    acov: np.ndarray
    draws: np.ndarray
    label: tuple


def exact_autocovariances(trials: int = 400, seed: int = 0):
    """``trials`` :class:`ExactAutocov` cases.

    With n = 2^k + 1 draws, γ(0) = 1, equal chain means and dyadic γ(t), ρ̂(t) =
    1 − (W − γ(t)) / var⁺ is exact, so ρ̂ can be chosen: sums of dyadic decays and noise,
    with pair sums P_j that are exactly 0 (the positive sequence stops there but keeps the
    pair), negative (it stops and drops the pair, ρ̂(2J) > 0 kept by the "improve" step or
    not), rising (the monotone step rewrites them), or never ≤ 0 (the sequence reaches the
    end of the series); every tenth case has P_0 = 0.
    """
    rng = np.random.default_rng(seed)
    for trial in range(trials):
        k = int(rng.integers(2, 8))
        n = 2**k + 1
        chains = int(rng.choice([2, 4]))
        phi = rng.choice([0.0, 0.5, 0.9, 0.99, 1.0])
        noise = rng.choice([0.0, 1 / 16, 1 / 4])
        t = np.arange(n)
        rho = np.round(64 * (phi**t + noise * rng.standard_normal(n))) / 64
        rho = np.clip(rho, -1, 1)
        for j in rng.integers(1, n // 2, size=int(rng.integers(0, 3))):
            rho[2 * j + 1] = -rho[2 * j]  # P_j = 0 exactly
        rho[0] = 1.0
        if trial % 10 == 0:
            rho[1] = -1.0  # P_0 = 0: the positive sequence reads no pair
        gamma = rho + 2.0**-k  # ρ̂(t) = γ(t) − 2^-k exactly (W = 1 + 2^-k, var⁺ = 1)
        gamma[0] = 1.0
        acov = np.tile(gamma, (chains, 1))
        if chains == 4 and trial % 2:  # chains differ, their mean is the same
            d = np.round(16 * rng.standard_normal(n)) / 64
            d[0] = 0.0
            acov += np.stack([d, -d, d / 2, -d / 2])
        row = rng.standard_normal(n)  # equal chain means: var⁺ = W (n − 1)/n = 1
        yield ExactAutocov(acov, np.tile(row, (chains, 1)), (trial, k, chains, phi, noise))
