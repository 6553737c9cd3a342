"""The lock-step record loop of the numba backend, compiled: parallel tempering.

:func:`lockstep_records` runs what :meth:`statnn.dynamics.numba.kernel.NumbaKernel.record`
does when the chains advance one block of ``every`` sweeps at a time (with tempering, or
with too few chain pairs to keep the threads busy): for each block, the representation's
records driver (one parallel region over the chains), the flips per temperature slot, one
round of replica exchange (:func:`statnn.dynamics.numba.measure.exchange`), the copy of the
measurements to the rows of the chains' temperature slots and the replica overlaps of the
chain pairs of each slot. The whole loop is one compiled call, so a block costs no Python.

One loop serves every representation: its records driver is reached through
:func:`run_block`, overloaded on the type of the first argument — a named tuple per
representation (:class:`DenseBlock`, :class:`PatternBlock`, …) holding the arrays and
settings of its driver that stay fixed during a call. numba compiles the loop once per
tuple type and caches it on disk (the tuple types are module-level classes, so the cache
key is the same in every process; a driver passed as a function argument or closed over
would not be: numba keys those by an identifier drawn per process). numba checks only the
source of the cached function itself, so the loop also closes over a digest of the sources
it compiles in (:func:`sources_digest`): an edit of a kernel module recompiles it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, NamedTuple

from numba import njit, types
from numba.extending import overload

from statnn.dynamics.numba.dense import dense_records
from statnn.dynamics.numba.dense_memory import dense_memory_records
from statnn.dynamics.numba.lattice import lattice_records
from statnn.dynamics.numba.measure import exchange, pair_sums, store
from statnn.dynamics.numba.multispin import msc_records, msc_records_split, packed_pair_sums
from statnn.dynamics.numba.patterns import pattern_records
from statnn.dynamics.numba.sparse import sparse_records


class DenseBlock(NamedTuple):
    """The fixed arguments of :func:`~statnn.dynamics.numba.dense.dense_records`."""

    S: Any
    H: Any
    JT: Any
    bias: Any
    order: Any
    schedule: Any
    sync: Any
    rule: Any
    tol: Any
    refresh: Any


class PatternBlock(NamedTuple):
    """The fixed arguments of :func:`~statnn.dynamics.numba.patterns.pattern_records`."""

    S: Any
    M: Any
    xiT: Any
    scale: Any
    bias: Any
    biased: Any
    order: Any
    schedule: Any
    sync: Any
    rule: Any
    tol: Any
    ahead: Any
    probs: Any
    half: Any


class SparseBlock(NamedTuple):
    """The fixed arguments of :func:`~statnn.dynamics.numba.sparse.sparse_records`."""

    S: Any
    indptr: Any
    indices: Any
    data: Any
    bias: Any
    order: Any
    schedule: Any
    sync: Any
    rule: Any
    tol: Any
    energy: Any
    refresh: Any


class LatticeBlock(NamedTuple):
    """The fixed arguments of :func:`~statnn.dynamics.numba.lattice.lattice_records`."""

    S: Any
    nbr: Any
    dims: Any
    periodic: Any
    J: Any
    bias: Any
    uniform_bias: Any
    order: Any
    schedule: Any
    mode: Any
    rule: Any
    tol: Any


class MultispinBlock(NamedTuple):
    """The fixed arguments of :func:`~statnn.dynamics.numba.multispin.msc_records` (one
    chain per thread; ``split=None``) or of
    :func:`~statnn.dynamics.numba.multispin.msc_records_split` (the row blocks of each chain
    in parallel; ``split=True``), and ``sites`` = N for the replica overlaps."""

    P: Any
    rows_at: Any
    A: Any
    B: Any
    n: Any
    D: Any
    J: Any
    b0: Any
    aligned: Any
    glauber: Any
    rcls: Any
    rgrp: Any
    cnt: Any
    dcls: Any
    tb: Any
    sites: Any
    split: Any


class DenseMemoryBlock(NamedTuple):
    """The fixed arguments of :func:`~statnn.dynamics.numba.dense_memory.dense_memory_records`
    (``arrays``: the tuple :attr:`~statnn.dynamics.numba.dense_memory.DenseMemoryArrays.args`)."""

    S: Any
    M: Any
    arrays: Any
    bias: Any
    biased: Any
    order: Any
    schedule: Any
    sync: Any
    rule: Any
    tol: Any


def run_block(args, beta, slot, rng, done, units, every, E, MS, O, Q, flips):
    """One block of ``every`` sweeps of the chains in ``units``, measured after it (column 0
    of E, MS, O, Q; flips added to ``flips``), by the records driver of ``args``' type.
    Compiled code only (an ``overload``)."""
    raise NotImplementedError("run_block is called from compiled code only")


def run_pairs(args, who, Q, r):
    """Q[t · pairs + p, r] = Σ_i S_i^a S_i^b of the pairs a, b = who[t, 2p], who[t, 2p + 1].
    Compiled code only (an ``overload``)."""
    raise NotImplementedError("run_pairs is called from compiled code only")


@overload(run_block, jit_options={"nogil": True})
def _run_block(args, beta, slot, rng, done, units, every, E, MS, O, Q, flips):
    kind = getattr(args, "instance_class", None)
    if kind is DenseBlock:

        def impl(args, beta, slot, rng, done, units, every, E, MS, O, Q, flips):
            a = args
            dense_records(
                a.S, a.H, a.JT, a.bias, beta, rng, a.order, a.schedule, a.sync, a.rule, a.tol,
                done, a.refresh, units, 1, every, E, MS, Q, 0, flips,
            )  # fmt: skip

    elif kind is PatternBlock:

        def impl(args, beta, slot, rng, done, units, every, E, MS, O, Q, flips):
            a = args
            pattern_records(
                a.S, a.M, a.xiT, a.scale, a.bias, a.biased, beta, rng, a.order, a.schedule,
                a.sync, a.rule, a.tol, units, 1, every, E, MS, O, Q, 0, flips, a.ahead, slot,
                a.probs, a.half,
            )  # fmt: skip

    elif kind is SparseBlock:

        def impl(args, beta, slot, rng, done, units, every, E, MS, O, Q, flips):
            a = args
            sparse_records(
                a.S, a.indptr, a.indices, a.data, a.bias, beta, rng, a.order, a.schedule,
                a.sync, a.rule, a.tol, a.energy, done, a.refresh, units, 1, every, E, MS, Q, 0,
                flips,
            )  # fmt: skip

    elif kind is LatticeBlock:

        def impl(args, beta, slot, rng, done, units, every, E, MS, O, Q, flips):
            a = args
            lattice_records(
                a.S, a.nbr, a.dims, a.periodic, a.J, a.bias, a.uniform_bias, beta, rng, a.order,
                a.schedule, a.mode, a.rule, a.tol, units, 1, every, E, MS, Q, 0, flips,
            )  # fmt: skip

    elif kind is MultispinBlock:
        # split is True or None, so that only the driver a call runs is compiled
        split = args.types[args.fields.index("split")] != types.none
        driver = msc_records_split if split else msc_records

        def impl(args, beta, slot, rng, done, units, every, E, MS, O, Q, flips):
            a = args
            driver(
                a.P, rng, a.rows_at, a.A, a.B, a.n, a.D, a.J, a.b0, a.aligned, a.glauber,
                a.rcls, a.rgrp, a.cnt, a.dcls, a.tb, slot, units, 1, every, E, MS, Q, 0, flips,
            )  # fmt: skip

    elif kind is DenseMemoryBlock:

        def impl(args, beta, slot, rng, done, units, every, E, MS, O, Q, flips):
            a = args
            xiT, form, coeffs, degree, inv, table, beta_f = a.arrays
            dense_memory_records(
                a.S, a.M, xiT, form, coeffs, degree, inv, table, beta_f, a.bias, a.biased,
                beta, rng, a.order, a.schedule, a.sync, a.rule, a.tol, units, 1, every, E, MS,
                O, Q, 0, flips,
            )  # fmt: skip

    else:
        return None
    return impl


@overload(run_pairs, jit_options={"nogil": True})
def _run_pairs(args, who, Q, r):
    kind = getattr(args, "instance_class", None)
    if kind is MultispinBlock:

        def impl(args, who, Q, r):
            packed_pair_sums(args.P, who, Q, r, args.sites)

    elif kind in (DenseBlock, PatternBlock, SparseBlock, LatticeBlock, DenseMemoryBlock):

        def impl(args, who, Q, r):
            pair_sums(args.S, who, Q, r)

    else:
        return None
    return impl


#: The modules whose compiled functions :func:`lockstep_records` compiles in.
COMPILED_IN = (
    "dense", "dense_memory", "lattice", "measure", "multispin", "patterns", "rng", "rules",
    "schedule", "sparse",
)  # fmt: skip


def sources_digest() -> int:
    """A 56-bit digest of the sources of :data:`COMPILED_IN` (0 where they cannot be read).

    numba's disk cache checks only the source file of the cached function itself, so a
    loop compiled with the records drivers of other modules would keep running their old
    code after an edit; the digest, closed over by the loop, is part of its cache key.
    """
    h = hashlib.sha256()
    here = Path(__file__).parent
    try:
        for name in COMPILED_IN:
            h.update((here / f"{name}.py").read_bytes())
    except OSError:
        return 0
    return int.from_bytes(h.digest()[:7], "little")


def _make_lockstep_records(sources):
    @njit(cache=True, nogil=True)
    def lockstep_records(
        args, beta, betas, who, slot, rng, done, units, every, burn_in, n_rec, tempering,
        E1, M1, O1, Q1, scratch, energy, ms, overlaps, qsum, by_slot,
        ex_rng, parity, tried, accepted, heading, trips,
    ):  # fmt: skip
        """Burn-in blocks, then ``n_rec`` record blocks of ``every`` sweeps; returns (sweeps
        done, next exchange parity).

        The burn-in runs as ⌊burn_in / every⌋ blocks of ``every`` sweeps and one of the
        remainder (if any), unrecorded. Each block runs :func:`run_block` on ``units`` (single
        chains) with the measurements in column 0 of E1, M1, O1 and its flips in ``scratch``;
        then, for record block r, the flips are added to ``by_slot`` at the row of each chain's
        temperature slot (slot[k] · chains + k mod chains). With ``tempering`` one round of
        :func:`~statnn.dynamics.numba.measure.exchange` of parity ``parity`` follows every
        block (the parity alternates; ``tried``, ``accepted`` and ``trips`` restart at zero
        before the first record block when there was a burn-in), which updates ``beta``,
        ``slot`` (configuration → slot) and ``who`` (slot → configuration). Then record block r
        stores the measurements at column r of ``energy``, ``ms`` and ``overlaps`` (rows by
        slot, :func:`~statnn.dynamics.numba.measure.store`) and, with chain pairs,
        q-sums Σ_i S_i^a S_i^b of the pairs a, b = who[t, 2p], who[t, 2p + 1] at column r of
        ``qsum`` (:func:`run_pairs`).
        """
        _sources = sources  # noqa: F841  (in the cache key: see _make_lockstep_records)
        chains = who.shape[1]
        full = burn_in // every
        part = burn_in - full * every
        n_burn = full + (1 if part > 0 else 0)
        for b in range(n_burn + n_rec):
            length = every
            r = b - n_burn
            if b == full and part > 0:
                length = part
            if r == 0 and tempering and burn_in > 0:
                tried[:] = 0
                accepted[:] = 0
                trips[:] = 0
            scratch[:] = 0
            run_block(args, beta, slot, rng, done, units, length, E1, M1, O1, Q1, scratch)
            done += length
            if r >= 0:
                for k in range(slot.shape[0]):
                    by_slot[slot[k] * chains + k % chains] += scratch[k]
            if tempering:
                exchange(
                    E1[:, 0], beta, betas, who, slot, chains, parity, ex_rng, tried, accepted,
                    heading, trips,
                )  # fmt: skip
                parity = 1 - parity
            if r >= 0:
                store(E1, M1, O1, energy, ms, overlaps, slot, chains, r)
                if chains >= 2:
                    run_pairs(args, who, qsum, r)
        return done, parity

    return lockstep_records


lockstep_records = _make_lockstep_records(sources_digest())


__all__ = [
    "DenseBlock",
    "DenseMemoryBlock",
    "LatticeBlock",
    "MultispinBlock",
    "PatternBlock",
    "SparseBlock",
    "lockstep_records",
    "sources_digest",
    "run_block",
    "run_pairs",
]
