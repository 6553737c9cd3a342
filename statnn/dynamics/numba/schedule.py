"""Pieces shared by the per-chain sweep drivers of the numba kernels.

Every coupling representation (dense, pattern form, sparse CSR, lattice) runs the same
asynchronous driver: per sweep, N update attempts at sites drawn by the schedule —

* ``RANDOM``: i uniform in [0, N) (one :func:`~statnn.dynamics.numba.rng.bounded` draw
  per attempt);
* ``FIXED``: the site order given (sequential 0 … N−1, or checkerboard colours);
* ``PERMUTED``: a fresh uniform permutation per sweep (one Fisher–Yates shuffle per sweep);

and differs only in how it reads the local field and what it updates after a flip. The
helpers here are ordinary compiled functions, which LLVM inlines into the kernels where
they are small (a shuffle stays one call per sweep); :func:`site` and :func:`next_site`,
which take arrays and run per update, are inlined by numba (``inline="always"``: a call
costs a reference count increment and decrement per update; numba's inlining re-types the
callee in every caller and costs compile time). Either way the kernels draw the same random
numbers in the same order.

The row helpers :func:`add_row_twice` and :func:`signed_row_sum` serve both caches that are
linear in the spins: dense fields (rows = columns of J) and pattern overlaps (rows =
patterns of one neuron).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from statnn.dynamics.numba.rng import bounded, next_u64_local, shuffle

_U32 = np.uint64(32)

RANDOM = 0
FIXED = 1  # the site order given (sequential: 0..N-1, or the checkerboard colours)
PERMUTED = 2
SCHEDULE_CODES = {"random": RANDOM, "sequential": FIXED, "permuted": PERMUTED}


@njit(cache=True, nogil=True)
def order_buffer(schedule, n):
    """The per-chain permutation buffer: n sites for ``PERMUTED``, empty otherwise."""
    return np.empty(n if schedule == PERMUTED else 0, dtype=np.int64)


@njit(cache=True, nogil=True)
def start_sweep(schedule, perm, st):
    """At the start of a sweep: a fresh permutation for ``PERMUTED`` (draws from ``st``)."""
    if schedule == PERMUTED:
        shuffle(perm, st)


@njit(cache=True, nogil=True, inline="always")
def site(schedule, t, n, order, perm, st):
    """The site of attempt t of a sweep (``RANDOM`` draws it from ``st``)."""
    if schedule == RANDOM:
        return bounded(st, n)
    if schedule == FIXED:
        return order[t]
    return perm[t]


@njit(cache=True, nogil=True)
def add_row_twice(target, row, new):
    """target += 2 · new · row, in the dtype of target (2x is exact: row + row, no product)."""
    if new > 0:
        for j in range(target.shape[0]):
            target[j] += row[j] + row[j]
    else:
        for j in range(target.shape[0]):
            target[j] -= row[j] + row[j]


@njit(cache=True, nogil=True)
def signed_row_sum(acc, s, rows):
    """acc += Σ_j s_j · rows[j] for spins s_j = ±1, row by row in order j = 0, 1, …

    The inner loop over the entries of a row vectorises without reordering any sum.
    """
    m = acc.shape[0]
    for j in range(s.shape[0]):
        row = rows[j]
        if s[j] > 0:
            for i in range(m):
                acc[i] += row[i]
        else:
            for i in range(m):
                acc[i] -= row[i]


@njit(cache=True, nogil=True, inline="always")
def next_site(schedule, t, n, order, perm, st, gap, d):
    """A guess of the site of attempt t + d, made without drawing from ``st``.

    ``FIXED`` / ``PERMUTED``: the entry d further in the order (wrapping to the start of the
    sweep, which for ``PERMUTED`` is not drawn yet). ``RANDOM``: the site that
    :func:`bounded` will return if ``gap`` outputs are drawn after each site (one uniform
    per Glauber update at finite β, none at T = 0), computed on a copy of the stream's state
    and ignoring Lemire's rare rejection. A wrong guess only wastes a prefetch.
    """
    if schedule == RANDOM:
        s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
        for _ in range(d * (gap + 1) - 1):
            _, s0, s1, s2, s3 = next_u64_local(s0, s1, s2, s3)
        x, s0, s1, s2, s3 = next_u64_local(s0, s1, s2, s3)
        return np.int64(((x >> _U32) * np.uint64(n)) >> _U32)
    j = t + d if t + d < n else t + d - n
    return order[j] if schedule == FIXED else perm[j]
