"""Multi-spin coding for checkerboard sweeps of periodic 1–3 D Ising lattices (numba backend).

Layout
------
Sites are split by checkerboard colour c = (a + y + x) mod 2 on a lattice of shape
(A, B, C) (missing leading axes have size 1). The sites of colour c in row r = (a, y) are
x = 2k + o, o = (a + y + c) mod 2, k = 0 … n − 1 with n = C / 2; spin k of that colour row is
bit k mod 64 of word k // 64 of ``P[chain, c, r]`` (bit set: S = +1). With this packing all
neighbours of a colour-c word are words of colour 1 − c:

* rows (a, y ± 1) and (a ± 1, y) — the same word index (their colour-(1−c) sites sit at the
  same x);
* row r itself: the same word (site x + 1 if o = 0, x − 1 if o = 1) and the word shifted by
  one bit, carrying across word boundaries and wrapping around the row (site x − 1 when
  o = 0: "value at k − 1"; x + 1 when o = 1: "value at k + 1").

**Which lattices use it** (:func:`multispin_applies`): checkerboard schedule, periodic
boundaries, every side even, one bias value for all sites, and a row of colour c that fills
whole words or fits in one: n = C / 2 ≤ 64 or n a multiple of 64 (C ≤ 128 or C a multiple
of 128). Any other lattice runs the one-spin-at-a-time kernel
:func:`statnn.dynamics.numba.lattice.lattice_checkerboard`; the choice is made when the
kernel is built and is visible as ``NumbaKernel.multispin``.

Update (exact)
--------------
For the 64 spins of a word the D = 2d neighbour words are added bit-sliced (three bit
planes c0, c1, c2 hold a count 0 … D per spin). The count is of neighbours equal to +1
(Glauber) or aligned with the spin (Metropolis, ``aligned``); with the spin s it fixes the
local field h = J (2 n₊ − D) + b and so the probability p(s, count) of the outcome:

* Glauber: new spin +1 with p = 1 / (1 + exp(−2βh)) — new = [U < p];
* Metropolis: flip with p = min(1, exp(−β ΔE)), ΔE = 2 s h — new = s XOR [U < p];
* β = ∞: p ∈ {0, 1} with the sign rule of :mod:`statnn.dynamics.numba.rules` (h = 0 keeps s).

Spins whose p is 0 or 1 need no random bits. For the others, [U < p] with U uniform in
[0, 1) is decided bitwise, all 64 lanes at once: p is written as a 64-bit binary fraction
p = 0.t₁t₂…t₆₄ (exact for p ≥ 2⁻¹¹, since a float64 has 53 significant bits; truncated, an
error below 2⁻⁶⁴, for smaller p), and the j-th random word supplies bit u_j of each lane's
U. A lane is decided at the first j with u_j ≠ t_j (U < p iff t_j = 1 there); undecided
lanes take the next word. So P(U < p) = ⌊p·2⁶⁴⌋ / 2⁶⁴ exactly, each lane's bits are
independent of every other lane's (different bit positions of independent words), and a
word costs on average about log₂(lanes needing randomness) + 1.3 random words, not 64.

Random streams and threads
--------------------------
Every row of every chain owns a xoshiro256** stream: row r of chain k takes words
4r … 4r + 3 of the output of a PCG64 generator seeded by ``seed.spawn(K)[k]``
(:func:`seed_row_states`).
Rows are cut into blocks of :data:`ROWS_PER_BLOCK` rows, a partition that depends only on
the lattice. The rows of a full block are updated in lockstep, one vector lane each
(:func:`_lanes`); a shorter last block row by row (:func:`_row`). A row draws only while
its word has undecided spins, in both, so the two make the same draws and the same spins
bit for bit. Rows of one colour do not interact, so the blocks of a half-sweep can run in
any order or at once: with at least as many chains as threads, each thread runs whole
chains (one parallel region per call); with fewer chains than threads and a half-sweep
long enough to pay for the fork and join (``Multispin.split_min_words`` in
:mod:`statnn.dynamics.numba.kernel`), every half-sweep runs its (chain, block) pairs in
parallel (:func:`msc_sweeps_blocks`, and :func:`msc_records_split` for the record loop).
The draws of a row never depend on the thread count or the mode.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, types
from numba.extending import intrinsic

from statnn.dynamics.numba.rng import next_u64_local
from statnn.dynamics.numba.rules import probability

#: Rows per block: the rows a full block updates in lockstep (one vector lane each), and
#: the unit the threads share. Every row has its own random stream.
ROWS_PER_BLOCK = 16
LANES = ROWS_PER_BLOCK

MAXQ = 14  # classes (spin, count): 2 × (D + 1), D ≤ 6

_ONE = np.uint64(1)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_ZERO = np.uint64(0)
_S63 = np.uint64(63)
_TWO64 = 18446744073709551616.0


@intrinsic
def popcount(typingctx, x):
    """Number of set bits of a uint64 (LLVM ``ctpop``: one ``popcnt`` instruction)."""
    if x != types.uint64:
        return None

    def codegen(context, builder, sig, args):
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


def multispin_applies(shape, periodic, uniform_bias) -> bool:
    """Whether checkerboard sweeps of this lattice use multi-spin coding (module docstring)."""
    if not periodic or not uniform_bias or any(side % 2 for side in shape):
        return False
    n = shape[-1] // 2
    return n <= 64 or n % 64 == 0


@njit(cache=True, nogil=True)
def n_blocks(rows):
    """Blocks of :data:`ROWS_PER_BLOCK` rows (the last may be shorter)."""
    return (rows + ROWS_PER_BLOCK - 1) // ROWS_PER_BLOCK


def geometry(shape):
    """(A, B, C, n, nw, rows, nblocks) of a lattice shape (leading axes padded with 1)."""
    A, B, C = (1,) * (3 - len(shape)) + tuple(int(s) for s in shape)
    n = C // 2
    nw = (n + 63) // 64
    rows = A * B
    nblocks = n_blocks(rows)
    return A, B, C, n, nw, rows, nblocks


def seed_row_states(seed: np.random.SeedSequence, count: int, rows: int) -> np.ndarray:
    """(count, rows, 4) uint64 xoshiro256** states: row r of chain k is words 4r … 4r + 3 of
    ``PCG64(seed.spawn(count)[k]).random_raw(4 · rows)``.

    Chain k's child sequence seeds a PCG64 generator whose first 4 · rows outputs fill the
    row states (``generate_state`` of 4 · rows words would hash every word: ~65 µs for a
    128-row lattice against ~3 µs here).
    """
    states = np.empty((count, rows, 4), dtype=np.uint64)
    for k, child in enumerate(seed.spawn(count)):
        states[k] = np.random.PCG64(child).random_raw(4 * rows).reshape(rows, 4)
    zero = ~states.any(axis=-1)
    states[zero, 0] = 1  # the all-zero state is the one xoshiro cannot leave
    return states


@njit(cache=True)
def row_table(A, B):
    """(rows, 5) uint64: for row r = (a, y), the rows (a, y − 1), (a, y + 1), (a − 1, y),
    (a + 1, y) (periodic) and the parity (a + y) mod 2."""
    rows = A * B
    table = np.empty((rows, 5), dtype=np.uint64)
    for r in range(rows):
        a = r // B
        y = r - a * B
        table[r, 0] = r - 1 if y > 0 else r + B - 1
        table[r, 1] = r + 1 if y < B - 1 else a * B
        table[r, 2] = r - B if a > 0 else r + (A - 1) * B
        table[r, 3] = r + B if a < A - 1 else y
        table[r, 4] = (a + y) & 1
    return table


# -- packing ---------------------------------------------------------------------------------
@njit(parallel=True, cache=True)
def pack(S, P, A, B, C):
    """P[k, c, r] ← the colour-c spins of row r of chain k, one bit each (+1 ↦ 1)."""
    K = S.shape[0]
    for kk in prange(K):
        k = np.int64(kk)
        P[k, :, :, :] = _ZERO
        for r in range(A * B):
            a = r // B
            y = r - a * B
            base = r * C
            for x in range(C):
                up = np.uint64(S[k, base + x] > 0)  # no branch: random spins defeat prediction
                c = (a + y + x) & 1
                kb = x >> 1
                P[k, c, r, kb >> 6] |= up << np.uint64(kb & 63)


@njit(parallel=True, cache=True)
def unpack(P, S, A, B, C):
    """S[k] ← ±1 spins from the packed words (inverse of :func:`pack`)."""
    K = S.shape[0]
    for kk in prange(K):
        k = np.int64(kk)
        for r in range(A * B):
            a = r // B
            y = r - a * B
            base = r * C
            for x in range(C):
                c = (a + y + x) & 1
                kb = x >> 1
                bit = (P[k, c, r, kb >> 6] >> np.uint64(kb & 63)) & _ONE
                S[k, base + x] = np.int8(2 * np.int64(bit) - 1)


# -- tables ----------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _probability(rule, s, count, D, J, b0, beta, aligned, tol):
    """p(s, count): Glauber P(new = +1), Metropolis P(flip); s = ±1 (one value of
    :func:`statnn.dynamics.numba.rules.probability`)."""
    n_plus = count if (not aligned or s > 0) else D - count
    return probability(rule, s, J * (2 * n_plus - D) + b0, beta, tol)


@njit(cache=True)
def tables(rule, D, J, b0, beta, aligned, tol, rcls, rgrp, counts, dcls, tbits):
    """Per chain: the (spin, count) classes that need random bits, grouped by p, and the
    deterministic ones (whichever of the p = 1 or p = 0 sets has fewer classes; mode 1:
    the set listed is p = 1, mode 0: it is p = 0 and the p = 1 lanes are its complement)."""
    K = beta.shape[0]
    for k in range(K):
        nr = 0
        ng = 0
        gvals = np.empty(MAXQ)
        ones = np.empty((MAXQ, 5), dtype=np.uint64)
        zeros = np.empty((MAXQ, 5), dtype=np.uint64)
        n1 = 0
        n0 = 0
        for cnt in range(D + 1):
            f0 = _ZERO if cnt & 1 else _ALL
            f1 = _ZERO if cnt & 2 else _ALL
            f2 = _ZERO if cnt & 4 else _ALL
            p_up = _probability(rule, 1, cnt, D, J, b0, beta[k], aligned, tol)
            p_dn = _probability(rule, -1, cnt, D, J, b0, beta[k], aligned, tol)
            merged = p_up == p_dn
            for side in range(1 if merged else 2):
                p = p_up if side == 0 else p_dn
                row = np.empty(5, dtype=np.uint64)
                row[0] = f0
                row[1] = f1
                row[2] = f2
                row[3] = _ZERO if side == 0 else _ALL  # s ^ ns: s for s = +1 lanes, ~s for −1
                row[4] = _ALL if merged else _ZERO
                fixed = np.uint64(p * _TWO64) if p < 1.0 else _ZERO
                if p >= 1.0:
                    ones[n1, :] = row
                    n1 += 1
                elif fixed == _ZERO:
                    zeros[n0, :] = row
                    n0 += 1
                else:
                    g = -1
                    for gg in range(ng):
                        if gvals[gg] == p:
                            g = gg
                    if g < 0:
                        g = ng
                        gvals[ng] = p
                        ng += 1
                        for j in range(64):
                            bit = (fixed >> np.uint64(63 - j)) & _ONE
                            tbits[k, g, j] = _ALL if bit else _ZERO
                    rcls[k, nr, :] = row
                    rgrp[k, nr] = g
                    nr += 1
        counts[k, 0] = nr
        counts[k, 1] = ng
        # sort the random classes by group (stable), as the update loop expects
        order = np.argsort(rgrp[k, :nr], kind="mergesort")
        rows_sorted = rcls[k, :nr, :].copy()
        groups_sorted = rgrp[k, :nr].copy()
        for q in range(nr):
            rcls[k, q, :] = rows_sorted[order[q], :]
            rgrp[k, q] = groups_sorted[order[q]]
        if n1 <= n0:
            counts[k, 2] = n1
            counts[k, 3] = 1
            for q in range(n1):
                dcls[k, q, :] = ones[q, :]
        else:
            counts[k, 2] = n0
            counts[k, 3] = 0
            for q in range(n0):
                dcls[k, q, :] = zeros[q, :]


# -- the update of a block of rows ---------------------------------------------------------------
@njit(cache=True, nogil=True, inline="always")
def _row_bits(n):
    """(full, valid, top) of rows of n bits: whether they fill whole words, the mask of
    the valid bits of a word, and the index of a one-word row's last bit."""
    full = n % 64 == 0
    valid = _ALL if full else (_ONE << np.uint64(n)) - _ONE
    return full, valid, np.uint64(n - 1)


