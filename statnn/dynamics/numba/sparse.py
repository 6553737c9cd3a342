"""Sparse CSR couplings (diluted networks) for the numba backend.

The local field of neuron i is read off row i of J in CSR form, O(degree)::

    h_i = Σ_{p = indptr[i]}^{indptr[i+1]−1} data[p] · S[indices[p]] + b_i.

No field cache: an accepted flip would cost O(degree) to propagate, the same as computing
the field afresh, and the fresh sum cannot drift. Works for asymmetric J (row i is what
neuron i reads).

Energy cache (symmetric J, single-neuron schedules): each chain carries its energy
E = −½ Σ_ij J_ij S_i S_j − Σ_i b_i S_i from the accepted flips, with the field the update
has just read (J has no diagonal)::

    ΔE = −(S_i' − S_i) h_i,

so a record costs O(1) instead of the O(nnz) of a fresh sum. Each increment rounds once
(≤ ½ ulp of |E|), so every :data:`REFRESH` sweeps (counted from the start of the run, as
the dense field refresh) the energy is recomputed from scratch; the carried value stays
within about √(flips since the refresh) ulp of the fresh sum.
"""

from __future__ import annotations

import numpy as np
from numba import float64, int64, njit, prange

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
from statnn.dynamics.numba.schedule import FIXED, RANDOM, order_buffer, start_sweep

#: Sweeps between two recomputations of the carried energy from scratch.
REFRESH = 100


@njit(cache=True, nogil=True)
def _field(s, i, indptr, indices, data, b_i):
    acc = 0.0
    for q in range(indptr[i], indptr[i + 1]):
        acc += data[q] * s[indices[q]]
    return acc + b_i


_CSR = (int64[::1], int64[::1], float64[::1])


@njit(cache=True, nogil=True)
def sparse_energy(s, indptr, indices, data, bias):
    """E = −½ Σ_i S_i Σ_j J_ij S_j − Σ_i b_i S_i (float64, row by row; for asymmetric J
    the quadratic form of the symmetric part)."""
    e = 0.0
    for i in range(s.shape[0]):
        e += s[i] * (0.5 * _field(s, i, indptr, indices, data, 0.0) + bias[i])
    return -e


@njit(cache=True, nogil=True)
def _async_loop(
    s, indptr, indices, data, bias, b, st, order, schedule, tol, sweeps, perm, track, e, done,
    refresh, mode,
):  # fmt: skip
    """:func:`_chain_async` for one ``mode`` (a constant at each call site)."""
    n = s.shape[0]
    count = 0
    total = 0
    for sweep in range(sweeps):
        start_sweep(schedule, perm, st)
        sites = order if schedule == FIXED else perm
        for t in range(n):
            i = bounded(st, n) if schedule == RANDOM else sites[t]
            old = np.int64(s[i])
            h = _field(s, i, indptr, indices, data, bias[i])
            # :func:`~statnn.dynamics.numba.rules.mode_spin` written out: inlined, its
            # stream argument cost a reference count increment and decrement per update
            p = 0.0 if mode == ZERO_TEMPERATURE else probability(mode, old, h, b, tol)
            u = uniform(st) if needs_draw(mode, old, h) else 0.0
            new = outcome(mode, old, h, p, u, tol)
            if new != old:
                s[i] = new
                count += 1
                total += new - old
                e -= (new - old) * h
        if track and (done + sweep + 1) % refresh == 0:
            e = sparse_energy(s, indptr, indices, data, bias)
    return count, e, total


