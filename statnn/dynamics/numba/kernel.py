"""The ``numba`` backend: multi-threaded CPU kernels with cached fields and per-chain RNG.

Chains (temperature slots × replicas, flattened to K = n_T · chains) run in parallel with
``prange``; each owns a xoshiro256** stream seeded from ``seed.spawn(K)``, so the same
seed gives the same result whatever the number of threads. The kernels, one family per
coupling representation, are module-level ``@njit`` functions found by name in
:data:`KERNELS`:

======================  ==========================================  =====================
representation          cost of one update (rejected / accepted)    module
======================  ==========================================  =====================
dense float32/float64   O(1) / O(N), cached fields, periodic refresh  ``dense``
pattern form (Hebbian)  O(P) / O(P), cached integer overlaps          ``patterns``
sparse CSR              O(degree) / O(degree), no cache               ``sparse``
lattice stencil 1–3 D   O(d), tabulated probabilities                 ``lattice``
lattice, checkerboard   64 spins per word (multi-spin coding)        ``multispin``
======================  ==========================================  =====================

Checkerboard sweeps use multi-spin coding when :func:`~statnn.dynamics.numba.multispin.multispin_applies`
says so (periodic, even sides, one bias value, C/2 ≤ 64 or a multiple of 64) unless
``backend_options={"multispin": False}``; ``NumbaKernel.multispin`` tells which path a
kernel runs. Kernels are compiled on first use (and cached on disk), so a call compiles
only what it runs.

The update rule and the random draws are described in :mod:`statnn.dynamics.numba.rules`
and :mod:`statnn.dynamics.numba.rng`. Threads: :func:`set_num_threads`, or the environment
variable ``STATNN_NUM_THREADS`` read when this module is first imported (default: numba's,
one per core); see :mod:`statnn.dynamics.numba.threads`.
"""

from __future__ import annotations

import weakref

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
from statnn.dynamics.backends import SamplerState, check_numpy_spins
from statnn.dynamics.numba.dense import dense_fields, dense_sweeps, dense_synchronous
from statnn.dynamics.numba.lattice import lattice_checkerboard, lattice_sweeps, lattice_synchronous
from statnn.dynamics.numba.multispin import (
    MAXQ,
    geometry,
    msc_sweeps_blocks,
    msc_sweeps_chains,
    multispin_applies,
    pack,
    seed_block_states,
    tables,
    unpack,
)
from statnn.dynamics.numba.patterns import (
    overlap_dtype,
    pattern_overlaps,
    pattern_sweeps,
    pattern_synchronous,
)
from statnn.dynamics.numba.rng import seed_states
from statnn.dynamics.numba.rules import RULE_CODES
from statnn.dynamics.numba.schedule import FIXED, SCHEDULE_CODES
from statnn.dynamics.numba.sparse import sparse_sweeps, sparse_synchronous

set_num_threads = numba_threads.set_num_threads
get_num_threads = numba_threads.get_num_threads

KERNELS = {
    "dense": dense_sweeps,
    "dense_synchronous": dense_synchronous,
    "dense_fields": dense_fields,
    "patterns": pattern_sweeps,
    "patterns_synchronous": pattern_synchronous,
    "pattern_overlaps": pattern_overlaps,
    "sparse": sparse_sweeps,
    "sparse_synchronous": sparse_synchronous,
    "lattice": lattice_sweeps,
    "lattice_synchronous": lattice_synchronous,
    "lattice_checkerboard": lattice_checkerboard,
    "lattice_multispin_chains": msc_sweeps_chains,
    "lattice_multispin_blocks": msc_sweeps_blocks,
}
"""The numba kernels by name: ``<representation>`` and ``<representation>_synchronous``."""

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


_PATTERNS_T: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def transposed_patterns(couplings: PatternCouplings) -> np.ndarray:
    """The patterns as a contiguous (N, P) int8 array, built once per couplings object."""
    xiT = _PATTERNS_T.get(couplings)
    if xiT is None:
        xiT = np.ascontiguousarray(couplings.patterns.T, dtype=np.int8)
        _PATTERNS_T[couplings] = xiT
    return xiT


