"""The ``numba`` backend: multi-threaded CPU kernels with cached fields and per-chain RNG.

Chains (temperature slots × replicas, flattened to K = n_T · chains) run in parallel with
``prange``; each owns a xoshiro256** stream seeded from ``seed.spawn(K)``, so the same
seed gives the same result whatever the number of threads. Each coupling representation
is one module of ``@njit`` kernels and one :class:`Representation` adapter registered in
:data:`KERNELS` (the first whose ``accepts`` is true runs a network):

======================  ==========================================  =====================
adapter                 cost of one update (rejected / accepted)    module
======================  ==========================================  =====================
``Dense`` f32 / f64     O(1) / O(N), cached fields, periodic refresh  ``dense``
``Patterns`` (Hebbian)  O(P) / O(P), cached integer overlaps          ``patterns``
``DenseMemory``         O(P) / O(P), cached integer projections       ``dense_memory``
``Sparse`` CSR          O(degree) / O(degree), no cache               ``sparse``
``Lattice`` 1–3 D       O(d), tabulated probabilities                 ``lattice``
``Multispin``           64 spins per word (checkerboard lattices)     ``multispin``
======================  ==========================================  =====================

Checkerboard sweeps use multi-spin coding when :func:`.multispin.multispin_applies` says so
(periodic, even sides, one bias value, C/2 ≤ 64 or a multiple of 64) unless
``backend_options={"multispin": False}``; ``NumbaKernel.multispin`` tells which path a
kernel runs. Kernels are compiled on first use (and cached on disk), so a call compiles
only what it runs.
The sampler state keeps each adapter's own form of the chains (packed words, or int8
spins with their cache) between calls; :meth:`NumbaKernel.record` runs ``simulate``'s
whole record loop compiled (measurements in :mod:`.measure`; the lock-step loop of parallel
tempering in :mod:`.temper`), :meth:`NumbaKernel.relax`
the fixed-point loop of ``recall`` / ``relax`` (:mod:`.relax`).

The update rule and the random draws are described in :mod:`statnn.dynamics.numba.rules`
and :mod:`statnn.dynamics.numba.rng`. Threads: :func:`set_num_threads`, or the environment
variable ``STATNN_NUM_THREADS`` read when this module is first imported (default: numba's,
one per core); see :mod:`statnn.dynamics.numba.threads`.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

import statnn.dynamics.numba.compile_notice  # noqa: F401  (before the kernels compile)
import statnn.dynamics.numba.threads as numba_threads  # first: sets OMP_WAIT_POLICY before numba starts threads
from statnn._validation import check_int, param_error
from statnn.core.couplings import (
    DenseCouplings,
    LatticeCouplings,
    PatternCouplings,
    SparseCouplings,
)
from statnn.core.dense_memory import DenseMemoryCouplings
from statnn.dynamics.backends import Records, Relaxed, SamplerState, check_numpy_spins
from statnn.dynamics.numba.dense import (
    dense_fields,
    dense_records,
    dense_sweeps,
    dense_synchronous,
)
from statnn.dynamics.numba.dense_memory import (
    DenseMemoryArrays,
    dense_memory_records,
    dense_memory_sweeps,
    dense_memory_synchronous,
)
from statnn.dynamics.numba.lattice import (
    lattice_checkerboard,
    lattice_records,
    lattice_sweeps,
    lattice_synchronous,
)
from statnn.dynamics.numba.multispin import (
    MAXQ,
    geometry,
    msc_records,
    msc_records_split,
    msc_sweeps_blocks,
    msc_sweeps_chains,
    multispin_applies,
    pack,
    row_table,
    seed_row_states,
    tables,
    unpack,
)
from statnn.dynamics.numba.patterns import (
    overlap_dtype,
    pattern_overlaps,
    pattern_records,
    pattern_sweeps,
    pattern_synchronous,
    prefetch_pays,
    probability_tables,
    probability_window,
)
from statnn.dynamics.numba.relax import (
    dense_memory_relax,
    dense_relax,
    lattice_relax,
    multispin_relax,
    multispin_relax_split,
    pattern_relax,
    sparse_relax,
)
from statnn.dynamics.numba.rng import seed_states
from statnn.dynamics.numba.rules import RULE_CODES
from statnn.dynamics.numba.schedule import FIXED, RANDOM, SCHEDULE_CODES
from statnn.dynamics.numba.sparse import REFRESH as SPARSE_REFRESH
from statnn.dynamics.numba.sparse import (
    sparse_energies,
    sparse_records,
    sparse_sweeps,
    sparse_synchronous,
)
from statnn.dynamics.numba.temper import (
    DenseBlock,
    DenseMemoryBlock,
    LatticeBlock,
    MultispinBlock,
    PatternBlock,
    SparseBlock,
    lockstep_records,
)

set_num_threads = numba_threads.set_num_threads
get_num_threads = numba_threads.get_num_threads

#: Sweeps between two recomputations of the cached dense fields, per dtype: float32 keeps
#: the accumulated rounding error below 1e-4, float64 far below. Override per call with
#: ``backend_options={"field_refresh": n}``.
REFRESH = {np.dtype(np.float32): 20, np.dtype(np.float64): 1000}

#: The options ``backend_options=`` may hold for this backend, with their meaning.
OPTIONS = {
    "multispin": "bool: multi-spin coding for checkerboard sweeps where it applies (default True)",
    "field_refresh": "int >= 1: sweeps between recomputations of cached dense fields "
    "(default 20 for float32, 1000 for float64)",
}


#: The neighbour-table argument of kernels that never read it.
_NO_NEIGHBOURS = np.empty((0, 0), dtype=np.int64)

#: The order argument of kernels that find their sites by index arithmetic.
_NO_ORDER = np.empty(0, dtype=np.int64)

#: The carried-energy argument of sparse kernels that carry none.
_NO_ENERGY = np.empty(0, dtype=np.float64)


def _sync(kernel):
    """The ``sync`` argument of the records and relax kernels: True for synchronous sweeps,
    None for single-neuron ones. numba compiles a kernel per argument type and drops the
    branches that test ``sync is not None`` when it is None, so a single-neuron run never
    compiles the synchronous loops (about half the first-call compile time)."""
    return True if kernel.schedule == "synchronous" else None


# -- representations -----------------------------------------------------------------------------
def _per_state(flat, compute):
    """``compute(flat)`` for (K, N) spins, run on the distinct rows only and copied out.

    Chains often start alike (recall repeats each cue at every temperature; ``'ones'``);
    ``compute`` must work chain by chain, so that a row's result does not depend on the
    rows computed with it. Returns a new (K, …) array, one row per chain.
    """
    first: dict[bytes, int] = {}
    inverse = np.fromiter(
        (first.setdefault(row.tobytes(), len(first)) for row in flat), np.int64, len(flat)
    )
    if len(first) == len(flat):
        return compute(flat)
    distinct = np.ascontiguousarray(flat[np.unique(inverse, return_index=True)[1]])
    return compute(distinct)[inverse]


class Representation:
    """How one coupling representation runs in the numba backend.

    An adapter owns the arrays its compiled kernels read, the backend's own form of the
    chains' state (``encode`` / ``decode``) and two calls: ``sweep`` (the raw kernel) and
    ``records`` (sweeps with measurements after every block, see :meth:`NumbaKernel.record`);
    most also have ``relax`` (:meth:`NumbaKernel.relax`).
    ``accepts`` tells whether it serves a network and schedule. Subclasses are registered in
    :data:`KERNELS`; the first that accepts is used.
    """

    packed = False  # the state holds packed words, not int8 spins

    def __init__(self, kernel):
        self.kernel = kernel

    @classmethod
    def accepts(cls, kernel, net, schedule) -> bool:
        raise NotImplementedError

    # native state: int8 spins (n_T, chains, n) and a cache; rng (K, 4)
    def encode(self, spins):
        spins = np.ascontiguousarray(spins, dtype=np.int8).copy()
        return spins, self.fresh_cache(spins.reshape(-1, spins.shape[-1]))

    def fresh_cache(self, flat):
        return None

    def cache_layout(self, K):
        """(shape, dtype) of the cache of K chains, or None where none is kept."""
        return None

    def decode(self, native) -> np.ndarray:
        return native.copy()

    def seed(self, seed, count):
        return seed_states(seed, count)

    def flat(self, native):
        return native.reshape(-1, native.shape[-1])

    def n_overlaps(self) -> int:
        return 0

    def prepare(self, betas):
        """Per-temperature tables the records kernel reads (none by default)."""
        return None

    def block(self, native, cache, tables):
        """The fixed arguments of this representation's records driver for the compiled
        lock-step loop (a named tuple of :mod:`statnn.dynamics.numba.temper`); ``tables``
        is what :meth:`prepare` returned for the ladder."""
        raise NotImplementedError

    def block_threads(self, K):
        """The pieces of parallel work of one block of K single chains."""
        return K


class Dense(Representation):
    """Dense float32/float64 J with cached fields H = J S + b (:mod:`.dense`)."""

    @classmethod
    def accepts(cls, kernel, net, schedule):
        return isinstance(net.couplings, DenseCouplings)

    def __init__(self, kernel):
        super().__init__(kernel)
        c = kernel.net.couplings
        self.J = c.J
        self.JT = self.J if c.symmetric else np.ascontiguousarray(self.J.T)
        refresh = kernel.field_refresh
        self.refresh = REFRESH[self.J.dtype] if refresh is None else refresh

    def cache_layout(self, K):
        return (K, self.kernel.net.n), self.J.dtype

    def fresh_cache(self, flat):
        """H = S Jᵀ + b per chain, O(N²) each, once per distinct state (:func:`_per_state`)."""

        def fields(S):
            H = np.empty(S.shape, dtype=self.J.dtype)
            dense_fields(S, H, self.JT, self.kernel.bias)
            return H

        return _per_state(flat, fields)

    def sweep(self, native, cache, beta, rng, sweeps, done, flips):
        k = self.kernel
        S = self.flat(native)
        if k.schedule == "synchronous":
            dense_synchronous(
                S,
                cache,
                self.JT,
                k.bias,
                beta,
                rng,
                k.rule,
                k.tol,
                sweeps,
                done,
                self.refresh,
                flips,
            )
        else:
            dense_sweeps(
                S, cache, self.JT, k.bias, beta, rng, k.order, k.code, k.rule, k.tol, sweeps, done,
                self.refresh, flips,
            )  # fmt: skip

    def records(self, native, cache, beta, rng, done, units, n_rec, every, rec, flips, tables):
        k = self.kernel
        E, MS, O, Q, rec0 = rec
        dense_records(
            self.flat(native), cache, self.JT, k.bias, beta, rng, k.order, k.code,
            _sync(k), k.rule, k.tol, done, self.refresh,
            units, n_rec, every, E, MS, Q, rec0, flips,
        )  # fmt: skip

    def block(self, native, cache, tables):
        k = self.kernel
        return DenseBlock(
            self.flat(native), cache, self.JT, k.bias, k.order, k.code, _sync(k), k.rule, k.tol,
            self.refresh,
        )  # fmt: skip

    def relax(self, native, cache, beta, rng, done, sweeps, window, check, sums, osums, done_at):
        k = self.kernel
        dense_relax(
            self.flat(native), cache, self.JT, k.bias, beta, rng, k.order, k.code,
            _sync(k), k.rule, k.tol, done, self.refresh,
            sweeps, window, check, sums, done_at,
        )  # fmt: skip


class Patterns(Representation):
    """Hebbian pattern form with cached exact overlaps M = ξ S (:mod:`.patterns`)."""

    @classmethod
    def accepts(cls, kernel, net, schedule):
        return isinstance(net.couplings, PatternCouplings)

    def __init__(self, kernel):
        super().__init__(kernel)
        c = kernel.net.couplings
        self.xiT = c.patterns_t  # the (N, P) table as stored: no copy
        self.scale = float(c.scale)
        self.biased = bool(np.any(kernel.bias != 0.0))
        self.uniform_bias = kernel.net.uniform_bias is not None
        self.ahead = prefetch_pays(self.xiT, kernel.schedule)
        self._tables = None  # (ladder bytes, probability tables, half-width)

    def cache_layout(self, K):
        return (K, self.xiT.shape[1]), overlap_dtype(self.kernel.net.n)

    def fresh_cache(self, flat):
        """M = S ξᵀ per chain, O(N P) each, once per distinct state (:func:`_per_state`)."""

        def overlaps(S):
            M = np.empty((S.shape[0], self.xiT.shape[1]), dtype=overlap_dtype(self.kernel.net.n))
            pattern_overlaps(S, M, self.xiT)
            return M

        return _per_state(flat, overlaps)

    def n_overlaps(self):
        return self.xiT.shape[1]

    def prepare(self, betas):
        """(probs, half): the memoised outcome probabilities of these temperatures
        (:func:`~statnn.dynamics.numba.patterns.probability_tables`). Kept while the ladder
        stays the same, so that what one call fills serves the next."""
        betas = np.asarray(betas, dtype=np.float64)
        key = betas.tobytes()
        if self._tables is None or self._tables[0] != key:
            n, p = self.xiT.shape
            half = probability_window(betas, self.scale, n, p, self.uniform_bias)
            self._tables = (key, probability_tables(betas, self.kernel.rule, half), half)
        return self._tables[1], self._tables[2]

    def _ladder(self, beta):
        """(slot, (probs, half)) for chains in temperature order (β repeated per chain)."""
        chains = self.kernel.shape[1]
        ladder = beta[::chains]
        if not np.array_equal(np.repeat(ladder, chains), beta):
            raise RuntimeError("pattern kernel: chains are not in temperature order")
        return np.arange(beta.shape[0], dtype=np.int64) // chains, self.prepare(ladder)

    def sweep(self, native, cache, beta, rng, sweeps, done, flips):
        k = self.kernel
        S = self.flat(native)
        slot, (probs, half) = self._ladder(beta)
        if k.schedule == "synchronous":
            pattern_synchronous(
                S, cache, self.xiT, self.scale, k.bias, beta, rng, k.rule, k.tol, sweeps, flips,
                slot, probs, half,
            )  # fmt: skip
        else:
            pattern_sweeps(
                S, cache, self.xiT, self.scale, k.bias, beta, rng, k.order, k.code, k.rule, k.tol,
                sweeps, flips, self.ahead, slot, probs, half,
            )  # fmt: skip

    def records(self, native, cache, beta, rng, done, units, n_rec, every, rec, flips, tables):
        k = self.kernel
        E, MS, O, Q, rec0 = rec
        slot, (probs, half) = tables
        pattern_records(
            self.flat(native), cache, self.xiT, self.scale, k.bias, self.biased, beta, rng,
            k.order, k.code, _sync(k), k.rule, k.tol,
            units, n_rec, every, E, MS, O, Q, rec0, flips, self.ahead, slot, probs, half,
        )  # fmt: skip

    def block(self, native, cache, tables):
        k = self.kernel
        probs, half = tables
        return PatternBlock(
            self.flat(native), cache, self.xiT, self.scale, k.bias, self.biased, k.order, k.code,
            _sync(k), k.rule, k.tol, self.ahead, probs, half,
        )  # fmt: skip

    def relax(self, native, cache, beta, rng, done, sweeps, window, check, sums, osums, done_at):
        k = self.kernel
        slot, (probs, half) = self._ladder(beta)
        pattern_relax(
            self.flat(native), cache, self.xiT, self.scale, k.bias, beta, rng, k.order, k.code,
            _sync(k), k.rule, k.tol, sweeps, window, check, sums, osums,
            done_at, self.ahead, slot, probs, half,
        )  # fmt: skip


class Sparse(Representation):
    """scipy CSR couplings, fields summed per update (:mod:`.sparse`).

    With exactly symmetric J and a single-neuron schedule the state caches each chain's
    energy (K,), carried from the flips and refreshed every :data:`.sparse.REFRESH` sweeps
    of the run, so records read it in O(1).
    """

    @classmethod
    def accepts(cls, kernel, net, schedule):
        return isinstance(net.couplings, SparseCouplings)

    def __init__(self, kernel):
        super().__init__(kernel)
        J = kernel.net.couplings.J
        self.csr = (
            J.indptr.astype(np.int64),
            J.indices.astype(np.int64),
            np.ascontiguousarray(J.data, dtype=np.float64),
        )
        symmetric = (J != J.T).nnz == 0
        self.track = symmetric and kernel.schedule != "synchronous"

    def cache_layout(self, K):
        return ((K,), np.dtype(np.float64)) if self.track else None

    def fresh_cache(self, flat):
        if not self.track:
            return None
        energy = np.empty(flat.shape[0])
        sparse_energies(flat, *self.csr, self.kernel.bias, energy)
        return energy

    def _energy(self, cache):
        return cache if self.track else _NO_ENERGY

    def sweep(self, native, cache, beta, rng, sweeps, done, flips):
        k = self.kernel
        S = self.flat(native)
        if k.schedule == "synchronous":
            sparse_synchronous(S, *self.csr, k.bias, beta, rng, k.rule, k.tol, sweeps, flips)
        else:
            sparse_sweeps(
                S, *self.csr, k.bias, beta, rng, k.order, k.code, k.rule, k.tol, sweeps, flips,
                self._energy(cache), done, SPARSE_REFRESH,
            )  # fmt: skip

    def records(self, native, cache, beta, rng, done, units, n_rec, every, rec, flips, tables):
        k = self.kernel
        E, MS, O, Q, rec0 = rec
        sparse_records(
            self.flat(native), *self.csr, k.bias, beta, rng, k.order, k.code,
            _sync(k), k.rule, k.tol, self._energy(cache), done,
            SPARSE_REFRESH, units, n_rec, every, E, MS, Q, rec0, flips,
        )  # fmt: skip

    def block(self, native, cache, tables):
        k = self.kernel
        return SparseBlock(
            self.flat(native), *self.csr, k.bias, k.order, k.code, _sync(k), k.rule, k.tol,
            self._energy(cache), SPARSE_REFRESH,
        )  # fmt: skip

    def relax(self, native, cache, beta, rng, done, sweeps, window, check, sums, osums, done_at):
        k = self.kernel
        sparse_relax(
            self.flat(native), *self.csr, k.bias, beta, rng, k.order, k.code,
            _sync(k), k.rule, k.tol, sweeps, window, check, sums, done_at,
        )  # fmt: skip


class Lattice(Representation):
    """Nearest-neighbour lattice, one spin at a time (:mod:`.lattice`)."""

    @classmethod
    def accepts(cls, kernel, net, schedule):
        return isinstance(net.couplings, LatticeCouplings)

    def __init__(self, kernel):
        super().__init__(kernel)
        c = kernel.net.couplings
        self.J = float(c.J)
        self.uniform_bias = kernel.net.uniform_bias is not None
        self.dims = np.array((1,) * (3 - c.ndim) + c.shape, dtype=np.int64)
        self.periodic = bool(c.periodic)
        self.mode = {"synchronous": 1, "checkerboard": 2}.get(kernel.schedule, 0)
        # only the single-site and synchronous kernels read a neighbour table (built on
        # demand, memory checked); checkerboard sweeps and the energy use index arithmetic
        self.nbr = (
            _NO_NEIGHBOURS if self.mode == 2 else np.ascontiguousarray(c.neighbours, dtype=np.int64)
        )

    def sweep(self, native, cache, beta, rng, sweeps, done, flips):
        k = self.kernel
        S = self.flat(native)
        common = (self.J, k.bias, self.uniform_bias, beta, rng)
        if self.mode == 2:
            lattice_checkerboard(S, self.dims, self.periodic, *common, k.rule, k.tol, sweeps, flips)
        elif self.mode == 1:
            lattice_synchronous(S, self.nbr, *common, k.rule, k.tol, sweeps, flips)
        else:
            lattice_sweeps(S, self.nbr, *common, k.order, k.code, k.rule, k.tol, sweeps, flips)

    def records(self, native, cache, beta, rng, done, units, n_rec, every, rec, flips, tables):
        k = self.kernel
        E, MS, O, Q, rec0 = rec
        lattice_records(
            self.flat(native), self.nbr, self.dims, self.periodic, self.J, k.bias,
            self.uniform_bias, beta, rng, k.order, k.code, self.mode, k.rule, k.tol,
            units, n_rec, every, E, MS, Q, rec0, flips,
        )  # fmt: skip

    def block(self, native, cache, tables):
        k = self.kernel
        return LatticeBlock(
            self.flat(native), self.nbr, self.dims, self.periodic, self.J, k.bias,
            self.uniform_bias, k.order, k.code, self.mode, k.rule, k.tol,
        )  # fmt: skip

    def relax(self, native, cache, beta, rng, done, sweeps, window, check, sums, osums, done_at):
        k = self.kernel
        lattice_relax(
            self.flat(native), self.nbr, self.dims, self.periodic, self.J, k.bias,
            self.uniform_bias, beta, rng, k.order, k.code, self.mode, k.rule, k.tol,
            sweeps, window, check and self.mode == 0, sums, done_at,
        )  # fmt: skip


class Multispin(Representation):
    """Checkerboard sweeps of a periodic lattice with 64 spins per word (:mod:`.multispin`).

    The state holds the packed words (K, 2, rows, words) between calls; spins are unpacked
    only when asked for. ``modes`` are the two parallel layouts of the raw kernel.
    """

    packed = True
    modes = {"chains": msc_sweeps_chains, "blocks": msc_sweeps_blocks}
    #: Fewer chains than threads split each half-sweep between the threads (by row blocks)
    #: when the chains' half-sweep holds at least this many 64-spin words: a shorter one
    #: takes less time than the threads' fork and join.
    split_min_words = 8192

    @classmethod
    def accepts(cls, kernel, net, schedule):
        c = net.couplings
        wanted = kernel.use_multispin and schedule == "checkerboard"
        if not (wanted and isinstance(c, LatticeCouplings)):
            return False
        return multispin_applies(c.shape, c.periodic, net.uniform_bias is not None)

    def __init__(self, kernel):
        super().__init__(kernel)
        c = kernel.net.couplings
        self.J = float(c.J)
        self.b0 = kernel.net.uniform_bias  # uniform: accepts checked it
        self.geometry = geometry(c.shape)
        self.rows_at = row_table(self.geometry[0], self.geometry[1])
        self.degree = 2 * c.ndim
        self.aligned = kernel.rule != RULE_CODES["glauber"]

    def encode(self, spins):
        A, B, C, n, nw, rows, nblocks = self.geometry
        flat = np.ascontiguousarray(spins, dtype=np.int8).reshape(-1, spins.shape[-1])
        P = np.empty((flat.shape[0], 2, rows, nw), dtype=np.uint64)
        with numba_threads.threads_for(flat.shape[0]):
            pack(flat, P, A, B, C)
        return P, None

    def decode(self, native):
        A, B, C = self.geometry[:3]
        S = np.empty((native.shape[0], A * B * C), dtype=np.int8)
        with numba_threads.threads_for(native.shape[0]):
            unpack(native, S, A, B, C)
        return S.reshape(*self.kernel.shape, -1)

    def flat(self, native):
        return native

    def seed(self, seed, count):
        return seed_row_states(seed, count, self.geometry[-2])

    def prepare(self, betas):
        """The probability tables per inverse temperature (rows of ``betas``)."""
        K = len(betas)
        out = (
            np.zeros((K, MAXQ, 5), dtype=np.uint64),  # rcls
            np.zeros((K, MAXQ), dtype=np.int64),  # rgrp
            np.zeros((K, 4), dtype=np.int64),  # counts
            np.zeros((K, MAXQ, 5), dtype=np.uint64),  # dcls
            np.zeros((K, MAXQ, 64), dtype=np.uint64),  # tbits
        )
        rcls, rgrp, counts, dcls, tbits = out
        beta = np.ascontiguousarray(betas, dtype=np.float64)
        tables(
            self.kernel.rule, self.degree, self.J, self.b0, beta, self.aligned, self.kernel.tol,
            rcls, rgrp, counts, dcls, tbits,
        )  # fmt: skip
        return out

    def sweep(self, native, cache, beta, rng, sweeps, done, flips):
        A, B, C, n, nw, rows, nblocks = self.geometry
        K = native.shape[0]
        rcls, rgrp, counts, dcls, tbits = self.prepare(beta)
        glauber = not self.aligned
        if self._split(K):
            kernel, limit = self.modes["blocks"], K * nblocks
        else:
            kernel, limit = self.modes["chains"], K
        with numba_threads.threads_for(limit):
            kernel(
                native, rng, self.rows_at, A, B, n, self.aligned, glauber,
                rcls, rgrp, counts, dcls, tbits, sweeps, flips,
            )  # fmt: skip

    def _split(self, chains):
        """Whether ``chains`` chains run their row blocks in parallel (one parallel region
        per half-sweep) rather than one chain per thread: when there are fewer chains than
        threads and a half-sweep is long enough (``split_min_words``) to pay for the
        threads' fork and join."""
        A, B, C, n, nw, rows, nblocks = self.geometry
        threads = numba_threads.available_threads()
        return chains < threads and nblocks > 1 and chains * rows * nw >= self.split_min_words

    def records(self, native, cache, beta, rng, done, units, n_rec, every, rec, flips, tables):
        A, B, C, n, nw, rows, nblocks = self.geometry
        E, MS, O, Q, rec0 = rec
        tidx, (rcls, rgrp, counts, dcls, tbits) = tables
        chains = int(np.count_nonzero(units[:, :2] >= 0))
        if self._split(chains):
            kernel, limit = msc_records_split, chains * nblocks
        else:
            kernel, limit = msc_records, len(units)
        with numba_threads.threads_for(limit):
            kernel(
                native, rng, self.rows_at, A, B, n, self.degree, self.J, self.b0, self.aligned,
                not self.aligned, rcls, rgrp, counts, dcls, tbits, tidx, units, n_rec, every,
                E, MS, Q, rec0, flips,
            )  # fmt: skip

    def block(self, native, cache, tables):
        A, B, C, n, nw, rows, nblocks = self.geometry
        rcls, rgrp, counts, dcls, tbits = tables
        return MultispinBlock(
            native, self.rows_at, A, B, n, self.degree, self.J, self.b0, self.aligned,
            not self.aligned, rcls, rgrp, counts, dcls, tbits, self.kernel.net.n,
            True if self._split(native.shape[0]) else None,
        )  # fmt: skip

    def block_threads(self, K):
        return K * self.geometry[-1] if self._split(K) else K

    def relax(self, native, cache, beta, rng, done, sweeps, window, check, sums, osums, done_at):
        A, B, C, n, nw, rows, nblocks = self.geometry
        K = native.shape[0]
        rcls, rgrp, counts, dcls, tbits = self.prepare(beta)
        if self._split(K):
            kernel, limit = multispin_relax_split, K * nblocks
        else:
            kernel, limit = multispin_relax, K
        with numba_threads.threads_for(limit):
            kernel(
                native, rng, self.rows_at, A, B, C, n, self.aligned, not self.aligned,
                rcls, rgrp, counts, dcls, tbits, beta, sweeps, window, sums, done_at,
            )  # fmt: skip


