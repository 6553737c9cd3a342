"""Dense associative memory (:mod:`statnn.core.dense_memory`) for the numba backend.

Each chain k caches its projections M[k, μ] = ξ^μ · S (exact int32), so one update of
neuron i costs O(P): with r_μ = M_μ − ξ_i^μ S_i,

* poly, degree n: h_i = [Σ_μ ξ_i^μ g(r_μ)] / n · N^{1−n} + b_i, with
  g(r) = [(r + 1)^n − (r − 1)^n]/2 = Σ_{k odd} C(n, k) r^{n−k} in float64, written out
  for n ≤ 5 and by Horner beyond (for n = 2, g = 2r and the field is the Hebbian kernel's,
  bit for bit);
* exp, width β_F: two passes — r* = max_μ r_μ, then A = Σ_μ ξ_i^μ e^{−β_F (r* − r_μ)} read
  from a table of e^{−β_F k}, k = 0 … 2N (r* − r_μ is an integer) — and
  h_i = ½ [e^{β_F (r* − N + 1)} − e^{β_F (r* − N − 1)}] A + b_i (every exponential ≤ 1; an
  underflowed h keeps the sign of A as the smallest subnormal);

and an accepted flip updates M_μ += 2 S_i' ξ_i^μ, also O(P). The update rule, site
schedules and random streams are those of the Hebbian pattern kernel
(:mod:`statnn.dynamics.numba.patterns`), in the same order, so that degree 2 reproduces its
trajectories for the same seed. :func:`dense_memory_records` runs ``simulate``'s record
loop compiled, with the energy and the pattern overlaps read from the cached projections;
the adapter is ``DenseMemory`` in :mod:`statnn.dynamics.numba.kernel`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from statnn._validation import param_error
from statnn.core.dense_memory import DenseMemoryCouplings, odd_binomials
from statnn.dynamics.numba.measure import bias_sum, spin_product_sum, spin_sum
from statnn.dynamics.numba.patterns import pattern_overlaps
from statnn.dynamics.numba.rules import new_spin
from statnn.dynamics.numba.schedule import (
    add_row_twice,
    order_buffer,
    site,
    start_sweep,
)

POLY = 0
EXP = 1
_TINY = 5e-324


@njit(cache=True, nogil=True, fastmath=True)
def _poly_sum(m, row, s_i, coeffs, degree):
    """Σ_μ ξ_i^μ g(r_μ) with g(r) = Σ_{k odd} C(n, k) r^{n−k}; closed forms for n ≤ 5.

    The terms are integers: while the sum stays below 2⁵³ it is exact in any order, so
    fastmath may vectorise it.
    """
    total = 0.0
    p = row.shape[0]
    if degree == 2:
        for mu in range(p):
            r = np.float64(m[mu] - row[mu] * s_i)
            total += row[mu] * (2.0 * r)
    elif degree == 3:
        for mu in range(p):
            r = np.float64(m[mu] - row[mu] * s_i)
            total += row[mu] * (3.0 * r * r + 1.0)
    elif degree == 4:
        for mu in range(p):
            r = np.float64(m[mu] - row[mu] * s_i)
            total += row[mu] * ((4.0 * r * r + 4.0) * r)
    elif degree == 5:
        for mu in range(p):
            r = np.float64(m[mu] - row[mu] * s_i)
            r2 = r * r
            total += row[mu] * ((5.0 * r2 + 10.0) * r2 + 1.0)
    else:
        for mu in range(p):
            r = np.float64(m[mu] - row[mu] * s_i)
            g = 0.0
            for c in coeffs:
                g = g * r + c
            total += row[mu] * g
    return total


@njit(cache=True, nogil=True)
def _poly_field(m, row, s_i, coeffs, degree, inv):
    return (_poly_sum(m, row, s_i, coeffs, degree) / degree) * inv


@njit(cache=True, nogil=True, fastmath=True)
def _exp_sum(m, row, s_i, table):
    """r* = max_μ r_μ and Σ_μ ξ_i^μ e^{−β_F (r* − r_μ)} (terms in [−1, 1]; the maximum is
    exact in any order, the sum is a float sum that fastmath may reorder)."""
    p = row.shape[0]
    top = np.int64(-(1 << 62))
    for mu in range(p):
        r = np.int64(m[mu]) - np.int64(row[mu]) * s_i
        top = max(top, r)
    total = 0.0
    for mu in range(p):
        r = np.int64(m[mu]) - np.int64(row[mu]) * s_i
        total += row[mu] * table[top - r]
    return top, total


@njit(cache=True, nogil=True)
def _exp_field(m, row, s_i, table, beta, n):
    top, total = _exp_sum(m, row, s_i, table)
    front = 0.5 * (math.exp(beta * (top - n + 1.0)) - math.exp(beta * (top - n - 1.0)))
    h = front * total
    if h == 0.0 and total != 0.0:
        h = math.copysign(_TINY, total)
    return h


@njit(cache=True, nogil=True)
def _field(kind, m, row, s_i, coeffs, degree, inv, table, beta, n):
    if kind == POLY:
        return _poly_field(m, row, s_i, coeffs, degree, inv)
    return _exp_field(m, row, s_i, table, beta, n)


@njit(cache=True, nogil=True, inline="always")
def _chain_async(
    s, m, xiT, kind, coeffs, degree, inv, table, beta_f, bias, b, st, order, schedule, rule,
    tol, sweeps, perm,
):  # fmt: skip
    """``sweeps`` single-neuron sweeps of one chain; returns the flips made."""
    n = s.shape[0]
    count = 0
    for _ in range(sweeps):
        start_sweep(schedule, perm, st)
        for t in range(n):
            i = site(schedule, t, n, order, perm, st)
            old = np.int64(s[i])
            row = xiT[i]
            h = _field(kind, m, row, old, coeffs, degree, inv, table, beta_f, n) + bias[i]
            new = new_spin(rule, old, h, b, tol, st)
            if new != old:
                s[i] = new
                count += 1
                add_row_twice(m, row, new)
    return count


@njit(cache=True, nogil=True, inline="always")
def _chain_sync(
    s, m, xiT, kind, coeffs, degree, inv, table, beta_f, bias, b, st, rule, tol, sweeps, new
):
    """``sweeps`` synchronous (Little) sweeps of one chain; returns the flips made."""
    n = s.shape[0]
    count = 0
    for _ in range(sweeps):
        for i in range(n):
            old = np.int64(s[i])
            h = _field(kind, m, xiT[i], old, coeffs, degree, inv, table, beta_f, n) + bias[i]
            new[i] = new_spin(rule, old, h, b, tol, st)
        for i in range(n):
            if new[i] != s[i]:
                s[i] = new[i]
                count += 1
                add_row_twice(m, xiT[i], new[i])
    return count


@njit(parallel=True, cache=True, nogil=True)
def dense_memory_sweeps(
    S, M, xiT, kind, coeffs, degree, inv, table, beta_f, bias, beta, rng, order, schedule, rule,
    tol, sweeps, flips,
):  # fmt: skip
    """Single-neuron updates (random, fixed-order or permuted), ``sweeps`` × N per chain."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        perm = order_buffer(schedule, n)
        flips[k] += _chain_async(
            S[k], M[k], xiT, kind, coeffs, degree, inv, table, beta_f, bias, beta[k], rng[k],
            order, schedule, rule, tol, sweeps, perm,
        )  # fmt: skip


