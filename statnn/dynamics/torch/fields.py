"""Cached coupling fields for the torch kernels, one class per coupling representation.

Block-sequential dynamics (:mod:`statnn.dynamics.torch.kernels`) needs four things from
the couplings, for a block of B sites ``idx`` shared by all K = n_T · chains states:

* ``block_raw(cache, S, idx)`` — the coupling fields of the block sites, (K, B);
* ``sub_matrix(idx)`` — G[a, b] = J[idx_a, idx_b] (B × B, zero where idx_a = idx_b);
* ``apply(cache, idx, D)`` — correct the cache after the block changed its spins by
  D (K, B): h_j ← h_j + Σ_b J[j, idx_b] D_b, one matrix product (or scatter) per block;
* ``full_raw(S)`` — every coupling field at once (synchronous updates, refreshes).

Fields are kept in *raw* units: h_i = scale · raw_i + b_i. Where raw is an integer
(pattern form: raw_i = Σ_μ ξ_i^μ (ξ^μ · S) − P S_i; lattices: raw_i = Σ_{j∈nn(i)} S_j) the
cache is exact, never drifts, and h is computed by the same two operations as
:mod:`statnn.dynamics.reference` (scale · raw + b), so T = 0 trajectories agree bit for
bit. Dense float couplings are cached in their own precision and recomputed from scratch
every ``FIELD_REFRESH_SWEEPS`` sweeps to bound round-off drift.
"""

from __future__ import annotations

import numpy as np
import torch

from statnn._memory import check_allocation
from statnn.core.couplings import (
    Couplings,
    DenseCouplings,
    LatticeCouplings,
    PatternCouplings,
    SparseCouplings,
)

#: Sparse matrices with at most this many neurons are converted to dense on the device:
#: an n × n float64 matrix of 4096² entries is 128 MiB, and a dense column product is
#: faster than a scatter at that size. Larger ones use the padded neighbour lists below.
SPARSE_AS_DENSE_MAX_N = 4096

#: Integers up to 2**24 are exact in float32 (sums of ±1 products included).
_F32_EXACT = 2**24


