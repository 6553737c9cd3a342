"""Nearest-neighbour lattice couplings (1–3 D, periodic or open) for the numba backend.

The field of site i is read from the neighbour table of
:class:`~statnn.core.couplings.LatticeCouplings` (−1 marks a missing neighbour at an open
boundary)::

    h_i = J n_i + b_i,        n_i = Σ_{j ∈ nn(i)} S_j ∈ {−2d, …, 2d}.

When every b_i is the same, n_i takes 4d + 1 values, so each chain tabulates its update
probabilities once per call — P(S_i = +1) = 1/(1 + exp(−2β(J n + b))) for Glauber and
min(1, exp(−2β s (J n + b))) for Metropolis — and an update costs one table look-up and one
uniform. Otherwise the exact rule of :mod:`statnn.dynamics.numba.rules` is applied.

Checkerboard updates are the fixed site order "all sites of colour 0, then all of colour
1": on a bipartite lattice no two sites of one colour interact, so updating a colour in
any order equals updating it all at once.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from statnn.dynamics.numba.measure import bias_sum, spin_product_sum, spin_sum
from statnn.dynamics.numba.rng import bounded, next_u64_local, to_uniform, uniform
from statnn.dynamics.numba.rules import (
    GLAUBER,
    METROPOLIS,
    ZERO_TEMPERATURE,
    loop_mode,
    needs_draw,
    new_spin,
    outcome,
    probability,
)
from statnn.dynamics.numba.schedule import FIXED, RANDOM, order_buffer, start_sweep


@njit(cache=True, nogil=True, inline="always")
def _neighbour_sum(s, nbr, i):
    total = 0
    for c in range(nbr.shape[1]):
        j = nbr[i, c]
        if j >= 0:
            total += s[j]
    return total


@njit(cache=True, nogil=True)
def _tables(rule, J, b0, beta, degree, tol):
    """:func:`~statnn.dynamics.numba.rules.probability` per (spin, neighbour sum): Glauber
    P(+1), Metropolis P(flip); row (s + 1) / 2, column n + degree, h = J n + b0."""
    width = 2 * degree + 1
    table = np.empty((2, width))
    for q in range(width):
        h = J * (q - degree) + b0
        for si in range(2):
            table[si, q] = probability(rule, 2 * si - 1, h, beta, tol)
    return table


@njit(cache=True, nogil=True, inline="always")
def _update(rule, old, ns, i, J, bias, uniform_bias, table, degree, b, tol, st):
    if uniform_bias and not math.isinf(b):
        p = table[(old + 1) >> 1, ns + degree]
        if rule == GLAUBER:
            return 1 if uniform(st) < p else -1
        if p >= 1.0:
            return -old
        return -old if uniform(st) < p else old
    return new_spin(rule, old, J * ns + bias[i], b, tol, st)


@njit(cache=True, nogil=True)
def _async_loop(
    s, nbr, J, bias, uniform_bias, b, st, order, schedule, tol, sweeps, perm, table, mode
):  # fmt: skip
    """:func:`_chain_async` for one ``mode`` (a constant at each call site); the outcome
    probability from ``table`` where the bias is uniform, as :func:`_update`."""
    n = s.shape[0]
    degree = nbr.shape[1]
    tabled = uniform_bias and mode != ZERO_TEMPERATURE
    count = 0
    for _ in range(sweeps):
        start_sweep(schedule, perm, st)
        sites = order if schedule == FIXED else perm
        for t in range(n):
            i = bounded(st, n) if schedule == RANDOM else sites[t]
            old = np.int64(s[i])
            ns = _neighbour_sum(s, nbr, i)
            h = J * ns + bias[i]
            if tabled:
                p = table[(old + 1) >> 1, ns + degree]
            else:
                p = 0.0 if mode == ZERO_TEMPERATURE else probability(mode, old, h, b, tol)
            u = uniform(st) if needs_draw(mode, old, h) else 0.0
            new = outcome(mode, old, h, p, u, tol)
            if new != old:
                s[i] = new
                count += 1
    return count


@njit(cache=True, nogil=True)
def _chain_async(s, nbr, J, bias, uniform_bias, b, st, order, schedule, rule, tol, sweeps, perm):
    """``sweeps`` single-site sweeps of one chain; returns the flips made. The loop is
    compiled once per mode (:func:`~statnn.dynamics.numba.rules.loop_mode`)."""
    table = _tables(rule, J, bias[0], b, nbr.shape[1], tol)
    mode = loop_mode(rule, b)
    if mode == GLAUBER:
        return _async_loop(
            s, nbr, J, bias, uniform_bias, b, st, order, schedule, tol, sweeps, perm, table, GLAUBER
        )
    if mode == METROPOLIS:
        return _async_loop(
            s, nbr, J, bias, uniform_bias, b, st, order, schedule, tol, sweeps, perm, table,
            METROPOLIS,
        )  # fmt: skip
    return _async_loop(
        s, nbr, J, bias, uniform_bias, b, st, order, schedule, tol, sweeps, perm, table,
        ZERO_TEMPERATURE,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _chain_sync(s, nbr, J, bias, uniform_bias, b, st, rule, tol, sweeps, old_s):
    """``sweeps`` synchronous (Little) sweeps of one chain; returns the flips made."""
    n = s.shape[0]
    degree = nbr.shape[1]
    table = _tables(rule, J, bias[0], b, degree, tol)
    count = 0
    for _ in range(sweeps):
        old_s[:] = s
        for i in range(n):
            old = np.int64(old_s[i])
            ns = _neighbour_sum(old_s, nbr, i)
            new = _update(rule, old, ns, i, J, bias, uniform_bias, table, degree, b, tol, st)
            if new != old:
                s[i] = new
                count += 1
    return count


@njit(parallel=True, cache=True, nogil=True)
def lattice_sweeps(
    S, nbr, J, bias, uniform_bias, beta, rng, order, schedule, rule, tol, sweeps, flips
):
    """Single-site updates (random, fixed order / checkerboard, permuted), ``sweeps`` × N."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        perm = order_buffer(schedule, n)
        flips[k] += _chain_async(
            S[k], nbr, J, bias, uniform_bias, beta[k], rng[k], order, schedule, rule, tol, sweeps,
            perm,
        )  # fmt: skip