@njit(parallel=True, cache=True, nogil=True)
def dense_memory_synchronous(
    S, M, xiT, kind, coeffs, degree, inv, table, beta_f, bias, beta, rng, rule, tol, sweeps, flips
):
    """Little dynamics: all neurons from the old projections, then the projections corrected."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        new = np.empty(n, dtype=np.int8)
        flips[k] += _chain_sync(
            S[k], M[k], xiT, kind, coeffs, degree, inv, table, beta_f, bias, beta[k], rng[k],
            rule, tol, sweeps, new,
        )  # fmt: skip


@njit(cache=True, nogil=True)
def dense_memory_energy(s, m, kind, degree, inv, beta_f, bias, biased):
    """E = −Σ_μ F(M_μ) − Σ_i b_i S_i from the cached projections M_μ = ξ^μ · S.

    poly: F(x) = (x^n / N^{n−1} − 1)/n; exp: F(x) = e^{β_F (x − N)} (≤ 1). Summed over μ
    in order, as numpy's ``interaction_energy(...).sum()`` up to rounding.
    """
    n = s.shape[0]
    total = 0.0
    if kind == POLY:
        for mu in range(m.shape[0]):
            total += (np.float64(m[mu]) ** degree * inv - 1.0) / degree
    else:
        for mu in range(m.shape[0]):
            total += math.exp(beta_f * (np.float64(m[mu]) - n))
    e = -total
    if biased:
        e -= bias_sum(s, bias)
    return e


@njit(parallel=True, cache=True, nogil=True)
def dense_memory_records(
    S, M, xiT, kind, coeffs, degree, inv, table, beta_f, bias, biased, beta, rng, order,
    schedule, sync, rule, tol, units, n_rec, every, E, MS, O, Q, rec0, flips,
):  # fmt: skip
    """``n_rec`` blocks of ``every`` sweeps per unit of chains, measured after each block.

    As :func:`statnn.dynamics.numba.patterns.pattern_records`: E[k, rec0 + r] the energy
    (:func:`dense_memory_energy`), MS the spin sum, O[k, rec0 + r, μ] = M_μ / N read from
    the cached projections, Q the replica products of the chain pairs of ``units``.
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
                        S[k], M[k], xiT, kind, coeffs, degree, inv, table, beta_f, bias,
                        beta[k], rng[k], rule, tol, every, new,
                    )  # fmt: skip
                else:
                    c = _chain_async(
                        S[k], M[k], xiT, kind, coeffs, degree, inv, table, beta_f, bias,
                        beta[k], rng[k], order, schedule, rule, tol, every, perm,
                    )  # fmt: skip
                flips[k] += c
                m = M[k]
                E[k, rec0 + r] = dense_memory_energy(
                    S[k], m, kind, degree, inv, beta_f, bias, biased
                )
                MS[k, rec0 + r] = spin_sum(S[k])
                for mu in range(m.shape[0]):
                    O[k, rec0 + r, mu] = np.float64(m[mu]) / n
            if units[u, 1] >= 0:
                Q[units[u, 2], rec0 + r] = spin_product_sum(S[units[u, 0]], S[units[u, 1]])