def _int_mm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``torch._int_mm(a, b)`` (int8 × int8 → int32) with its layout requirements checked.

    CUDA's int8 product needs more than 16 rows, inner and outer sizes that are multiples
    of 8, a row-major ``a`` and a column-major ``b``; anything else fails or, in some torch
    versions, silently takes a slow path.
    """
    assert a.dtype == b.dtype == torch.int8, (a.dtype, b.dtype)
    assert a.shape[0] > 16 and a.shape[1] % 8 == 0 and b.shape[1] % 8 == 0, (a.shape, b.shape)
    assert a.stride(1) == 1 and b.stride(0) == 1, (a.stride(), b.stride())
    return torch._int_mm(a, b)


def _max_row_abs_sum(A: np.ndarray) -> float:
    """max_i Σ_j |A_ij| of a host array, by blocks of rows (no full-size temporary)."""
    rows = max(1, 2**20 // max(A.shape[1], 1)) if A.ndim == 2 else 1
    best = 0.0
    for start in range(0, A.shape[0], rows):
        block = np.abs(A[start : start + rows], dtype=np.float64)
        best = max(best, float(block.sum(1).max(initial=0.0)))
    return best


def _pairs(idx: torch.Tensor) -> torch.Tensor:
    """Boolean (B, B): idx_a == idx_b (a site drawn twice in one block)."""
    return idx[:, None] == idx[None, :]


class DenseFields:
    """Dense J (float32 or float64): cache h = S Jᵀ (K, n) in J's precision.

    The block correction is h ← h + D · Jᵀ[idx] (one (K × B)(B × n) product); the within-
    block matrix is G = J[idx][:, idx].
    """

    exact = False
    scale = 1.0

    def __init__(self, J: np.ndarray, symmetric: bool, device: torch.device):
        self.dtype = torch.float32 if J.dtype == np.float32 else torch.float64
        self.bound = _max_row_abs_sum(J)
        self.J = torch.as_tensor(np.ascontiguousarray(J), device=device).to(self.dtype)
        self.JT = self.J if symmetric else self.J.T.contiguous()  # row i = column i of J

    def full_raw(self, S):
        return S.to(self.dtype) @ self.JT

    def init_cache(self, S):
        return self.full_raw(S)

    def block_raw(self, cache, S, idx):
        return cache.index_select(1, idx)

    def sub_matrix(self, idx):
        return self.J.index_select(0, idx).index_select(1, idx)

    def apply(self, cache, idx, D):
        cache.addmm_(D.to(self.dtype), self.JT.index_select(0, idx))

    def pair_sum(self, cache, S):
        """Σ_i S_i h_i = Σ_ij J_ij S_i S_j per state (K,) float64 from the cache h = S Jᵀ."""
        return (cache.to(torch.float64) * S).sum(1)


class PatternFields:
    """Hebbian J = s ξᵀξ (zero diagonal) kept as the P × N patterns; cache m = S ξᵀ (K, P).

    raw_i = Σ_μ ξ_i^μ m_μ − P S_i, G = ξ[:, idx]ᵀ ξ[:, idx] (zero where idx_a = idx_b) and
    the correction is m ← m + D ξ[:, idx]ᵀ. Everything is an integer.

    Two exact arithmetic modes:

    * ``"float"``: patterns and overlaps in float32 when P·N ≤ 2²⁴ (every product and
      partial sum is an integer of magnitude ≤ P·N, hence exact), else float64. On CUDA
      this relies on TF32 being off for float32 matmuls (torch's default).
    * ``"int8"`` (the CUDA default where the shapes allow it): int8 patterns and
      ``torch._int_mm`` (int8 × int8 → int32, tensor cores). The update D ξᵀ has entries
      in {0, ±2} × {±1}: exact. The read ξᵀ m splits the int32 overlaps into base-128 int8
      digits m = Σ_k 128^k d_k, each |d_k| ≤ 64, and sums the int32 products: exact while
      P·N < 2³¹. This is the "half precision where exact" path: no rounding anywhere.
    """

    exact = True

    def __init__(self, c: PatternCouplings, device: torch.device, mode: str = "float"):
        self.p, self.n = c.patterns.shape
        self.scale = float(c.scale)
        self.mode = mode
        self.dtype = torch.float32 if self.p * self.n <= _F32_EXACT else torch.float64
        xi = torch.as_tensor(c.patterns, device=device)
        if mode == "int8":
            p8 = max(16, -(-self.p // 8) * 8)  # zero rows pad P to a multiple of 8
            xi8 = torch.zeros((p8, self.n), dtype=torch.int8, device=device)
            xi8[: self.p] = xi
            self.xi = xi8  # (P8, N)
            self.xiT = xi8.T.contiguous()  # (N, P8)
            self.digits = 1
            bound = self.n
            while bound > 127:
                bound = (bound + 64) // 128 + 1
                self.digits += 1
        else:
            self.xi = xi.to(self.dtype)
            self.xiT = self.xi.T.contiguous()

    def _int_ok(self, K: int, B: int) -> bool:
        """Shapes ``torch._int_mm`` accepts on CUDA: more than 16 rows, B a multiple of 8."""
        return self.mode == "int8" and K > 16 and B % 8 == 0

    def init_cache(self, S):
        if self.mode == "int8":  # once per refresh: float64 is exact for these integers
            m = S.to(torch.float64) @ self.xiT.to(torch.float64)
            return m.round_().to(torch.int32)
        return S.to(self.dtype) @ self.xiT

    def full_raw(self, S):
        m = self.init_cache(S).to(self.dtype)
        return m @ self.xi.to(self.dtype) - self.p * S.to(self.dtype)

    def block_raw(self, m, S, idx):
        own = self.p * S.index_select(1, idx).to(self.dtype)
        rows = self.xiT.index_select(0, idx)  # (B, P)
        if not self._int_ok(m.shape[0], len(idx)):
            return m.to(self.dtype) @ rows.to(self.dtype).T - own
        cols = rows.T  # (P8, B), column-major as _int_mm wants
        rest = m
        total = None
        for k in range(self.digits):
            if k == self.digits - 1:
                digit = rest
            else:
                digit = torch.remainder(rest + 64, 128) - 64
                rest = torch.div(rest - digit, 128, rounding_mode="floor")
            part = _int_mm(digit.to(torch.int8).contiguous(), cols)
            part = part if k == 0 else part * (128**k)
            total = part if total is None else total + part
        return total.to(self.dtype) - own

    def sub_matrix(self, idx):
        rows = self.xiT.index_select(0, idx).to(self.dtype)
        G = rows @ rows.T
        return G.masked_fill_(_pairs(idx), 0.0)

    def apply(self, m, idx, D):
        if self.mode != "int8":
            m.addmm_(D.to(self.dtype), self.xiT.index_select(0, idx))
        elif self._int_ok(m.shape[0], len(idx)):
            cols = self.xi.index_select(1, idx).T  # (B, P8), column-major
            m += _int_mm(D.to(torch.int8).contiguous(), cols)
        else:
            rows = self.xiT.index_select(0, idx).to(self.dtype)
            m += (D.to(self.dtype) @ rows).to(torch.int32)

    def pair_sum(self, m, S):
        """Σ_ij J_ij S_i S_j = s (Σ_μ m_μ² − P N) per state (K,) float64 (zero diagonal),
        the integer part exact (|Σ m²| ≤ P N² < 2⁵³)."""
        m = m[:, : self.p].to(torch.float64)
        return (m * m).sum(1).sub_(float(self.p * self.n)).mul_(self.scale)


class EllFields:
    """Sparse couplings as padded neighbour lists (ELLPACK) of the *columns* of J.

    Source site i changes the fields of ``targets[i, k]`` by ``values[i, k]`` · ΔS_i
    (padding: target 0, value 0). The block correction is one ``index_add_`` of (K, B·d)
    contributions; G[a, b] = Σ_k values[idx_b, k] [targets[idx_b, k] = idx_a].

    Used for lattices under the non-checkerboard schedules (values 1, int32 cache of
    neighbour sums, scale J — exact and deterministic on every device) and for sparse
    matrices with more than ``SPARSE_AS_DENSE_MAX_N`` neurons (float64 values; on CUDA the
    float scatter adds in a nondeterministic order, which can change the last bits).
    """

    def __init__(self, targets, values, scale, device, exact):
        self.targets = torch.as_tensor(targets, device=device)
        self.values = torch.as_tensor(values, device=device)
        self.cdtype = self.values.dtype
        self.dtype = torch.float32 if exact else torch.float64
        self.exact = exact
        self.scale = float(scale)
        self.n = self.targets.shape[0]
        self.bound = _max_row_abs_sum(np.asarray(values))

    @classmethod
    def from_lattice(cls, c: LatticeCouplings, device):
        # the table, then its clipped int64 copy and int32 mask (host), before any device copy
        check_allocation(
            c.table_bytes() + 12 * c.n * 2 * c.ndim,
            f"the neighbour lists of a {'x'.join(map(str, c.shape))} lattice "
            "(schedules other than 'checkerboard' need them)",
            "the torch backend",
        )
        nb = c.neighbours
        return cls(np.maximum(nb, 0), (nb >= 0).astype(np.int32), c.J, device, exact=True)

    @classmethod
    def from_sparse(cls, c: SparseCouplings, device):
        JT = c.J.T.tocsr()
        JT.sort_indices()
        counts = np.diff(JT.indptr)
        d = max(int(counts.max()) if counts.size else 0, 1)
        targets = np.zeros((c.n, d), dtype=np.int64)
        values = np.zeros((c.n, d), dtype=np.float64)
        rows = np.repeat(np.arange(c.n), counts)
        slots = np.arange(JT.nnz) - np.repeat(JT.indptr[:-1], counts)
        targets[rows, slots] = JT.indices
        values[rows, slots] = JT.data
        return cls(targets, values, 1.0, device, exact=False)

    def _scatter(self, out, sources_spins, targets, values):
        K = out.shape[0]
        contrib = (sources_spins.to(self.cdtype)[:, :, None] * values[None]).reshape(K, -1)
        out.index_add_(1, targets.reshape(-1), contrib)
        return out

    def full_raw(self, S):
        return self.init_cache(S).to(self.dtype)

    def init_cache(self, S):
        out = torch.zeros((S.shape[0], self.n), dtype=self.cdtype, device=S.device)
        return self._scatter(out, S, self.targets, self.values)

    def block_raw(self, cache, S, idx):
        return cache.index_select(1, idx).to(self.dtype)

    def sub_matrix(self, idx):
        tb = self.targets.index_select(0, idx)  # (B, d) for source b
        vb = self.values.index_select(0, idx).to(self.dtype)
        hit = tb[None, :, :] == idx[:, None, None]  # (a, b, k)
        return (hit * vb[None]).sum(-1)

    def apply(self, cache, idx, D):
        self._scatter(cache, D, self.targets.index_select(0, idx), self.values.index_select(0, idx))

    def pair_sum(self, cache, S):
        """Σ_i S_i raw_i · scale = Σ_ij J_ij S_i S_j per state (K,) float64 (lattices: the
        integer neighbour sums exactly)."""
        if self.exact:
            return (cache * S).sum(1, dtype=torch.int64).to(torch.float64) * self.scale
        return (cache.to(torch.float64) * S).sum(1) * self.scale


def raw_bound(fields) -> float:
    """An upper bound of |raw field| over all states (from the host arrays: no device read)."""
    if isinstance(fields, PatternFields):
        return float(fields.p * fields.n)
    return fields.bound


def make_fields(couplings: Couplings, device: torch.device, pattern_mode: str = "float"):
    """The field provider for a coupling representation (see the module docstring)."""
    if isinstance(couplings, DenseCouplings):
        return DenseFields(couplings.J, couplings.symmetric, device)
    if isinstance(couplings, PatternCouplings):
        return PatternFields(couplings, device, mode=pattern_mode)
    if isinstance(couplings, LatticeCouplings):
        return EllFields.from_lattice(couplings, device)
    if isinstance(couplings, SparseCouplings):
        if couplings.n <= SPARSE_AS_DENSE_MAX_N:
            return DenseFields(couplings.to_dense(), couplings.symmetric, device)
        return EllFields.from_sparse(couplings, device)
    # Any other Couplings subclass: materialise it (documented O(n²) memory).
    return DenseFields(couplings.to_dense(), couplings.symmetric, device)