class NumbaKernel:
    """Numba kernel for one network, rule, schedule and (n_T, chains) layout.

    The state's ``spins`` is a numpy int8 array (n_T, chains, n); ``rng`` the (K, 4) uint64
    xoshiro256** states ((K, blocks, 4) with multi-spin coding); ``cache`` the cached
    fields (dense, (K, N) in J's dtype) or overlaps (pattern form, (K, P) int16, int32 for
    N > 32 767), or None. ``step`` returns a new state and leaves its input alone;
    ``check_state`` tells what in a state does not fit this kernel. ``tol`` is the
    network's T = 0 tie tolerance, passed to every kernel.
    """

    def __init__(self, net, *, rule, schedule, n_temps, chains, multispin=True, field_refresh=None):
        self.net = net
        self.tol = net.tie_tolerance
        self.shape = (n_temps, chains)
        self.rule = RULE_CODES[rule]
        self.schedule = schedule
        self.bias = np.ascontiguousarray(net.bias, dtype=np.float64)
        c = net.couplings
        n = c.n
        self.code = SCHEDULE_CODES.get(schedule)
        by_arithmetic = isinstance(c, LatticeCouplings) and schedule == "checkerboard"
        # the lattice checkerboard kernels find sites by index arithmetic: no order array
        self.order = None if by_arithmetic else np.arange(n, dtype=np.int64)
        if schedule == "checkerboard" and not by_arithmetic:
            colors = c.colors()
            self.order = np.concatenate(
                [np.flatnonzero(colors == 0), np.flatnonzero(colors == 1)]
            ).astype(np.int64)
            self.code = FIXED
        if isinstance(c, DenseCouplings):
            self.kind = "dense"
            self.J = c.J
            self.JT = self.J if c.symmetric else np.ascontiguousarray(self.J.T)
            self.refresh = REFRESH[self.J.dtype] if field_refresh is None else field_refresh
        elif isinstance(c, PatternCouplings):
            self.kind = "patterns"
            self.xiT = transposed_patterns(c)
            self.scale = float(c.scale)
        elif isinstance(c, SparseCouplings):
            self.kind = "sparse"
            self.indptr = c.J.indptr.astype(np.int64)
            self.indices = c.J.indices.astype(np.int64)
            self.data = np.ascontiguousarray(c.J.data, dtype=np.float64)
        elif isinstance(c, LatticeCouplings):
            self.kind = "lattice"
            # only the random / sequential / permuted kernels read a neighbour table
            self.nbr = None if by_arithmetic else c.neighbours
            self.lattice_J = float(c.J)
            self.uniform_bias = net.uniform_bias is not None
            self.dims = np.array((1,) * (3 - c.ndim) + c.shape, dtype=np.int64)
            self.periodic = bool(c.periodic)
            self.multispin = (
                multispin
                and schedule == "checkerboard"
                and multispin_applies(c.shape, c.periodic, self.uniform_bias)
            )
            if self.multispin:
                self.geometry = geometry(c.shape)
                self.degree = 2 * c.ndim
        else:
            raise param_error(
                "net",
                "make_kernel",
                "a network with dense, sparse, pattern or lattice couplings for the numba backend",
                type(c).__name__,
            )

    # -- state ----------------------------------------------------------------------------
    def _fresh_cache(self, flat):
        if self.kind == "dense":
            H = np.empty(flat.shape, dtype=self.J.dtype)
            dense_fields(flat, H, self.JT, self.bias)
            return H
        if self.kind == "patterns":
            M = np.empty((flat.shape[0], self.xiT.shape[1]), dtype=overlap_dtype(self.net.n))
            pattern_overlaps(flat, M, self.xiT)
            return M
        return None

    def init(self, spins, seed):
        spins = np.ascontiguousarray(spins, dtype=np.int8).copy()
        flat = spins.reshape(-1, spins.shape[-1])
        if getattr(self, "multispin", False):
            rng = seed_block_states(seed, flat.shape[0], self.geometry[-1])
        else:
            rng = seed_states(seed, flat.shape[0])
        return SamplerState(
            spins=spins,
            rng=rng,
            sweep=0,
            cache=self._fresh_cache(flat),
        )

    def rebind(self, state):
        """``state``'s chains (spins, RNG streams) with the cache recomputed for this network."""
        flat = state.spins.reshape(-1, state.spins.shape[-1])
        return state._replace(cache=self._fresh_cache(flat))

    def spins(self, state):
        return state.spins.copy()

    def check_state(self, state):
        K = self.shape[0] * self.shape[1]
        problem = check_numpy_spins(state.spins, (*self.shape, self.net.n))
        if problem:
            return problem
        rng = state.rng
        shape = (K, self.geometry[-1], 4) if getattr(self, "multispin", False) else (K, 4)
        if not (
            isinstance(rng, np.ndarray)
            and rng.dtype == np.uint64
            and rng.shape == shape
            and rng.flags.c_contiguous
        ):
            return f"random state is not a C-contiguous uint64 array of shape {shape}"
        cache = state.cache
        if self.kind == "dense":
            want = ((K, self.net.n), self.J.dtype)
        elif self.kind == "patterns":
            want = ((K, self.xiT.shape[1]), overlap_dtype(self.net.n))
        else:
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
        spins = state.spins.reshape(n_T * chains, -1)[src].reshape(state.spins.shape)
        cache = None if state.cache is None else np.ascontiguousarray(state.cache[src])
        return state._replace(spins=spins, cache=cache)

    # -- dynamics -------------------------------------------------------------------------
    def step(self, state, betas, sweeps):
        spins = state.spins.copy()
        S = spins.reshape(-1, spins.shape[-1])
        rng = state.rng.copy()
        cache = None if state.cache is None else state.cache.copy()
        beta = np.repeat(np.asarray(betas, dtype=np.float64), self.shape[1])
        flips = np.zeros(S.shape[0], dtype=np.int64)
        sweeps = int(sweeps)
        if sweeps > 0:
            self._run(S, cache, beta, rng, sweeps, int(state.sweep), flips)
        new = SamplerState(spins=spins, rng=rng, sweep=state.sweep + sweeps, cache=cache)
        return new, flips.reshape(self.shape)

    def _run(self, S, cache, beta, rng, sweeps, done, flips):
        if getattr(self, "multispin", False):
            return self._run_multispin(S, beta, rng, sweeps, flips)
        sync = self.schedule == "synchronous"
        kernel = KERNELS[self.kind + ("_synchronous" if sync else "")]
        rule = self.rule
        tol = self.tol
        if self.kind == "dense":
            args = (S, cache, self.JT, self.bias, beta, rng)
            tail = (sweeps, done, self.refresh, flips)
        elif self.kind == "patterns":
            args = (S, cache, self.xiT, self.scale, self.bias, beta, rng)
            tail = (sweeps, flips)
        elif self.kind == "sparse":
            args = (S, self.indptr, self.indices, self.data, self.bias, beta, rng)
            tail = (sweeps, flips)
        else:
            args = (S, self.nbr, self.lattice_J, self.bias, self.uniform_bias, beta, rng)
            tail = (sweeps, flips)
            if self.schedule == "checkerboard":
                kernel = KERNELS["lattice_checkerboard"]
                args = (S, self.dims, self.periodic, *args[2:])
                sync = True  # same call shape: no order, no schedule code
        with numba_threads.threads_for(S.shape[0]):
            if sync:
                kernel(*args, rule, tol, *tail)
            else:
                kernel(*args, self.order, self.code, rule, tol, *tail)

    def _run_multispin(self, S, beta, rng, sweeps, flips):
        A, B, C, n, nw, rows, nblocks = self.geometry
        K = S.shape[0]
        P = np.empty((K, 2, rows, nw), dtype=np.uint64)
        pack(S, P, A, B, C)
        aligned = self.rule != RULE_CODES["glauber"]
        rcls = np.zeros((K, MAXQ, 5), dtype=np.uint64)
        dcls = np.zeros((K, MAXQ, 5), dtype=np.uint64)
        rgrp = np.zeros((K, MAXQ), dtype=np.int64)
        counts = np.zeros((K, 4), dtype=np.int64)
        tbits = np.zeros((K, MAXQ, 64), dtype=np.uint64)
        b0 = float(self.bias[0])
        tables(
            self.rule,
            self.degree,
            self.lattice_J,
            b0,
            beta,
            aligned,
            self.tol,
            rcls,
            rgrp,
            counts,
            dcls,
            tbits,
        )
        glauber = not aligned
        if K >= numba_threads.get_num_threads():
            kernel = KERNELS["lattice_multispin_chains"]
            limit = K
        else:
            kernel = KERNELS["lattice_multispin_blocks"]
            limit = K * nblocks
        with numba_threads.threads_for(limit):
            kernel(
                P, rng, A, B, n, aligned, glauber, rcls, rgrp, counts, dcls, tbits, sweeps, flips
            )
            unpack(P, S, A, B, C)


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


__all__ = ["KERNELS", "OPTIONS", "NumbaKernel", "get_num_threads", "make_kernel", "set_num_threads"]
