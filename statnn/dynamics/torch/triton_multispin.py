"""Multi-spin coded checkerboard updates of periodic lattices (1–3 D) as Triton kernels.

Layout
------
The bit layout of :mod:`statnn.dynamics.numba.multispin` with 32-bit words. A lattice of
shape (A, B, C) (missing leading axes have size 1) is split by checkerboard colour
c = (a + y + x) mod 2; the sites of colour c in row r = a·B + y are x = 2k + o,
o = (a + y + c) mod 2, k = 0 … n − 1 with n = C / 2, and spin k of that colour row is bit
k mod 32 of word k // 32 of ``W[state, c, r]`` (bit set: S = +1). All neighbours of a
colour-c word are words of colour 1 − c: rows (a, y ± 1) and (a ± 1, y) at the same word
index, and in row r itself the same word and the word shifted by one bit (carrying across
word boundaries and around the row).

**Which lattices use it** (:func:`multispin_applies`): periodic, every side even, one bias
value for all sites, and a colour row that fills whole words or fits in one (n ≤ 32 or
n a multiple of 32, i.e. C ≤ 64 or C a multiple of 64).

Update (exact Bernoulli decisions)
----------------------------------
Per 32-bit word the 2d neighbour words are compared with the spins (``~(x ^ s)``: set
where the neighbour is aligned) and added bit-sliced into three bit planes holding the
aligned count a = 0 … 2d of every spin. The local field is h = J·s·(2a − 2d) + b, so the
flip probability depends only on the class (a, s) — and only on a when b = 0:

* Glauber: p = 1 / (1 + exp(β ΔE)), ΔE = 2 s h (the flip form of P(S = +1) =
  1 / (1 + exp(−2βh)));
* Metropolis: p = min(1, exp(−β ΔE));
* β = ∞ (T = 0), both rules: p = 1 if s h < 0 and |h| > tol (the tie tolerance), else 0.

These ≤ 14 numbers per state are computed on the host in float64 (:func:`flip_tables`).
A class with p = 1 flips, one with ⌊p·2⁶⁴⌋ = 0 keeps its spins, without random bits. For
the others the test U < p with U uniform is decided bitwise for all 32 lanes at once (the
scheme of the numba kernel): p is written as a 64-bit binary fraction 0.t₁t₂…t₆₄ and the
j-th random word supplies bit u_j of every lane's U; a lane is decided at the first j with
u_j ≠ t_j (U < p iff t_j = 1 there) and undecided lanes take the next word. So
P(flip) = ⌊p·2⁶⁴⌋ / 2⁶⁴ exactly (p itself for p ≥ 2⁻¹¹; an error below 2⁻⁶⁴ otherwise),
and each lane's bits are independent of every other lane's. The random words come from
Philox-4x32-10 (``tl.philox``, four words per call) counted by (word, state, sweep,
colour, call): they do not depend on how the grid is tiled. A program loops until all of
its lanes are decided (at most 16 calls), on average about log₂(32 · words per program)
+ 2 bits.

Cost
----
Two launches per sweep (one per colour) and, per ``step`` or record call, one to decode
the words into the int8 spins of the state. The record loop measures the words themselves
(:meth:`TritonMultispinKernel._measure`: popcounts, a handful of torch operations per
record, no decoding). Bytes through memory per site and sweep: each half-sweep
reads both colours' words once (the neighbour words of a tile are shared through the
cache) and writes its own: 2 × (1/16 + 1/16 + 1/16) = 0.375 B. Per ``step`` or record call
(not per sweep): the copies of the words and of the int8 spins that keep the input state
valid (0.25 B and 1 B per site, read and written) and the decoding (1/8 B read, 1 B written). Flips are counted in the kernel (a popcount per word,
one atomic add per program and state).
"""

from __future__ import annotations

import numpy as np
import torch
import triton
import triton.language as tl

from statnn.dynamics.torch import triton_common
from statnn.dynamics.torch.base import TorchKernel
from statnn.dynamics.torch.triton_support import interpreting

#: Words × states per program. On a GPU one state and 256 words; Triton's CPU interpreter
#: runs one program at a time in Python, so there batches of states (read at each launch:
#: tests of many states raise it).
WORD_TILE = 256
STATE_TILE = 1
if interpreting():
    WORD_TILE, STATE_TILE = 16, 64

