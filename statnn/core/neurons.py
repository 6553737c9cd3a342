"""Transfer functions of neurons, shared by the stochastic circuits and the feedforward layers.

A stochastic two-state neuron fires with a logistic probability of its local field
(SPEC §1, spin convention): P(S_i = +1) = 1 / (1 + exp(-2 β h_i)) = (1 + tanh(β h_i)) / 2.
"""

from __future__ import annotations

import numpy as np


def glauber_probability(h: np.ndarray, beta: float | np.ndarray) -> np.ndarray:
    """Heat-bath probability that a spin is +1 in local field ``h`` at inverse temperature ``beta``.

    P(S = +1 | h) = (1 + tanh(β h)) / 2 = 1 / (1 + exp(-2 β h)).

    ``beta = inf`` (T = 0) gives 1 for h > 0, 0 for h < 0 and 1/2 for h = 0; the dynamics
    keeps the current state when the field is zero at T = 0 (SPEC §1).
    """
    h = np.asarray(h, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        x = beta * h
    x = np.where(np.isnan(x), 0.0, x)  # inf * 0 -> zero field at T = 0
    return 0.5 * (1.0 + np.tanh(x))


def metropolis_acceptance(delta_e: np.ndarray, beta: float | np.ndarray) -> np.ndarray:
    """Metropolis acceptance probability min(1, exp(-β ΔE)); at β = inf only ΔE < 0 is accepted."""
    delta_e = np.asarray(delta_e, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        x = -beta * delta_e
    x = np.where(np.isnan(x), -np.inf, x)  # T = 0, ΔE = 0: rejected (zero field keeps the state)
    return np.exp(np.minimum(x, 0.0))
