"""Block-sequential updates with the B in-block updates fused into one Triton kernel.

The scheme is the one of :class:`statnn.dynamics.torch.blocks.BlockKernel` (see
:mod:`statnn.dynamics.torch.kernels`): the sweep's site order, shared by all K states, is
cut into blocks of B sites ``idx``; inside a block the B updates run one after another from
fields kept current by raw_a ← raw_a + G[a, b] ΔS_b (G[a, b] = raw J[idx_a, idx_b]); after
the block one matrix product corrects every cached field (dense: h ← h + ΔS · Jᵀ[idx];
pattern form: m ← m + ΔS · ξ[:, idx]ᵀ, int8 ``torch._int_mm`` on CUDA).

:func:`block_updates` runs the whole in-block loop for a tile of states in registers:
it gathers the block's fields, spins and biases (dense couplings: straight from the field
cache and from J, no gathered copies), draws each update's uniform from Philox (counter:
state, position in the sweep, sweep), decides with
:func:`~statnn.dynamics.torch.triton_common.flip_decision`, writes the new spins into the
spin array and the changes ΔS (K, B) for the product, and adds the flips per state.

Launches per block: 2 (this kernel and the product correcting the cache), after per-sweep
gathers. In int8 pattern mode the kernel reads the overlaps m (int32) as base-128 int8
digits d_k (m = Σ_k 128^k d_k, |d_k| ≤ 64) with one int8 ``tl.dot`` per digit and int32
accumulation — exact while P·N < 2³¹ — and the correction is one int8 ``torch._int_mm``
(where its shapes allow: more than 16 states, B a multiple of 8; else a float product).

Block size: B = 128 by reasoning, not measurement (no GPU has been lent yet). The
correction costs K·B·N per block whatever B is, so B only trades launches (N/B blocks ×
3) against the in-block loop: B sequential steps per block, each a reduction over the B
columns of a (states × B) register tile, B² work per state and block. At B = 128 the
tile of 8 states holds 3 × 8 × 128 float64 values (24 KiB) in the registers of 4 warps
without spilling; B = 256 would halve the launches (dense N = 10⁴: ~120 instead of ~240
per sweep) but double the per-step reduction. Measure both on the device
(``backend_options={"block_size": 256}``) before changing the default.
"""

from __future__ import annotations

import contextlib

import torch
import triton
import triton.language as tl

from statnn.dynamics.torch import triton_common
from statnn.dynamics.torch.base import FIELD_REFRESH_SWEEPS
from statnn.dynamics.torch.blocks import BlockKernel
from statnn.dynamics.torch.fields import DenseFields, PatternFields
from statnn.dynamics.torch.triton_common import flip_decision, uniform
from statnn.dynamics.torch.triton_support import interpreting

#: Default B of the Triton block kernel (see the module docstring).
TRITON_BLOCK_SIZE = 128

#: States per program (≥ 16 for ``tl.dot``; Triton's CPU interpreter runs programs one by
#: one: many there).
STATES_PER_PROGRAM = 1024 if interpreting() else 16

#: Patterns per step of the in-kernel overlap read (a power of two ≥ 16).
PATTERN_CHUNK = 32


#: Integer arguments Triton must not specialise on (sizes, strides, counters, key).
NO_SPECIALIZE = [
    "K", "nb", "pos0", "raw_stride", "g_stride", "s_stride", "n_p", "ctr_lo", "ctr_hi", "key"
]  # fmt: skip

#: How the kernel gets the block's raw fields: handed over (K, B), gathered from the field
#: cache (dense), or read from the overlaps as Σ_μ ξ_a^μ m_μ − P S_a (pattern form).
RAW_GIVEN, RAW_GATHER, RAW_PATTERNS = 0, 1, 2
#: Pattern form in int8 mode: int32 overlaps split into base-128 int8 digits in the kernel,
#: int8 ``tl.dot`` with int32 accumulation (exact while P·N < 2**31).
RAW_PATTERNS_INT8 = 3