@njit(cache=True, nogil=True, inline="always")
def _in_row(v, before, after, o, full, valid, top):
    """The in-row neighbours of a word's spins that sit in the other-colour word ``v`` one
    bit over: site x − 1 for offset o = 0 ("value at k − 1"), x + 1 for o = 1 ("value at
    k + 1"), carried from the words ``before`` / ``after`` when rows fill whole words, else
    wrapped around the row of n = top + 1 bits."""
    if full:
        if o == 0:
            return (v << _ONE) | (before >> _S63)
        return (v >> _ONE) | (after << _S63)
    if o == 0:
        return ((v << _ONE) | (v >> top)) & valid
    return (v >> _ONE) | ((v & _ONE) << top)


@njit(cache=True, nogil=True, inline="always")
def _add(c0, c1, c2, x):
    """Add the bit plane x to the bit-sliced counter (c0, c1, c2) (counts stay below 8)."""
    carry = c0 & x
    c0 = c0 ^ x
    carry2 = c1 & carry
    c1 = c1 ^ carry
    c2 = c2 | carry2
    return c0, c1, c2


@njit(cache=True, nogil=True, inline="always")
def _add_pair(c0, c1, c2, x, z, s, aligned):
    """Add the neighbour words x and z (one axis, both sides) to the counter; with
    ``aligned`` count the neighbours equal to the spin s, else those set (+1)."""
    if aligned:
        x = ~(x ^ s)
        z = ~(z ^ s)
    c0, c1, c2 = _add(c0, c1, c2, x)
    return _add(c0, c1, c2, z)