#: Sites × states per program of the pack / unpack kernels.
SITE_TILE, CODEC_STATE_TILE = 1024, 1
if interpreting():
    SITE_TILE, CODEC_STATE_TILE = 32, 256

#: Rows of a temperature's table (:func:`flip_tables`): 64 threshold bits and two flag rows.
_ROWS = 66

#: Integer arguments Triton must not specialise on (sizes, colour, counters, key).
NO_SPECIALIZE = ["K", "rows", "nw", "A", "B", "n", "color", "ctr_lo", "ctr_hi", "key"]
NO_SPECIALIZE_CODEC = ["K", "N", "rows", "nw", "B", "C", "n"]


def multispin_applies(shape, periodic: bool, uniform_bias: bool) -> bool:
    """Whether checkerboard sweeps of this lattice can use the multi-spin kernel."""
    if not periodic or not uniform_bias or any(side % 2 for side in shape):
        return False
    n = shape[-1] // 2
    return n <= 32 or n % 32 == 0


def geometry(shape):
    """(A, B, C, n, nw, rows) of a lattice shape (leading axes padded with 1)."""
    A, B, C = (1,) * (3 - len(shape)) + tuple(int(s) for s in shape)
    n = C // 2
    return A, B, C, n, (n + 31) // 32, A * B


def flip_tables(rule: str, ndim: int, J: float, b: float, betas, tol: float) -> np.ndarray:
    """Flip probabilities as bit masks per temperature: int32 (n_T, 66, 16).

    Column side·8 + a is the class of spin s (side 0: s = +1, side 1: s = −1) with a
    aligned neighbours, p its flip probability (module docstring). Row j < 64 holds bit j
    (0 = the most significant) of ⌊p·2⁶⁴⌋ as a whole word, −1 (all bits set) or 0, for the
    classes decided by random bits (0 for the others); row 64 is −1 for the classes that
    always flip (p = 1), row 65 is −1 for those that need random bits (⌊p·2⁶⁴⌋ > 0).
    """
    D = 2 * ndim
    betas = np.asarray(betas, dtype=np.float64).ravel()
    out = np.zeros((betas.size, _ROWS, 16), dtype=np.int32)
    shifts = np.arange(63, -1, -1, dtype=np.uint64)
    for t, beta in enumerate(betas):
        for side, s in enumerate((1.0, -1.0)):
            for a in range(D + 1):
                col = 8 * side + a
                h = J * (s * (2 * a - D)) + b  # the field as every backend sums it
                sh = s * h
                if np.isinf(beta):
                    p = 1.0 if (sh < 0 and abs(h) > tol) else 0.0
                else:
                    with np.errstate(over="ignore"):
                        x = beta * (2.0 * sh)  # β ΔE
                        if rule == "glauber":
                            p = 1.0 / (1.0 + np.exp(x))
                        else:
                            p = 1.0 if x <= 0 else float(np.exp(-x))
                if p >= 1.0:
                    out[t, 64, col] = -1
                    continue
                fixed = np.uint64(int(p * 2.0**64))  # exact: a power-of-two scaling, the floor
                if fixed == 0:
                    continue
                out[t, 65, col] = -1
                out[t, :64, col] = -((fixed >> shifts) & np.uint64(1)).astype(np.int32)
    return out


@triton.jit
def _count_mask(c0, c1, c2, CNT: tl.constexpr):
    """Lanes whose bit-sliced count (c0, c1, c2) equals CNT."""
    if CNT & 1:
        m = c0
    else:
        m = ~c0
    if CNT & 2:
        m = m & c1
    else:
        m = m & ~c1
    if CNT & 4:
        m = m & c2
    else:
        m = m & ~c2
    return m


@triton.jit
def _add(c0, c1, c2, x):
    """Add the bit plane x to the bit-sliced counter (c0, c1, c2)."""
    carry = c0 & x
    c0 = c0 ^ x
    c2 = c2 | (c1 & carry)
    c1 = c1 ^ carry
    return c0, c1, c2