class DenseMemory(Representation):
    """Dense associative memory with cached exact projections M = ξ S (:mod:`.dense_memory`)."""

    @classmethod
    def accepts(cls, kernel, net, schedule):
        return isinstance(net.couplings, DenseMemoryCouplings)

    def __init__(self, kernel):
        super().__init__(kernel)
        self.arrays = DenseMemoryArrays(kernel.net.couplings)
        self.biased = bool(np.any(kernel.bias != 0.0))

    def cache_layout(self, K):
        return (K, self.arrays.xiT.shape[1]), np.dtype(np.int32)

    def fresh_cache(self, flat):
        return self.arrays.projections(flat)

    def n_overlaps(self):
        return self.arrays.xiT.shape[1]

    def sweep(self, native, cache, beta, rng, sweeps, done, flips):
        k = self.kernel
        common = (self.flat(native), cache, *self.arrays.args, k.bias, beta, rng)
        if k.schedule == "synchronous":
            dense_memory_synchronous(*common, k.rule, k.tol, sweeps, flips)
        else:
            dense_memory_sweeps(*common, k.order, k.code, k.rule, k.tol, sweeps, flips)

    def records(self, native, cache, beta, rng, done, units, n_rec, every, rec, flips, tables):
        k = self.kernel
        E, MS, O, Q, rec0 = rec
        dense_memory_records(
            self.flat(native), cache, *self.arrays.args, k.bias, self.biased, beta, rng,
            k.order, k.code, k.schedule == "synchronous", k.rule, k.tol,
            units, n_rec, every, E, MS, O, Q, rec0, flips,
        )  # fmt: skip

    def block(self, native, cache, tables):
        k = self.kernel
        return DenseMemoryBlock(
            self.flat(native), cache, self.arrays.args, k.bias, self.biased, k.order, k.code,
            k.schedule == "synchronous", k.rule, k.tol,
        )  # fmt: skip

    def relax(self, native, cache, beta, rng, done, sweeps, window, check, sums, osums, done_at):
        k = self.kernel
        dense_memory_relax(
            self.flat(native), cache, *self.arrays.args, k.bias, beta, rng, k.order, k.code,
            k.schedule == "synchronous", k.rule, k.tol, sweeps, window, check, sums, osums,
            done_at,
        )  # fmt: skip