@njit(cache=True, nogil=True, inline="always")
def _class_mask(cls, q, c0, c1, c2, s):
    return (c0 ^ cls[q, 0]) & (c1 ^ cls[q, 1]) & (c2 ^ cls[q, 2]) & ((s ^ cls[q, 3]) | cls[q, 4])


@njit(cache=True, nogil=True)
def _row(P, k, color, r, A, B, n, nw, aligned, glauber, rcls, rgrp, cnt, dcls, tb, st, gm):
    """Update colour ``color`` in row r of chain k, one word at a time; draws from the
    row's stream ``st``; ``gm`` is scratch (MAXQ words). Flips made."""
    nr = cnt[0]
    ng = cnt[1]
    nd = cnt[2]
    det_ones = cnt[3] == 1
    full, valid, top = _row_bits(n)
    own = P[k, color]
    nb = P[k, 1 - color]
    s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
    flips = np.uint64(0)
    a = r // B
    y = r - a * B
    o = (a + y + color) & 1
    up = r - 1 if y > 0 else r + B - 1
    down = r + 1 if y < B - 1 else a * B
    front = r - B if a > 0 else r + (A - 1) * B
    back = r + B if a < A - 1 else y
    for j in range(nw):
        s = own[r, j]
        v = nb[r, j]
        w = _in_row(v, nb[r, j - 1 if j > 0 else nw - 1], nb[r, j + 1 if j < nw - 1 else 0],
                    o, full, valid, top)  # fmt: skip
        if aligned:
            v = ~(v ^ s)
            w = ~(w ^ s)
        c0 = v ^ w
        c1 = v & w
        c2 = _ZERO
        if B > 1:
            c0, c1, c2 = _add_pair(c0, c1, c2, nb[up, j], nb[down, j], s, aligned)
        if A > 1:
            c0, c1, c2 = _add_pair(c0, c1, c2, nb[front, j], nb[back, j], s, aligned)
        # lanes that need random bits, by threshold group (classes sorted by group)
        und = _ZERO
        q = 0
        for g in range(ng):
            m = _ZERO
            while q < nr and rgrp[q] == g:
                m |= _class_mask(rcls, q, c0, c1, c2, s)
                q += 1
            gm[g] = m
            und |= m
        det = _ZERO
        for q in range(nd):
            det |= _class_mask(dcls, q, c0, c1, c2, s)
        lt = det if det_ones else ~(det | und)
        und &= valid
        for g in range(ng, 5):
            gm[g] = _ZERO
        g0, g1, g2, g3, g4 = gm[0], gm[1], gm[2], gm[3], gm[4]
        jbit = 0
        while und != _ZERO and jbit < 64:
            u, s0, s1, s2, s3 = next_u64_local(s0, s1, s2, s3)
            if ng <= 5:  # the thresholds in registers (as in _lanes)
                t = (
                    (g0 & tb[0, jbit])
                    | (g1 & tb[1, jbit])
                    | (g2 & tb[2, jbit])
                    | (g3 & tb[3, jbit])
                    | (g4 & tb[4, jbit])
                )
            else:
                t = _ZERO
                for g in range(ng):
                    t |= gm[g] & tb[g, jbit]
            lt |= und & t & ~u
            und &= ~(u ^ t)
            jbit += 1
        new = lt if glauber else s ^ lt
        new &= valid
        flips += popcount(new ^ s)
        own[r, j] = new
    st[0], st[1], st[2], st[3] = s0, s1, s2, s3
    return np.int64(flips)


