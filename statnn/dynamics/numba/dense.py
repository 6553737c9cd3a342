"""Dense couplings (float32 / float64) with cached local fields, for the numba backend.

Each chain k keeps its local fields H[k, i] = Σ_j J_ij S_j + b_i in the dtype of J. An
update of neuron i reads H[k, i] — O(1) whatever the outcome — and an accepted flip
S_i → S_i' = −S_i corrects every field by one column of J, O(N)::

    H[k, j] += (S_i' − S_i) J_ji = 2 S_i' J_ji          for all j.

``JT`` holds the columns of J as contiguous rows (``JT = J`` when J is symmetric, else a
transposed copy). Rounding errors of these increments accumulate, so every ``refresh``
sweeps (counted from the start of the run, so the result does not depend on how the sweeps
are split between calls) the fields are recomputed from scratch with float64 sums.

All chains run in parallel (``prange`` over the flattened temperature × replica index);
each draws from its own xoshiro256** stream (:mod:`statnn.dynamics.numba.rng`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from statnn.dynamics.numba.measure import spin_product_sum, spin_sum
from statnn.dynamics.numba.rng import bounded, uniform
from statnn.dynamics.numba.rules import (
    GLAUBER,
    METROPOLIS,
    ZERO_TEMPERATURE,
    loop_mode,
    needs_draw,
    outcome,
    probability,
)
from statnn.dynamics.numba.schedule import (
    FIXED,
    RANDOM,
    add_row_twice,
    order_buffer,
    signed_row_sum,
    start_sweep,
)


@njit(cache=True, nogil=True)
def _refresh_chain(s, h, JT, bias, acc):
    """h_i = b_i + Σ_j J_ij s_j for one chain, summed in float64 column by column.

    The sum runs as ``acc += s_j · JT[j]`` (row j of JT is column j of J), a loop over i
    that vectorises without reordering any floating-point sum.
    """
    n = s.shape[0]
    for i in range(n):
        acc[i] = bias[i]
    signed_row_sum(acc, s, JT)
    for i in range(n):
        h[i] = acc[i]


@njit(parallel=True, cache=True, nogil=True)
def dense_fields(S, H, JT, bias):
    """Fill the field cache H (K, N) from spins S (K, N): H = S Jᵀ + b (float64 sums)."""
    for kk in prange(S.shape[0]):
        k = np.int64(kk)
        _refresh_chain(S[k], H[k], JT, bias, np.empty(S.shape[1]))


@njit(cache=True, nogil=True)
def _async_loop(s, h, JT, bias, b, st, order, schedule, tol, sweeps, done, refresh, perm, acc, mode):
    """:func:`_chain_async` for one ``mode`` (a constant at each call site)."""
    n = s.shape[0]
    count = 0
    for sweep in range(sweeps):
        start_sweep(schedule, perm, st)
        sites = order if schedule == FIXED else perm
        for t in range(n):
            i = bounded(st, n) if schedule == RANDOM else sites[t]
            old = np.int64(s[i])
            # :func:`~statnn.dynamics.numba.rules.mode_spin` written out: inlined, its
            # stream argument cost a reference count increment and decrement per update
            hi = np.float64(h[i])
            p = 0.0 if mode == ZERO_TEMPERATURE else probability(mode, old, hi, b, tol)
            u = uniform(st) if needs_draw(mode, old, hi) else 0.0
            new = outcome(mode, old, hi, p, u, tol)
            if new != old:
                s[i] = new
                count += 1
                add_row_twice(h, JT[i], new)
        if (done + sweep + 1) % refresh == 0:
            _refresh_chain(s, h, JT, bias, acc)
    return count


@njit(cache=True, nogil=True)
def _chain_async(
    s, h, JT, bias, b, st, order, schedule, rule, tol, sweeps, done, refresh, perm, acc
):
    """``sweeps`` single-neuron sweeps of one chain; returns the flips made. The loop is
    compiled once per mode (:func:`~statnn.dynamics.numba.rules.loop_mode`)."""
    mode = loop_mode(rule, b)
    if mode == GLAUBER:
        return _async_loop(
            s, h, JT, bias, b, st, order, schedule, tol, sweeps, done, refresh, perm, acc, GLAUBER
        )
    if mode == METROPOLIS:
        return _async_loop(
            s, h, JT, bias, b, st, order, schedule, tol, sweeps, done, refresh, perm, acc,
            METROPOLIS,
        )  # fmt: skip
    return _async_loop(
        s, h, JT, bias, b, st, order, schedule, tol, sweeps, done, refresh, perm, acc,
        ZERO_TEMPERATURE,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _sync_loop(s, h, JT, bias, b, st, tol, sweeps, done, refresh, new, acc, mode):
    """:func:`_chain_sync` for one ``mode`` (a constant at each call site)."""
    n = s.shape[0]
    count = 0
    for sweep in range(sweeps):
        for i in range(n):
            old = np.int64(s[i])
            hi = np.float64(h[i])  # mode_spin written out, as in _async_loop
            p = 0.0 if mode == ZERO_TEMPERATURE else probability(mode, old, hi, b, tol)
            u = uniform(st) if needs_draw(mode, old, hi) else 0.0
            new[i] = outcome(mode, old, hi, p, u, tol)
        for i in range(n):
            if new[i] != s[i]:
                s[i] = new[i]
                count += 1
                add_row_twice(h, JT[i], new[i])
        if (done + sweep + 1) % refresh == 0:
            _refresh_chain(s, h, JT, bias, acc)
    return count


@njit(cache=True, nogil=True)
def _chain_sync(s, h, JT, bias, b, st, rule, tol, sweeps, done, refresh, new, acc):
    """``sweeps`` synchronous (Little) sweeps of one chain; returns the flips made."""
    mode = loop_mode(rule, b)
    if mode == GLAUBER:
        return _sync_loop(s, h, JT, bias, b, st, tol, sweeps, done, refresh, new, acc, GLAUBER)
    if mode == METROPOLIS:
        return _sync_loop(
            s, h, JT, bias, b, st, tol, sweeps, done, refresh, new, acc, METROPOLIS
        )
    return _sync_loop(
        s, h, JT, bias, b, st, tol, sweeps, done, refresh, new, acc, ZERO_TEMPERATURE
    )


@njit(parallel=True, cache=True, nogil=True)
def dense_sweeps(
    S, H, JT, bias, beta, rng, order, schedule, rule, tol, sweeps, done, refresh, flips
):
    """Single-neuron updates (random, fixed-order or permuted), ``sweeps`` × N per chain."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        perm = order_buffer(schedule, n)
        acc = np.empty(n)
        flips[k] += _chain_async(
            S[k], H[k], JT, bias, beta[k], rng[k], order, schedule, rule, tol, sweeps, done,
            refresh, perm, acc,
        )  # fmt: skip