KERNELS: dict[str, type[Representation]] = {
    "lattice_multispin": Multispin,
    "dense": Dense,
    "patterns": Patterns,
    "dense_memory": DenseMemory,
    "sparse": Sparse,
    "lattice": Lattice,
}
"""The numba representations by name, tried in this order: the first whose ``accepts``
says yes runs a network. A new representation is one module of kernels plus one
:class:`Representation` subclass registered here."""


class ExchangeState(NamedTuple):
    """Replica-exchange state carried from one :meth:`NumbaKernel.record` call to the next,
    per slot of the temperature-ordered state (flattened (n_T, chains), like the chains).

    ``rng``: the xoshiro256** stream of the swap decisions (4,); ``parity``: the pairs
    (even 0 or odd 1) of the next round; ``heading``: round-trip direction of each replica
    (0 not yet at the cold end, 1 left it, 2 reached the hot end since); ``trips``: round
    trips completed by each replica; ``tried`` / ``accepted``: swaps per neighbouring pair.
    """

    rng: np.ndarray
    parity: int
    heading: np.ndarray
    trips: np.ndarray
    tried: np.ndarray
    accepted: np.ndarray

    @classmethod
    def idle(cls) -> ExchangeState:
        """An exchange state of no replicas (what the lock-step loop gets without tempering)."""
        empty = np.zeros(0, dtype=np.int64)
        return cls(np.zeros(4, np.uint64), 0, np.zeros(0, np.int8), empty, empty, empty)

    def reset_counts(self) -> ExchangeState:
        """The same state with the swap and round-trip counts at zero (headings kept)."""
        return self._replace(
            trips=np.zeros_like(self.trips),
            tried=np.zeros_like(self.tried),
            accepted=np.zeros_like(self.accepted),
        )


