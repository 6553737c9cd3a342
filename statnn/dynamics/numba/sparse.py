"""Sparse CSR couplings (diluted networks) for the numba backend.

The local field of neuron i is read off row i of J in CSR form, O(degree)::

    h_i = Σ_{p = indptr[i]}^{indptr[i+1]−1} data[p] · S[indices[p]] + b_i.

No cache: an accepted flip would cost O(degree) to propagate, the same as computing the
field afresh, and the fresh sum cannot drift. Works for asymmetric J (row i is what
neuron i reads).
"""

from __future__ import annotations

import numpy as np
from numba import float64, int64, njit, prange

from statnn.dynamics.numba.measure import spin_product_sum, spin_sum
from statnn.dynamics.numba.rules import new_spin
from statnn.dynamics.numba.schedule import order_buffer, site, start_sweep


@njit(cache=True, nogil=True)
def _field(s, i, indptr, indices, data, b_i):
    acc = 0.0
    for q in range(indptr[i], indptr[i + 1]):
        acc += data[q] * s[indices[q]]
    return acc + b_i


_CSR = (int64[::1], int64[::1], float64[::1])


@njit(cache=True, nogil=True, inline="always")
def _chain_async(s, indptr, indices, data, bias, b, st, order, schedule, rule, tol, sweeps, perm):
    """``sweeps`` single-neuron sweeps of one chain; returns the flips made."""
    n = s.shape[0]
    count = 0
    for _ in range(sweeps):
        start_sweep(schedule, perm, st)
        for t in range(n):
            i = site(schedule, t, n, order, perm, st)
            old = np.int64(s[i])
            h = _field(s, i, indptr, indices, data, bias[i])
            new = new_spin(rule, old, h, b, tol, st)
            if new != old:
                s[i] = new
                count += 1
    return count


@njit(cache=True, nogil=True, inline="always")
def _chain_sync(s, indptr, indices, data, bias, b, st, rule, tol, sweeps, new):
    """``sweeps`` synchronous (Little) sweeps of one chain; returns the flips made."""
    n = s.shape[0]
    count = 0
    for _ in range(sweeps):
        for i in range(n):
            h = _field(s, i, indptr, indices, data, bias[i])
            new[i] = new_spin(rule, np.int64(s[i]), h, b, tol, st)
        for i in range(n):
            if new[i] != s[i]:
                count += 1
            s[i] = new[i]
    return count


@njit(parallel=True, cache=True, nogil=True)
def sparse_sweeps(
    S, indptr, indices, data, bias, beta, rng, order, schedule, rule, tol, sweeps, flips
):
    """Single-neuron updates (random, fixed-order or permuted), ``sweeps`` × N per chain."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        perm = order_buffer(schedule, n)
        flips[k] += _chain_async(
            S[k], indptr, indices, data, bias, beta[k], rng[k], order, schedule, rule, tol, sweeps,
            perm,
        )  # fmt: skip


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


@njit(cache=True, nogil=True, inline="always")
def sparse_energy(s, indptr, indices, data, bias):
    """E = −½ Σ_i S_i Σ_j J_ij S_j − Σ_i b_i S_i (float64, row by row)."""
    e = 0.0
    for i in range(s.shape[0]):
        e += s[i] * (0.5 * _field(s, i, indptr, indices, data, 0.0) + bias[i])
    return -e


@njit(parallel=True, cache=True, nogil=True)
def sparse_records(
    S, indptr, indices, data, bias, beta, rng, order, schedule, sync, rule, tol,
    units, n_rec, every, E, MS, Q, rec0, flips,
):  # fmt: skip
    """``n_rec`` blocks of ``every`` sweeps per unit of chains, measured after each block
    (as :func:`statnn.dynamics.numba.dense.dense_records`; the energy costs O(nnz))."""
    K, n = S.shape
    for uu in prange(units.shape[0]):
        u = np.int64(uu)
        perm = order_buffer(schedule, n)
        new = np.empty(n, dtype=np.int8)
        for r in range(n_rec):
            for w in range(2):
                k = units[u, w]
                if k < 0:
                    continue
                if sync:
                    c = _chain_sync(
                        S[k], indptr, indices, data, bias, beta[k], rng[k], rule, tol, every, new
                    )
                else:
                    c = _chain_async(
                        S[k], indptr, indices, data, bias, beta[k], rng[k], order, schedule,
                        rule, tol, every, perm,
                    )  # fmt: skip
                flips[k] += c
                E[k, rec0 + r] = sparse_energy(S[k], indptr, indices, data, bias)
                MS[k, rec0 + r] = spin_sum(S[k])
            if units[u, 1] >= 0:
                Q[units[u, 2], rec0 + r] = spin_product_sum(S[units[u, 0]], S[units[u, 1]])
