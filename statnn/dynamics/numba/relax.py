"""Relaxation to a fixed point, compiled: the loop under :func:`statnn.recall` / ``relax``.

Each chain k runs one sweep at a time, up to ``sweeps``, with the sweep function of its
representation (the same code, hence the same random draws, as ``Sampler.step``). After
sweep t:

* if t is one of the last ``window`` sweeps (t > sweeps − window), the chain's spins are
  added to ``sums[k]`` (int32; Σ_t S_i(t)) and, for the pattern form and the dense
  associative memory (whose kernels cache them), its exact overlaps M_μ = Σ_i ξ_i^μ S_i to
  ``osums[k]`` (int64) — the numerators of time averages (the caller passes an empty
  ``sums`` or ``osums`` for the one it does not want);
* at T = 0 (β = ∞), a sweep that flipped no spin ends the chain when the state is a fixed
  point of the zero-temperature rule, S_i h_i ≥ −tol for every i (a tie keeps the spin).
  A sweep that visits every site (sequential, permuted, checkerboard or synchronous) and
  flips none is itself that test; after a random-order sweep, which may miss sites, every
  field is checked (``check``), at the cost of one update's field per neuron: O(1) from
  the cached fields (dense J), O(P) from the cached overlaps or projections (pattern form,
  dense associative memory), O(degree) (sparse, lattice). ``done_at[k] = t`` then, and the
  chain does no further work.

Multi-spin coded lattices (:func:`multispin_relax`) run their checkerboard sweeps on the
packed words and unpack only the window sweeps' spins into ``sums``; with fewer chains
than threads on a long lattice their row blocks share the threads
(:func:`multispin_relax_split`), as in ``step``.

Chains are independent (``prange``), so the result does not depend on the threads.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from statnn.dynamics.numba.dense import _chain_async as dense_async
from statnn.dynamics.numba.dense import _chain_sync as dense_sync
from statnn.dynamics.numba.dense_memory import _chain_async as memory_async
from statnn.dynamics.numba.dense_memory import _chain_sync as memory_sync
from statnn.dynamics.numba.dense_memory import _field as memory_field
from statnn.dynamics.numba.lattice import _chain_async as lattice_async
from statnn.dynamics.numba.lattice import _chain_checkerboard as lattice_checkerboard
from statnn.dynamics.numba.lattice import _chain_sync as lattice_sync
from statnn.dynamics.numba.lattice import _neighbour_sum
from statnn.dynamics.numba.multispin import ROWS_PER_BLOCK, SCRATCH, n_blocks
from statnn.dynamics.numba.multispin import _block as multispin_block
from statnn.dynamics.numba.multispin import _chain_sweeps as multispin_sweeps
from statnn.dynamics.numba.patterns import _chain_async as pattern_async
from statnn.dynamics.numba.patterns import _chain_sync as pattern_sync
from statnn.dynamics.numba.patterns import _field as pattern_field
from statnn.dynamics.numba.patterns import dot_chunk
from statnn.dynamics.numba.schedule import order_buffer
from statnn.dynamics.numba.sparse import _chain_async as sparse_async
from statnn.dynamics.numba.sparse import _chain_sync as sparse_sync
from statnn.dynamics.numba.sparse import _field as sparse_field


@njit(cache=True, nogil=True)
def _add(target, row):
    """target += row, elementwise in the dtype of target (an empty target is skipped)."""
    for j in range(target.shape[0]):
        target[j] += row[j]


@njit(cache=True, nogil=True)
def _in_window(t, sweeps, window):
    return t > sweeps - window


@njit(parallel=True, cache=True, nogil=True)
def pattern_relax(
    S, M, xiT, scale, bias, beta, rng, order, schedule, sync, rule, tol,
    sweeps, window, check, sums, osums, done_at, ahead, slot, probs, half,
):  # fmt: skip
    """Pattern form: the field of neuron i from the cached overlaps, O(P) per neuron
    (``ahead``: prefetch the next site's pattern row; ``slot``, ``probs``, ``half``: the
    probability tables; both as ``pattern_sweeps``)."""
    K, n = S.shape
    p = xiT.shape[1]
    chunk = dot_chunk(n, M.itemsize)
    for kk in prange(K):
        k = np.int64(kk)
        perm = order_buffer(schedule, n)
        new = np.empty(n, dtype=np.int8)
        zero = math.isinf(beta[k])
        s = S[k]
        m = M[k]
        for t in range(1, sweeps + 1):
            if sync is not None and sync:
                c = pattern_sync(
                    s, m, xiT, scale, bias, beta[k], rng[k], rule, tol, 1, new, probs, slot[k],
                    half,
                )  # fmt: skip
            else:
                c = pattern_async(
                    s, m, xiT, scale, bias, beta[k], rng[k], order, schedule, rule, tol, 1, perm,
                    ahead, probs, slot[k], half,
                )  # fmt: skip
            if _in_window(t, sweeps, window):
                _add(sums[k], s)
                _add(osums[k], m)
            if zero and c == 0:
                stable = True
                if check:
                    for i in range(n):
                        h = pattern_field(m, xiT, i, np.int64(s[i]), scale, p, bias[i], chunk)
                        if s[i] * h < -tol:
                            stable = False
                            break
                if stable:
                    done_at[k] = t
                    break


@njit(parallel=True, cache=True, nogil=True)
def dense_relax(
    S, H, JT, bias, beta, rng, order, schedule, sync, rule, tol, done, refresh,
    sweeps, window, check, sums, done_at,
):  # fmt: skip
    """Dense J: the fields are the cached ones the updates read, O(1) per neuron to check."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        perm = order_buffer(schedule, n)
        acc = np.empty(n)
        new = np.empty(n, dtype=np.int8)
        zero = math.isinf(beta[k])
        s = S[k]
        h = H[k]
        for t in range(1, sweeps + 1):
            clock = done + t - 1
            if sync is not None and sync:
                c = dense_sync(
                    s, h, JT, bias, beta[k], rng[k], rule, tol, 1, clock, refresh, new, acc
                )
            else:
                c = dense_async(
                    s, h, JT, bias, beta[k], rng[k], order, schedule, rule, tol, 1, clock,
                    refresh, perm, acc,
                )  # fmt: skip
            if _in_window(t, sweeps, window):
                _add(sums[k], s)
            if zero and c == 0:
                stable = True
                if check:
                    for i in range(n):
                        if s[i] * np.float64(h[i]) < -tol:
                            stable = False
                            break
                if stable:
                    done_at[k] = t
                    break