# Scratch of :func:`_lanes`, one row of LANES words per quantity (word index X·LANES + lane):
# the four stream words, the spin word, the three count planes, the undecided lanes, the
# [U < p] lanes, the threshold bits of the current random word, then one row per group.
_X0, _XS, _XC0, _XC1, _XC2, _XUND, _XLT, _XT, _XGM = 0, 4, 5, 6, 7, 8, 9, 10, 11
SCRATCH = (_XGM + MAXQ) * LANES


@njit(cache=True, nogil=True)
def _lanes(P, k, color, r0, A, B, n, nw, aligned, glauber, rcls, rgrp, cnt, dcls, tb, rng_k, W, rows_at):
    """:func:`_row` for the LANES rows r0 … r0 + LANES − 1 in lockstep, one row per lane.

    Each lane draws from its own row's stream, and only while its word has undecided
    spins, so every row makes exactly the draws :func:`_row` makes: the results are the
    same bit for bit. Written as loops over the lanes with scratch at constant offsets
    (``W``, :data:`SCRATCH` words) so that the compiler vectorises the class masks and the
    random-bit loop across the rows; ``rows_at`` is :func:`row_table`.
    """
    nr = cnt[0]
    ng = cnt[1]
    nd = cnt[2]
    det_ones = cnt[3] == 1
    full, valid, top = _row_bits(n)
    own = P[k, color]
    nb = P[k, 1 - color]
    flips = np.uint64(0)
    first = np.uint64(r0)
    ucolor = np.uint64(color)
    for lane in range(LANES):
        for x in range(4):
            W[(_X0 + x) * LANES + lane] = rng_k[r0 + lane, x]
    for jj in range(nw):
        j = np.uint64(jj)
        left = np.uint64(jj - 1 if jj > 0 else nw - 1)
        right = np.uint64(jj + 1 if jj < nw - 1 else 0)
        for lane in range(LANES):  # the neighbour counts (scalar: rows need gathers)
            r = first + np.uint64(lane)
            s = own[r, j]
            v = nb[r, j]
            w = _in_row(v, nb[r, left], nb[r, right], rows_at[r, 4] ^ ucolor, full, valid, top)
            if aligned:
                v = ~(v ^ s)
                w = ~(w ^ s)
            c0 = v ^ w
            c1 = v & w
            c2 = _ZERO
            if B > 1:
                c0, c1, c2 = _add_pair(c0, c1, c2, nb[rows_at[r, 0], j], nb[rows_at[r, 1], j], s, aligned)
            if A > 1:
                c0, c1, c2 = _add_pair(c0, c1, c2, nb[rows_at[r, 2], j], nb[rows_at[r, 3], j], s, aligned)
            W[_XS * LANES + lane] = s
            W[_XC0 * LANES + lane] = c0
            W[_XC1 * LANES + lane] = c1
            W[_XC2 * LANES + lane] = c2
            W[_XUND * LANES + lane] = _ZERO
            W[_XLT * LANES + lane] = _ZERO
        for g in range(max(ng, 5)):  # groups ng … 4 stay zero for the inline thresholds
            row = np.uint64((_XGM + g) * LANES)
            for lane in range(LANES):
                W[row + np.uint64(lane)] = _ZERO
        for q in range(nr):  # random classes → their group's lanes and the undecided lanes
            f0, f1, f2, f3, f4 = rcls[q, 0], rcls[q, 1], rcls[q, 2], rcls[q, 3], rcls[q, 4]
            row = np.uint64((_XGM + rgrp[q]) * LANES)
            for lane in range(LANES):
                m = (
                    (W[_XC0 * LANES + lane] ^ f0)
                    & (W[_XC1 * LANES + lane] ^ f1)
                    & (W[_XC2 * LANES + lane] ^ f2)
                    & ((W[_XS * LANES + lane] ^ f3) | f4)
                )
                W[row + np.uint64(lane)] |= m
                W[_XUND * LANES + lane] |= m
        for q in range(nd):  # deterministic classes
            f0, f1, f2, f3, f4 = dcls[q, 0], dcls[q, 1], dcls[q, 2], dcls[q, 3], dcls[q, 4]
            for lane in range(LANES):
                W[_XLT * LANES + lane] |= (
                    (W[_XC0 * LANES + lane] ^ f0)
                    & (W[_XC1 * LANES + lane] ^ f1)
                    & (W[_XC2 * LANES + lane] ^ f2)
                    & ((W[_XS * LANES + lane] ^ f3) | f4)
                )
        pending = _ZERO
        for lane in range(LANES):
            und = W[_XUND * LANES + lane]
            det = W[_XLT * LANES + lane]
            W[_XLT * LANES + lane] = det if det_ones else ~(det | und)
            und &= valid
            W[_XUND * LANES + lane] = und
            pending |= und
        jbit = 0
        while pending != _ZERO and jbit < 64:
            if ng > 5:
                for lane in range(LANES):
                    W[_XT * LANES + lane] = _ZERO
                for g in range(ng):
                    bits = tb[g, jbit]
                    row = np.uint64((_XGM + g) * LANES)
                    for lane in range(LANES):
                        W[_XT * LANES + lane] |= W[row + np.uint64(lane)] & bits
            b0, b1, b2, b3, b4 = tb[0, jbit], tb[1, jbit], tb[2, jbit], tb[3, jbit], tb[4, jbit]
            pending = _ZERO
            for lane in range(LANES):
                und = W[_XUND * LANES + lane]
                s0 = W[_X0 * LANES + lane]
                s1 = W[(_X0 + 1) * LANES + lane]
                s2 = W[(_X0 + 2) * LANES + lane]
                s3 = W[(_X0 + 3) * LANES + lane]
                u, n0, n1, n2, n3 = next_u64_local(s0, s1, s2, s3)
                drew = und != _ZERO  # a decided row draws nothing, as in _row
                W[_X0 * LANES + lane] = n0 if drew else s0
                W[(_X0 + 1) * LANES + lane] = n1 if drew else s1
                W[(_X0 + 2) * LANES + lane] = n2 if drew else s2
                W[(_X0 + 3) * LANES + lane] = n3 if drew else s3
                # thresholds of the lane's group: inline for up to 2 groups (Metropolis
                # without a field) or 5 (Glauber without a field in 2D), else from _XT
                if ng <= 2:
                    t = (W[_XGM * LANES + lane] & b0) | (W[(_XGM + 1) * LANES + lane] & b1)
                elif ng <= 5:
                    t = (
                        (W[_XGM * LANES + lane] & b0)
                        | (W[(_XGM + 1) * LANES + lane] & b1)
                        | (W[(_XGM + 2) * LANES + lane] & b2)
                        | (W[(_XGM + 3) * LANES + lane] & b3)
                        | (W[(_XGM + 4) * LANES + lane] & b4)
                    )
                else:
                    t = W[_XT * LANES + lane]
                W[_XLT * LANES + lane] |= und & t & ~u
                und &= ~(u ^ t)
                W[_XUND * LANES + lane] = und
                pending |= und
            jbit += 1
        for lane in range(LANES):
            s = W[_XS * LANES + lane]
            lt = W[_XLT * LANES + lane]
            new = (lt if glauber else s ^ lt) & valid
            flips += popcount(new ^ s)
            own[first + np.uint64(lane), j] = new
    for lane in range(LANES):
        for x in range(4):
            rng_k[r0 + lane, x] = W[(_X0 + x) * LANES + lane]
    return np.int64(flips)


