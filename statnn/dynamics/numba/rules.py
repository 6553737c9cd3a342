"""The single-neuron update of SPEC §1 as a numba function shared by every numba kernel.

For neuron i with spin s, local field h = Σ_j J_ij S_j + b_i and inverse temperature β:

* Glauber (heat bath): s ← +1 with probability P(+1) = 1 / (1 + exp(−2βh)), else −1;
* Metropolis: flip with probability min(1, exp(−β ΔE)), ΔE = 2 s h;
* β = ∞ (T = 0), both rules: s ← sign(h), and h = 0 keeps s — as ``numpy_ref.update``.

A uniform is drawn from the chain's stream only when the outcome is random: always for
Glauber at finite β, only for ΔE > 0 for Metropolis, never at T = 0.
"""

from __future__ import annotations

import math

from numba import njit

from statnn.dynamics.numba.rng import uniform

GLAUBER = 0
METROPOLIS = 1
RULE_CODES = {"glauber": GLAUBER, "metropolis": METROPOLIS}


@njit(cache=True, nogil=True, inline="always")
def new_spin(rule, s, h, beta, st):
    """The updated value (±1, int) of spin ``s`` in field ``h`` at ``beta``; draws from ``st``."""
    if math.isinf(beta):
        if h > 0.0:
            return 1
        if h < 0.0:
            return -1
        return s
    if rule == GLAUBER:
        p_plus = 1.0 / (1.0 + math.exp(-2.0 * beta * h))
        return 1 if uniform(st) < p_plus else -1
    delta_e = 2.0 * s * h
    if delta_e <= 0.0:
        return -s
    return -s if uniform(st) < math.exp(-beta * delta_e) else s
