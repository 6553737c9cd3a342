"""Pieces shared by the Triton kernels: the flip decision, the Philox key and the launch hook.

Every Triton kernel decides a flip of spin s ∈ {−1, +1} in local field h at inverse
temperature β with one uniform u ∈ [0, 1) as

* Glauber: flip if u < 1/(1 + exp(2β s h)), i.e. P(S = +1) = 1/(1 + exp(−2βh));
* Metropolis: flip if u < min(1, exp(−β ΔE)), ΔE = 2 s h;
* β = ∞ (T = 0), both rules: flip if s h < 0 and |h| > tol (a tie keeps the state).

h, β and the exponent are float64 in the kernel, whatever the cache dtype: nothing
overflows where float32 would (β h up to 1.8e308), and the T = 0 decision reads the float64
field computed as scale · raw + b by two roundings, exactly as the numpy reference does —
kernels are launched with ``enable_fp_fusion=False`` so no fused multiply-add changes it.
The uniforms come from Philox-4x32-10 (``tl.philox``) keyed by the run's seed and counted
by (chain, site or position, sweep, colour): no buffer of random numbers exists.
"""

from __future__ import annotations

import numpy as np
import torch
import triton
import triton.language as tl

#: The bit set in every Philox key, so that Triton always sees a 64-bit integer argument
#: (a key that happened to fit 32 bits would otherwise compile a second kernel).
_KEY_BIT = 1 << 62


def philox_key(generator) -> int:
    """The Philox key of a run: the torch generator's seed (host-side, no device sync)."""
    return (int(generator.initial_seed()) & (_KEY_BIT - 1)) | _KEY_BIT


def counter_words(sweep: int) -> tuple[int, int]:
    """A sweep number as two 31-bit words (Triton specialises ints by their width)."""
    return sweep & 0x7FFFFFFF, (sweep >> 31) & 0x7FFFFFFF


def device_betas(betas, chains: int, device):
    """β per state (K,) float64 on ``device``; from pinned memory on CUDA (no host sync)."""
    beta = torch.as_tensor(np.repeat(np.asarray(betas, dtype=np.float64), chains))
    if device.type == "cuda":
        beta = beta.pin_memory()
    return beta.to(device, non_blocking=True)


def launch(kernel, grid, *args, **meta):
    """Launch ``kernel`` on ``grid``; every Triton launch of the backend goes through here.

    Tests replace this function to record the arguments of each launch (and count the
    distinct compilations Triton would make for them).
    """
    kernel[grid](*args, enable_fp_fusion=False, **meta)


@triton.jit
def uniform(key, c0, c1, c2, c3):
    """Uniform float32 in [0, 1) from Philox-4x32-10 with key ``key`` and counter (c0..c3)."""
    zero = (c0 * 0 + c1 * 0).to(tl.uint32)  # every counter word at the full tile shape
    r0, _, _, _ = tl.philox(key, zero + c0.to(tl.uint32), zero + c1.to(tl.uint32),
                            zero + c2.to(tl.uint32), zero + c3.to(tl.uint32))  # fmt: skip
    return tl.uint_to_uniform_float(r0)


@triton.jit
def flip_decision(s, h, beta, u, tol, GLAUBER: tl.constexpr):
    """Boolean flip of spins ``s`` (float64 ±1) in fields ``h`` (float64); see the module."""
    cold_state = (beta * 2.0 == beta) & (beta > 0.0)  # among β > 0, only ∞ equals 2β
    a = tl.where(cold_state, 0.0, beta) * (2.0 * s * h)  # β ΔE, float64
    if GLAUBER:
        p = 1.0 / (1.0 + tl.exp(a))
    else:
        p = tl.minimum(tl.exp(-a), 1.0)
    hot = u.to(tl.float64) < p
    cold = (s * h < 0.0) & (tl.abs(h) > tol)
    return tl.where(cold_state, cold, hot)
