"""Hebbian pattern-form couplings J_ij = s Σ_μ ξ_i^μ ξ_j^μ (i ≠ j) for the numba backend.

The patterns are stored once, transposed and compact: ``xiT`` (N, P) int8, so that the P
pattern bits of neuron i are one contiguous row (1 byte per bit: N = 100 000 neurons and
P = 10 000 patterns take 1 GB). Each chain k caches its unnormalised overlaps

    M[k, μ] = Σ_j ξ_j^μ S_j          (exact integers: no drift, no refresh)

stored as int16 when N ≤ 32 767 (|M_μ| ≤ N fits) and as int32 otherwise
(:func:`overlap_dtype`), so that the O(P) loops below read 2 (or 4) bytes per pattern.
numba's integer arithmetic widens everything to int64 (8 lanes per AVX-512 vector), so the
dot product ξ_i · M is written as LLVM vector IR (:func:`_simd_dot`): int8 × int16 pairs
summed into int32 lanes by ``pmaddwd`` (``vpdpwssd`` with AVX-512 VNNI: 32 patterns per
instruction), or int8 × int32 products in 16 int32 lanes, in blocks whose lane sums cannot
overflow (:func:`dot_chunk`), the blocks added in int64: exact, whatever the order.

With a table larger than the caches and a schedule that jumps (random, permuted), the row
of the next site is prefetched while the current update runs (:func:`prefetch_pays`,
:func:`~statnn.dynamics.numba.schedule.next_site`); the guess never draws from the chain's
random stream, so it does not change any trajectory.

from which the local field of neuron i costs O(P)::

    h_i = s (Σ_μ ξ_i^μ M_μ − P S_i) + b_i,

and an accepted flip S_i → S_i' costs O(P) too: M_μ += 2 S_i' ξ_i^μ.

The field is a whole multiple of ``s`` plus the bias: h_i = s x + b with the integer
x = ξ_i · M − P S_i. Where every neuron has the same bias b, the outcome probability of
an update is a function of x (and, for Metropolis, of S_i) alone at each temperature, so
it is memoised per temperature in a table indexed by x (:func:`probability_tables`,
:func:`_probability`): one exponential per distinct x instead of one per update (the
exponential and the division were two thirds of an update at N = 2000, P = 200), with
the same values and draws as computing it each time. The update loops are compiled once
per mode (:func:`~statnn.dynamics.numba.rules.loop_mode`).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from statnn.dynamics.numba.measure import bias_sum, spin_product_sum, spin_sum
from statnn.dynamics.numba.rng import bounded, uniform
from statnn.dynamics.numba.rules import (
    GLAUBER,
    METROPOLIS,
    ZERO_TEMPERATURE,
    loop_mode,
    needs_draw,
    outcome,
    probability,
)
from statnn.dynamics.numba.schedule import (
    FIXED,
    RANDOM,
    next_site,
    order_buffer,
    signed_row_sum,
    start_sweep,
)

#: Patterns per int32-lane block of the int16 dot product: every lane then sums at most
#: 2¹⁴ + 1 pair products of magnitude ≤ 2 · 32 767 (±1 patterns), < 2³¹.
CHUNK = 1 << 18

#: Below this many patterns the dot product is a scalar loop (the vector code reads W ≤ 32
#: patterns at a time, ending at the last one).
MIN_SIMD = 32


def overlap_dtype(n: int) -> np.dtype:
    """int16 overlaps for N ≤ 32 767 neurons, int32 beyond (N < 2³¹)."""
    return np.dtype(np.int16) if n <= 32767 else np.dtype(np.int32)


#: How many updates ahead a row is prefetched (1 is as fast as 2 or 4 at N = 64 000,
#: P = 3 200: the fetch of one row takes about as long as one update).
AHEAD = 1

#: Pattern tables above this many bytes are prefetched row by row one update ahead.
PREFETCH_BYTES = 1 << 20


def prefetch_pays(table: np.ndarray, schedule: str) -> bool:
    """Whether to prefetch the next site's row: a table larger than the fast caches, and a
    schedule that jumps (random or permuted); ordered sweeps stream rows in order and the
    hardware prefetcher already follows them."""
    return table.nbytes > PREFETCH_BYTES and schedule in ("random", "permuted")


#: |2βh| beyond which both rules' probabilities are within 2⁻⁵³ of 0 or 1: the table
#: covers the integer fields inside it (outside, the probability is computed each time).
SATURATION = 40.0

#: At most this many table entries on each side of x = 0 (per temperature and, for
#: Metropolis, per spin value): 2 · 2¹⁵ + 1 float64 = 512 KiB.
HALF_MAX = 1 << 15


def probability_window(betas, scale: float, n: int, p: int, uniform_bias: bool) -> int:
    """Half-width of the probability tables: x in [−half, half] is tabled; −1 for none.

    None where the biases differ between neurons (then h is not a function of x alone) or
    no temperature is finite; otherwise the fields that can be reached, |x| ≤ P (N + 1),
    cut to where the lowest finite β saturates (2 β |s x| ≤ :data:`SATURATION`) and to
    :data:`HALF_MAX`. The window only decides what is memoised: fields outside it are
    computed exactly as inside.
    """
    betas = np.asarray(betas, dtype=np.float64)
    finite = betas[np.isfinite(betas)]
    if not uniform_bias or finite.size == 0:
        return -1
    reach = p * (n + 1)
    low = float(finite.min())
    if low > 0.0 and scale != 0.0:
        reach = min(reach, math.ceil(SATURATION / (2.0 * low * abs(scale))))
    return int(min(reach, HALF_MAX))


def probability_tables(betas, rule: int, half: int) -> np.ndarray:
    """Empty (NaN) probability tables, one row per temperature: (n_T, rows · (2 half + 1)),
    rows = 1 for Glauber (P(S = +1) depends on h only) and 2 for Metropolis (P(flip) on
    S_i h; entries for S_i = −1 first). Filled by the kernels on first use."""
    width = 2 * half + 1 if half >= 0 else 0
    rows = 1 if rule == GLAUBER else 2
    return np.full((len(betas), rows * width), np.nan)


@njit(cache=True, nogil=True, inline="always")
def _probability(mode, old, x, h, beta, tol, probs, t, half):
    """The outcome probability (:func:`~statnn.dynamics.numba.rules.probability`) of a
    neuron with spin ``old`` and field h = scale · x + b, memoised in row t of ``probs``
    where |x| ≤ ``half``: a NaN entry is computed on first use and kept. Entries are keyed
    by x (and, for Metropolis, by the spin), which fixes h when every neuron has the same
    bias b, so the value is exactly the one computed each time. Threads that fill the same
    entry store the same value. 0 at T = 0 (not used there)."""
    if mode == ZERO_TEMPERATURE:
        return 0.0
    if x < -half or x > half:
        return probability(mode, old, h, beta, tol)
    j = x + half
    if mode == METROPOLIS and old > 0:
        j += 2 * half + 1
    pr = probs[t, j]
    if pr != pr:
        pr = probability(mode, old, h, beta, tol)
        probs[t, j] = pr
    return pr


@njit(cache=True, nogil=True)
def dot_chunk(n, itemsize):
    """Patterns per int32-lane block: no lane of the block's sum can overflow.

    int16 overlaps: :data:`CHUNK`. int32 overlaps (|M_μ| ≤ N): each of the 16 lanes sums at
    most chunk / 16 + 1 products of magnitude ≤ N.
    """
    if itemsize == 2:
        return CHUNK
    return 16 * max(1, 2147483647 // n - 1)


# -- exact integer dot products and a row prefetch, emitted as LLVM IR ---------------------------


#: Tests set this to a feature string to compile the other code paths of :func:`_simd_dot`
#: (AVX2, portable) on any x86 machine; None: the target's own features.
FEATURES_OVERRIDE: str | None = None


def _features(context) -> str:
    """The feature string (``+avx2,+avx512bw,…``) of the machine the code is compiled for."""
    if FEATURES_OVERRIDE is not None:
        return FEATURES_OVERRIDE
    return getattr(context.codegen(), "_tm_features", "") or ""


def _contiguous_int8_table(table) -> bool:
    return (
        isinstance(table, types.Array)
        and table.ndim == 2
        and table.layout == "C"
        and table.dtype == types.int8
    )


def _madd(builder, features, a, b):
    """Adjacent pair sums a₂ⱼ b₂ⱼ + a₂ⱼ₊₁ b₂ⱼ₊₁ of two <W x i16> as <W/2 x i32> (pmaddwd)."""
    width = a.type.count
    half = ir.VectorType(ir.IntType(32), width // 2)
    name = None
    if width == 32 and "+avx512bw" in features:
        name = "llvm.x86.avx512.pmaddw.d.512"
    elif width == 16 and "+avx2" in features:
        name = "llvm.x86.avx2.pmadd.wd"
    if name is not None:
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(half, [a.type, b.type]), name
        )
        return builder.call(fn, [a, b])
    total = None
    for parity in (0, 1):
        pick = ir.Constant(half, [2 * j + parity for j in range(width // 2)])
        prod = builder.mul(
            builder.sext(builder.shuffle_vector(a, a, pick), half),
            builder.sext(builder.shuffle_vector(b, b, pick), half),
            flags=["nsw"],
        )
        total = prod if total is None else builder.add(total, prod, flags=["nsw"])
    return total


def _vector_dot(context, builder, table_ty, m_ty, table, i, m, start, stop):
    """IR for Σ_{start ≤ μ < stop} ξ_i^μ m_μ (row i of the int8 table, int16 or int32 m),
    exact, as int64.

    W consecutive patterns per vector (W = 32 for int16 m with AVX-512BW, else 16) are
    multiplied and summed in int32 lanes — ``vpmaddwd`` (``vpdpwssd`` with VNNI) for int16
    m, ``vpmulld`` for int32 m — into two accumulators that hide the add latency. The last
    partial vector is read as the W patterns that end at ``stop``, with the m lanes before
    the remainder set to zero (so stop ≥ W is required). The caller bounds stop − start so
    that no int32 lane can overflow.
    """
    features = _features(context)
    wide = m_ty.dtype.bitwidth == 32
    width = 32 if not wide and "+avx512bw" in features else 16
    i8, i32, i64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
    mi = ir.IntType(m_ty.dtype.bitwidth)
    intp = start.type
    tab = context.make_array(table_ty)(context, builder, table)
    cols = builder.extract_value(tab.shape, 1)
    rp = builder.gep(tab.data, [builder.mul(i, cols)], source_etype=i8)
    mp = context.make_array(m_ty)(context, builder, m).data
    v8, vm = ir.VectorType(i8, width), ir.VectorType(mi, width)
    acc_ty = ir.VectorType(i32, width if wide else width // 2)
    W = ir.Constant(intp, width)

    def term(off, mask=None):
        a = builder.load(builder.gep(rp, [off], source_etype=i8), typ=v8, align=1)
        b = builder.load(builder.gep(mp, [off], source_etype=mi), typ=vm, align=mi.width // 8)
        if mask is not None:
            b = builder.select(mask, b, ir.Constant(vm, None))
        if wide:
            return builder.mul(builder.sext(a, vm), b, flags=["nsw"])
        return _madd(builder, features, builder.sext(a, vm), b)

    def accumulate(acc, off, mask=None):
        builder.store(builder.add(builder.load(acc), term(off, mask)), acc)

    acc0 = cgutils.alloca_once_value(builder, ir.Constant(acc_ty, None))
    acc1 = cgutils.alloca_once_value(builder, ir.Constant(acc_ty, None))
    count = builder.sub(stop, start)
    full = builder.sdiv(count, W)
    with cgutils.for_range(builder, builder.sdiv(full, ir.Constant(intp, 2))) as loop:
        off = builder.add(start, builder.mul(loop.index, ir.Constant(intp, 2 * width)))
        accumulate(acc0, off)
        accumulate(acc1, builder.add(off, W))
    with builder.if_then(builder.trunc(full, ir.IntType(1))):  # an odd number of full vectors
        accumulate(
            acc0, builder.add(start, builder.mul(builder.sub(full, ir.Constant(intp, 1)), W))
        )
    rem = builder.sub(count, builder.mul(full, W))
    with builder.if_then(builder.icmp_signed(">", rem, ir.Constant(intp, 0))):
        lanes = ir.Constant(ir.VectorType(i32, width), list(range(width)))
        first = builder.trunc(builder.sub(W, rem), i32)
        splat = builder.insert_element(
            ir.Constant(ir.VectorType(i32, width), None), first, ir.Constant(i32, 0)
        )
        splat = builder.shuffle_vector(splat, splat, ir.Constant(ir.VectorType(i32, width), None))
        accumulate(acc1, builder.sub(stop, W), builder.icmp_signed(">=", lanes, splat))
    total = builder.sext(
        builder.add(builder.load(acc0), builder.load(acc1)), ir.VectorType(i64, acc_ty.count)
    )
    fn = cgutils.get_or_insert_function(
        builder.module,
        ir.FunctionType(i64, [total.type]),
        f"llvm.vector.reduce.add.v{acc_ty.count}i64",
    )
    return builder.call(fn, [total])


@intrinsic
def _simd_dot(typingctx, table, i, m, start, stop):
    """Σ_{start ≤ μ < stop} ξ_i^μ m_μ for row i of a C-contiguous (N, P) int8 table, int64
    (see :func:`_vector_dot`; stop ≥ 32). Reads the row in place: no array view, so no
    reference counting in the hot loop."""
    if not (
        _contiguous_int8_table(table)
        and isinstance(m, types.Array)
        and m.ndim == 1
        and m.layout == "C"
        and m.dtype in (types.int16, types.int32)
    ):
        return None  # a typing error: the addresses below assume these layouts
    sig = types.int64(table, types.intp, m, types.intp, types.intp)

    def codegen(context, builder, signature, args):
        return _vector_dot(context, builder, signature.args[0], signature.args[2], *args)

    return sig, codegen


@intrinsic
def _prefetch(typingctx, table, i):
    """Hint the cache to load row i of a C-contiguous 2-D int8 table (one hint per 64 bytes)."""
    if not _contiguous_int8_table(table):
        return None
    sig = types.void(table, types.intp)

    def codegen(context, builder, signature, args):
        arr = context.make_array(signature.args[0])(context, builder, args[0])
        intp = args[1].type
        ncols = builder.extract_value(arr.shape, 1)
        base = builder.gep(arr.data, [builder.mul(args[1], ncols)], source_etype=ir.IntType(8))
        ptr_ty = base.type
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [ptr_ty, i32, i32, i32]),
            "llvm.prefetch.p0",
        )
        lines = builder.sdiv(builder.add(ncols, ir.Constant(intp, 63)), ir.Constant(intp, 64))
        with cgutils.for_range(builder, lines) as loop:
            ptr = builder.gep(
                base, [builder.mul(loop.index, ir.Constant(intp, 64))], source_etype=ir.IntType(8)
            )
            builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


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


@njit(cache=True, nogil=True, inline="always")
def pattern_dot(m, xiT, i, chunk):
    """Σ_μ ξ_i^μ m_μ, exact in int64: vector blocks of ``chunk`` patterns (:func:`_simd_dot`)."""
    p = xiT.shape[1]
    if p < MIN_SIMD:
        total = np.int64(0)
        for mu in range(p):
            total += np.int64(xiT[i, mu]) * np.int64(m[mu])
        return total
    if p <= chunk:
        return _simd_dot(xiT, i, m, 0, p)
    total = np.int64(0)
    start = 0
    while start < p:
        stop = min(p, start + chunk)
        total += _simd_dot(xiT, i, m, start, stop)
        start = stop
    return total


@njit(cache=True, nogil=True)
def _field(m, xiT, i, s_i, scale, p, b_i, chunk):
    """h_i = scale (Σ_μ ξ_i^μ m_μ − P s_i) + b_i with an exact integer sum."""
    return scale * np.float64(pattern_dot(m, xiT, i, chunk) - p * s_i) + b_i


@njit(cache=True, nogil=True, inline="always")
def _add_pattern_row(m, xiT, i, new):
    """m_μ += 2 · new · ξ_i^μ, exact (in place, without an array view of the row)."""
    if new > 0:
        for mu in range(m.shape[0]):
            m[mu] += xiT[i, mu] + xiT[i, mu]
    else:
        for mu in range(m.shape[0]):
            m[mu] -= xiT[i, mu] + xiT[i, mu]


@njit(cache=True, nogil=True)
def _async_loop(
    s, m, xiT, scale, bias, b, st, order, schedule, tol, sweeps, perm, ahead, probs, t_row, half,
    mode,
):  # fmt: skip
    """:func:`_chain_async` for one ``mode`` (a constant at each call site)."""
    n = s.shape[0]
    p = xiT.shape[1]
    chunk = dot_chunk(n, m.itemsize)
    gap = 0 if mode == ZERO_TEMPERATURE else 1  # draws between two site draws (Glauber)
    count = 0
    for _ in range(sweeps):
        start_sweep(schedule, perm, st)
        sites = order if schedule == FIXED else perm
        for t in range(n):
            i = bounded(st, n) if schedule == RANDOM else sites[t]
            if ahead:
                _prefetch(xiT, next_site(schedule, t, n, order, perm, st, gap, AHEAD))
            old = np.int64(s[i])
            x = pattern_dot(m, xiT, i, chunk) - p * old
            h = scale * np.float64(x) + bias[i]
            # :func:`_probability` written out: as an inlined call taking arrays it costs
            # reference counting per update (22 instead of 12 ns per update, N = 2000, P = 200)
            pr = 0.0
            if mode != ZERO_TEMPERATURE:
                if x < -half or x > half:
                    pr = probability(mode, old, h, b, tol)
                else:
                    j = x + half
                    if mode == METROPOLIS and old > 0:
                        j += 2 * half + 1
                    pr = probs[t_row, j]
                    if pr != pr:
                        pr = probability(mode, old, h, b, tol)
                        probs[t_row, j] = pr
            u = uniform(st) if needs_draw(mode, old, h) else 0.0
            new = outcome(mode, old, h, pr, u, tol)
            if new != old:
                s[i] = new
                count += 1
                _add_pattern_row(m, xiT, i, new)
    return count


@njit(cache=True, nogil=True)
def _chain_async(
    s, m, xiT, scale, bias, b, st, order, schedule, rule, tol, sweeps, perm, ahead, probs, t_row,
    half,
):  # fmt: skip
    """``sweeps`` single-neuron sweeps of one chain; returns the flips made.

    With ``ahead``, the pattern row of the next site is prefetched while this update runs
    (:func:`~statnn.dynamics.numba.schedule.next_site`): a guess that never draws from the
    chain's stream, so the draws and the trajectory are the same with or without it.
    Outcome probabilities come from row ``t_row`` of ``probs`` (:func:`_probability`). The loop
    is compiled once per mode (:func:`~statnn.dynamics.numba.rules.loop_mode`).
    """
    mode = loop_mode(rule, b)
    if mode == GLAUBER:
        return _async_loop(
            s, m, xiT, scale, bias, b, st, order, schedule, tol, sweeps, perm, ahead, probs,
            t_row, half, GLAUBER,
        )  # fmt: skip
    if mode == METROPOLIS:
        return _async_loop(
            s, m, xiT, scale, bias, b, st, order, schedule, tol, sweeps, perm, ahead, probs,
            t_row, half, METROPOLIS,
        )  # fmt: skip
    return _async_loop(
        s, m, xiT, scale, bias, b, st, order, schedule, tol, sweeps, perm, ahead, probs,
        t_row, half, ZERO_TEMPERATURE,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _sync_loop(s, m, xiT, scale, bias, b, st, tol, sweeps, new, probs, t_row, half, mode):
    """:func:`_chain_sync` for one ``mode`` (a constant at each call site)."""
    n = s.shape[0]
    p = xiT.shape[1]
    chunk = dot_chunk(n, m.itemsize)
    count = 0
    for _ in range(sweeps):
        for i in range(n):
            old = np.int64(s[i])
            x = pattern_dot(m, xiT, i, chunk) - p * old
            h = scale * np.float64(x) + bias[i]
            pr = _probability(mode, old, x, h, b, tol, probs, t_row, half)
            u = uniform(st) if needs_draw(mode, old, h) else 0.0
            new[i] = outcome(mode, old, h, pr, u, tol)
        for i in range(n):
            if new[i] != s[i]:
                s[i] = new[i]
                count += 1
                _add_pattern_row(m, xiT, i, new[i])
    return count


@njit(cache=True, nogil=True)
def _chain_sync(s, m, xiT, scale, bias, b, st, rule, tol, sweeps, new, probs, t_row, half):
    """``sweeps`` synchronous (Little) sweeps of one chain; returns the flips made."""
    mode = loop_mode(rule, b)
    if mode == GLAUBER:
        return _sync_loop(
            s, m, xiT, scale, bias, b, st, tol, sweeps, new, probs, t_row, half, GLAUBER
        )
    if mode == METROPOLIS:
        return _sync_loop(
            s, m, xiT, scale, bias, b, st, tol, sweeps, new, probs, t_row, half, METROPOLIS
        )
    return _sync_loop(
        s, m, xiT, scale, bias, b, st, tol, sweeps, new, probs, t_row, half, ZERO_TEMPERATURE
    )


@njit(parallel=True, cache=True, nogil=True)
def pattern_sweeps(
    S, M, xiT, scale, bias, beta, rng, order, schedule, rule, tol, sweeps, flips, ahead, slot,
    probs, half,
):  # fmt: skip
    """Single-neuron updates (random, fixed-order or permuted), ``sweeps`` × N per chain.

    ``ahead``: prefetch the next site's pattern row (worth it when the table is larger than
    the caches, see :func:`prefetch_pays`). Chain k reads its outcome probabilities from
    row ``slot[k]`` of ``probs`` (:func:`probability_tables`, window ``half``)."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        perm = order_buffer(schedule, n)
        flips[k] += _chain_async(
            S[k], M[k], xiT, scale, bias, beta[k], rng[k], order, schedule, rule, tol, sweeps, perm,
            ahead, probs, slot[k], half,
        )  # fmt: skip


