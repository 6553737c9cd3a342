"""Hebbian pattern-form couplings J_ij = s Σ_μ ξ_i^μ ξ_j^μ (i ≠ j) for the numba backend.

The patterns are stored once, transposed and compact: ``xiT`` (N, P) int8, so that the P
pattern bits of neuron i are one contiguous row (1 byte per bit: N = 100 000 neurons and
P = 10 000 patterns take 1 GB). Each chain k caches its unnormalised overlaps

    M[k, μ] = Σ_j ξ_j^μ S_j          (exact integers: no drift, no refresh)

stored as int16 when N ≤ 32 767 (|M_μ| ≤ N fits) and as int32 otherwise
(:func:`overlap_dtype`), so that the O(P) loops below read 2 (or 4) bytes per pattern and
vectorise: the dot product multiplies int8 × int16 and sums in int32 (``vpmaddwd`` /
``vpdpwssd`` on x86), in chunks of :data:`CHUNK` patterns whose partial sums cannot overflow
(|partial| ≤ CHUNK · N < 2³¹), added up in int64.

from which the local field of neuron i costs O(P)::

    h_i = s (Σ_μ ξ_i^μ M_μ − P S_i) + b_i,

and an accepted flip S_i → S_i' costs O(P) too: M_μ += 2 S_i' ξ_i^μ.
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

#: Patterns per int32 partial sum of ξ_i · M with int16 overlaps: 32 768 · 32 767 < 2³¹.
CHUNK = 32768


def overlap_dtype(n: int) -> np.dtype:
    """int16 overlaps for N ≤ 32 767 neurons, int32 beyond (N < 2³¹)."""
    return np.dtype(np.int16) if n <= 32767 else np.dtype(np.int32)


@njit(parallel=True, cache=True, nogil=True)
def pattern_overlaps(S, M, xiT):
    """M[k, μ] = Σ_j ξ_j^μ S[k, j] for every chain (exact integer sums, in int64)."""
    K, n = S.shape
    p = xiT.shape[1]
    for kk in prange(K):
        k = np.int64(kk)
        acc = np.zeros(p, dtype=np.int64)
        signed_row_sum(acc, S[k], xiT)
        for mu in range(p):
            M[k, mu] = acc[mu]


@njit(cache=True, nogil=True, fastmath=True)
def _dot16(m, row, chunk):
    """Σ_μ ξ_i^μ m_μ for int16 m, exact: float32 partial sums over ``chunk`` patterns.

    Every partial sum (in whatever order fastmath adds the terms) is an integer of
    magnitude ≤ chunk · N < 2²⁴, hence exact in float32; the partial sums are added in int64.
    """
    p = row.shape[0]
    total = np.int64(0)
    for start in range(0, p, chunk):
        stop = min(p, start + chunk)
        mc = m[start:stop]  # slices: indices from 0, so no negative-index wraparound
        rc = row[start:stop]  # check to stop the loop from vectorising
        part = np.float32(0.0)
        for mu in range(mc.shape[0]):
            part += np.float32(rc[mu]) * np.float32(mc[mu])
        total += np.int64(part)
    return total


@njit(cache=True, nogil=True, inline="always")
def _dot_wide(m, row):
    """Σ_μ ξ_i^μ m_μ for int32 / int64 m, summed in int64."""
    total = np.int64(0)
    for mu in range(row.shape[0]):
        total += np.int64(row[mu]) * np.int64(m[mu])
    return total


@njit(cache=True, nogil=True)
def _field(m, row, s_i, scale, p, b_i):
    """h_i = scale (Σ_μ ξ_i^μ m_μ − P s_i) + b_i with an exact integer sum."""
    if m.itemsize == 2:
        acc = _dot16(m, row, 512)  # 512 · 32 767 < 2²⁴
    else:
        acc = _dot_wide(m, row)
    return scale * np.float64(acc - p * s_i) + b_i


@njit(parallel=True, cache=True, nogil=True)
def pattern_sweeps(S, M, xiT, scale, bias, beta, rng, order, schedule, rule, tol, sweeps, flips):
    """Single-neuron updates (random, fixed-order or permuted), ``sweeps`` × N per chain."""
    K, n = S.shape
    p = xiT.shape[1]
    for kk in prange(K):
        k = np.int64(kk)
        s = S[k]
        m = M[k]
        st = rng[k]
        b = beta[k]
        perm = order_buffer(schedule, n)
        count = 0
        for _ in range(sweeps):
            start_sweep(schedule, perm, st)
            for t in range(n):
                i = site(schedule, t, n, order, perm, st)
                old = np.int64(s[i])
                row = xiT[i]
                h = _field(m, row, old, scale, p, bias[i])
                new = new_spin(rule, old, h, b, tol, st)
                if new != old:
                    s[i] = new
                    count += 1
                    add_row_twice(m, row, new)  # m_μ += 2 new ξ_i^μ, exact
        flips[k] += count


@njit(parallel=True, cache=True, nogil=True)
def pattern_synchronous(S, M, xiT, scale, bias, beta, rng, rule, tol, sweeps, flips):
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
                h = _field(m, xiT[i], old, scale, p, bias[i])
                new[i] = new_spin(rule, old, h, b, tol, st)
            for i in range(n):
                if new[i] != s[i]:
                    s[i] = new[i]
                    count += 1
                    add_row_twice(m, xiT[i], new[i])
        flips[k] += count
