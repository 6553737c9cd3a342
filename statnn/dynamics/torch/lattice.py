"""Checkerboard kernel of the torch backend for nearest-neighbour lattices (1–3 D).

Spins live on the (K, *shape) grid as int8, K = n_T · chains. A sweep updates all sites of
colour 0 (even coordinate sum), then all of colour 1, each from the fields

    h_i = J Σ_{j ∈ nn(i)} S_j + b_i,

which for a bipartite lattice only involve the other colour: exact Glauber / Metropolis
dynamics (the rules of :func:`statnn.dynamics.torch.kernels.new_spins`). The neighbour sum
is built in place in an int8 buffer from shifted slices of the grid (periodic wrap-around
as two extra slice adds per axis; open boundaries simply omit them) — no matrix, no
Python loop over sites, no neighbour table. One uniform per site per sweep is drawn into a
preallocated float32 buffer with the kernel's ``torch.Generator``; colour c reads it at its
own sites. Scratch buffers are allocated once per kernel and reused by every step.

On CUDA the half-sweep is wrapped in ``torch.compile``, which fuses the slice adds, the
acceptance test and the masked write into a few kernels (per site and sweep: ~2 bytes of
spins and 8 of uniforms through memory). The next step, if the 300 flips/ns target needs
it, is a hand-written Triton kernel drawing Philox numbers in registers (``tl.rand``)
instead of through the buffer.
"""

from __future__ import annotations

import numpy as np
import torch

from statnn.dynamics.torch.base import TorchKernel, decision_dtype, new_spins


def neighbour_sum_(S, out, periodic: bool):
    """out ← Σ over the 2·d nearest neighbours of every site of the grid S (K, *shape), in place."""
    out.zero_()
    for ax in range(1, S.dim()):
        L = S.shape[ax]
        out.narrow(ax, 1, L - 1).add_(S.narrow(ax, 0, L - 1))
        out.narrow(ax, 0, L - 1).add_(S.narrow(ax, 1, L - 1))
        if periodic:
            out.narrow(ax, 0, 1).add_(S.narrow(ax, L - 1, 1))
            out.narrow(ax, L - 1, 1).add_(S.narrow(ax, 0, 1))
    return out


def half_sweep(
    S, nsum, u, mask, J: float, bias, beta, zero_keeps, rule: str, periodic: bool, tol: float
):
    """Update every site of one colour (``mask``) of the grids S (K, *shape) in place.

    Returns the number of flipped spins per state (K,). ``nsum`` is scratch (int8, like S);
    ``beta`` and ``zero_keeps`` broadcast against the grid; h = J · nsum + b is computed in
    β's dtype (float32 only where that is safe, see :func:`~statnn.dynamics.torch.base.
    decision_dtype`).
    """
    neighbour_sum_(S, nsum, periodic)
    h = nsum.to(beta.dtype) * J + bias
    old = S.to(beta.dtype)
    new = new_spins(rule, old, h, u, beta, zero_keeps, tol)
    changed = (new != old) & mask
    torch.where(changed, -S, S, out=S)
    return changed.flatten(1).sum(1)


class CheckerboardKernel(TorchKernel):
    """Two-colour updates on a bipartite lattice (checked by the sampler)."""

    graph_safe = True

    def __init__(self, net, *, compile, **kw):
        super().__init__(net, **kw)
        lat = net.lattice
        self.grid = lat.shape
        self.J = float(lat.J)
        self.periodic = lat.periodic
        colors = torch.as_tensor(lat.colors().reshape(self.grid), device=self.device)
        self.masks = [colors == c for c in (0, 1)]
        uniform = net.uniform_bias
        if uniform is not None:
            bias_max = abs(float(uniform))
        else:
            bias_max = float(np.abs(np.asarray(net.bias, dtype=np.float64)).max(initial=0))
        self.magnitudes = (abs(self.J) * 2 * len(self.grid), bias_max)
        if uniform is not None:
            self.bias = float(uniform)  # a scalar: the fused kernel reads no grid
        else:
            bias = np.ascontiguousarray(net.bias, dtype=np.float64)
            self.bias = torch.as_tensor(bias.reshape(self.grid), device=self.device)
        self.half = torch.compile(half_sweep, dynamic=False) if compile else half_sweep
        self._scratch = None

    def _buffers(self, dtype):
        if self._scratch is None or self._scratch[1].dtype != dtype:
            shape = (self.K, *self.grid)
            nsum = torch.empty(shape, dtype=torch.int8, device=self.device)
            u = torch.empty(shape, dtype=dtype, device=self.device)
            self._scratch = (nsum, u)
        return self._scratch

    def dtype(self, betas) -> torch.dtype:
        """float64 on the CPU; on CUDA float32 where it cannot overflow or lose the answer."""
        if self.device.type == "cpu":
            return torch.float64
        return decision_dtype(torch.float32, self.magnitudes, betas)

    def _run(self, betas):
        dtype = self.dtype(betas)
        beta, zero_keeps = self._betas(betas, dtype)
        view = (self.K,) + (1,) * len(self.grid)
        beta = beta.reshape(view)
        zero_keeps = None if zero_keeps is None else zero_keeps.reshape(view)
        bias = self.bias if isinstance(self.bias, float) else self.bias.to(dtype)
        return beta, zero_keeps, bias, dtype

    def _advance(self, run, S, cache, gen, first, sweeps, flips):
        beta, zero_keeps, bias, dtype = run
        grid = S.view(self.K, *self.grid)
        nsum, u = self._buffers(dtype)
        for _ in range(sweeps):
            u.uniform_(generator=gen)
            for mask in self.masks:
                flips += self.half(
                    grid,
                    nsum,
                    u,
                    mask,
                    self.J,
                    bias,
                    beta,
                    zero_keeps,
                    self.rule,
                    self.periodic,
                    self.tol,
                )

    def _pair_sum(self, run, S, cache):
        """J Σ_i S_i Σ_{j ∈ nn(i)} S_j per state, the neighbour sums exact integers."""
        grid = S.view(self.K, *self.grid)
        nsum = neighbour_sum_(grid, torch.empty_like(grid), self.periodic)
        return (grid * nsum).flatten(1).sum(1, dtype=torch.int64).to(torch.float64) * self.J