@njit(parallel=True, cache=True, nogil=True)
def lattice_synchronous(S, nbr, J, bias, uniform_bias, beta, rng, rule, tol, sweeps, flips):
    """Little dynamics on the lattice: all sites at once from the old state."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        old_s = np.empty(n, dtype=np.int8)
        flips[k] += _chain_sync(
            S[k], nbr, J, bias, uniform_bias, beta[k], rng[k], rule, tol, sweeps, old_s
        )


@njit(cache=True, nogil=True)
def _step_index(x, size, periodic, step):
    """Neighbour coordinate x + step (step = ±1) along an axis of ``size``; −1 if none."""
    y = x + step
    if y < 0 or y >= size:
        if not periodic or size == 1:
            return -1
        return y % size
    return y


@njit(cache=True, nogil=True)
def _chain_checkerboard(s, dims, periodic, J, bias, uniform_bias, b, st, rule, tol, sweeps):
    """``sweeps`` checkerboard sweeps of one chain; returns the flips made."""
    A, B, C = dims[0], dims[1], dims[2]
    degree = 2 * ((A > 1) + (B > 1) + (C > 1))
    table = _tables(rule, J, bias[0], b, degree, tol)
    tabulated = uniform_bias and not math.isinf(b)
    xm = np.empty(C, dtype=np.int64)
    xp = np.empty(C, dtype=np.int64)
    for x in range(C):
        xm[x] = _step_index(x, C, periodic, -1)
        xp[x] = _step_index(x, C, periodic, 1)
    s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
    count = 0
    for _ in range(sweeps):
        for color in range(2):
            for a in range(A):
                am = _step_index(a, A, periodic, -1)
                ap = _step_index(a, A, periodic, 1)
                for bb in range(B):
                    bm = _step_index(bb, B, periodic, -1)
                    bp = _step_index(bb, B, periodic, 1)
                    row = (a * B + bb) * C
                    rbm = (a * B + bm) * C
                    rbp = (a * B + bp) * C
                    ram = (am * B + bb) * C
                    rap = (ap * B + bb) * C
                    for x in range((a + bb + color) % 2, C, 2):
                        i = row + x
                        ns = 0
                        if xm[x] >= 0:
                            ns += s[row + xm[x]]
                        if xp[x] >= 0:
                            ns += s[row + xp[x]]
                        if bm >= 0:
                            ns += s[rbm + x]
                        if bp >= 0:
                            ns += s[rbp + x]
                        if am >= 0:
                            ns += s[ram + x]
                        if ap >= 0:
                            ns += s[rap + x]
                        old = np.int64(s[i])
                        if tabulated:  # branch-free: store always, count changes
                            p = table[(old + 1) >> 1, ns + degree]
                            r, s0, s1, s2, s3 = next_u64_local(s0, s1, s2, s3)
                            f = np.int64(to_uniform(r) < p)
                            new = 2 * f - 1 if rule == GLAUBER else old - 2 * f * old
                            s[i] = new
                            count += new != old
                        else:
                            st[0], st[1], st[2], st[3] = s0, s1, s2, s3
                            new = _update(
                                rule, old, ns, i, J, bias, uniform_bias, table, degree, b, tol, st
                            )
                            s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
                            if new != old:
                                s[i] = new
                                count += 1
    st[0], st[1], st[2], st[3] = s0, s1, s2, s3
    return count


@njit(parallel=True, cache=True, nogil=True)
def lattice_checkerboard(
    S, dims, periodic, J, bias, uniform_bias, beta, rng, rule, tol, sweeps, flips
):
    """Checkerboard sweeps with neighbours by index arithmetic (no table), ``sweeps`` × N.

    Sites are visited colour 0 then colour 1, each in C order (the order of the generic
    kernel's checkerboard schedule: identical trajectories at T = 0). With a uniform bias
    at finite β the update is branch-free and draws one uniform per site, Metropolis
    included (accepted outright when ΔE <= 0, as u < 1).
    """
    K = S.shape[0]
    for kk in prange(K):
        k = np.int64(kk)
        flips[k] += _chain_checkerboard(
            S[k], dims, periodic, J, bias, uniform_bias, beta[k], rng[k], rule, tol, sweeps
        )


@njit(cache=True, nogil=True, inline="always")  # per row of a record: a call would count references
def _dot(s, a, b, m):
    """Σ_{x < m} s[a + x] s[b + x] (exact; a contiguous loop that vectorises)."""
    acc = 0
    for x in range(m):
        acc += np.int32(s[a + x]) * np.int32(s[b + x])
    return acc


@njit(cache=True, nogil=True)
def lattice_bonds(s, dims, periodic):
    """Σ_bonds S_i S_j by index arithmetic (no neighbour table), an exact integer: every
    bond once, from each site to its +1 neighbour along every axis (as :func:`_step_index`
    finds it), one contiguous product sum per row and axis (SIMD: ~0.2 ns per site)."""
    A, B, C = dims[0], dims[1], dims[2]
    bonds = 0
    for a in range(A):
        ap = _step_index(a, A, periodic, 1)
        for bb in range(B):
            bp = _step_index(bb, B, periodic, 1)
            row = (a * B + bb) * C
            bonds += _dot(s, row, row + 1, C - 1)
            if periodic and C > 1:
                bonds += np.int64(s[row + C - 1]) * s[row]
            if bp >= 0:
                bonds += _dot(s, row, (a * B + bp) * C, C)
            if ap >= 0:
                bonds += _dot(s, row, (ap * B + bb) * C, C)
    return bonds


@njit(cache=True, nogil=True)
def lattice_energy(s, dims, periodic, J, bias, uniform_bias):
    """E = −J Σ_bonds S_i S_j − Σ_i b_i S_i (:func:`lattice_bonds`; the bias term from the
    exact spin sum when the bias is uniform)."""
    e = -J * np.float64(lattice_bonds(s, dims, periodic))
    if uniform_bias:
        if bias[0] != 0.0:
            e -= bias[0] * np.float64(spin_sum(s))
    else:
        e -= bias_sum(s, bias)
    return e


@njit(parallel=True, cache=True, nogil=True)
def _checkerboard_records(
    S, dims, periodic, J, bias, uniform_bias, beta, rng, rule, tol, units, n_rec, every,
    E, MS, Q, rec0, flips,
):  # fmt: skip
    """The checkerboard mode of :func:`lattice_records`, compiled on its own: the sweep
    loop then runs as fast as in :func:`lattice_checkerboard` (~5 % faster than inside the
    kernel that also holds the other modes)."""
    for uu in prange(units.shape[0]):
        u = np.int64(uu)
        for r in range(n_rec):
            for w in range(2):
                k = units[u, w]
                if k < 0:
                    continue
                flips[k] += _chain_checkerboard(
                    S[k], dims, periodic, J, bias, uniform_bias, beta[k], rng[k], rule, tol, every
                )
                E[k, rec0 + r] = lattice_energy(S[k], dims, periodic, J, bias, uniform_bias)
                MS[k, rec0 + r] = spin_sum(S[k])
            if units[u, 1] >= 0:
                Q[units[u, 2], rec0 + r] = spin_product_sum(S[units[u, 0]], S[units[u, 1]])


@njit(parallel=True, cache=True, nogil=True)
def lattice_records(
    S, nbr, dims, periodic, J, bias, uniform_bias, beta, rng, order, schedule, mode, rule, tol,
    units, n_rec, every, E, MS, Q, rec0, flips,
):  # fmt: skip
    """``n_rec`` blocks of ``every`` sweeps per unit of chains, measured after each block
    (as :func:`statnn.dynamics.numba.dense.dense_records`). ``mode``: 0 single-site
    schedule, 1 synchronous, 2 checkerboard by index arithmetic.

    A record counts the bonds afresh (:func:`lattice_energy`: exact integers, ~3 µs for
    128² sites against ~75 µs for a checkerboard sweep). This is cheaper than carrying the
    bond sum from the flips: the per-site bookkeeping, (S_i' − S_i) n_i added in the
    branch-free checkerboard update, slowed that sweep by ~7 %."""
    if mode == 2:
        _checkerboard_records(
            S, dims, periodic, J, bias, uniform_bias, beta, rng, rule, tol, units, n_rec, every,
            E, MS, Q, rec0, flips,
        )  # fmt: skip
        return
    K, n = S.shape
    for uu in prange(units.shape[0]):
        u = np.int64(uu)
        perm = order_buffer(schedule, n)
        old_s = np.empty(n, dtype=np.int8)
        for r in range(n_rec):
            for w in range(2):
                k = units[u, w]
                if k < 0:
                    continue
                if mode == 1:
                    c = _chain_sync(
                        S[k], nbr, J, bias, uniform_bias, beta[k], rng[k], rule, tol, every, old_s
                    )
                else:
                    c = _chain_async(
                        S[k], nbr, J, bias, uniform_bias, beta[k], rng[k], order, schedule,
                        rule, tol, every, perm,
                    )  # fmt: skip
                flips[k] += c
                E[k, rec0 + r] = lattice_energy(S[k], dims, periodic, J, bias, uniform_bias)
                MS[k, rec0 + r] = spin_sum(S[k])
            if units[u, 1] >= 0:
                Q[units[u, 2], rec0 + r] = spin_product_sum(S[units[u, 0]], S[units[u, 1]])