@njit(cache=True, nogil=True)
def _block(P, k, color, q, A, B, n, nw, aligned, glauber, rcls, rgrp, cnt, dcls, tb, rng_k, W, rows_at):
    """Update colour ``color`` in block q of chain k (rows q·LANES …): a full block in
    lockstep (:func:`_lanes`), a shorter last block row by row (:func:`_row`); the draws
    are the same either way. ``rng_k`` (rows, 4): the chain's row streams. Flips made."""
    rows = P.shape[2]
    r0 = q * LANES
    if r0 + LANES <= rows:
        return _lanes(P, k, color, r0, A, B, n, nw, aligned, glauber, rcls, rgrp, cnt, dcls, tb, rng_k, W, rows_at)
    total = 0
    for r in range(r0, rows):
        total += _row(P, k, color, r, A, B, n, nw, aligned, glauber, rcls, rgrp, cnt, dcls, tb, rng_k[r], W)
    return total


# Arguments of the two sweep drivers (types as numba infers them from the kernel's arrays):
#   P (K, 2, rows, nw): uint64[:, :, :, ::1]
#   rng (K, rows, 4): uint64[:, :, ::1]
#   rows_at (rows, 5): uint64[:, ::1] (row_table)
#   A: int64
#   B: int64
#   n (bits per colour row): int64
#   aligned count (Metropolis): boolean
#   glauber: boolean
#   rcls: uint64[:, :, ::1]
#   rgrp: int64[:, ::1]
#   counts: int64[:, ::1]
#   dcls: uint64[:, :, ::1]
#   tbits: uint64[:, :, ::1]
#   sweeps: int64
#   flips (K,): int64[::1]