@njit(parallel=True, cache=True, nogil=True)
def pattern_synchronous(
    S, M, xiT, scale, bias, beta, rng, rule, tol, sweeps, flips, slot, probs, half
):  # fmt: skip
    """Little dynamics: all neurons from the old overlaps, then the overlaps corrected."""
    K, n = S.shape
    for kk in prange(K):
        k = np.int64(kk)
        new = np.empty(n, dtype=np.int8)
        flips[k] += _chain_sync(
            S[k], M[k], xiT, scale, bias, beta[k], rng[k], rule, tol, sweeps, new, probs, slot[k],
            half,
        )  # fmt: skip


@njit(cache=True, nogil=True)
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
    units, n_rec, every, E, MS, O, Q, rec0, flips, ahead, slot, probs, half,
):  # fmt: skip
    """``n_rec`` blocks of ``every`` sweeps per unit of chains, measured after each block.

    As :func:`statnn.dynamics.numba.dense.dense_records`, and the overlaps
    O[k, rec0 + r, μ] = M_μ / N read from the cache; chain k's probabilities from row
    ``slot[k]`` of ``probs``.
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
                if sync is not None and sync:
                    c = _chain_sync(
                        S[k], M[k], xiT, scale, bias, beta[k], rng[k], rule, tol, every, new,
                        probs, slot[k], half,
                    )  # fmt: skip
                else:
                    c = _chain_async(
                        S[k], M[k], xiT, scale, bias, beta[k], rng[k], order, schedule, rule, tol,
                        every, perm, ahead, probs, slot[k], half,
                    )  # fmt: skip
                flips[k] += c
                m = M[k]
                E[k, rec0 + r] = pattern_energy(S[k], m, scale, bias, biased)
                MS[k, rec0 + r] = spin_sum(S[k])
                for mu in range(m.shape[0]):
                    O[k, rec0 + r, mu] = np.float64(m[mu]) / n
            if units[u, 1] >= 0:
                Q[units[u, 2], rec0 + r] = spin_product_sum(S[units[u, 0]], S[units[u, 1]])