@triton.jit(do_not_specialize=NO_SPECIALIZE)
def block_updates(
    S_ptr,  # int8 (K, s_stride): the spins, updated in place at the block's sites
    raw_ptr,  # (K, raw_stride): the block's raw fields, the field cache, or the overlaps m
    G_ptr,  # raw couplings: J (g_stride × g_stride, RAW_GATHER) or the block's G (B, B)
    X_ptr,  # float32 (RAW_PATTERNS) or int8 (RAW_PATTERNS_INT8) (nb, n_p) ξ[:, idx]ᵀ
    idx_ptr,  # int64 (nb,) the block's sites
    bias_ptr,  # float64 (n,) biases
    beta_ptr,  # float64 (K,)
    D_ptr,  # (K, BB) changes ΔS, written in the cache dtype; columns ≥ nb are zero
    flips_ptr,  # int64 (K,)
    par_ptr,  # float64 [scale, tie tolerance, P (the self-term of pattern form)]
    K,
    nb,
    pos0,
    raw_stride,
    g_stride,
    s_stride,
    n_p,
    ctr_lo,
    ctr_hi,
    key,
    RAW: tl.constexpr,
    GLAUBER: tl.constexpr,
    BK: tl.constexpr,
    BB: tl.constexpr,
    BP: tl.constexpr,
    DIGITS: tl.constexpr = 1,
):
    """Run the in-block sequential updates of one block for a tile of BK states.

    For b = 0 … nb−1: h = scale · raw_b + b_b, flip by :func:`flip_decision` with a Philox
    uniform, then raw_a ← raw_a + G[a, b] ΔS_b and s_a ← s_a + [idx_a = idx_b] ΔS_b.
    Writes the new spins into S, ΔS into D and adds the flips per state to ``flips``.
    """
    rows = tl.program_id(0) * BK + tl.arange(0, BK)
    cols = tl.arange(0, BB)
    row_ok = rows < K
    col_ok = cols < nb
    ok = row_ok[:, None] & col_ok[None, :]
    idx = tl.load(idx_ptr + cols, mask=col_ok, other=0)
    rows64 = rows.to(tl.int64)
    spin_at = S_ptr + rows64[:, None] * s_stride + idx[None, :]
    s = tl.load(spin_at, mask=ok, other=1).to(tl.float64)
    if RAW == 2:  # exact: integers below 2**24 in float32, IEEE products (no TF32)
        acc = tl.zeros((BK, BB), dtype=tl.float32)
        for p0 in range(0, n_p, BP):
            ps = p0 + tl.arange(0, BP)
            p_ok = ps < n_p
            m = tl.load(raw_ptr + rows64[:, None] * raw_stride + ps[None, :],
                        mask=row_ok[:, None] & p_ok[None, :], other=0).to(tl.float32)
            x = tl.load(X_ptr + cols[None, :] * n_p + ps[:, None],
                        mask=p_ok[:, None] & col_ok[None, :], other=0.0)
            acc += tl.dot(m, x, input_precision="ieee")
        raw = acc.to(tl.float64) - tl.load(par_ptr + 2) * s
    elif RAW == 3:  # exact: int8 digits d_k of m = Σ_k 128^k d_k, int32 products
        acc = tl.zeros((BK, BB), dtype=tl.int32)
        for p0 in range(0, n_p, BP):
            ps = p0 + tl.arange(0, BP)
            p_ok = ps < n_p
            rest = tl.load(raw_ptr + rows64[:, None] * raw_stride + ps[None, :],
                           mask=row_ok[:, None] & p_ok[None, :], other=0)
            x = tl.load(X_ptr + cols[None, :] * n_p + ps[:, None],
                        mask=p_ok[:, None] & col_ok[None, :], other=0)
            for d in tl.static_range(DIGITS):
                if d == DIGITS - 1:
                    digit = rest  # |rest| ≤ 64 by the choice of DIGITS
                else:
                    digit = ((rest + 64) & 127) - 64
                    rest = (rest - digit) >> 7
                acc += tl.dot(digit.to(tl.int8), x, out_dtype=tl.int32) << (7 * d)
        raw = acc.to(tl.float64) - tl.load(par_ptr + 2) * s
    else:
        if RAW == 1:
            raw_cols = idx
        else:
            raw_cols = cols.to(tl.int64)
        raw = tl.load(raw_ptr + rows64[:, None] * raw_stride + raw_cols[None, :], mask=ok,
                      other=0.0).to(tl.float64)  # fmt: skip
    bias = tl.load(bias_ptr + idx, mask=col_ok, other=0.0)
    beta = tl.load(beta_ptr + rows, mask=row_ok, other=1.0)
    scale = tl.load(par_ptr)
    tol = tl.load(par_ptr + 1)
    D = tl.zeros((BK, BB), dtype=tl.float64)
    count = tl.zeros((BK,), dtype=tl.int64)
    for b in range(nb):
        here = cols == b
        raw_b = tl.sum(tl.where(here[None, :], raw, 0.0), axis=1)
        s_b = tl.sum(tl.where(here[None, :], s, 0.0), axis=1)
        idx_b = tl.sum(tl.where(here, idx, 0), axis=0)
        bias_b = tl.sum(tl.where(here, bias, 0.0), axis=0)
        h = raw_b * scale + bias_b  # two roundings: launched without FMA contraction
        u = uniform(key, rows, pos0 + b, ctr_lo, ctr_hi)
        flip = flip_decision(s_b, h, beta, u, tol, GLAUBER) & row_ok
        d = tl.where(flip, -2.0 * s_b, 0.0)
        count += flip.to(tl.int64)
        if RAW == 1:  # G[a, b] = J[idx_a, idx_b]
            g = tl.load(G_ptr + idx * g_stride + idx_b, mask=col_ok, other=0.0)
        else:
            g = tl.load(G_ptr + cols * g_stride + b, mask=col_ok, other=0.0)
        if RAW >= 2:  # ξ_a·ξ_b counts only between distinct sites
            g = tl.where(idx == idx_b, 0.0, g)
        raw += d[:, None] * g.to(tl.float64)[None, :]
        s += d[:, None] * (idx == idx_b).to(tl.float64)[None, :]  # a site drawn twice
        D = tl.where(here[None, :], d[:, None], D)
    tl.store(spin_at, s.to(tl.int8), mask=ok)  # a repeated site holds one value everywhere
    tl.store(D_ptr + rows64[:, None] * BB + cols[None, :], D.to(D_ptr.dtype.element_ty),
             mask=row_ok[:, None])  # fmt: skip
    fl = tl.load(flips_ptr + rows, mask=row_ok, other=0)
    tl.store(flips_ptr + rows, fl + count, mask=row_ok)


