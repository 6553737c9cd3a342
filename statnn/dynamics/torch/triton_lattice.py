"""Checkerboard updates of nearest-neighbour lattices (1–3 D) as one Triton kernel per colour.

A half-sweep updates every site of colour c (coordinate sum ≡ c mod 2) of every state from

    h_i = J Σ_{j ∈ nn(i)} S_j + b_i,

which on a bipartite lattice only reads the other colour, so the update is in place and
exact. One launch covers all K states (grid: site tiles × states). Per site the kernel
derives the coordinates and the colour from the flat index, sums the 2·d neighbours by
index arithmetic (periodic wrap or open edge), draws its uniform from Philox in registers
(counter: site, state, sweep, colour), decides with :func:`~statnn.dynamics.torch.
triton_common.flip_decision` and writes back only the spins that flip; the number of
flips per state is accumulated in the kernel (one atomic add per tile). No scratch array,
no colour mask, no neighbour table, no buffer of uniforms.

Memory traffic per site and sweep (int8 spins): each half-sweep reads the grid once (the
neighbours of one colour are all of the other; a tile's neighbours hit the cache) and
writes at most the flipped half: ≤ 2 × (1 + ½) = 3 bytes, against ~28 for the eager path.
"""

from __future__ import annotations

import numpy as np
import torch
import triton
import triton.language as tl

from statnn.dynamics.torch import triton_common
from statnn.dynamics.torch.lattice import CheckerboardKernel
from statnn.dynamics.torch.triton_common import flip_decision, uniform
from statnn.dynamics.torch.triton_support import interpreting

#: Sites × states per program (powers of two). On a GPU one state and 1024 sites; Triton's
#: CPU interpreter runs one program at a time in Python, so there whole batches of states.
TILE = 1024
STATE_TILE = 1
if interpreting():
    TILE, STATE_TILE = 32, 1024


#: Integer arguments Triton must not specialise on (sizes, colour, counters, key).
NO_SPECIALIZE = ["K", "n", "L0", "L1", "L2", "color", "ctr_lo", "ctr_hi", "key"]


@triton.jit(do_not_specialize=NO_SPECIALIZE)
def checkerboard_half(
    S_ptr,  # int8 (K, n), C order over (L0, L1, L2)
    flips_ptr,  # int64 (K,)
    beta_ptr,  # float64 (K,)
    bias_ptr,  # float64 (n,), read when HAS_BIAS
    par_ptr,  # float64 [J, uniform bias, tie tolerance]
    K,
    n,
    L0,
    L1,
    L2,
    color,
    ctr_lo,
    ctr_hi,
    key,
    NDIM: tl.constexpr,
    PERIODIC: tl.constexpr,
    HAS_BIAS: tl.constexpr,
    GLAUBER: tl.constexpr,
    TILE: tl.constexpr,
    STATE_TILE: tl.constexpr,
):
    """Update the sites of colour ``color`` of a tile of sites × states in place.

    h_i = J Σ_{j ∈ nn(i)} S_j + b_i from index arithmetic, flip by :func:`flip_decision`
    with a Philox uniform; only flipped spins are written, flips are added per state.
    """
    states = tl.program_id(1) * STATE_TILE + tl.arange(0, STATE_TILE)
    site1 = tl.program_id(0) * TILE + tl.arange(0, TILE)
    k_ok = states < K
    states = tl.where(k_ok, states, 0)
    k = states[:, None]  # (STATE_TILE, 1)
    site = site1[None, :]  # (1, TILE)
    inside = (site < n) & k_ok[:, None]
    c2 = site % L2
    rest = site // L2
    c1 = rest % L1
    c0 = rest // L1
    act = inside & ((c0 + c1 + c2) % 2 == color)
    row = S_ptr + k.to(tl.int64) * n
    s = tl.load(row + site, mask=act, other=1).to(tl.int32)
    nsum = tl.zeros((STATE_TILE, TILE), dtype=tl.int32)
    # the last axis (stride 1), then the middle (stride L2), then the first (stride L1·L2)
    for ax in tl.static_range(NDIM):
        if ax == 0:
            c = c2
            L = L2
            st = 1
        elif ax == 1:
            c = c1
            L = L1
            st = L2
        else:
            c = c0
            L = L0
            st = L1 * L2
        up = site + st
        down = site - st
        up_ok = c + 1 < L
        down_ok = c > 0
        if PERIODIC:
            up = tl.where(up_ok, up, site - (L - 1) * st)
            down = tl.where(down_ok, down, site + (L - 1) * st)
            up_ok = act
            down_ok = act
        else:
            up_ok = up_ok & act
            down_ok = down_ok & act
        nsum += tl.load(row + up, mask=up_ok, other=0).to(tl.int32)
        nsum += tl.load(row + down, mask=down_ok, other=0).to(tl.int32)
    J = tl.load(par_ptr)
    tol = tl.load(par_ptr + 2)
    if HAS_BIAS:
        b = tl.load(bias_ptr + site, mask=act, other=0.0)
    else:
        b = tl.load(par_ptr + 1)
    h = J * nsum.to(tl.float64) + b
    beta = tl.load(beta_ptr + k)
    u = uniform(key, site, k, ctr_lo, ctr_hi * 2 + color)
    flip = flip_decision(s.to(tl.float64), h, beta, u, tol, GLAUBER) & act
    tl.store(row + site, (-s).to(tl.int8), mask=flip)
    tl.atomic_add(flips_ptr + states, tl.sum(flip.to(tl.int64), axis=1), mask=k_ok)


class TritonCheckerboardKernel(CheckerboardKernel):
    """Checkerboard dynamics through :func:`checkerboard_half` (two launches per sweep).

    Equal in distribution to the eager kernel (different random numbers); at T = 0 equal
    to it and to the numpy reference site for site.
    """

    #: The sweep number reaches the kernel as a launch argument (the Philox counter): a
    #: captured launch would replay the same random numbers.
    graph_safe = False

    #: Bytes through memory per site and sweep: two half-sweeps, each reading the grid
    #: once and writing at most the flipped half (see the module docstring).
    bytes_per_site = 2 * (1.0 + 0.5)

    def __init__(self, net, **kw):
        super().__init__(net, compile=False, **kw)
        shape = (1,) * (3 - len(self.grid)) + tuple(self.grid)
        self.L0, self.L1, self.L2 = shape
        bias = np.ascontiguousarray(net.bias, dtype=np.float64)  # a broadcast view: a copy
        self.has_bias = not np.all(bias == bias[0])
        tol = float(getattr(net, "tie_tolerance", 0.0))
        self.params = torch.tensor(
            [float(net.lattice.J), float(bias[0]), tol], dtype=torch.float64, device=self.device
        )

    def _run(self, betas):
        return triton_common.device_betas(betas, self.shape[1], self.device)

    def _advance(self, run, S, cache, gen, first, sweeps, flips):
        key = triton_common.philox_key(gen)
        grid = (triton.cdiv(self.n, TILE), triton.cdiv(self.K, STATE_TILE))
        for sweep in range(first, first + sweeps):
            lo, hi = triton_common.counter_words(sweep)
            for color in (0, 1):
                triton_common.launch(
                    checkerboard_half, grid,
                    S, flips, run, self.bias64, self.params,
                    self.K, self.n, self.L0, self.L1, self.L2, color, lo, hi, key,
                    NDIM=len(self.grid), PERIODIC=self.periodic, HAS_BIAS=self.has_bias,
                    GLAUBER=self.rule == "glauber", TILE=TILE, STATE_TILE=STATE_TILE,
                )  # fmt: skip