class NumbaKernel:
    """Numba kernel for one network, rule, schedule and (n_T, chains) layout.

    The state holds the representation's own form of the chains: ``spins`` is an int8
    array (n_T, chains, n), or the packed words (K, 2, rows, words) of multi-spin coding
    (:attr:`multispin`); ``rng`` the xoshiro256** states; ``cache`` the cached fields
    (dense, (K, N)) or overlaps (pattern form, (K, P)), or None. :meth:`spins` decodes.
    ``step`` and ``record`` return a new state and leave their input alone.
    """

    def __init__(self, net, *, rule, schedule, n_temps, chains, multispin=True, field_refresh=None):
        self.net = net
        self.tol = net.tie_tolerance
        self.use_multispin = multispin
        self.field_refresh = field_refresh
        self.shape = (n_temps, chains)
        self.rule = RULE_CODES[rule]
        self.schedule = schedule
        c = net.couplings
        n = c.n
        self.code = SCHEDULE_CODES.get(schedule, FIXED)
        by_arithmetic = isinstance(c, LatticeCouplings) and schedule == "checkerboard"
        # the lattice checkerboard kernels find sites by index arithmetic: no order array
        self.order = _NO_ORDER if by_arithmetic else np.arange(n, dtype=np.int64)
        if schedule == "checkerboard" and not by_arithmetic:
            colors = c.colors()
            self.order = np.concatenate(
                [np.flatnonzero(colors == 0), np.flatnonzero(colors == 1)]
            ).astype(np.int64)
            self.code = FIXED
        for name, cls in KERNELS.items():
            if cls.accepts(self, net, schedule):
                self.kind = name
                self.rep = cls(self)
                break
        else:
            raise param_error(
                "net",
                "make_kernel",
                "a network with dense, sparse, pattern, dense-memory or lattice couplings for the numba backend",
                type(c).__name__,
            )

    @property
    def multispin(self) -> bool:
        """Whether checkerboard sweeps run with multi-spin coding (packed state)."""
        return self.rep.packed

    @functools.cached_property
    def bias(self) -> np.ndarray:
        """The biases b_i, contiguous float64 (made at first use: the multi-spin kernel,
        which reads one uniform b, never makes this N-long copy of a broadcast scalar)."""
        return np.ascontiguousarray(self.net.bias, dtype=np.float64)

    @property
    def geometry(self):
        return self.rep.geometry

    # -- state ----------------------------------------------------------------------------
    def init(self, spins, seed):
        native, cache = self.rep.encode(spins)
        K = self.shape[0] * self.shape[1]
        return SamplerState(spins=native, rng=self.rep.seed(seed, K), sweep=0, cache=cache)

    def rebind(self, state):
        """``state``'s chains (spins, RNG streams) with the cache recomputed for this network."""
        if self.rep.packed:  # packed words hold no coupling-dependent cache
            return state._replace(cache=None)
        flat = state.spins.reshape(-1, state.spins.shape[-1])
        return state._replace(cache=self.rep.fresh_cache(flat))

    def spins(self, state):
        return self.rep.decode(state.spins).reshape(*self.shape, -1)

    def _copy(self, state):
        cache = None if state.cache is None else state.cache.copy()
        return state.spins.copy(), cache, state.rng.copy()

    def _rows(self, state, src, rng=False):
        n_T, chains = self.shape
        native = state.spins.reshape(n_T * chains, *state.spins.shape[-self._tail :])
        native = np.ascontiguousarray(native[src]).reshape(state.spins.shape)
        cache = None if state.cache is None else np.ascontiguousarray(state.cache[src])
        out = state._replace(spins=native, cache=cache)
        if rng:
            out = out._replace(rng=np.ascontiguousarray(state.rng[src]))
        return out

    @property
    def _tail(self):
        return 3 if self.rep.packed else 1

    def check_state(self, state):
        K = self.shape[0] * self.shape[1]
        rep = self.rep
        if rep.packed:
            A, B, C, n, nw, rows, nblocks = rep.geometry
            words = state.spins
            shape = (K, 2, rows, nw)
            if not (
                isinstance(words, np.ndarray)
                and words.dtype == np.uint64
                and words.shape == shape
                and words.flags.c_contiguous
            ):
                return (
                    f"spins are not the packed C-contiguous uint64 words of shape {shape} "
                    "this multi-spin kernel keeps"
                )
        else:
            problem = check_numpy_spins(state.spins, (*self.shape, self.net.n))
            if problem:
                return problem
        rng = state.rng
        shape = (K, rep.geometry[-2], 4) if rep.packed else (K, 4)
        if not (
            isinstance(rng, np.ndarray)
            and rng.dtype == np.uint64
            and rng.shape == shape
            and rng.flags.c_contiguous
        ):
            return f"random state is not a C-contiguous uint64 array of shape {shape}"
        cache = state.cache
        want = rep.cache_layout(K)
        if want is None:
            return None if cache is None else "cache is set where this kernel keeps none"
        if not (
            isinstance(cache, np.ndarray)
            and (cache.shape, cache.dtype) == want
            and cache.flags.c_contiguous
        ):
            return f"cache is not a C-contiguous {want[1]} array of shape {want[0]}"
        return None

    def permute(self, state, perm):
        n_T, chains = self.shape
        src = (np.asarray(perm, dtype=np.int64) * chains + np.arange(chains)[None, :]).ravel()
        return self._rows(state, src)

    # -- dynamics -------------------------------------------------------------------------
    def _betas(self, betas):
        return np.repeat(np.asarray(betas, dtype=np.float64), self.shape[1])

    def step(self, state, betas, sweeps):
        native, cache, rng = self._copy(state)
        beta = self._betas(betas)
        flips = np.zeros(beta.shape[0], dtype=np.int64)
        sweeps = int(sweeps)
        if sweeps > 0:
            with numba_threads.threads_for(beta.shape[0]):
                self.rep.sweep(native, cache, beta, rng, sweeps, int(state.sweep), flips)
        new = SamplerState(spins=native, rng=rng, sweep=state.sweep + sweeps, cache=cache)
        return new, flips.reshape(self.shape)

    def exchange_state(self, seed, cold):
        """A fresh :class:`ExchangeState`: the swap stream from ``seed`` (a SeedSequence),
        even pairs first, no counts; the replicas at the coldest slot ``cold`` (0 or
        n_T − 1) start heading away from it."""
        n_T, chains = self.shape
        heading = np.zeros((n_T, chains), dtype=np.int8)
        heading[cold] = 1
        return ExchangeState(
            rng=seed_states(seed, 1)[0],
            parity=0,
            heading=heading.ravel(),
            trips=np.zeros(n_T * chains, dtype=np.int64),
            tried=np.zeros(n_T - 1, dtype=np.int64),
            accepted=np.zeros(n_T - 1, dtype=np.int64),
        )

    @property
    def relaxes(self) -> bool:
        """Whether :meth:`relax` serves this representation (every numba one has it: a
        representation without a ``relax`` method would keep the Python loop over ``step``)."""
        return hasattr(self.rep, "relax")

    def relax(self, state, betas, sweeps, *, window=0, overlaps=False):
        """Run every chain to a fixed point (T = 0) or for ``sweeps`` sweeps, compiled.

        Chain k runs one sweep at a time; at β = ∞ it stops after the first sweep t that
        flips no spin and leaves a fixed point (S_i h_i ≥ −tol for every i; see
        :mod:`statnn.dynamics.numba.relax`), and does no further work. Over its last
        ``window`` sweeps (t > sweeps − window, up to where it stopped) its spins are summed;
        with ``overlaps=True`` (pattern form, dense associative memory: the kernels that
        cache them) its exact overlaps M_μ = Σ_i ξ_i^μ S_i with the stored patterns are
        summed instead, and the final ones returned.

        Returns
        -------
        state : SamplerState
            The final chains (the input state is not modified); ``sweep`` advanced by the
            most sweeps any chain ran.
        Relaxed
            ``done_at`` (n_T, chains), ``spin_sums`` (K, N) int32 or None, ``overlap_sums``
            (K, P) int64 or None, ``overlaps`` (K, P) or None.
        """
        if not self.relaxes:
            raise NotImplementedError(f"relax is not compiled for the {self.kind} kernel")
        native, cache, rng = self._copy(state)
        beta = self._betas(betas)
        K = beta.shape[0]
        sweeps, window = int(sweeps), int(window)
        overlaps = bool(overlaps) and self.rep.n_overlaps() > 0
        width = self.rep.n_overlaps() if window and overlaps else 0
        sums = np.zeros((K, self.net.n if window and not overlaps else 0), dtype=np.int32)
        osums = np.zeros((K, width), dtype=np.int64)
        done_at = np.full(K, -1, dtype=np.int64)
        check = self.code == RANDOM  # other schedules visit every site in a sweep
        with numba_threads.threads_for(K):
            self.rep.relax(
                native, cache, beta, rng, int(state.sweep), sweeps, window, check, sums, osums,
                done_at,
            )  # fmt: skip
        ran = int(np.max(np.where(done_at > 0, done_at, sweeps)))
        new = SamplerState(spins=native, rng=rng, sweep=state.sweep + ran, cache=cache)
        return new, Relaxed(
            done_at=done_at.reshape(self.shape),
            spin_sums=sums if sums.shape[1] else None,
            overlap_sums=osums if width else None,
            overlaps=cache.copy() if overlaps else None,
        )

    def record(
        self,
        state,
        betas,
        *,
        n_records,
        every,
        burn_in=0,
        exchange=None,
        exchange_seed=None,
        lockstep=False,
    ):
        """Burn-in, then ``n_records`` blocks of ``every`` sweeps measured after each block,
        all in compiled code; returns the new state and :class:`Records`.

        Measured per chain: E/N, m = (1/N) Σ S_i, the pattern overlaps (pattern form) and
        q = (1/N) Σ S_i^a S_i^b of the chain pairs (0, 1), (2, 3), …. Without tempering the
        chains (or chain pairs) run their whole record loop in one parallel region. With
        ``exchange`` (an :class:`ExchangeState`, see :meth:`exchange_state`; or
        ``exchange_seed``, a SeedSequence, for a fresh one) neighbouring temperatures
        exchange labels after every block, burn-in included (see
        :func:`statnn.dynamics.numba.measure.exchange`); the swap and round-trip counts
        restart after a burn-in, and ``Records.exchange`` continues the exchange in a next
        call (the same records as one call). The records stay labelled by temperature and
        the returned state is in temperature order. ``lockstep=True`` runs every block as
        one parallel call even without tempering (chosen automatically when there are too
        few chain pairs for the threads); the results are the same.
        """
        n_T, chains = self.shape
        K = n_T * chains
        native, cache, rng = self._copy(state)
        beta = self._betas(betas)
        done = int(state.sweep)
        P = self.rep.n_overlaps()
        pairs = chains // 2
        R = int(n_records)
        energy = np.empty((K, R))
        ms = np.empty((K, R), dtype=np.int64)
        overlaps = np.empty((K, R, P))
        qsum = np.empty((n_T * pairs, R), dtype=np.int64)
        flips = np.zeros(K, dtype=np.int64)
        if exchange is None and exchange_seed is not None:
            exchange = self.exchange_state(exchange_seed, int(np.argmax(betas)))
        tempering = exchange is not None
        if tempering and (exchange.heading.shape != (K,) or exchange.tried.shape != (n_T - 1,)):
            raise param_error(
                "exchange",
                "NumbaKernel.record",
                f"the ExchangeState of a {n_T} x {chains} ladder (see exchange_state)",
                f"<an ExchangeState of {exchange.heading.shape[0]} replicas>",
            )
        if burn_in and not tempering:  # without exchanges the burn-in is plain sweeps
            with numba_threads.threads_for(K):
                self.rep.sweep(native, cache, beta, rng, burn_in, done, np.zeros(K, np.int64))
            done += burn_in
            burn_in = 0
        if not tempering and not lockstep:
            units = _units(n_T, chains, pairs_together=True)
            if pairs and len(units) < min(K, numba_threads.get_num_threads()):
                units = None  # too few pairs to keep the threads busy: lock step below
            if units is not None:
                tables = (np.repeat(np.arange(n_T), chains), self.rep.prepare(betas))
                rec = (energy, ms, overlaps, qsum, 0)
                with numba_threads.threads_for(len(units)):
                    self.rep.records(
                        native, cache, beta, rng, done, units, R, every, rec, flips, tables
                    )
                result = self._finish(energy, ms, overlaps, qsum, flips, None)
                new = SamplerState(native, rng, done + R * every, cache)
                return new, result
        betas = np.asarray(betas, dtype=np.float64)
        who = np.arange(K, dtype=np.int64).reshape(n_T, chains)
        slot = np.repeat(np.arange(n_T, dtype=np.int64), chains)
        # without tempering the loop gets an empty exchange state, which it does not touch
        start = exchange if tempering else ExchangeState.idle()
        ex = dict(
            rng=start.rng.copy(),
            tried=start.tried.copy(),
            accepted=start.accepted.copy(),
            heading=start.heading.copy(),
            trips=start.trips.copy(),
            parity=int(start.parity),
        )
        singles = _units(n_T, chains, pairs_together=False)
        E1 = np.empty((K, 1))
        M1 = np.empty((K, 1), dtype=np.int64)
        O1 = np.empty((K, 1, P))
        Q1 = np.empty((0, 1), dtype=np.int64)
        scratch = np.zeros(K, dtype=np.int64)
        by_slot = np.zeros(K, dtype=np.int64)  # flips per temperature slot while recording
        args = self.rep.block(native, cache, self.rep.prepare(betas))
        with numba_threads.threads_for(self.rep.block_threads(K)):
            done, parity = lockstep_records(
                args, beta, betas, who, slot, rng, done, singles, int(every), int(burn_in), R,
                tempering, E1, M1, O1, Q1, scratch, energy, ms, overlaps, qsum, by_slot,
                ex["rng"], ex["parity"], ex["tried"], ex["accepted"], ex["heading"], ex["trips"],
            )  # fmt: skip
        ex["parity"] = int(parity)
        if not tempering:
            ex = None
        src = who.ravel()
        new = self._rows(SamplerState(native, rng, done, cache), src, rng=True)
        result = self._finish(energy, ms, overlaps, qsum, by_slot, ex, src)
        return new, result

    def _finish(self, energy, ms, overlaps, qsum, flips, ex, src=None):
        n_T, chains = self.shape
        n = self.net.n
        R = energy.shape[1]
        P = overlaps.shape[-1]
        pairs = chains // 2
        return Records(
            energy=(energy / n).reshape(n_T, chains, R),
            magnetization=(ms / n).reshape(n_T, chains, R),
            overlaps=overlaps.reshape(n_T, chains, R, P) if P else None,
            replica_overlap=(qsum / n).reshape(n_T, pairs, R) if pairs else None,
            flips=flips.reshape(n_T, chains),
            swap_tried=None if ex is None else ex["tried"],
            swap_accepted=None if ex is None else ex["accepted"],
            round_trips=None if ex is None else ex["trips"][src].reshape(n_T, chains),
            exchange=None
            if ex is None
            else ExchangeState(
                rng=ex["rng"],
                parity=ex["parity"],
                heading=ex["heading"][src],
                trips=ex["trips"][src],
                tried=ex["tried"],
                accepted=ex["accepted"],
            ),
        )