@njit(parallel=True, cache=True, nogil=True)
def msc_sweeps_chains(P, rng, rows_at, A, B, n, aligned, glauber, rcls, rgrp, cnt, dcls, tb, sweeps, flips):
    """``sweeps`` checkerboard sweeps, chains in parallel (each thread runs whole chains)."""
    K = P.shape[0]
    for kk in prange(K):
        k = np.int64(kk)
        W = np.empty(SCRATCH, dtype=np.uint64)
        flips[k] += _chain_sweeps(
            P, rng, rows_at, k, A, B, n, aligned, glauber,
            rcls[k], rgrp[k], cnt[k], dcls[k], tb[k], sweeps, W,
        )  # fmt: skip


@njit(parallel=True, cache=True, nogil=True)
def msc_sweeps_blocks(P, rng, rows_at, A, B, n, aligned, glauber, rcls, rgrp, cnt, dcls, tb, sweeps, flips):
    """``sweeps`` checkerboard sweeps, every half-sweep's (chain, row block) pairs in parallel."""
    K, _, rows, nw = P.shape
    nblocks = n_blocks(rows)
    per_block = np.zeros(K * nblocks, dtype=np.int64)
    for _ in range(sweeps):
        for color in range(2):
            for t in prange(K * nblocks):
                k = np.int64(t) // nblocks
                q = np.int64(t) - k * nblocks
                W = np.empty(SCRATCH, dtype=np.uint64)
                per_block[t] += _block(
                    P, k, color, q, A, B, n, nw, aligned, glauber,
                    rcls[k], rgrp[k], cnt[k], dcls[k], tb[k], rng[k], W, rows_at,
                )  # fmt: skip
    for k in range(K):
        total = 0
        for q in range(nblocks):
            total += per_block[k * nblocks + q]
        flips[k] += total


# -- the record loop ---------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _chain_sweeps(P, rng, rows_at, k, A, B, n, aligned, glauber, rcls, rgrp, cnt, dcls, tb, sweeps, W):
    """``sweeps`` checkerboard sweeps of chain k (its row blocks in order); flips made.
    ``W``: :data:`SCRATCH` words of scratch."""
    rows, nw = P.shape[2], P.shape[3]
    nblocks = n_blocks(rows)
    total = 0
    for _ in range(sweeps):
        for color in range(2):
            for q in range(nblocks):
                total += _block(
                    P, k, color, q, A, B, n, nw, aligned, glauber,
                    rcls, rgrp, cnt, dcls, tb, rng[k], W, rows_at,
                )  # fmt: skip
    return total


@njit(cache=True, nogil=True)
def packed_counts(P, words, k, A, B, n):
    """(aligned bonds, spins up) of chain k by popcount over its packed words.

    Every bond joins a colour-0 site to a colour-1 site, so the bonds are counted once from
    the colour-0 words: Σ_bonds S_i S_j = 2 · aligned − N·D/2. ``words`` is ``P`` seen as
    (K, 2, rows · nw), made once by the caller: the one-word path then reads contiguous
    rows (a view made here, per call, would cost more than the count on small lattices).
    """
    if P.shape[3] == 1:
        return _counts_one_word(words, k, A, B, n)
    return _counts_rows(P, k, A, B, n, 0, P.shape[2])


