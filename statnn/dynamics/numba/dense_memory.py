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
trajectories for the same seed.
"""

from __future__ import annotations

import math

import numpy as np
from numba import float64, int8, int32, int64, njit, prange, uint64, void

import statnn.dynamics.numba.threads as numba_threads
from statnn._validation import param_error
from statnn.core.dense_memory import DenseMemoryCouplings, odd_binomials
from statnn.dynamics.backends import SamplerState, check_numpy_spins
from statnn.dynamics.numba.patterns import pattern_overlaps
from statnn.dynamics.numba.rng import seed_states
from statnn.dynamics.numba.rules import RULE_CODES, new_spin
from statnn.dynamics.numba.schedule import (
    SCHEDULE_CODES,
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


@njit(
    void(
        int8[:, ::1],  # S (K, N)
        int32[:, ::1],  # M (K, P) cached projections
        int8[:, ::1],  # xiT (N, P)
        int64,  # interaction: POLY or EXP
        float64[::1],  # odd binomial coefficients (poly)
        int64,  # degree
        float64,  # 1 / N^{n-1}
        float64[::1],  # table e^{-beta_F k}, k = 0..2N (exp)
        float64,  # beta_F
        float64[::1],  # bias (N,)
        float64[::1],  # beta per chain (K,)
        uint64[:, ::1],  # rng (K, 4)
        int64[::1],  # site order for FIXED
        int64,  # schedule
        int64,  # rule
        float64,  # T = 0 tie tolerance
        int64,  # sweeps
        int64[::1],  # flips (K,)
    ),
    parallel=True,
    cache=True,
    nogil=True,
)
def dense_memory_sweeps(
    S, M, xiT, kind, coeffs, degree, inv, table, beta_f, bias, beta, rng, order, schedule, rule,
    tol, sweeps, flips,
):  # fmt: skip
    """Single-neuron updates (random, fixed-order or permuted), ``sweeps`` × N per chain."""
    K, n = S.shape
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
                h = _field(kind, m, row, old, coeffs, degree, inv, table, beta_f, n) + bias[i]
                new = new_spin(rule, old, h, b, tol, st)
                if new != old:
                    s[i] = new
                    count += 1
                    add_row_twice(m, row, new)
        flips[k] += count


@njit(
    void(
        int8[:, ::1],
        int32[:, ::1],
        int8[:, ::1],
        int64,
        float64[::1],
        int64,
        float64,
        float64[::1],
        float64,
        float64[::1],
        float64[::1],
        uint64[:, ::1],
        int64,
        float64,
        int64,
        int64[::1],
    ),
    parallel=True,
    cache=True,
    nogil=True,
)
def dense_memory_synchronous(
    S, M, xiT, kind, coeffs, degree, inv, table, beta_f, bias, beta, rng, rule, tol, sweeps, flips
):
    """Little dynamics: all neurons from the old projections, then the projections corrected."""
    K, n = S.shape
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
                h = _field(kind, m, xiT[i], old, coeffs, degree, inv, table, beta_f, n) + bias[i]
                new[i] = new_spin(rule, old, h, b, tol, st)
            for i in range(n):
                if new[i] != s[i]:
                    s[i] = new[i]
                    count += 1
                    add_row_twice(m, xiT[i], new[i])
        flips[k] += count


class DenseMemoryKernel:
    """Numba kernel of a dense associative memory (same protocol as the other numba kernels).

    The state's ``cache`` holds the projections M (K, P) int32; ``step`` returns a new
    state and leaves its input alone.
    """

    def __init__(self, net, *, rule, schedule, n_temps, chains):
        c = net.couplings
        if not isinstance(c, DenseMemoryCouplings):
            raise param_error("net", "make_kernel", "a dense associative memory", type(c).__name__)
        if schedule not in SCHEDULE_CODES and schedule != "synchronous":
            raise param_error(
                "schedule",
                "make_kernel",
                "'random', 'sequential', 'permuted' or 'synchronous' for a dense memory",
                schedule,
            )
        self.net = net
        self.shape = (n_temps, chains)
        self.rule = RULE_CODES[rule]
        self.schedule = schedule
        self.tol = float(net.tie_tolerance)
        self.code = SCHEDULE_CODES.get(schedule, 0)
        self.order = np.arange(c.n, dtype=np.int64)
        self.bias = np.ascontiguousarray(net.bias, dtype=np.float64)
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

    def _projections(self, flat):
        M = np.empty((flat.shape[0], self.xiT.shape[1]), dtype=np.int32)
        pattern_overlaps(np.ascontiguousarray(flat, dtype=np.int8), M, self.xiT)
        return M

    def init(self, spins, seed):
        spins = np.ascontiguousarray(spins, dtype=np.int8).copy()
        flat = spins.reshape(-1, spins.shape[-1])
        rng = seed_states(seed, flat.shape[0])
        return SamplerState(spins=spins, rng=rng, sweep=0, cache=self._projections(flat))

    def rebind(self, state):
        """``state``'s chains (spins, RNG streams) with the projections recomputed for this network."""
        flat = state.spins.reshape(-1, state.spins.shape[-1])
        return state._replace(cache=self._projections(flat))

    def spins(self, state):
        return state.spins.copy()

    def check_state(self, state):
        K = self.shape[0] * self.shape[1]
        problem = check_numpy_spins(state.spins, (*self.shape, self.net.n))
        if problem:
            return problem
        rng = state.rng
        if not (
            isinstance(rng, np.ndarray)
            and rng.dtype == np.uint64
            and rng.shape == (K, 4)
            and rng.flags.c_contiguous
        ):
            return f"random state is not a C-contiguous uint64 array of shape {(K, 4)}"
        cache = state.cache
        want = (K, self.xiT.shape[1])
        if not (
            isinstance(cache, np.ndarray)
            and cache.shape == want
            and cache.dtype == np.int32
            and cache.flags.c_contiguous
        ):
            return f"cache is not a C-contiguous int32 array of shape {want}"
        return None

    def permute(self, state, perm):
        n_T, chains = self.shape
        src = (np.asarray(perm, dtype=np.int64) * chains + np.arange(chains)[None, :]).ravel()
        spins = state.spins.reshape(n_T * chains, -1)[src].reshape(state.spins.shape)
        return state._replace(spins=spins, cache=np.ascontiguousarray(state.cache[src]))

    def step(self, state, betas, sweeps):
        spins = state.spins.copy()
        S = spins.reshape(-1, spins.shape[-1])
        rng = state.rng.copy()
        M = state.cache.copy()
        beta = np.repeat(np.asarray(betas, dtype=np.float64), self.shape[1])
        flips = np.zeros(S.shape[0], dtype=np.int64)
        sweeps = int(sweeps)
        if sweeps > 0:
            common = (S, M, self.xiT, self.kind, self.coeffs, self.degree, self.inv)
            common += (self.table, self.beta_f, self.bias, beta, rng)
            with numba_threads.threads_for(S.shape[0]):
                if self.schedule == "synchronous":
                    dense_memory_synchronous(*common, self.rule, self.tol, sweeps, flips)
                else:
                    dense_memory_sweeps(
                        *common, self.order, self.code, self.rule, self.tol, sweeps, flips
                    )
        new = SamplerState(spins=spins, rng=rng, sweep=state.sweep + sweeps, cache=M)
        return new, flips.reshape(self.shape)


__all__ = ["DenseMemoryKernel", "dense_memory_sweeps", "dense_memory_synchronous"]
