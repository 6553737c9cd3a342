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

from statnn.dynamics.numba.measure import bias_sum, spin_product_sum, spin_sum
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


@njit(cache=True, nogil=True, inline="always")
def _chain_async(s, m, xiT, scale, bias, b, st, order, schedule, rule, tol, sweeps, perm):
    """``sweeps`` single-neuron sweeps of one chain; returns the flips made."""
    n = s.shape[0]
    p = xiT.shape[1]
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
    return count


@njit(cache=True, nogil=True, inline="always")
def _chain_sync(s, m, xiT, scale, bias, b, st, rule, tol, sweeps, new):
    """``sweeps`` synchronous (Little) sweeps of one chain; returns the flips made."""
    n = s.shape[0]
    p = xiT.shape[1]
    count = 0
    for _ in range(sweeps):
        for i in range(n):
            old = np.int64(s[i])
            new[i] = new_spin(rule, old, _field(m, xiT[i], old, scale, p, bias[i]), b, tol, st)
        for i in range(n):
            if new[i] != s[i]:
                s[i] = new[i]
                count += 1
                add_row_twice(m, xiT[i], new[i])
    return count


@njit(parallel=True, cache=True, nogil=True)
def pattern_sweeps(S, M, xiT, scale, bias, beta, rng, order, schedule, rule, tol, sweeps, flips):
    """Single-neuron updates (random, fixed-order or permuted), ``sweeps`` × N per chain."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        perm = order_buffer(schedule, n)
        flips[k] += _chain_async(
            S[k], M[k], xiT, scale, bias, beta[k], rng[k], order, schedule, rule, tol, sweeps, perm
        )


@njit(parallel=True, cache=True, nogil=True)
def pattern_synchronous(S, M, xiT, scale, bias, beta, rng, rule, tol, sweeps, flips):
    """Little dynamics: all neurons from the old overlaps, then the overlaps corrected."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        new = np.empty(n, dtype=np.int8)
        flips[k] += _chain_sync(
            S[k], M[k], xiT, scale, bias, beta[k], rng[k], rule, tol, sweeps, new
        )


@njit(cache=True, nogil=True, inline="always")
def pattern_energy(s, m, scale, bias, biased):
    """E = −½ s (Σ_μ M_μ² − P N) − Σ_i b_i S_i from the exact overlaps M_μ = ξ^μ · S.

    Σ_{i≠j} J_ij S_i S_j = s Σ_μ ((ξ^μ · S)² − Σ_i (ξ_i^μ S_i)²) = s (Σ_μ M_μ² − P N).
    """
    sq = 0
    for mu in range(m.shape[0]):
        sq += np.int64(m[mu]) * np.int64(m[mu])
    e = -0.5 * scale * np.float64(sq - m.shape[0] * s.shape[0])
    if biased:
        e -= bias_sum(s, bias)
    return e


@njit(parallel=True, cache=True, nogil=True)
def pattern_records(
    S, M, xiT, scale, bias, biased, beta, rng, order, schedule, sync, rule, tol,
    units, n_rec, every, E, MS, O, Q, rec0, flips,
):  # fmt: skip
    """``n_rec`` blocks of ``every`` sweeps per unit of chains, measured after each block.

    As :func:`statnn.dynamics.numba.dense.dense_records`, and the overlaps
    O[k, rec0 + r, μ] = M_μ / N read from the cache.
    """
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
                        S[k], M[k], xiT, scale, bias, beta[k], rng[k], rule, tol, every, new
                    )
                else:
                    c = _chain_async(
                        S[k], M[k], xiT, scale, bias, beta[k], rng[k], order, schedule, rule, tol,
                        every, perm,
                    )  # fmt: skip
                flips[k] += c
                m = M[k]
                E[k, rec0 + r] = pattern_energy(S[k], m, scale, bias, biased)
                MS[k, rec0 + r] = spin_sum(S[k])
                for mu in range(m.shape[0]):
                    O[k, rec0 + r, mu] = np.float64(m[mu]) / n
            if units[u, 1] >= 0:
                Q[units[u, 2], rec0 + r] = spin_product_sum(S[units[u, 0]], S[units[u, 1]])
