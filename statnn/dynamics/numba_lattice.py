"""Nearest-neighbour lattice couplings (1–3 D, periodic or open) for the numba backend.

The field of site i is read from the neighbour table of
:class:`~statnn.core.couplings.LatticeCouplings` (−1 marks a missing neighbour at an open
boundary)::

    h_i = J n_i + b_i,        n_i = Σ_{j ∈ nn(i)} S_j ∈ {−2d, …, 2d}.

When every b_i is the same, n_i takes 4d + 1 values, so each chain tabulates its update
probabilities once per call — P(S_i = +1) = 1/(1 + exp(−2β(J n + b))) for Glauber and
min(1, exp(−2β s (J n + b))) for Metropolis — and an update costs one table look-up and one
uniform. Otherwise the exact rule of :mod:`statnn.dynamics.numba_rules` is applied.

Checkerboard updates are the fixed site order "all sites of colour 0, then all of colour
1": on a bipartite lattice no two sites of one colour interact, so updating a colour in
any order equals updating it all at once.
"""

from __future__ import annotations

import math

import numpy as np
from numba import boolean, float64, int8, int64, njit, prange, uint64, void

from .numba_rng import bounded, shuffle, uniform
from .numba_rules import GLAUBER, new_spin

RANDOM = 0
FIXED = 1
PERMUTED = 2


@njit(cache=True, nogil=True)
def _neighbour_sum(s, nbr, i):
    total = 0
    for c in range(nbr.shape[1]):
        j = nbr[i, c]
        if j >= 0:
            total += s[j]
    return total


@njit(cache=True, nogil=True)
def _tables(rule, J, b0, beta, degree):
    """Glauber P(+1) per neighbour sum, or Metropolis acceptance per (spin, neighbour sum)."""
    width = 2 * degree + 1
    table = np.empty((2, width))
    for q in range(width):
        h = J * (q - degree) + b0
        if rule == GLAUBER:
            table[0, q] = 1.0 / (1.0 + math.exp(-2.0 * beta * h))
            table[1, q] = table[0, q]
        else:
            for si in range(2):
                delta_e = 2.0 * (2 * si - 1) * h
                table[si, q] = 1.0 if delta_e <= 0.0 else math.exp(-beta * delta_e)
    return table


@njit(cache=True, nogil=True)
def _update(rule, old, ns, i, J, bias, uniform_bias, table, degree, b, st):
    if uniform_bias and not math.isinf(b):
        p = table[(old + 1) >> 1, ns + degree]
        if rule == GLAUBER:
            return 1 if uniform(st) < p else -1
        if p >= 1.0:
            return -old
        return -old if uniform(st) < p else old
    return new_spin(rule, old, J * ns + bias[i], b, st)


@njit(
    void(
        int8[:, ::1],  # S (K, N)
        int64[:, ::1],  # neighbour table (N, 2d), -1 = none
        float64,  # J
        float64[::1],  # bias
        boolean,  # uniform bias
        float64[::1],  # beta per chain
        uint64[:, ::1],  # rng
        int64[::1],  # order for FIXED (sequential or checkerboard)
        int64,  # schedule
        int64,  # rule
        int64,  # sweeps
        int64[::1],  # flips
    ),
    parallel=True,
    cache=True,
    nogil=True,
)
def lattice_sweeps(S, nbr, J, bias, uniform_bias, beta, rng, order, schedule, rule, sweeps, flips):
    """Single-site updates (random, fixed order / checkerboard, permuted), ``sweeps`` × N."""
    K, n = S.shape
    degree = nbr.shape[1]
    for kk in prange(K):
        k = np.int64(kk)
        s = S[k]
        st = rng[k]
        b = beta[k]
        table = _tables(rule, J, bias[0], b, degree)
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
                ns = _neighbour_sum(s, nbr, i)
                new = _update(rule, old, ns, i, J, bias, uniform_bias, table, degree, b, st)
                if new != old:
                    s[i] = new
                    count += 1
        flips[k] += count


@njit(
    void(
        int8[:, ::1],
        int64[:, ::1],
        float64,
        float64[::1],
        boolean,
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
def lattice_synchronous(S, nbr, J, bias, uniform_bias, beta, rng, rule, sweeps, flips):
    """Little dynamics on the lattice: all sites at once from the old state."""
    K, n = S.shape
    degree = nbr.shape[1]
    for kk in prange(K):
        k = np.int64(kk)
        s = S[k]
        st = rng[k]
        b = beta[k]
        table = _tables(rule, J, bias[0], b, degree)
        old_s = np.empty(n, dtype=np.int8)
        count = 0
        for _ in range(sweeps):
            old_s[:] = s
            for i in range(n):
                old = np.int64(old_s[i])
                ns = _neighbour_sum(old_s, nbr, i)
                new = _update(rule, old, ns, i, J, bias, uniform_bias, table, degree, b, st)
                if new != old:
                    s[i] = new
                    count += 1
        flips[k] += count