@njit(cache=True, nogil=True)
def _counts_one_word(words, k, A, B, n):
    """:func:`packed_counts` for rows of one word (``words``: (K, 2, rows)), bond by bond
    type: loops over contiguous rows that the compiler vectorises. Counted as D · (sites
    of colour 0) minus the bonds whose ends differ, popcount(s XOR x)."""
    full, valid, top = _row_bits(n)
    own = words[k, 0]
    nb = words[k, 1]
    differ = np.uint64(0)
    ones = np.uint64(0)
    for a in range(A):
        base = a * B
        # in-row bonds (the parity of row (a, y) is (a + y) mod 2)
        for y in range(B):
            r = base + y
            s = own[r]
            v = nb[r]
            w = _in_row(v, v, v, (a + y) & 1, full, valid, top)  # one word: it carries itself
            ones += popcount(s) + popcount(v)
            differ += popcount((s ^ v) & valid) + popcount((s ^ w) & valid)
        if B > 1:
            for y in range(1, B):  # (y, y - 1) and (y - 1, y)
                differ += popcount(own[base + y] ^ nb[base + y - 1])
                differ += popcount(own[base + y - 1] ^ nb[base + y])
            differ += popcount(own[base] ^ nb[base + B - 1])
            differ += popcount(own[base + B - 1] ^ nb[base])
        if A > 1:
            prev = (a - 1 if a > 0 else A - 1) * B
            for y in range(B):
                differ += popcount(own[base + y] ^ nb[prev + y])
                differ += popcount(own[prev + y] ^ nb[base + y])
    D = 2 + (2 if B > 1 else 0) + (2 if A > 1 else 0)
    return D * A * B * n - np.int64(differ), np.int64(ones)


@njit(cache=True, nogil=True)
def _counts_rows(P, k, A, B, n, r0, r1):
    """:func:`packed_counts` over rows r0 … r1 − 1 (the bonds of their colour-0 words)."""
    nw = P.shape[3]
    full, valid, top = _row_bits(n)
    own = P[k, 0]
    nb = P[k, 1]
    aligned = np.uint64(0)
    ones = np.uint64(0)
    a = r0 // B
    y = r0 - a * B
    for r in range(r0, r1):
        o = (a + y) & 1
        up = r - 1 if y > 0 else r + B - 1
        down = r + 1 if y < B - 1 else a * B
        front = r - B if a > 0 else r + (A - 1) * B
        back = r + B if a < A - 1 else y
        y += 1
        if y == B:
            y = 0
            a += 1
        for j in range(nw):
            s = own[r, j]
            v = nb[r, j]
            ones += popcount(s) + popcount(v)
            w = _in_row(v, nb[r, j - 1 if j > 0 else nw - 1], nb[r, j + 1 if j < nw - 1 else 0],
                        o, full, valid, top)  # fmt: skip
            aligned += popcount(~(s ^ v) & valid) + popcount(~(s ^ w) & valid)
            if B > 1:
                aligned += popcount(~(s ^ nb[up, j]) & valid)
                aligned += popcount(~(s ^ nb[down, j]) & valid)
            if A > 1:
                aligned += popcount(~(s ^ nb[front, j]) & valid)
                aligned += popcount(~(s ^ nb[back, j]) & valid)
    return np.int64(aligned), np.int64(ones)


@njit(cache=True, nogil=True)
def packed_product_sum(words, a, b, n_sites):
    """Σ_i S_i^a S_i^b of chains a and b: N − 2 · (number of differing bits); ``words``:
    the packed chains seen as (K, 2, rows · nw) (see :func:`packed_counts`)."""
    diff = np.uint64(0)
    for c in range(2):
        x = words[a, c]
        y = words[b, c]
        for i in range(x.shape[0]):
            diff += popcount(x[i] ^ y[i])
    return n_sites - 2 * np.int64(diff)


@njit(cache=True, nogil=True)
def packed_energy(P, words, k, A, B, n, D, J, b0):
    """(E, Σ_i S_i) of chain k: E = −J Σ_bonds S_i S_j − b Σ_i S_i, exact integer sums
    (``words``: see :func:`packed_counts`)."""
    aligned, ones = packed_counts(P, words, k, A, B, n)
    return _energy_from_counts(aligned, ones, 2 * n * P.shape[2], D, J, b0)