@triton.jit
def _popcount(x):
    """Set bits of each uint32 (SWAR)."""
    x = x - ((x >> 1) & 0x55555555)
    x = (x & 0x33333333) + ((x >> 2) & 0x33333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F
    return (x * 0x01010101) >> 24


@triton.jit
def _masked(row, m0, m1, m2, m3, m4, m5, m6, s, NDIM: tl.constexpr, SPLIT: tl.constexpr):
    """OR over the classes of (class lanes & table word): one row of :func:`flip_tables`."""
    t = m0 & tl.load(row).to(tl.uint32, bitcast=True)
    t |= m1 & tl.load(row + 1).to(tl.uint32, bitcast=True)
    t |= m2 & tl.load(row + 2).to(tl.uint32, bitcast=True)
    if NDIM >= 2:
        t |= m3 & tl.load(row + 3).to(tl.uint32, bitcast=True)
        t |= m4 & tl.load(row + 4).to(tl.uint32, bitcast=True)
    if NDIM >= 3:
        t |= m5 & tl.load(row + 5).to(tl.uint32, bitcast=True)
        t |= m6 & tl.load(row + 6).to(tl.uint32, bitcast=True)
    if SPLIT:  # the classes of s = −1 in columns 8 …
        g = m0 & tl.load(row + 8).to(tl.uint32, bitcast=True)
        g |= m1 & tl.load(row + 9).to(tl.uint32, bitcast=True)
        g |= m2 & tl.load(row + 10).to(tl.uint32, bitcast=True)
        if NDIM >= 2:
            g |= m3 & tl.load(row + 11).to(tl.uint32, bitcast=True)
            g |= m4 & tl.load(row + 12).to(tl.uint32, bitcast=True)
        if NDIM >= 3:
            g |= m5 & tl.load(row + 13).to(tl.uint32, bitcast=True)
            g |= m6 & tl.load(row + 14).to(tl.uint32, bitcast=True)
        t = (s & t) | (~s & g)
    return t


@triton.jit(do_not_specialize=NO_SPECIALIZE)
def multispin_half(
    W_ptr,  # int32 (K, 2, rows, nw): the packed spins, updated in place
    flips_ptr,  # int64 (K,)
    thr_ptr,  # int32 (n_T, 66, 16): flip_tables
    temp_ptr,  # int32 (K,): the temperature (row of thr) of each state
    K,
    rows,
    nw,
    A,
    B,
    n,
    color,
    ctr_lo,
    ctr_hi,
    key,
    NDIM: tl.constexpr,
    FULL: tl.constexpr,
    SPLIT: tl.constexpr,
    WORD_TILE: tl.constexpr,
    STATE_TILE: tl.constexpr,
):
    """Update the colour-``color`` words of a tile of words × states in place (see module)."""
    pid = tl.program_id(0)
    states = tl.program_id(1) * STATE_TILE + tl.arange(0, STATE_TILE)
    k_ok = states < K
    states = tl.where(k_ok, states, 0)
    k = states[:, None]  # (STATE_TILE, 1)
    nwords = rows * nw
    wi = pid * WORD_TILE + tl.arange(0, WORD_TILE)[None, :]  # (1, WORD_TILE)
    act = (wi < nwords) & k_ok[:, None]
    wi = tl.where(wi < nwords, wi, 0)
    r = wi // nw
    j = wi - r * nw
    a = r // B
    y = r - a * B
    odd = ((a + y + color) & 1) == 1
    base = W_ptr + k.to(tl.int64) * (2 * nwords)
    own = base + color * nwords
    nb = base + (1 - color) * nwords
    s = tl.load(own + wi, mask=act, other=0).to(tl.uint32, bitcast=True)
    v = tl.load(nb + wi, mask=act, other=0).to(tl.uint32, bitcast=True)
    if FULL:  # the row is whole words: carry a bit from the word before or after
        jl = tl.where(j > 0, j - 1, nw - 1)
        jr = tl.where(j < nw - 1, j + 1, 0)
        left = tl.load(nb + r * nw + jl, mask=act & ~odd, other=0).to(tl.uint32, bitcast=True)
        right = tl.load(nb + r * nw + jr, mask=act & odd, other=0).to(tl.uint32, bitcast=True)
        w = tl.where(odd, (v >> 1) | (right << 31), (v << 1) | (left >> 31))
        valid = ~(v & 0)
    else:  # one word holds the row's n < 32 bits: rotate within them
        top = (n - 1).to(tl.uint32)
        valid = ((v & 0) + 1 << (top + 1)) - 1
        w = tl.where(odd, (v >> 1) | ((v & 1) << top), ((v << 1) | (v >> top)) & valid)
    v = ~(v ^ s)  # set where the neighbour is aligned with the spin
    w = ~(w ^ s)
    c0 = v ^ w
    c1 = v & w
    c2 = v & 0
    if NDIM >= 2:
        up = tl.where(y > 0, r - 1, r + B - 1) * nw + j
        down = tl.where(y < B - 1, r + 1, r - y) * nw + j
        x = tl.load(nb + up, mask=act, other=0).to(tl.uint32, bitcast=True)
        c0, c1, c2 = _add(c0, c1, c2, ~(x ^ s))
        x = tl.load(nb + down, mask=act, other=0).to(tl.uint32, bitcast=True)
        c0, c1, c2 = _add(c0, c1, c2, ~(x ^ s))
    if NDIM >= 3:
        front = tl.where(a > 0, r - B, r + (A - 1) * B) * nw + j
        back = tl.where(a < A - 1, r + B, y) * nw + j
        x = tl.load(nb + front, mask=act, other=0).to(tl.uint32, bitcast=True)
        c0, c1, c2 = _add(c0, c1, c2, ~(x ^ s))
        x = tl.load(nb + back, mask=act, other=0).to(tl.uint32, bitcast=True)
        c0, c1, c2 = _add(c0, c1, c2, ~(x ^ s))
    m0 = _count_mask(c0, c1, c2, 0)
    m1 = _count_mask(c0, c1, c2, 1)
    m2 = _count_mask(c0, c1, c2, 2)
    m3 = _count_mask(c0, c1, c2, 3)
    m4 = _count_mask(c0, c1, c2, 4)
    m5 = _count_mask(c0, c1, c2, 5)
    m6 = _count_mask(c0, c1, c2, 6)
    table = thr_ptr + tl.load(temp_ptr + k).to(tl.int64) * (66 * 16)  # (STATE_TILE, 1)
    lt = _masked(table + 64 * 16, m0, m1, m2, m3, m4, m5, m6, s, NDIM, SPLIT) & valid
    und = _masked(table + 65 * 16, m0, m1, m2, m3, m4, m5, m6, s, NDIM, SPLIT) & valid
    und = tl.where(act, und, 0)
    zero = (wi * 0 + k * 0).to(tl.uint32)
    c_word = zero + wi.to(tl.uint32)
    c_state = zero + k.to(tl.uint32)
    c_sweep = zero + ctr_lo.to(tl.uint32)
    c_call = zero + ((ctr_hi * 2 + color) * 16).to(tl.uint32)
    call = pid * 0
    busy = tl.max(tl.max((und != 0).to(tl.int32), axis=1), axis=0)
    while busy != 0:  # 4 bits per Philox call: U < p decided where u_j ≠ t_j
        u0, u1, u2, u3 = tl.philox(key, c_word, c_state, c_sweep, c_call + call.to(tl.uint32))
        row = table + call * (4 * 16)
        t = _masked(row, m0, m1, m2, m3, m4, m5, m6, s, NDIM, SPLIT)
        lt |= und & t & ~u0
        und &= ~(u0 ^ t)
        t = _masked(row + 16, m0, m1, m2, m3, m4, m5, m6, s, NDIM, SPLIT)
        lt |= und & t & ~u1
        und &= ~(u1 ^ t)
        t = _masked(row + 32, m0, m1, m2, m3, m4, m5, m6, s, NDIM, SPLIT)
        lt |= und & t & ~u2
        und &= ~(u2 ^ t)
        t = _masked(row + 48, m0, m1, m2, m3, m4, m5, m6, s, NDIM, SPLIT)
        lt |= und & t & ~u3
        und &= ~(u3 ^ t)
        call += 1
        busy = tl.max(tl.max((und != 0).to(tl.int32), axis=1), axis=0)
        busy = tl.where(call < 16, busy, 0)  # after 64 bits the rest keep their spins (U ≥ t)
    lt = tl.where(act, lt, 0)
    tl.store(own + wi, (s ^ lt).to(tl.int32, bitcast=True), mask=act & (lt != 0))
    count = tl.sum(_popcount(lt).to(tl.int64), axis=1)
    tl.atomic_add(flips_ptr + states, count, mask=k_ok)


@triton.jit(do_not_specialize=NO_SPECIALIZE_CODEC)
def unpack_spins(W_ptr, S_ptr, K, N, rows, nw, B, C, n, SITES: tl.constexpr,
                 STATES: tl.constexpr):  # fmt: skip
    """S[k, i] ← ±1 from the packed words (int8 (K, N), C order over (A, B, C))."""
    states = tl.program_id(1) * STATES + tl.arange(0, STATES)
    k_ok = states < K
    states = tl.where(k_ok, states, 0)
    k = states[:, None].to(tl.int64)
    i = tl.program_id(0) * SITES + tl.arange(0, SITES)[None, :]
    ok = (i < N) & k_ok[:, None]
    x = i % C
    r = i // C
    a = r // B
    y = r - a * B
    c = (a + y + x) & 1
    kb = x // 2
    word = tl.load(W_ptr + k * (2 * rows * nw) + (c * rows + r) * nw + kb // 32, mask=ok, other=0)
    bit = (word.to(tl.uint32, bitcast=True) >> (kb % 32).to(tl.uint32)) & 1
    tl.store(S_ptr + k * N + i, (2 * bit.to(tl.int32) - 1).to(tl.int8), mask=ok)


@triton.jit(do_not_specialize=NO_SPECIALIZE_CODEC)
def pack_spins(S_ptr, W_ptr, K, N, rows, nw, B, C, n, SITES: tl.constexpr,
               STATES: tl.constexpr):  # fmt: skip
    """W[k, c, r, j] ← the colour-c spins of row r, one bit each (inverse of unpack)."""
    states = tl.program_id(1) * STATES + tl.arange(0, STATES)
    k_ok = states < K
    states = tl.where(k_ok, states, 0)
    k = states[:, None].to(tl.int64)
    total = 2 * rows * nw
    wi = tl.program_id(0) * SITES + tl.arange(0, SITES)[None, :]  # word index (c, r, j)
    ok = (wi < total) & k_ok[:, None]
    c = wi // (rows * nw)
    rest = wi - c * (rows * nw)
    r = rest // nw
    j = rest - r * nw
    a = r // B
    y = r - a * B
    o = (a + y + c) & 1
    word = (wi * 0 + k * 0).to(tl.uint32)
    for b in tl.static_range(32):
        kb = j * 32 + b
        here = ok & (kb < n)
        sp = tl.load(S_ptr + k * N + r * C + 2 * kb + o, mask=here, other=-1)
        word |= (sp > 0).to(tl.uint32) << b
    tl.store(W_ptr + k * total + wi, word.to(tl.int32, bitcast=True), mask=ok)


class TritonMultispinKernel(TorchKernel):
    """Checkerboard dynamics with 32 spins per word through :func:`multispin_half`.

    The state keeps the int8 spins (the boundary layout of every torch kernel) and, as its
    cache, the packed words (n_T, chains, 2, rows, nw) int32 that the sweeps run on; the
    spins are decoded from the words once per ``step`` or record call, and the records are
    measured on the words. Equal in distribution to every
    other checkerboard kernel (different random numbers); at T = 0 equal to the numpy
    reference site for site.
    """

    #: Bytes through memory per site and sweep (module docstring), and per site and step in
    #: the decoding kernel and the copy of the int8 spins (read and written: 2 B; the copy
    #: of the words, 0.25 B, is counted by the benchmark).
    bytes_per_site = 2 * 3 / 16
    bytes_per_site_step = 1 / 8 + 1 + 2

    def __init__(self, net, **kw):
        super().__init__(net, **kw)
        lat = net.lattice
        self.grid = lat.shape
        self.ndim = len(self.grid)
        self.A, self.B, self.C, self.nbits, self.nw, self.rows = geometry(self.grid)
        self.J = float(lat.J)
        self.b = float(net.uniform_bias)
        self.split = self.b != 0.0  # a field makes p depend on the spin, not only on a
        self.full = self.nbits % 32 == 0

    def _cache(self, S):
        lead = S.shape[:-1]
        K = S.numel() // self.n
        W = torch.empty((K, 2, self.rows, self.nw), dtype=torch.int32, device=self.device)
        S = S.reshape(K, self.n).contiguous()
        grid = (triton.cdiv(2 * self.rows * self.nw, SITE_TILE), triton.cdiv(K, CODEC_STATE_TILE))
        triton_common.launch(
            pack_spins, grid, S, W, K, self.n, self.rows, self.nw, self.B, self.C, self.nbits,
            SITES=SITE_TILE, STATES=CODEC_STATE_TILE,
        )  # fmt: skip
        return W.reshape(*lead, 2, self.rows, self.nw)

    def unpack(self, W, out=None):
        """int8 spins (K, n) of the packed words W (K, 2, rows, nw), into ``out`` if given."""
        K = W.shape[0]
        S = torch.empty((K, self.n), dtype=torch.int8, device=self.device) if out is None else out
        grid = (triton.cdiv(self.n, SITE_TILE), triton.cdiv(K, CODEC_STATE_TILE))
        triton_common.launch(
            unpack_spins, grid, W, S, K, self.n, self.rows, self.nw, self.B, self.C, self.nbits,
            SITES=SITE_TILE, STATES=CODEC_STATE_TILE,
        )  # fmt: skip
        return S

    def tables(self, betas):
        """:func:`flip_tables` (n_T, 66, 16) int32 on the device (pinned copy on CUDA)."""
        thr = torch.as_tensor(flip_tables(self.rule, self.ndim, self.J, self.b, betas, float(self.tol)))
        if self.device.type == "cuda":
            thr = thr.pin_memory()
        return thr.to(self.device, non_blocking=True)

    #: The sweep number reaches the kernel as a launch argument (the Philox counter).
    graph_safe = False

    def _run(self, betas):
        """The flip tables (n_T, 66, 16) and the temperature of each state (K,) int32:
        state t · chains + c at t (replica exchange rewrites the latter in place)."""
        temps = torch.arange(self.K, dtype=torch.int32, device=self.device) // self.shape[1]
        return self.tables(betas), temps

    def _temperature_tensors(self, run):
        return [run[1]]

    def _advance(self, run, S, cache, gen, first, sweeps, flips):
        """``sweeps`` sweeps on the packed words (the cache) in place; S is left as it was
        (decoded once by :meth:`_sync_spins` at the end of a ``step`` or record loop)."""
        W = cache.view(self.K, 2, self.rows, self.nw)
        key = triton_common.philox_key(gen)
        grid = (triton.cdiv(self.rows * self.nw, WORD_TILE), triton.cdiv(self.K, STATE_TILE))
        for sweep in range(first, first + sweeps):
            lo, hi = triton_common.counter_words(sweep)
            for color in (0, 1):
                triton_common.launch(
                    multispin_half, grid,
                    W, flips, run[0], run[1], self.K, self.rows, self.nw, self.A, self.B, self.nbits,
                    color, lo, hi, key,
                    NDIM=self.ndim, FULL=self.full, SPLIT=self.split,
                    WORD_TILE=WORD_TILE, STATE_TILE=STATE_TILE,
                )  # fmt: skip

    def _sync_spins(self, run, S, cache):
        self.unpack(cache.view(self.K, 2, self.rows, self.nw), out=S)

    # -- measurements on the packed words -------------------------------------------------
    def _words(self, cache):
        """The packed words (K, 2, A, B, nw) as int64 holding the unsigned 32-bit values."""
        W = cache.view(self.K, 2, self.A, self.B, self.nw).to(torch.int64)
        return W & 0xFFFFFFFF

    def _aligned(self, W):
        """Σ over the colour-0 sites of their aligned neighbours, per state (K,) int64:
        the neighbour words of the kernel (rows y ± 1 and a ± 1 at the same word index, the
        same word and the word shifted by one bit within the row), compared bit by bit."""
        s, v = W[:, 0], W[:, 1]  # (K, A, B, nw)
        mask = 0xFFFFFFFF if self.full else (1 << self.nbits) - 1
        a = torch.arange(self.A, device=self.device)[:, None, None]
        y = torch.arange(self.B, device=self.device)[None, :, None]
        odd = ((a + y) & 1) == 1  # colour 0: offset o = (a + y) mod 2
        if self.full:
            right = torch.roll(v, -1, dims=-1)  # word j + 1, around the row
            left = torch.roll(v, 1, dims=-1)
            w = torch.where(odd, (v >> 1) | ((right << 31) & mask), ((v << 1) & mask) | (left >> 31))
        else:
            top = self.nbits - 1
            w = torch.where(odd, (v >> 1) | ((v & 1) << top), ((v << 1) | (v >> top)) & mask)
        planes = [v, w]
        if self.ndim >= 2:
            planes += [torch.roll(v, 1, dims=2), torch.roll(v, -1, dims=2)]
        if self.ndim >= 3:
            planes += [torch.roll(v, 1, dims=1), torch.roll(v, -1, dims=1)]
        total = torch.zeros(self.K, dtype=torch.int64, device=self.device)
        for x in planes:
            total += _popcount64(~(x ^ s) & mask).flatten(1).sum(1)
        return total

    def _pair_sum(self, run, S, cache):
        """Σ_ij J_ij S_i S_j = 2J Σ_(i colour 0) S_i Σ_(j ∈ nn(i)) S_j = 2J (2 a − 2d·N/2),
        a the aligned neighbours of the colour-0 sites (:meth:`_aligned`): exact integers."""
        aligned = self._aligned(self._words(cache))
        return (2 * aligned - self.ndim * self.n).to(torch.float64) * (2.0 * self.J)

    def _word_sums(self, W):
        """E (float64) and Σ_i S_i (int64) per state (K,) from the words W of :meth:`_words`:
        Σ_i S_i = 2·popcount − N, E = −½ Σ_ij J_ij S_i S_j − b Σ_i S_i (:meth:`_pair_sum`)."""
        N = self.n
        m = 2 * _popcount64(W).flatten(1).sum(1) - N
        pair = (2 * self._aligned(W) - self.ndim * N).to(torch.float64) * (2.0 * self.J)
        return pair.mul_(-0.5).sub_(m.to(torch.float64) * self.b), m

    def _word_pairs(self, W, who=None):
        """Σ_i S_i^a S_i^b = N − 2·popcount(a XOR b) of the chain pairs (bits past a row's
        end are 0 in every word), by position where ``who`` is given (see
        :meth:`TorchKernel._replica_sums`)."""
        pairs = self.shape[1] // 2
        if who is None:
            grid = W.reshape(*self.shape, -1)
            x = grid[:, 0 : 2 * pairs : 2] ^ grid[:, 1 : 2 * pairs : 2]
        else:
            flat, at = W.reshape(self.K, -1), who.view(self.shape)
            x = flat[at[:, 0 : 2 * pairs : 2]] ^ flat[at[:, 1 : 2 * pairs : 2]]
        return (self.n - 2 * _popcount64(x).sum(-1)).reshape(-1)

    def _state_sums(self, run, S, cache):
        E, m = self._word_sums(self._words(cache))
        return E, m, None

    def _replica_sums(self, S, cache, who=None):
        return self._word_pairs(self._words(cache), who)

    def _measure(self, run, S, cache, dst, who=None):
        """The record row of :meth:`TorchKernel._measure` from the packed words, without
        decoding them (:meth:`_word_sums`, :meth:`_word_pairs`), the words widened once."""
        K = self.K
        q0, o0, _, pairs, _ = self._columns()
        W = self._words(cache)
        E, m = self._word_sums(W)
        if who is not None:
            E, m = E[who], m[who]
        dst[:K].copy_(E)
        dst[K : 2 * K].copy_(m)
        if pairs:
            dst[q0:o0].copy_(self._word_pairs(W, who))


def _popcount64(x):
    """Set bits of each int64 holding a value < 2³² (SWAR, exact)."""
    x = x - ((x >> 1) & 0x55555555)
    x = (x & 0x33333333) + ((x >> 2) & 0x33333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F
    return ((x * 0x01010101) & 0xFFFFFFFF) >> 24
