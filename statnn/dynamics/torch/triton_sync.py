"""Synchronous (Little) dynamics: one field product per sweep, then one fused Triton kernel.

Every site of every state is updated from the old state: h = scale · raw + b with raw the
coupling fields of the old spins, all at once. The fields are one matrix product (torch,
tensor cores where exact); :func:`synchronous_update` then decides every site in one
launch — uniform from Philox in registers (counter: site, state, sweep), decision by
:func:`~statnn.dynamics.torch.triton_common.flip_decision`, new spins written in place
(each site reads only its own old spin, and the fields are already computed), flips
counted per state in the kernel.

Launches per sweep: dense couplings 2 (raw = S Jᵀ, the update); pattern form in float
mode 3 (m = S ξᵀ, m ξ, the update, which subtracts the P·S_i self-term itself); other
representations the generic field read of :mod:`statnn.dynamics.torch.fields` and the
update. The kernel keeps a float copy of the spins for the next product up to date as it
writes them, so no cast runs per sweep. Bytes per site and sweep in the fused kernel: the
raw field read (4 or 8), the spin read and written (≤ 2) and the float copy written where
a spin flips (≤ 4 or 8); the products are counted separately.
"""

from __future__ import annotations

import contextlib

import torch
import triton
import triton.language as tl

from statnn.dynamics.torch import triton_common
from statnn.dynamics.torch.blocks import SynchronousKernel
from statnn.dynamics.torch.fields import DenseFields, PatternFields
from statnn.dynamics.torch.triton_common import flip_decision, uniform
from statnn.dynamics.torch.triton_support import interpreting

#: Sites × states per program (the interpreter runs programs one by one: many states).
TILE, STATE_TILE = 1024, 1
if interpreting():
    TILE, STATE_TILE = 32, 1024

#: Integer arguments Triton must not specialise on.
NO_SPECIALIZE = ["K", "n", "raw_stride", "ctr_lo", "ctr_hi", "key"]


@triton.jit(do_not_specialize=NO_SPECIALIZE)
def synchronous_update(
    S_ptr,  # int8 (K, n): old spins in, new spins out
    F_ptr,  # float (K, n): the float copy of the spins, updated where a spin flips
    raw_ptr,  # (K, raw_stride): raw fields of the old spins
    bias_ptr,  # float64 (n,)
    beta_ptr,  # float64 (K,)
    flips_ptr,  # int64 (K,)
    par_ptr,  # float64 [scale, tie tolerance, self-term P (pattern form) or 0]
    K,
    n,
    raw_stride,
    ctr_lo,
    ctr_hi,
    key,
    SELF_TERM: tl.constexpr,
    FLOAT_COPY: tl.constexpr,
    GLAUBER: tl.constexpr,
    TILE: tl.constexpr,
    STATE_TILE: tl.constexpr,
):
    """h = scale · (raw − P·s) + b (P·s only with SELF_TERM), flip by :func:`flip_decision`."""
    states = tl.program_id(1) * STATE_TILE + tl.arange(0, STATE_TILE)
    k_ok = states < K
    states = tl.where(k_ok, states, 0)
    k = states[:, None]
    site = tl.program_id(0) * TILE + tl.arange(0, TILE)[None, :]
    ok = (site < n) & k_ok[:, None]
    k64 = k.to(tl.int64)
    s = tl.load(S_ptr + k64 * n + site, mask=ok, other=1).to(tl.float64)
    raw = tl.load(raw_ptr + k64 * raw_stride + site, mask=ok, other=0.0).to(tl.float64)
    if SELF_TERM:  # exact: integers
        raw = raw - tl.load(par_ptr + 2) * s
    b = tl.load(bias_ptr + site, mask=site < n, other=0.0)
    h = raw * tl.load(par_ptr) + b  # two roundings: launched without FMA contraction
    beta = tl.load(beta_ptr + k)
    u = uniform(key, site, k, ctr_lo, ctr_hi)
    flip = flip_decision(s, h, beta, u, tl.load(par_ptr + 1), GLAUBER) & ok
    tl.store(S_ptr + k64 * n + site, (-s).to(tl.int8), mask=flip)
    if FLOAT_COPY:
        tl.store(F_ptr + k64 * n + site, (-s).to(F_ptr.dtype.element_ty), mask=flip)
    tl.atomic_add(flips_ptr + states, tl.sum(flip.to(tl.int64), axis=1), mask=k_ok)


class TritonSynchronousKernel(SynchronousKernel):
    """Little dynamics with the decisions fused into :func:`synchronous_update`.

    Equal in distribution to :class:`~statnn.dynamics.torch.blocks.SynchronousKernel`
    (different random numbers); at T = 0 equal to the numpy reference wherever the raw
    fields are exact (pattern form, lattices, integer-valued couplings).
    """

    def __init__(self, net, *, pattern_mode, **kw):
        super().__init__(net, pattern_mode=pattern_mode, **kw)
        f = self.fields
        self.dense = isinstance(f, DenseFields)
        self.patterns = (
            isinstance(f, PatternFields) and f.mode == "float" and f.dtype == torch.float32
        )  # P·N ≤ 2**24: float32 products of integers are exact
        self.bias64 = self.bias.to(torch.float64).contiguous()
        tol = float(getattr(net, "tie_tolerance", 0.0))
        self_term = float(f.p) if self.patterns else 0.0
        self.params = torch.tensor(
            [float(f.scale), tol, self_term], dtype=torch.float64, device=self.device
        )
        item = torch.empty((), dtype=self.dtype).element_size()
        #: Bytes per site and sweep in the fused kernel (raw read, spin read and written,
        #: float copy written where a spin flips: counted in full).
        self.bytes_per_site = float(item + 2 + (item if self.dense or self.patterns else 0))

    #: The sweep number reaches the kernel as a launch argument (the Philox counter).
    graph_safe = False

    @contextlib.contextmanager
    def _numerics(self):
        """TF32 off on CUDA where the float products must be exact (dense, pattern form)."""
        if not (self.device.type == "cuda" and (self.dense or self.patterns)):
            yield
            return
        tf32 = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = False
        try:
            yield
        finally:
            torch.backends.cuda.matmul.allow_tf32 = tf32

    def _run(self, betas):
        return triton_common.device_betas(betas, self.shape[1], self.device)

    def _advance(self, run, S, cache, gen, first, sweeps, flips):
        key = triton_common.philox_key(gen)
        f = self.fields
        fused = self.dense or self.patterns
        F = S.to(self.dtype) if fused else S  # the float copy the products read
        grid = (triton.cdiv(self.n, TILE), triton.cdiv(self.K, STATE_TILE))
        for sweep in range(first, first + sweeps):
            if self.dense:
                raw = F @ f.JT
            elif self.patterns:
                raw = (F @ f.xiT) @ f.xi  # Σ_μ ξ_i^μ m_μ; the kernel subtracts P·S_i
            else:
                raw = f.full_raw(S).contiguous()
            lo, hi = triton_common.counter_words(sweep)
            triton_common.launch(
                synchronous_update, grid,
                S, F, raw, self.bias64, run, flips, self.params,
                self.K, self.n, raw.stride(0), lo, hi, key,
                SELF_TERM=self.patterns, FLOAT_COPY=fused,
                GLAUBER=self.rule == "glauber", TILE=TILE, STATE_TILE=STATE_TILE,
            )  # fmt: skip