class DenseMemoryArrays:
    """The arrays the dense-memory kernels read for one network, and the projection cache.

    ``xiT`` the (N, P) int8 table, ``kind`` POLY or EXP, ``coeffs``/``degree``/``inv`` of
    the polynomial, ``table`` e^{−β_F k} for k = 0 … 2N (exp), ``beta_f`` β_F.
    """

    def __init__(self, couplings):
        c = couplings
        if not isinstance(c, DenseMemoryCouplings):
            raise param_error("net", "make_kernel", "a dense associative memory", type(c).__name__)
        self.xiT = np.ascontiguousarray(c.patterns_t, dtype=np.int8)
        self.kind = POLY if c.interaction == "poly" else EXP
        self.coeffs = odd_binomials(c.degree)
        self.degree = int(c.degree)
        self.inv = float(c.inv_scale)
        self.beta_f = float(c.beta)
        self.table = (
            np.exp(-self.beta_f * np.arange(2 * c.n + 1, dtype=np.float64))
            if self.kind == EXP
            else np.zeros(1)
        )

    @property
    def args(self):
        """The leading kernel arguments after S and M."""
        return (self.xiT, self.kind, self.coeffs, self.degree, self.inv, self.table, self.beta_f)

    def projections(self, flat):
        """M = ξ S, (K, P) int32, for int8 chains (K, N)."""
        M = np.empty((flat.shape[0], self.xiT.shape[1]), dtype=np.int32)
        pattern_overlaps(np.ascontiguousarray(flat, dtype=np.int8), M, self.xiT)
        return M


__all__ = [
    "DenseMemoryArrays",
    "dense_memory_energy",
    "dense_memory_records",
    "dense_memory_sweeps",
    "dense_memory_synchronous",
]
