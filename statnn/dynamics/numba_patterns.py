"""Hebbian pattern-form couplings J_ij = s Σ_μ ξ_i^μ ξ_j^μ (i ≠ j) for the numba backend.

The patterns are stored once, transposed and compact: ``xiT`` (N, P) int8, so that the P
pattern bits of neuron i are one contiguous row (1 byte per bit: N = 100 000 neurons and
P = 10 000 patterns take 1 GB). Each chain k caches its unnormalised overlaps

    M[k, μ] = Σ_j ξ_j^μ S_j          (integers, int64: exact, no drift, no refresh)

from which the local field of neuron i costs O(P)::

    h_i = s (Σ_μ ξ_i^μ M_μ − P S_i) + b_i,

and an accepted flip S_i → S_i' costs O(P) too: M_μ += 2 S_i' ξ_i^μ.
"""

from __future__ import annotations

import numpy as np
from numba import float64, int8, int64, njit, prange, uint64, void

from .numba_rng import bounded, shuffle
from .numba_rules import new_spin

RANDOM = 0
FIXED = 1
PERMUTED = 2


@njit(void(int8[:, ::1], int64[:, ::1], int8[:, ::1]), parallel=True, cache=True, nogil=True)
def pattern_overlaps(S, M, xiT):
    """M[k, μ] = Σ_j ξ_j^μ S[k, j] for every chain (exact integer sums)."""
    K, n = S.shape
    p = xiT.shape[1]
    for kk in prange(K):
        k = np.int64(kk)
        m = M[k]
        for mu in range(p):
            m[mu] = 0
        for j in range(n):
            row = xiT[j]
            if S[k, j] > 0:
                for mu in range(p):
                    m[mu] += row[mu]
            else:
                for mu in range(p):
                    m[mu] -= row[mu]


@njit(cache=True, nogil=True)
def _field(m, row, s_i, scale, p, b_i):
    """h_i = scale (Σ_μ ξ_i^μ m_μ − P s_i) + b_i with an exact integer sum."""
    acc = np.int64(0)
    for mu in range(row.shape[0]):
        acc += row[mu] * m[mu]
    return scale * np.float64(acc - p * s_i) + b_i


@njit(cache=True, nogil=True)
def _flip(m, row, new):
    """m_μ += 2 new ξ_i^μ."""
    if new > 0:
        for mu in range(row.shape[0]):
            m[mu] += 2 * row[mu]
    else:
        for mu in range(row.shape[0]):
            m[mu] -= 2 * row[mu]


@njit(
    void(
        int8[:, ::1],  # S (K, N)
        int64[:, ::1],  # M (K, P) cached overlaps
        int8[:, ::1],  # xiT (N, P)
        float64,  # scale s
        float64[::1],  # bias (N,)
        float64[::1],  # beta per chain (K,)
        uint64[:, ::1],  # rng (K, 4)
        int64[::1],  # site order for FIXED
        int64,  # schedule
        int64,  # rule
        int64,  # sweeps
        int64[::1],  # flips (K,)
    ),
    parallel=True,
    cache=True,
    nogil=True,
)
def pattern_sweeps(S, M, xiT, scale, bias, beta, rng, order, schedule, rule, sweeps, flips):
    """Single-neuron updates (random, fixed-order or permuted), ``sweeps`` × N per chain."""
    K, n = S.shape
    p = xiT.shape[1]
    for kk in prange(K):
        k = np.int64(kk)
        s = S[k]
        m = M[k]
        st = rng[k]
        b = beta[k]
        perm = np.empty(n if schedule == PERMUTED else 0, dtype=np.int64)
        count = 0
        for _ in range(sweeps):
            if schedule == PERMUTED:
                shuffle(perm, st)
            for t in range(n):
                if schedule == RANDOM:
                    i = bounded(st, n)
                elif schedule == FIXED:
                    i = order[t]
                else:
                    i = perm[t]
                old = np.int64(s[i])
                row = xiT[i]
                h = _field(m, row, old, scale, p, bias[i])
                new = new_spin(rule, old, h, b, st)
                if new != old:
                    s[i] = new
                    count += 1
                    _flip(m, row, new)
        flips[k] += count


@njit(
    void(
        int8[:, ::1],
        int64[:, ::1],
        int8[:, ::1],
        float64,
        float64[::1],
        float64[::1],
        uint64[:, ::1],
        int64,
        int64,
        int64[::1],
    ),
    parallel=True,
    cache=True,
    nogil=True,
)
def pattern_synchronous(S, M, xiT, scale, bias, beta, rng, rule, sweeps, flips):
    """Little dynamics: all neurons from the old overlaps, then the overlaps corrected."""
    K, n = S.shape
    p = xiT.shape[1]
    for kk in prange(K):
        k = np.int64(kk)
        s = S[k]
        m = M[k]
        st = rng[k]
        b = beta[k]
        new = np.empty(n, dtype=np.int8)
        count = 0
        for _ in range(sweeps):
            for i in range(n):
                old = np.int64(s[i])
                new[i] = new_spin(rule, old, _field(m, xiT[i], old, scale, p, bias[i]), b, st)
            for i in range(n):
                if new[i] != s[i]:
                    s[i] = new[i]
                    count += 1
                    _flip(m, xiT[i], new[i])
        flips[k] += count
