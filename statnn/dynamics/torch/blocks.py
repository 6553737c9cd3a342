"""Block-sequential and synchronous torch kernels for dense, sparse and pattern-form
couplings (see :mod:`statnn.dynamics.torch.kernels` for the scheme)."""

from __future__ import annotations

import numpy as np
import torch

from statnn.dynamics.torch.base import (
    FIELD_REFRESH_SWEEPS,
    TorchKernel,
    decision_dtype,
    new_spins,
)
from statnn.dynamics.torch.fields import make_fields, raw_bound

#: Default block size B of block-sequential updates: the within-block loop costs O(K B)
#: per update and the block correction is a (K × B)(B × n) product; 64 keeps the product
#: efficient on tensor cores and the loop short. Override with ``make_kernel(block_size=)``.
BLOCK_SIZE = 64


def block_loop(raw, s, u, G, E, bias, scale: float, beta, zero_keeps, rule: str, tol: float):
    """Update B sites one after another for all K states; returns the changes D (K, B).

    raw (K, B): coupling fields of the block sites in raw units (h = scale · raw + bias);
    s (K, B): their spins; u (K, B): uniforms; G (B, B): G[a, b] = raw J[idx_a, idx_b];
    E (B, B): 1 where idx_a = idx_b (a site drawn twice sees its own new value).
    After update b: raw_a += G[a, b] ΔS_b and s_a += E[a, b] ΔS_b. ``raw`` and ``s`` are
    modified in place.
    """
    D = torch.zeros_like(s)
    for b in range(s.shape[1]):
        h = raw[:, b] * scale + bias[b]
        old = s[:, b]
        d = new_spins(rule, old, h, u[:, b], beta, zero_keeps, tol) - old
        D[:, b] = d
        raw.addr_(d, G[:, b])
        s.addr_(d, E[:, b])
    return D


class BlockKernel(TorchKernel):
    """Exact sequential dynamics by blocks (schedules random, sequential, permuted)."""

    def __init__(self, net, *, block_size, compile, pattern_mode, **kw):
        super().__init__(net, **kw)
        self.B = int(block_size)
        self.fields = make_fields(net.couplings, self.device, pattern_mode)
        self.dtype = self.fields.dtype
        self.bias = torch.as_tensor(np.ascontiguousarray(net.bias, dtype=np.float64), device=self.device)
        self.magnitudes = _magnitudes(self.fields, net.bias)
        self.loop = block_loop
        if compile:
            self.loop = torch.compile(block_loop, dynamic=False)
        self._arange = torch.arange(self.n, device=self.device)

    def _cache(self, S):
        flat = S.reshape(self.K, self.n)
        return self.fields.init_cache(flat).reshape(*self.shape, -1)

    def _order(self, gen):
        if self.schedule == "random":
            return torch.randint(0, self.n, (self.n,), generator=gen, device=self.device)
        if self.schedule == "permuted":
            return torch.randperm(self.n, generator=gen, device=self.device)
        return self._arange

    @property
    def graph_safe(self):
        # float caches are refreshed at fixed sweep numbers: a host-side schedule
        return self.fields.exact

    def _run(self, betas):
        dtype = decision_dtype(self.dtype, self.magnitudes, betas)
        return self._betas(betas, dtype) + (dtype,)

    def _advance(self, run, S, cache, gen, first, sweeps, flips):
        beta, zero_keeps, dtype = run
        f = self.fields
        for sweep in range(first, first + sweeps):
            if not f.exact and sweep > 0 and sweep % FIELD_REFRESH_SWEEPS == 0:
                cache.copy_(f.init_cache(S))
            order = self._order(gen)
            for start, u in self._uniform_chunks(gen, dtype, self.B):
                for b0 in range(0, u.shape[1], self.B):
                    idx = order[start + b0 : start + b0 + self.B]
                    D = self._block(S, cache, idx, u[:, b0 : b0 + self.B], beta, zero_keeps)
                    flips += (D != 0).sum(1)

    def _pair_sum(self, run, S, cache):
        return self.fields.pair_sum(cache, S)

    def _overlap_sums(self, S, cache):
        return cache

    def _local_fields(self, S, cache):
        """h = scale · raw + b (K, n) float64 from fields summed afresh (not the cache: a
        float cache may have drifted by round-off since its last refresh)."""
        f = self.fields
        return f.full_raw(S).to(torch.float64).mul_(f.scale).add_(self.bias)

    def _block(self, S, cache, idx, u, beta, zero_keeps):
        f = self.fields
        dtype = u.dtype
        raw = f.block_raw(cache, S, idx).to(dtype)
        s = S.index_select(1, idx).to(dtype)
        G = f.sub_matrix(idx).to(dtype)
        E = (idx[:, None] == idx[None, :]).to(dtype)
        loop = self.loop if len(idx) == self.B else block_loop  # compiled for full blocks
        D = loop(
            raw, s, u, G, E, self.bias[idx].to(dtype), f.scale, beta, zero_keeps, self.rule, self.tol
        )
        S[:, idx] = s.to(torch.int8)  # a repeated site holds the same value everywhere
        f.apply(cache, idx, D.to(f.dtype))
        return D


class SynchronousKernel(TorchKernel):
    """Little dynamics: all sites from the old state, one field product per sweep."""

    graph_safe = True

    def __init__(self, net, *, pattern_mode, **kw):
        super().__init__(net, **kw)
        self.fields = make_fields(net.couplings, self.device, pattern_mode)
        self.dtype = self.fields.dtype
        self.bias = torch.as_tensor(np.ascontiguousarray(net.bias, dtype=np.float64), device=self.device)
        self.magnitudes = _magnitudes(self.fields, net.bias)

    def _run(self, betas):
        dtype = decision_dtype(self.dtype, self.magnitudes, betas)
        beta, zero_keeps = self._betas(betas, dtype)
        return beta[:, None], None if zero_keeps is None else zero_keeps[:, None], dtype

    def _advance(self, run, S, cache, gen, first, sweeps, flips):
        beta, zero_keeps, dtype = run
        f = self.fields
        bias = self.bias.to(dtype)
        for _ in range(sweeps):
            u = torch.rand((self.K, self.n), generator=gen, dtype=dtype, device=self.device)
            old = S.to(dtype)
            h = f.full_raw(S).to(dtype) * f.scale + bias
            new = new_spins(self.rule, old, h, u, beta, zero_keeps, self.tol)
            flips += (new != old).sum(1)
            S.copy_(new)

    def _pair_sum(self, run, S, cache):
        return self.fields.pair_sum(self.fields.init_cache(S), S)

    def _overlap_sums(self, S, cache):
        return self.fields.init_cache(S)


def _magnitudes(fields, bias):
    """Largest |scale · raw field| and |b|: what decides whether float32 is safe."""
    return (abs(fields.scale) * raw_bound(fields), float(np.abs(np.asarray(bias)).max(initial=0)))
