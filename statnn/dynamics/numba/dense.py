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

from statnn.dynamics.numba.rules import new_spin
from statnn.dynamics.numba.schedule import (
    add_row_twice,
    order_buffer,
    signed_row_sum,
    site,
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


@njit(parallel=True, cache=True, nogil=True)
def dense_sweeps(
    S, H, JT, bias, beta, rng, order, schedule, rule, tol, sweeps, done, refresh, flips
):
    """Single-neuron updates (random, fixed-order or permuted), ``sweeps`` × N per chain."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        s = S[k]
        h = H[k]
        st = rng[k]
        b = beta[k]
        perm = order_buffer(schedule, n)
        acc = np.empty(n)
        count = 0
        for sweep in range(sweeps):
            start_sweep(schedule, perm, st)
            for t in range(n):
                i = site(schedule, t, n, order, perm, st)
                old = np.int64(s[i])
                new = new_spin(rule, old, np.float64(h[i]), b, tol, st)
                if new != old:
                    s[i] = new
                    count += 1
                    add_row_twice(h, JT[i], new)
            if (done + sweep + 1) % refresh == 0:
                _refresh_chain(s, h, JT, bias, acc)
        flips[k] += count


@njit(parallel=True, cache=True, nogil=True)
def dense_synchronous(S, H, JT, bias, beta, rng, rule, tol, sweeps, done, refresh, flips):
    """Little dynamics: every neuron updated at once from the old fields, then H corrected."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        s = S[k]
        h = H[k]
        st = rng[k]
        b = beta[k]
        new = np.empty(n, dtype=np.int8)
        acc = np.empty(n)
        count = 0
        for sweep in range(sweeps):
            for i in range(n):
                new[i] = new_spin(rule, np.int64(s[i]), np.float64(h[i]), b, tol, st)
            for i in range(n):
                if new[i] != s[i]:
                    s[i] = new[i]
                    count += 1
                    add_row_twice(h, JT[i], new[i])
            if (done + sweep + 1) % refresh == 0:
                _refresh_chain(s, h, JT, bias, acc)
        flips[k] += count
