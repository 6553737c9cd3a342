"""The single-neuron update rule as numba functions: the one home of both equations.

For neuron i with spin s, local field h = Σ_j J_ij S_j + b_i and inverse temperature β:

* Glauber (heat bath): s ← +1 with probability P(+1) = 1 / (1 + exp(−2βh)), else −1;
* Metropolis: flip with probability min(1, exp(−β ΔE)), ΔE = 2 s h;
* β = ∞ (T = 0), both rules: s ← sign(h), and a field with |h| ≤ ``tol`` (the network's
  tie tolerance, :attr:`statnn.core.network.Network.tie_tolerance`) keeps s.

:func:`probability` is the outcome probability of both rules (P(+1) for Glauber, P(flip)
for Metropolis) at any β, T = 0 included. Every numba kernel uses it: one spin at a time
through :func:`new_spin`, the lattice kernels through tables of it per neighbour sum
(:mod:`statnn.dynamics.numba.lattice`), multi-spin coding through tables of it per
(spin, neighbour count) (:mod:`statnn.dynamics.numba.multispin`). The numpy twin is
:func:`statnn.core.neurons.glauber_probability` / ``metropolis_acceptance`` with
:func:`statnn.dynamics.reference.update`, the torch twin
:func:`statnn.dynamics.torch.base.new_spins`; the tests hold all three to the same values.

A uniform is drawn from the chain's stream only when the outcome is random: always for
Glauber at finite β, only for ΔE > 0 for Metropolis, never at T = 0.

:func:`new_spin` in three pieces — :func:`probability`, :func:`needs_draw`,
:func:`outcome` — serves loops compiled once per mode (:func:`loop_mode`) that take the
probability from elsewhere (the pattern form memoises it per integer field): the same
value and the same draws.
"""

from __future__ import annotations

import math

from numba import njit

from statnn.dynamics.numba.rng import uniform

GLAUBER = 0
METROPOLIS = 1
RULE_CODES = {"glauber": GLAUBER, "metropolis": METROPOLIS}


@njit(cache=True, nogil=True)
def zero_temperature_spin(s, h, tol):
    """sign(h) at T = 0, and ``s`` itself when |h| ≤ ``tol`` (a tie keeps the state)."""
    if h > tol:
        return 1
    if h < -tol:
        return -1
    return s


@njit(cache=True, nogil=True)
def glauber_plus(beta, h):
    """P(S = +1) = 1 / (1 + exp(−2βh)) at finite β."""
    return 1.0 / (1.0 + math.exp(-2.0 * beta * h))


@njit(cache=True, nogil=True)
def metropolis_flip(beta, delta_e):
    """min(1, exp(−β ΔE)) at finite β: exactly 1.0 for ΔE ≤ 0."""
    return 1.0 if delta_e <= 0.0 else math.exp(-beta * delta_e)


@njit(cache=True, nogil=True)
def probability(rule, s, h, beta, tol):
    """The outcome probability for spin ``s`` in field ``h``: Glauber P(new = +1),
    Metropolis P(flip). At β = ∞ it is 0 or 1 by :func:`zero_temperature_spin`."""
    if math.isinf(beta):
        new = zero_temperature_spin(s, h, tol)
        if rule == GLAUBER:
            return 1.0 if new > 0 else 0.0
        return 1.0 if new != s else 0.0
    if rule == GLAUBER:
        return glauber_plus(beta, h)
    return metropolis_flip(beta, 2.0 * s * h)


@njit(cache=True, nogil=True, inline="always")
def new_spin(rule, s, h, beta, tol, st):
    """The updated value (±1, int) of spin ``s`` in field ``h`` at ``beta``; draws from ``st``."""
    if math.isinf(beta):
        return zero_temperature_spin(s, h, tol)
    if rule == GLAUBER:
        return 1 if uniform(st) < glauber_plus(beta, h) else -1
    delta_e = 2.0 * s * h
    if delta_e <= 0.0:
        return -s
    return -s if uniform(st) < metropolis_flip(beta, delta_e) else s


#: The mode of an update loop specialised for β = ∞ (beside :data:`GLAUBER` and
#: :data:`METROPOLIS`, see :func:`loop_mode`).
ZERO_TEMPERATURE = 2


@njit(cache=True, nogil=True)
def loop_mode(rule, beta):
    """The mode of a loop at this β: :data:`ZERO_TEMPERATURE` at β = ∞, else the rule.

    A kernel that runs its update loop once per mode, with the mode a constant, lets the
    compiler drop the other rules' branches. That matters beyond the branches: where the
    draw of a uniform depends on data the compiler may select the new stream state
    instead of branching, and then the next site cannot be drawn before this update's
    field is known, so consecutive updates no longer overlap in the processor.
    """
    return ZERO_TEMPERATURE if math.isinf(beta) else rule


@njit(cache=True, nogil=True)
def needs_draw(mode, s, h):
    """Whether an update in ``mode`` draws a uniform: always for Glauber, for ΔE = 2sh > 0
    for Metropolis, never at T = 0 (as :func:`new_spin` draws)."""
    if mode == GLAUBER:
        return True
    if mode == METROPOLIS:
        return 2.0 * s * h > 0.0
    return False


@njit(cache=True, nogil=True)
def outcome(mode, s, h, p, u, tol):
    """The new spin in ``mode`` from the outcome probability p (:func:`probability`) and the
    uniform u drawn where :func:`needs_draw` says so: the value :func:`new_spin` returns."""
    if mode == GLAUBER:
        return 1 if u < p else -1
    if mode == METROPOLIS:
        return -s if 2.0 * s * h <= 0.0 or u < p else s
    return zero_temperature_spin(s, h, tol)


@njit(cache=True, nogil=True, inline="always")
def mode_spin(mode, s, h, beta, tol, st):
    """:func:`new_spin` in a loop specialised for ``mode`` (:func:`loop_mode`): the same
    value and draws, with the other modes' branches compiled away."""
    p = 0.0 if mode == ZERO_TEMPERATURE else probability(mode, s, h, beta, tol)
    u = uniform(st) if needs_draw(mode, s, h) else 0.0
    return outcome(mode, s, h, p, u, tol)