@njit(parallel=True, cache=True, nogil=True)
def dense_synchronous(S, H, JT, bias, beta, rng, rule, tol, sweeps, done, refresh, flips):
    """Little dynamics: every neuron updated at once from the old fields, then H corrected."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        new = np.empty(n, dtype=np.int8)
        acc = np.empty(n)
        flips[k] += _chain_sync(
            S[k], H[k], JT, bias, beta[k], rng[k], rule, tol, sweeps, done, refresh, new, acc
        )


@njit(cache=True, nogil=True)
def dense_energy(s, h, bias):
    """E = −½ Σ_i S_i (h_i + b_i) from the cached fields h = J S + b (float64 sum).

    Equal to −½ Σ_ij J_ij S_i S_j − Σ_i b_i S_i; for asymmetric J the quadratic form is that
    of the symmetric part (J + Jᵀ)/2, as :meth:`statnn.core.network.Network.energy`.
    """
    e = 0.0
    for i in range(s.shape[0]):
        e += s[i] * (np.float64(h[i]) + bias[i])
    return -0.5 * e


@njit(parallel=True, cache=True, nogil=True)
def dense_records(
    S, H, JT, bias, beta, rng, order, schedule, sync, rule, tol, done, refresh,
    units, n_rec, every, E, MS, Q, rec0, flips,
):  # fmt: skip
    """``n_rec`` blocks of ``every`` sweeps per unit of chains, measured after each block.

    ``units`` (U, 3): the two chains of each unit, run in lock step (second −1: a single
    chain), and the row of Q of a pair; after block r, chain k's energy E[k, rec0 + r]
    (from the cached fields), spin sum MS[k, rec0 + r] and, for a pair a, b,
    Q[units[u, 2], rec0 + r] = Σ_i S_i^a S_i^b.
    """
    K, n = S.shape
    for uu in prange(units.shape[0]):
        u = np.int64(uu)
        perm = order_buffer(schedule, n)
        acc = np.empty(n)
        new = np.empty(n, dtype=np.int8)
        for r in range(n_rec):
            clock = done + r * every
            for w in range(2):
                k = units[u, w]
                if k < 0:
                    continue
                if sync is not None and sync:
                    c = _chain_sync(
                        S[k], H[k], JT, bias, beta[k], rng[k], rule, tol, every, clock, refresh,
                        new, acc,
                    )  # fmt: skip
                else:
                    c = _chain_async(
                        S[k], H[k], JT, bias, beta[k], rng[k], order, schedule, rule, tol, every,
                        clock, refresh, perm, acc,
                    )  # fmt: skip
                flips[k] += c
                E[k, rec0 + r] = dense_energy(S[k], H[k], bias)
                MS[k, rec0 + r] = spin_sum(S[k])
            if units[u, 1] >= 0:
                Q[units[u, 2], rec0 + r] = spin_product_sum(S[units[u, 0]], S[units[u, 1]])