@njit(cache=True, nogil=True)
def _chain_async(
    s, indptr, indices, data, bias, b, st, order, schedule, rule, tol, sweeps, perm,
    track, e, done, refresh,
):  # fmt: skip
    """``sweeps`` single-neuron sweeps of one chain; returns (flips made, energy, change of
    Σ_i S_i). With ``track`` the energy ``e`` is carried from the flips, ΔE = −(S_i' − S_i)
    h_i, and recomputed when the run's sweep count (``done`` before the call) reaches a
    multiple of ``refresh``; without, the returned energy is not to be used. The loop is
    compiled once per mode (:func:`~statnn.dynamics.numba.rules.loop_mode`)."""
    mode = loop_mode(rule, b)
    if mode == GLAUBER:
        return _async_loop(
            s, indptr, indices, data, bias, b, st, order, schedule, tol, sweeps, perm, track, e,
            done, refresh, GLAUBER,
        )  # fmt: skip
    if mode == METROPOLIS:
        return _async_loop(
            s, indptr, indices, data, bias, b, st, order, schedule, tol, sweeps, perm, track, e,
            done, refresh, METROPOLIS,
        )  # fmt: skip
    return _async_loop(
        s, indptr, indices, data, bias, b, st, order, schedule, tol, sweeps, perm, track, e,
        done, refresh, ZERO_TEMPERATURE,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _sync_loop(s, indptr, indices, data, bias, b, st, tol, sweeps, new, mode):
    """:func:`_chain_sync` for one ``mode`` (a constant at each call site)."""
    n = s.shape[0]
    count = 0
    for _ in range(sweeps):
        for i in range(n):
            h = _field(s, i, indptr, indices, data, bias[i])
            old = np.int64(s[i])  # mode_spin written out, as in _async_loop
            p = 0.0 if mode == ZERO_TEMPERATURE else probability(mode, old, h, b, tol)
            u = uniform(st) if needs_draw(mode, old, h) else 0.0
            new[i] = outcome(mode, old, h, p, u, tol)
        for i in range(n):
            if new[i] != s[i]:
                count += 1
            s[i] = new[i]
    return count


@njit(cache=True, nogil=True)
def _chain_sync(s, indptr, indices, data, bias, b, st, rule, tol, sweeps, new):
    """``sweeps`` synchronous (Little) sweeps of one chain; returns the flips made."""
    mode = loop_mode(rule, b)
    if mode == GLAUBER:
        return _sync_loop(s, indptr, indices, data, bias, b, st, tol, sweeps, new, GLAUBER)
    if mode == METROPOLIS:
        return _sync_loop(s, indptr, indices, data, bias, b, st, tol, sweeps, new, METROPOLIS)
    return _sync_loop(s, indptr, indices, data, bias, b, st, tol, sweeps, new, ZERO_TEMPERATURE)


@njit(parallel=True, cache=True, nogil=True)
def sparse_sweeps(
    S, indptr, indices, data, bias, beta, rng, order, schedule, rule, tol, sweeps, flips,
    energy, done, refresh,
):  # fmt: skip
    """Single-neuron updates (random, fixed-order or permuted), ``sweeps`` × N per chain;
    ``energy`` (K,) carried energies (empty: none carried)."""
    K, n = S.shape
    track = energy.shape[0] > 0
    for kk in prange(K):
        k = np.int64(kk)
        perm = order_buffer(schedule, n)
        e0 = energy[k] if track else 0.0
        c, e, _ = _chain_async(
            S[k], indptr, indices, data, bias, beta[k], rng[k], order, schedule, rule, tol, sweeps,
            perm, track, e0, done, refresh,
        )  # fmt: skip
        flips[k] += c
        if track:
            energy[k] = e


@njit(parallel=True, cache=True, nogil=True)
def sparse_synchronous(S, indptr, indices, data, bias, beta, rng, rule, tol, sweeps, flips):
    """Little dynamics: every neuron updated at once from the old state."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        new = np.empty(n, dtype=np.int8)
        flips[k] += _chain_sync(
            S[k], indptr, indices, data, bias, beta[k], rng[k], rule, tol, sweeps, new
        )


@njit(parallel=True, cache=True, nogil=True)
def sparse_energies(S, indptr, indices, data, bias, energy):
    """energy[k] ← the energy of chain k from scratch (:func:`sparse_energy`)."""
    for kk in prange(S.shape[0]):
        k = np.int64(kk)
        energy[k] = sparse_energy(S[k], indptr, indices, data, bias)


@njit(parallel=True, cache=True, nogil=True)
def sparse_records(
    S, indptr, indices, data, bias, beta, rng, order, schedule, sync, rule, tol,
    energy, done, refresh, units, n_rec, every, E, MS, Q, rec0, flips,
):  # fmt: skip
    """``n_rec`` blocks of ``every`` sweeps per unit of chains, measured after each block
    (as :func:`statnn.dynamics.numba.dense.dense_records`). With carried energies
    (``energy`` (K,), non-empty) a record reads them, O(1), and the spin sum is carried
    from the flips (exact); otherwise (synchronous sweeps, asymmetric J) the energy is
    summed afresh, O(nnz)."""
    K, n = S.shape
    track = energy.shape[0] > 0
    for uu in prange(units.shape[0]):
        u = np.int64(uu)
        perm = order_buffer(schedule, n)
        new = np.empty(n, dtype=np.int8)
        total = np.zeros(2, dtype=np.int64)
        for w in range(2):
            k = units[u, w]
            if k >= 0:
                total[w] = spin_sum(S[k])
        for r in range(n_rec):
            clock = done + r * every
            for w in range(2):
                k = units[u, w]
                if k < 0:
                    continue
                if sync is not None and sync:
                    c = _chain_sync(
                        S[k], indptr, indices, data, bias, beta[k], rng[k], rule, tol, every, new
                    )
                    total[w] = spin_sum(S[k])
                else:
                    e0 = energy[k] if track else 0.0
                    c, e, dt = _chain_async(
                        S[k], indptr, indices, data, bias, beta[k], rng[k], order, schedule,
                        rule, tol, every, perm, track, e0, clock, refresh,
                    )  # fmt: skip
                    total[w] += dt
                    if track:
                        energy[k] = e
                flips[k] += c
                if track:
                    E[k, rec0 + r] = energy[k]
                else:
                    E[k, rec0 + r] = sparse_energy(S[k], indptr, indices, data, bias)
                MS[k, rec0 + r] = total[w]
            if units[u, 1] >= 0:
                Q[units[u, 2], rec0 + r] = spin_product_sum(S[units[u, 0]], S[units[u, 1]])