@contextlib.contextmanager
def _no_tf32():
    tf32 = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = tf32


class TritonBlockKernel(BlockKernel):
    """Exact sequential dynamics by blocks, the in-block loop in :func:`block_updates`.

    Equal in distribution to :class:`~statnn.dynamics.torch.blocks.BlockKernel` (different
    random numbers); at T = 0 equal to the numpy reference update for update wherever the
    cached raw fields are exact (pattern form, lattices, integer-valued couplings).

    Per sweep the rows of Jᵀ (dense) or ξᵀ (pattern form, float or int8 mode) are gathered
    once in the sweep's order (pattern form: with every block's G = ξ[:, idx]ᵀ ξ[:, idx] in
    one batched float product, exact), so a block costs two launches: :func:`block_updates`
    and the product correcting the cache. Other representations (sparse, lattices under
    single-site schedules) read their block fields, G and the correction through
    :mod:`statnn.dynamics.torch.fields`.
    """

    #: The sweep number reaches the kernel as a launch argument (the Philox counter): a
    #: captured launch would replay the same random numbers.
    graph_safe = False

    def __init__(self, net, *, block_size, pattern_mode, **kw):
        super().__init__(net, block_size=block_size, compile=False, pattern_mode=pattern_mode, **kw)
        f = self.fields
        self.BB = max(16, triton.next_power_of_2(self.B))
        if isinstance(f, DenseFields):
            self.raw_mode = RAW_GATHER
        elif isinstance(f, PatternFields) and f.mode == "float" and f.dtype == torch.float32:
            self.raw_mode = RAW_PATTERNS  # P·N ≤ 2**24: float32 sums of integers are exact
        elif isinstance(f, PatternFields) and f.mode == "int8" and f.xi.shape[0] * self.n < 2**31:
            self.raw_mode = RAW_PATTERNS_INT8
        else:
            self.raw_mode = RAW_GIVEN
        tol = float(getattr(net, "tie_tolerance", 0.0))
        #: Bytes per update in the fused kernel (the products are counted separately):
        #: the raw field read, the spin read and written, ΔS written.
        item = torch.empty((), dtype=self.dtype).element_size()
        self.bytes_per_site = float(item + 1 + 1 + item)
        self.digits = f.digits if self.raw_mode == RAW_PATTERNS_INT8 else 1
        self.n_p = 0  # columns of the overlaps (int8 mode: P padded to a multiple of 8)
        if self.raw_mode == RAW_PATTERNS:
            self.n_p = f.p
        elif self.raw_mode == RAW_PATTERNS_INT8:
            self.n_p = f.xi.shape[0]
        self_term = float(getattr(f, "p", 0))
        self.params = torch.tensor(
            [float(f.scale), tol, self_term], dtype=torch.float64, device=self.device
        )

    def _numerics(self):
        if self.device.type == "cuda" and self.raw_mode != RAW_GIVEN:
            return _no_tf32()  # float32 products are exact only in IEEE float32: never TF32
        return contextlib.nullcontext()

    def _run(self, betas):
        return triton_common.device_betas(betas, self.shape[1], self.device)

    def _advance(self, run, S, cache, gen, first, sweeps, flips):
        key = triton_common.philox_key(gen)
        D = torch.empty((self.K, self.BB), dtype=self.dtype, device=self.device)
        f = self.fields
        for sweep in range(first, first + sweeps):
            if not f.exact and sweep > 0 and sweep % FIELD_REFRESH_SWEEPS == 0:
                cache.copy_(f.init_cache(S))
            order = self._order(gen)
            rows, G_all = self._sweep_rows(order)
            lo, hi = triton_common.counter_words(sweep)
            for i, start in enumerate(range(0, self.n, self.B)):
                idx = order[start : start + self.B]
                nb = len(idx)
                if self.raw_mode == RAW_GIVEN:
                    raw, G, X = f.block_raw(cache, S, idx).contiguous(), f.sub_matrix(idx), D
                    raw_stride, g_stride = nb, nb
                    G = G.contiguous()
                elif self.raw_mode == RAW_GATHER:
                    raw, G, X = cache, f.J, D
                    raw_stride, g_stride = cache.shape[1], self.n
                else:
                    raw, G, X = cache, G_all[i], rows[start : start + nb]
                    raw_stride, g_stride = cache.shape[1], self.B
                triton_common.launch(
                    block_updates, (triton.cdiv(self.K, STATES_PER_PROGRAM),),
                    S, raw, G, X, idx, self.bias64, run, D, flips, self.params,
                    self.K, nb, start, raw_stride, g_stride, self.n, self.n_p, lo, hi, key,
                    RAW=self.raw_mode, GLAUBER=self.rule == "glauber",
                    BK=STATES_PER_PROGRAM, BB=self.BB, BP=PATTERN_CHUNK, DIGITS=self.digits,
                )  # fmt: skip
                if self.raw_mode in (RAW_GIVEN, RAW_PATTERNS_INT8):  # int8: torch._int_mm
                    f.apply(cache, idx, D[:, :nb])
                else:  # h ← h + ΔS · Jᵀ[idx]  /  m ← m + ΔS · ξ[:, idx]ᵀ
                    cache.addmm_(D[:, :nb], rows[start : start + nb])

    def _sweep_rows(self, order):
        """Jᵀ or ξᵀ rows in the sweep's order, and (pattern form) every block's G at once."""
        f = self.fields
        if self.raw_mode == RAW_GIVEN:
            return None, None
        table = f.JT if self.raw_mode == RAW_GATHER else f.xiT
        rows = table if self.schedule == "sequential" else table.index_select(0, order)
        if self.raw_mode == RAW_GATHER:
            return rows, None
        blocks = -(-self.n // self.B)
        width = rows.shape[1]
        padded = rows if rows.dtype != torch.int8 else rows.to(torch.float32)  # G ≤ P: exact
        if blocks * self.B != self.n:  # zero rows: the last block's G is padded with zeros
            padded = torch.zeros((blocks * self.B, width), dtype=padded.dtype, device=self.device)
            padded[: self.n] = rows
        X = padded.reshape(blocks, self.B, width)
        return rows, torch.bmm(X, X.transpose(1, 2))
