"""Dense associative memory (:mod:`statnn.core.dense_memory`) on the torch backend.

All K = n_T · chains states are the batch. Each keeps its projections M_μ = ξ^μ · S
(float64, exact integers) as the cache, and the effective field of neuron i,
h_i = [E(S_i = −1) − E(S_i = +1)]/2, costs O(P) per state from r_μ = M_μ − ξ_i^μ S_i:

* poly, degree n: h_i = Σ_μ ξ_i^μ [(r_μ + 1)^n − (r_μ − 1)^n] / (2 n N^{n−1}) + b_i;
* exp, width β_F: with r* = max_μ r_μ,
  h_i = ½ [e^{β_F (r* − N + 1)} − e^{β_F (r* − N − 1)}] Σ_μ ξ_i^μ e^{β_F (r_μ − r*)} + b_i
  (every exponential ≤ 1; an underflowed h keeps the sign of the sum as the smallest
  subnormal),

the formulas of the numpy reference. Single-site schedules update one neuron at a time for
every state at once: per sweep the site order (``randint`` / ``randperm``, shared by all
chains, as the block kernels do) and then the uniforms (K, N) are drawn from the state's
generator (the order is read back to the host once per sweep on the CPU only, see
:attr:`DenseMemoryKernel.host_order`); after each update M ← M + (S_i' − S_i) ξ_i (exact). There is no coupling matrix,
so no block product: one update is a handful of (K × P) operations, which suits many chains
and a GPU rather than one chain on a CPU. Synchronous sweeps compute every field from the
old projections (in site blocks of bounded memory), then recompute M = S ξᵀ.
"""

from __future__ import annotations

import numpy as np
import torch

from statnn.core.dense_memory import odd_binomials
from statnn.dynamics.torch.base import TorchKernel, new_spins

_TINY = 5e-324

#: Synchronous sweeps evaluate the fields of this many (state, site, pattern) triples at once.
_SYNC_ENTRIES = 2**22


class DenseMemoryKernel(TorchKernel):
    """Dense-memory kernel: schedules random, sequential, permuted and synchronous."""

    def __init__(self, net, **kw):
        super().__init__(net, **kw)
        c = net.couplings
        dev = self.device
        self.xi = torch.as_tensor(np.ascontiguousarray(c.patterns_t), device=dev).to(torch.float64)
        self.P = c.p
        self.poly = c.interaction == "poly"
        self.degree = int(c.degree)
        self.coeffs = [float(x) for x in odd_binomials(c.degree)]
        self.inv = float(c.inv_scale)
        self.beta_f = float(c.beta)
        self.bias = torch.as_tensor(np.ascontiguousarray(net.bias, dtype=np.float64), device=dev)
        self._arange = torch.arange(self.n, device=dev)
        #: Single-site schedules index the sites from a host copy of the sweep's order (one
        #: read per sweep, the faster indexing on the CPU, where the read costs a copy), or,
        #: where False (the default off the CPU), by one-element index tensors on the device,
        #: with nothing read back; the same updates either way.
        self.host_order = dev.type == "cpu"

    def _cache(self, S):
        flat = S.reshape(self.K, self.n).to(torch.float64)
        return (flat @ self.xi).reshape(*self.shape, self.P)

    def _field(self, M, rows, own):
        """h without bias from projections M (..., P), the site's bits rows (..., P) and S_i."""
        r = M - rows * own[..., None]
        if self.poly:
            g = torch.zeros_like(r)
            for c in self.coeffs:  # Horner, highest power first
                g = g * r + c
            return ((rows * g).sum(-1) / self.degree) * self.inv
        top = r.max(dim=-1).values
        total = (rows * torch.exp(self.beta_f * (r - top[..., None]))).sum(-1)
        b, n = self.beta_f, float(self.n)
        front = 0.5 * (torch.exp(b * (top - n + 1.0)) - torch.exp(b * (top - n - 1.0)))
        h = front * total
        tiny = torch.full_like(h, _TINY).copysign(total)
        return torch.where((h == 0) & (total != 0), tiny, h)

    def _order(self, gen):
        if self.schedule == "random":
            return torch.randint(0, self.n, (self.n,), generator=gen, device=self.device)
        if self.schedule == "permuted":
            return torch.randperm(self.n, generator=gen, device=self.device)
        return self._arange

    def _run(self, betas):
        return self._betas(betas, torch.float64)

    def _advance(self, run, S, M, gen, first, sweeps, flips):
        beta, zero_keeps = run
        for _ in range(sweeps):
            if self.schedule == "synchronous":
                new, M_new = self._synchronous(S, gen, beta, zero_keeps, flips)
                S.copy_(new)
                M.copy_(M_new)
                continue
            order = self._order(gen)
            if self.host_order:  # plain integer indexing: one read of the order per sweep
                order = range(self.n) if self.schedule == "sequential" else order.tolist()
            for start, u in self._uniform_chunks(gen, torch.float64, 1):
                for t in range(u.shape[1]):
                    if self.host_order:
                        i = order[start + t]
                        row, old, b = self.xi[i], S[:, i].to(torch.float64), self.bias[i]
                    else:  # a one-element index tensor: nothing is read back
                        i = order[start + t : start + t + 1]
                        row = self.xi.index_select(0, i)[0]
                        old = S.index_select(1, i)[:, 0].to(torch.float64)
                        b = self.bias.index_select(0, i)
                    h = self._field(M, row, old) + b
                    new = new_spins(self.rule, old, h, u[:, t], beta, zero_keeps, self.tol)
                    d = new - old
                    if self.host_order:
                        S[:, i] = new.to(torch.int8)
                    else:
                        S.index_copy_(1, i, new.to(torch.int8)[:, None])
                    M.addr_(d, row)
                    flips += d != 0

    def _coupling_energy(self, run, S, M):
        """−Σ_μ F(M_μ) per state: poly (M^n / N^{n−1} − 1)/n, exp e^{β_F (M − N)}."""
        if self.poly:
            F = (M.pow(self.degree) * self.inv - 1.0) / self.degree
        else:
            F = torch.exp(self.beta_f * (M - float(self.n)))
        return -F.sum(1)

    def _n_overlaps(self):
        return self.P

    def _overlap_sums(self, S, M):
        return M

    def _all_fields(self, old, M):
        """Every site's field h (K, n) from the spins ``old`` (float64) and their
        projections M (K, P), in site blocks of bounded memory."""
        h = torch.empty_like(old)
        width = max(1, _SYNC_ENTRIES // max(1, self.K * self.P))
        for a in range(0, self.n, width):
            rows = self.xi[a : a + width]  # (B, P)
            h[:, a : a + width] = self._field(M[:, None, :], rows[None], old[:, a : a + width])
        h += self.bias
        return h

    def _local_fields(self, S, M):
        """Every site's field (K, n) float64 from projections computed afresh."""
        old = S.to(torch.float64)
        return self._all_fields(old, old @ self.xi)

    def _synchronous(self, S, gen, beta, zero_keeps, flips):
        u = torch.rand((self.K, self.n), generator=gen, dtype=torch.float64, device=self.device)
        old = S.to(torch.float64)
        h = self._all_fields(old, old @ self.xi)
        b = beta[:, None]
        z = None if zero_keeps is None else zero_keeps[:, None]
        new = new_spins(self.rule, old, h, u, b, z, self.tol)
        flips += (new != old).sum(1)
        return new.to(torch.int8), new @ self.xi


__all__ = ["DenseMemoryKernel"]