@njit(parallel=True, cache=True, nogil=True)
def sparse_relax(
    S, indptr, indices, data, bias, beta, rng, order, schedule, sync, rule, tol,
    sweeps, window, check, sums, done_at,
):  # fmt: skip
    """Sparse CSR J: fields summed afresh, O(degree) per neuron to check."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        perm = order_buffer(schedule, n)
        new = np.empty(n, dtype=np.int8)
        zero = math.isinf(beta[k])
        s = S[k]
        for t in range(1, sweeps + 1):
            if sync is not None and sync:
                c = sparse_sync(s, indptr, indices, data, bias, beta[k], rng[k], rule, tol, 1, new)
            else:
                c, _, _ = sparse_async(
                    s, indptr, indices, data, bias, beta[k], rng[k], order, schedule, rule, tol,
                    1, perm, False, 0.0, 0, 1,
                )  # fmt: skip
            if _in_window(t, sweeps, window):
                _add(sums[k], s)
            if zero and c == 0:
                stable = True
                if check:
                    for i in range(n):
                        h = sparse_field(s, i, indptr, indices, data, bias[i])
                        if s[i] * h < -tol:
                            stable = False
                            break
                if stable:
                    done_at[k] = t
                    break


@njit(parallel=True, cache=True, nogil=True)
def lattice_relax(
    S, nbr, dims, periodic, J, bias, uniform_bias, beta, rng, order, schedule, mode, rule, tol,
    sweeps, window, check, sums, done_at,
):  # fmt: skip
    """Lattice, one site at a time (``mode`` 0 single-site schedule, 1 synchronous,
    2 checkerboard by index arithmetic); the check reads the neighbour table (mode 0)."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        perm = order_buffer(schedule, n)
        old_s = np.empty(n, dtype=np.int8)
        zero = math.isinf(beta[k])
        s = S[k]
        for t in range(1, sweeps + 1):
            if mode == 2:
                c = lattice_checkerboard(
                    s, dims, periodic, J, bias, uniform_bias, beta[k], rng[k], rule, tol, 1
                )
            elif mode == 1:
                c = lattice_sync(
                    s, nbr, J, bias, uniform_bias, beta[k], rng[k], rule, tol, 1, old_s
                )
            else:
                c = lattice_async(
                    s, nbr, J, bias, uniform_bias, beta[k], rng[k], order, schedule, rule, tol,
                    1, perm,
                )  # fmt: skip
            if _in_window(t, sweeps, window):
                _add(sums[k], s)
            if zero and c == 0:
                stable = True
                if check:
                    for i in range(n):
                        h = J * _neighbour_sum(s, nbr, i) + bias[i]
                        if s[i] * h < -tol:
                            stable = False
                            break
                if stable:
                    done_at[k] = t
                    break