def _units(n_T, chains, *, pairs_together):
    """(U, 3): the chains run together — pairs (2p, 2p + 1) of each temperature, or single
    chains (second index −1) — and the replica-overlap row of a pair (t · pairs + p)."""
    rows = []
    pairs = chains // 2
    for t in range(n_T):
        base = t * chains
        if pairs_together:
            for p in range(pairs):
                rows.append((base + 2 * p, base + 2 * p + 1, t * pairs + p))
            if chains % 2:
                rows.append((base + chains - 1, -1, -1))
        else:
            rows.extend((base + c, -1, -1) for c in range(chains))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def make_kernel(
    net,
    *,
    rule,
    schedule,
    n_temps,
    chains,
    device=None,
    multispin: bool = True,
    field_refresh: int | None = None,
):
    """Build the numba kernel (``device`` must be None: this backend runs on the CPU).

    Parameters
    ----------
    multispin : bool
        Multi-spin coding for checkerboard sweeps of the lattices it applies to
        (:func:`~statnn.dynamics.numba.multispin.multispin_applies`); False runs the
        one-spin-at-a-time checkerboard kernel on every lattice.
    field_refresh : int, optional
        Sweeps between two recomputations of the cached dense fields (default
        :data:`REFRESH` for the dtype of J).
    """
    caller = "the numba backend"
    if device is not None:
        raise param_error(
            "device",
            caller,
            "None for the 'numba' backend (it runs on the CPU cores); "
            "use backend='torch' to choose a device",
            device,
        )
    if not isinstance(multispin, bool | np.bool_):
        raise param_error("backend_options['multispin']", caller, "a bool", multispin)
    if field_refresh is not None:
        field_refresh = check_int(
            field_refresh, "backend_options['field_refresh']", caller, minimum=1
        )
    return NumbaKernel(
        net,
        rule=rule,
        schedule=schedule,
        n_temps=n_temps,
        chains=chains,
        multispin=bool(multispin),
        field_refresh=field_refresh,
    )


__all__ = [
    "KERNELS",
    "OPTIONS",
    "ExchangeState",
    "NumbaKernel",
    "Records",
    "Relaxed",
    "Representation",
    "get_num_threads",
    "make_kernel",
    "set_num_threads",
]