@njit(cache=True, nogil=True, inline="always")
def _energy_from_counts(aligned, ones, n_sites, D, J, b0):
    """(E, Σ_i S_i) from the aligned-bond and up-spin counts (:func:`packed_counts`)."""
    bonds = 2 * aligned - (n_sites // 2) * D
    total = 2 * ones - n_sites
    e = -J * np.float64(bonds)
    if b0 != 0.0:
        e -= b0 * np.float64(total)
    return e, total


@njit(parallel=True, cache=True, nogil=True)
def msc_records(
    P, rng, rows_at, A, B, n, D, J, b0, aligned, glauber, rcls, rgrp, cnt, dcls, tb, tidx,
    units, n_rec, every, E, MS, Q, rec0, flips,
):  # fmt: skip
    """``n_rec`` blocks of ``every`` sweeps per unit of chains, measured by popcount after
    each block (as :func:`statnn.dynamics.numba.dense.dense_records`). Chain k uses the
    probability tables of row ``tidx[k]`` (its temperature)."""
    n_sites = 2 * n * P.shape[2]
    words = P.reshape(P.shape[0], 2, P.shape[2] * P.shape[3])
    for uu in prange(units.shape[0]):
        u = np.int64(uu)
        W = np.empty(SCRATCH, dtype=np.uint64)
        for r in range(n_rec):
            for w in range(2):
                k = units[u, w]
                if k < 0:
                    continue
                t = tidx[k]
                flips[k] += _chain_sweeps(
                    P, rng, rows_at, k, A, B, n, aligned, glauber,
                    rcls[t], rgrp[t], cnt[t], dcls[t], tb[t], every, W,
                )  # fmt: skip
                e, total = packed_energy(P, words, k, A, B, n, D, J, b0)
                E[k, rec0 + r] = e
                MS[k, rec0 + r] = total
            if units[u, 1] >= 0:
                a, b = units[u, 0], units[u, 1]
                Q[units[u, 2], rec0 + r] = packed_product_sum(words, a, b, n_sites)


@njit(parallel=True, cache=True, nogil=True)
def msc_records_split(
    P, rng, rows_at, A, B, n, D, J, b0, aligned, glauber, rcls, rgrp, cnt, dcls, tb, tidx,
    units, n_rec, every, E, MS, Q, rec0, flips,
):  # fmt: skip
    """As :func:`msc_records`, for fewer chains than threads: every half-sweep runs the
    (chain, row block) pairs of the units' chains in parallel, and the popcount
    measurement runs by row block too. Each (chain, block) draws from its own stream
    whatever thread runs it, so the records equal those of :func:`msc_records` bit for bit.
    """
    rows = P.shape[2]
    nblocks = n_blocks(rows)
    n_sites = 2 * n * rows
    words = P.reshape(P.shape[0], 2, rows * P.shape[3])
    U = units.shape[0]
    ks = np.empty(2 * U, dtype=np.int64)
    M = 0
    for u in range(U):
        for w in range(2):
            if units[u, w] >= 0:
                ks[M] = units[u, w]
                M += 1
    tasks = M * nblocks
    made = np.zeros(tasks, dtype=np.int64)
    n_aligned = np.zeros(tasks, dtype=np.int64)
    n_ones = np.zeros(tasks, dtype=np.int64)
    for r in range(n_rec):
        for _ in range(every):
            for color in range(2):
                for tt in prange(tasks):
                    t = np.int64(tt)
                    m = t // nblocks
                    q = t - m * nblocks
                    k = ks[m]
                    x = tidx[k]
                    W = np.empty(SCRATCH, dtype=np.uint64)
                    made[t] += _block(
                        P, k, color, q, A, B, n, P.shape[3], aligned, glauber,
                        rcls[x], rgrp[x], cnt[x], dcls[x], tb[x], rng[k], W, rows_at,
                    )  # fmt: skip
        for tt in prange(tasks):
            t = np.int64(tt)
            m = t // nblocks
            q = t - m * nblocks
            r0 = q * ROWS_PER_BLOCK
            n_aligned[t], n_ones[t] = _counts_rows(
                P, ks[m], A, B, n, r0, min(rows, r0 + ROWS_PER_BLOCK)
            )
        for m in range(M):
            k = ks[m]
            al = 0
            on = 0
            for q in range(nblocks):
                al += n_aligned[m * nblocks + q]
                on += n_ones[m * nblocks + q]
            e, total = _energy_from_counts(al, on, n_sites, D, J, b0)
            E[k, rec0 + r] = e
            MS[k, rec0 + r] = total
        for u in range(U):
            if units[u, 1] >= 0:
                a, b = units[u, 0], units[u, 1]
                Q[units[u, 2], rec0 + r] = packed_product_sum(words, a, b, n_sites)
    for m in range(M):
        total = 0
        for q in range(nblocks):
            total += made[m * nblocks + q]
        flips[ks[m]] += total


@njit(cache=True, nogil=True)
def packed_pair_sums(P, who, Q, r, n_sites):
    """As :func:`statnn.dynamics.numba.measure.pair_sums` for packed chains."""
    n_T, chains = who.shape
    pairs = chains // 2
    words = P.reshape(P.shape[0], 2, P.shape[2] * P.shape[3])
    for t in range(n_T):
        for p in range(pairs):
            a, b = who[t, 2 * p], who[t, 2 * p + 1]
            Q[t * pairs + p, r] = packed_product_sum(words, a, b, n_sites)
