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

from statnn.dynamics.numba.rules import new_spin
from statnn.dynamics.numba.schedule import order_buffer, site, start_sweep


@njit(cache=True, nogil=True)
def _field(s, i, indptr, indices, data, b_i):
    acc = 0.0
    for q in range(indptr[i], indptr[i + 1]):
        acc += data[q] * s[indices[q]]
    return acc + b_i


_CSR = (int64[::1], int64[::1], float64[::1])


@njit(parallel=True, cache=True, nogil=True)
def sparse_sweeps(
    S, indptr, indices, data, bias, beta, rng, order, schedule, rule, tol, sweeps, flips
):
    """Single-neuron updates (random, fixed-order or permuted), ``sweeps`` × N per chain."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        s = S[k]
        st = rng[k]
        b = beta[k]
        perm = order_buffer(schedule, n)
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
        flips[k] += count


@njit(parallel=True, cache=True, nogil=True)
def sparse_synchronous(S, indptr, indices, data, bias, beta, rng, rule, tol, sweeps, flips):
    """Little dynamics: every neuron updated at once from the old state."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        s = S[k]
        st = rng[k]
        b = beta[k]
        new = np.empty(n, dtype=np.int8)
        count = 0
        for _ in range(sweeps):
            for i in range(n):
                h = _field(s, i, indptr, indices, data, bias[i])
                new[i] = new_spin(rule, np.int64(s[i]), h, b, tol, st)
            for i in range(n):
                if new[i] != s[i]:
                    count += 1
                s[i] = new[i]
        flips[k] += count