@njit(parallel=True, cache=True, nogil=True)
def dense_memory_relax(
    S, M, xiT, kind, coeffs, degree, inv, table, beta_f, bias, beta, rng, order, schedule, sync,
    rule, tol, sweeps, window, check, sums, osums, done_at,
):  # fmt: skip
    """Dense associative memory: the field of neuron i from the cached exact projections
    M_μ = ξ^μ · S, O(P) per neuron (as the updates read it), summed in ``osums`` like the
    pattern form's overlaps (arguments ``xiT`` … ``beta_f`` as
    :func:`~statnn.dynamics.numba.dense_memory.dense_memory_sweeps`)."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        perm = order_buffer(schedule, n)
        new = np.empty(n, dtype=np.int8)
        zero = math.isinf(beta[k])
        s = S[k]
        m = M[k]
        for t in range(1, sweeps + 1):
            if sync:
                c = memory_sync(
                    s, m, xiT, kind, coeffs, degree, inv, table, beta_f, bias, beta[k], rng[k],
                    rule, tol, 1, new,
                )  # fmt: skip
            else:
                c = memory_async(
                    s, m, xiT, kind, coeffs, degree, inv, table, beta_f, bias, beta[k], rng[k],
                    order, schedule, rule, tol, 1, perm,
                )  # fmt: skip
            if _in_window(t, sweeps, window):
                _add(sums[k], s)
                _add(osums[k], m)
            if zero and c == 0:
                stable = True
                if check:
                    for i in range(n):
                        h = memory_field(
                            kind, m, xiT[i], np.int64(s[i]), coeffs, degree, inv, table, beta_f, n
                        ) + bias[i]  # fmt: skip
                        if s[i] * h < -tol:
                            stable = False
                            break
                if stable:
                    done_at[k] = t
                    break


@njit(cache=True, nogil=True)
def _add_packed(target, P, k, B, C, r0, r1):
    """target[r·C + x] += S_x of row r for rows r0 … r1 − 1 of chain k of the packed words
    ``P`` (the layout of :func:`statnn.dynamics.numba.multispin.unpack`)."""
    one = np.uint64(1)
    for r in range(r0, r1):
        a = r // B
        y = r - a * B
        base = r * C
        for x in range(C):
            kb = x >> 1
            bit = (P[k, (a + y + x) & 1, r, kb >> 6] >> np.uint64(kb & 63)) & one
            target[base + x] += np.int32(2 * np.int64(bit) - 1)


@njit(parallel=True, cache=True, nogil=True)
def multispin_relax(
    P, rng, rows_at, A, B, C, n, aligned, glauber, rcls, rgrp, cnt, dcls, tb, beta,
    sweeps, window, sums, done_at,
):  # fmt: skip
    """Multi-spin coded checkerboard lattice: ``P`` the packed words (K, 2, rows, words),
    ``rng`` the (K, rows, 4) row streams, chain k with the probability tables of row k
    (``rows_at``, ``rcls`` … ``tb`` as
    :func:`~statnn.dynamics.numba.multispin.msc_sweeps_chains`).
    A checkerboard sweep visits every site, so a T = 0 sweep without a flip is a fixed point;
    the window sums unpack the words. Each thread runs whole chains."""
    K = P.shape[0]
    for kk in prange(K):
        k = np.int64(kk)
        W = np.empty(SCRATCH, dtype=np.uint64)
        zero = math.isinf(beta[k])
        for t in range(1, sweeps + 1):
            c = multispin_sweeps(
                P, rng, rows_at, k, A, B, n, aligned, glauber,
                rcls[k], rgrp[k], cnt[k], dcls[k], tb[k], 1, W,
            )  # fmt: skip
            if _in_window(t, sweeps, window) and sums.shape[1]:
                _add_packed(sums[k], P, k, B, C, 0, P.shape[2])
            if zero and c == 0:
                done_at[k] = t
                break


@njit(parallel=True, cache=True, nogil=True)
def multispin_relax_split(
    P, rng, rows_at, A, B, C, n, aligned, glauber, rcls, rgrp, cnt, dcls, tb, beta,
    sweeps, window, sums, done_at,
):  # fmt: skip
    """:func:`multispin_relax` for fewer chains than threads: every half-sweep runs the
    (chain, row block) pairs of the chains still running in parallel, as
    :func:`~statnn.dynamics.numba.multispin.msc_sweeps_blocks` (each row draws from its
    own stream, so the result is that of :func:`multispin_relax` bit for bit); the window
    sums unpack by row block too."""
    K, _, rows, nw = P.shape
    nblocks = n_blocks(rows)
    ks = np.empty(K, dtype=np.int64)
    made = np.zeros(K * nblocks, dtype=np.int64)
    for t in range(1, sweeps + 1):
        M = 0
        for k in range(K):
            if done_at[k] < 0:
                ks[M] = k
                M += 1
        if M == 0:
            break
        made[:] = 0
        tasks = M * nblocks
        for color in range(2):
            for tt in prange(tasks):
                m = np.int64(tt) // nblocks
                q = np.int64(tt) - m * nblocks
                k = ks[m]
                W = np.empty(SCRATCH, dtype=np.uint64)
                made[tt] += multispin_block(
                    P, k, color, q, A, B, n, nw, aligned, glauber,
                    rcls[k], rgrp[k], cnt[k], dcls[k], tb[k], rng[k], W, rows_at,
                )  # fmt: skip
        if _in_window(t, sweeps, window) and sums.shape[1]:
            for tt in prange(tasks):
                m = np.int64(tt) // nblocks
                q = np.int64(tt) - m * nblocks
                r0 = q * ROWS_PER_BLOCK
                _add_packed(sums[ks[m]], P, ks[m], B, C, r0, min(rows, r0 + ROWS_PER_BLOCK))
        for m in range(M):
            k = ks[m]
            if math.isinf(beta[k]):
                c = 0
                for q in range(nblocks):
                    c += made[m * nblocks + q]
                if c == 0:
                    done_at[k] = t
