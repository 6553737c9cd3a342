"""Coupling representations: the J of h_i = Σ_j J_ij S_j + b_i in the form that makes it cheap.

Every representation answers the same two questions for a batch of spin states S of
shape (..., n):

* :meth:`Couplings.field` — the coupling part of every local field, Σ_j J_ij S_j;
* :meth:`Couplings.field_at` — the same for one site per state (what one update needs).

Self-couplings are excluded everywhere (J_ii = 0), as in the energy
E(S) = −½ Σ_{i≠j} J_ij S_i S_j − Σ_i b_i S_i (docs/conventions.md).

Representations: :class:`DenseCouplings` (numpy, float32/float64), :class:`SparseCouplings`
(scipy.sparse CSR), :class:`PatternCouplings` (Hebbian J = s ξᵀξ stored as the P × N
patterns) and :class:`LatticeCouplings` (nearest-neighbour stencil in 1–3 dimensions).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import scipy.sparse as sp

from statnn._memory import check_allocation
from statnn._validation import check_array, check_patterns, check_real, param_error

_SYMMETRY_RTOL = 1e-12


class Couplings(ABC):
    """Abstract coupling matrix J (n × n, zero diagonal)."""

    kind: str = ""
    n: int
    symmetric: bool
    #: The floating-point type the kernels sum fields in.
    dtype = np.dtype(np.float64)

    @abstractmethod
    def row_bound(self) -> float:
        """An upper bound of max_i Σ_j |J_ij|, the largest field |Σ_j J_ij S_j| can reach."""

    @abstractmethod
    def field(self, S: np.ndarray) -> np.ndarray:
        """Σ_j J_ij S_j for every i: S of shape (..., n) → float64 array of shape (..., n)."""

    @abstractmethod
    def field_at(self, S: np.ndarray, sites: np.ndarray) -> np.ndarray:
        """Σ_j J_{i_b j} S_{b j} for a batch: S (B, n), sites (B,) → float64 (B,)."""

    @abstractmethod
    def to_dense(self, dtype=np.float64) -> np.ndarray:
        """The n × n matrix J (materialised: O(n²) memory)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n={self.n}, symmetric={self.symmetric})"


def _is_symmetric(J: np.ndarray, tol: float, block: int = 512) -> bool:
    """|J_ij − J_ji| <= tol everywhere, compared by row blocks (no N × N temporaries)."""
    n = J.shape[0]
    for start in range(0, n, block):
        rows = J[start : start + block]
        if not np.all(np.abs(rows - J[:, start : start + block].T) <= tol):
            return False
    return True


class DenseCouplings(Couplings):
    """A dense n × n coupling matrix (float32 or float64), zero diagonal.

    Parameters
    ----------
    J : array_like, shape (n, n)
        Couplings; integer input is converted to float64, float32 is kept.
    """

    kind = "dense"

    def __init__(self, J, *, caller: str = "Network"):
        dtype = np.float32 if getattr(J, "dtype", None) == np.float32 else np.float64
        if getattr(J, "dtype", None) is not None and J.dtype.kind == "O":
            raise param_error("J", caller, "a real numeric array (not dtype object)", J)
        J = check_array(J, "J", caller, ndim=2, dtype=dtype)
        _check_square(J.shape, caller)
        if np.any(np.diagonal(J) != 0):
            raise param_error(
                "J",
                caller,
                "a matrix with a zero diagonal (self-couplings are excluded)",
                f"<diagonal with {int(np.count_nonzero(np.diagonal(J)))} non-zero entries>",
                hint="Set it to zero with np.fill_diagonal(J, 0).",
            )
        self.J = np.ascontiguousarray(J)
        self.n = J.shape[0]
        scale = max(float(J.max()), -float(J.min())) if J.size else 0.0
        self.symmetric = _is_symmetric(self.J, _SYMMETRY_RTOL * max(scale, 1e-300))

    @property
    def dtype(self):
        return self.J.dtype

    def row_bound(self):
        if not hasattr(self, "_row_bound"):
            rows = np.abs(self.J).sum(axis=1, dtype=np.float64)
            self._row_bound = float(rows.max()) if self.n else 0.0
        return self._row_bound

    def field(self, S):
        return np.asarray(S, dtype=np.float64) @ self.J.T.astype(np.float64, copy=False)

    def field_at(self, S, sites):
        rows = self.J[sites].astype(np.float64, copy=False)
        return np.einsum("bj,bj->b", rows, S.astype(np.float64, copy=False))

    def to_dense(self, dtype=np.float64):
        return self.J.astype(dtype, copy=True)


class SparseCouplings(Couplings):
    """A scipy.sparse coupling matrix, stored as CSR with float64 values and no diagonal."""

    kind = "sparse"

    def __init__(self, J, *, caller: str = "Network"):
        if not sp.issparse(J):
            raise param_error("J", caller, "a scipy.sparse matrix", type(J).__name__)
        if J.dtype.kind not in "biuf":
            raise param_error(
                "J",
                caller,
                "a sparse matrix of real numbers (complex values are refused)",
                f"<a sparse matrix of dtype {J.dtype}>",
            )
        J = sp.csr_array(J, dtype=np.float64)
        _check_square(J.shape, caller)
        if not np.all(np.isfinite(J.data)):
            raise param_error(
                "J",
                caller,
                "a sparse matrix of finite values (no NaN or inf)",
                "<NaN or inf entries>",
            )
        if np.any(J.diagonal() != 0):
            raise param_error(
                "J",
                caller,
                "a matrix with a zero diagonal (self-couplings are excluded)",
                "<non-zero diagonal entries>",
                hint="Remove them with J.setdiag(0); J.eliminate_zeros().",
            )
        J.eliminate_zeros()
        J.sort_indices()
        self.J = J
        self.n = J.shape[0]
        scale = float(np.max(np.abs(J.data))) if J.nnz else 0.0
        diff = abs(J - J.T)
        self.symmetric = bool(diff.nnz == 0 or diff.max() <= _SYMMETRY_RTOL * max(scale, 1e-300))

    def row_bound(self):
        return float(abs(self.J).sum(axis=1).max()) if self.J.nnz else 0.0

    def field(self, S):
        S = np.asarray(S, dtype=np.float64)
        flat = S.reshape(-1, self.n)
        return (self.J @ flat.T).T.reshape(S.shape)

    def field_at(self, S, sites):
        rows = self.J[sites]
        return np.asarray(rows.multiply(S.astype(np.float64, copy=False)).sum(axis=1)).ravel()

    def to_dense(self, dtype=np.float64):
        return self.J.toarray().astype(dtype, copy=False)


def pattern_projections(S, patterns, block_entries: int = 1 << 20) -> np.ndarray:
    """Projections ξ^μ · S = Σ_i ξ_i^μ S_i of spins on every pattern, exactly.

    Parameters
    ----------
    S : array_like of ±1, shape (..., N)
    patterns : ndarray of ±1, shape (P, N), any memory layout
    block_entries : int
        Patterns are converted to float in blocks of at most this many entries, so no
        float copy of the whole table is ever made (the table may be GBs of int8).

    Returns
    -------
    ndarray of float64, shape (..., P)
        Integers: ±1 products summed in float32 blocks are exact while N < 2²⁴, and
        in float64 beyond.
    """
    p, n = patterns.shape
    dtype = np.float32 if n < (1 << 24) else np.float64
    S = np.asarray(S)
    flat = S.reshape(-1, n).astype(dtype)
    out = np.empty((flat.shape[0], p), dtype=np.float64)
    rows = max(1, block_entries // max(n, 1))
    for start in range(0, p, rows):
        block = patterns[start : start + rows].astype(dtype)
        out[:, start : start + len(block)] = flat @ block.T
    return out.reshape(S.shape[:-1] + (p,))


class PatternCouplings(Couplings):
    """Hebbian couplings J_ij = s Σ_μ ξ_i^μ ξ_j^μ (i ≠ j) kept as the P × N patterns.

    The field is h_i = s Σ_μ ξ_i^μ (ξ^μ · S) − s P S_i: two products with the int8 patterns,
    never an N × N matrix. The usual Hopfield scale is s = 1/N.

    Parameters
    ----------
    patterns : array_like of ±1, shape (P, N)
    scale : float, default 1/N
    """

    kind = "patterns"
    symmetric = True
    #: Patterns are converted to float64 in blocks of at most this many entries, so the
    #: int8 patterns are the only full-size copy (N = 10^5, P = 10^4 is 1 GB, not 8 GB).
    block_entries = 1 << 20
    #: A set of at most this many entries keeps one float64 copy (≤ 32 MB), so the
    #: reference kernel's O(P) field per update does not convert the table every time.
    cache_entries = 1 << 22

    def __init__(self, patterns, scale: float | None = None, *, caller: str = "hopfield"):
        xi = check_patterns(patterns, caller)
        #: The table in the kernels' layout, (N, P) C-ordered: the P pattern bits of neuron
        #: i are one contiguous row. A Fortran-ordered (P, N) table (as
        #: :func:`statnn.random_patterns` makes) is used in place, without a copy.
        self.patterns_t = np.ascontiguousarray(xi.T)
        self.p, self.n = xi.shape
        self.scale = 1.0 / self.n if scale is None else check_real(scale, "scale", caller)
        self._xi_float: np.ndarray | None = None

    @property
    def patterns(self) -> np.ndarray:
        """The stored patterns ξ, (P, N) int8: a view of :attr:`patterns_t`."""
        return self.patterns_t.T

    def _float_blocks(self):
        """Yield (start, float64 block of patterns); a small set's single block is kept."""
        rows = max(1, self.block_entries // self.n)
        if self.p * self.n <= self.cache_entries:
            if self._xi_float is None:
                self._xi_float = self.patterns.astype(np.float64)
            yield 0, self._xi_float
            return
        for start in range(0, self.p, rows):
            yield start, self.patterns[start : start + rows].astype(np.float64)

    def projections(self, S: np.ndarray) -> np.ndarray:
        """ξ^μ · S for every pattern: (..., n) → float64 (..., P), exact integers."""
        S = np.asarray(S, dtype=np.float64)
        out = np.empty(S.shape[:-1] + (self.p,))
        for start, block in self._float_blocks():
            out[..., start : start + len(block)] = S @ block.T
        return out

    def row_bound(self):
        return abs(self.scale) * self.p * (self.n - 1)  # |Σ_μ ξ_i^μ ξ_j^μ| ≤ P

    def overlaps(self, S: np.ndarray) -> np.ndarray:
        """Pattern overlaps m_μ = (1/N) Σ_i ξ_i^μ S_i: (..., n) → (..., P)."""
        return self.projections(S) / self.n

    def field(self, S):
        S = np.asarray(S, dtype=np.float64)
        projections = self.projections(S)
        total = -self.p * S
        for start, block in self._float_blocks():
            total += projections[..., start : start + len(block)] @ block
        return self.scale * total

    def field_at(self, S, sites):
        S = S.astype(np.float64, copy=False)
        projections = self.projections(S)  # (B, P)
        own = S[np.arange(len(sites)), sites]
        columns = self.patterns[:, sites].astype(np.float64)  # (P, B)
        return self.scale * (np.einsum("bm,mb->b", projections, columns) - self.p * own)

    def to_dense(self, dtype=np.float64):
        """J = s ξᵀξ with a zero diagonal, formed in ``dtype`` (one N × N matrix).

        Σ_μ ξ_i^μ ξ_j^μ are integers, exact in float32 while P < 2²⁴. The memory needed is
        checked first (:class:`~statnn.errors.InsufficientMemoryError` if it cannot fit).
        """
        dtype = np.dtype(dtype)
        check_allocation(
            self.n * self.n * dtype.itemsize + self.p * self.n * dtype.itemsize,
            f"the dense {self.n} x {self.n} {dtype.name} form of the pattern couplings",
            "PatternCouplings.to_dense",
            "Keep the pattern form (O(P) per update, the P x N int8 patterns only).",
        )
        xi = self.patterns.astype(dtype)
        J = xi.T @ xi
        J *= dtype.type(self.scale)
        np.fill_diagonal(J, 0.0)
        return J

    def __repr__(self):
        return f"PatternCouplings(P={self.p}, N={self.n}, scale={self.scale:g})"


class LatticeCouplings(Couplings):
    """Nearest-neighbour couplings J on a 1–3 dimensional hypercubic lattice, no matrix.

    h_i = J Σ_{j ∈ nn(i)} S_j. Sites are numbered in C order over ``shape``. With periodic
    boundaries a side of length 2 meets the same neighbour across both faces; both bonds
    count, as they do in :meth:`to_dense`.

    Parameters
    ----------
    shape : tuple of 1 to 3 ints, each >= 2
    J : float
    periodic : bool
    """

    kind = "lattice"
    symmetric = True

    def __init__(self, shape, J: float = 1.0, periodic: bool = True, *, caller: str = "ising"):
        if isinstance(shape, int | np.integer):
            shape = (shape,)
        try:
            shape = tuple(shape)
        except TypeError:
            raise param_error(
                "shape", caller, "a tuple of 1 to 3 side lengths >= 2", shape
            ) from None
        if not 1 <= len(shape) <= 3:
            raise param_error("shape", caller, "a tuple of 1 to 3 side lengths >= 2", shape)
        for side in shape:
            if not isinstance(side, int | np.integer) or isinstance(side, bool) or side < 2:
                raise param_error("shape", caller, "a tuple of 1 to 3 side lengths >= 2", shape)
        self.shape = tuple(int(s) for s in shape)
        self.J = check_real(J, "J", caller)
        if not isinstance(periodic, bool | np.bool_):
            raise param_error("periodic", caller, "a bool", periodic)
        self.periodic = bool(periodic)
        self.n = int(np.prod(self.shape))
        self._neighbours: np.ndarray | None = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def row_bound(self):
        return 2 * self.ndim * abs(self.J)

    @property
    def bipartite(self) -> bool:
        """Whether the two-colour (checkerboard) split has no bond inside a colour."""
        return not self.periodic or all(s % 2 == 0 for s in self.shape)

    def colors(self) -> np.ndarray:
        """Checkerboard colour (0 or 1) of every site, int8 (n,): the parity of Σ coordinates."""
        parity = np.zeros((1,) * self.ndim, dtype=np.int8)
        for axis, side in enumerate(self.shape):
            view = [1] * self.ndim
            view[axis] = side
            parity = parity ^ (np.arange(side, dtype=np.int8) % 2).reshape(view)
        out = np.empty(self.shape, dtype=np.int8)
        out[...] = parity
        return out.reshape(-1)

    def table_bytes(self) -> int:
        """Memory that building :attr:`neighbours` takes at its peak, in bytes: the int64
        table (2·ndim columns) and two int64 temporaries of one column each."""
        return 8 * self.n * (2 * self.ndim + 2)

    @property
    def neighbours(self) -> np.ndarray:
        """(n, 2·ndim) int64 site indices of the neighbours; -1 where an open boundary has none.

        Built on first use only (the stencil itself needs no table: a uniform lattice costs
        O(1) memory), after checking that the memory it takes is available.
        """
        if self._neighbours is None:
            check_allocation(
                self.table_bytes(),
                f"the neighbour table of a {'x'.join(map(str, self.shape))} lattice",
                "LatticeCouplings",
                "The 'checkerboard' schedule needs no table.",
            )
            self._neighbours = self._neighbour_table()
        return self._neighbours

    def _neighbour_table(self) -> np.ndarray:
        table = np.empty((self.n, 2 * self.ndim), dtype=np.int64)
        index = np.arange(self.n, dtype=np.int64).reshape(self.shape)
        k = 0
        for axis, side in enumerate(self.shape):
            for step in (1, -1):
                shifted = np.roll(index, -step, axis=axis)
                if not self.periodic:
                    edge = [slice(None)] * self.ndim
                    edge[axis] = slice(side - 1, side) if step == 1 else slice(0, 1)
                    shifted[tuple(edge)] = -1
                table[:, k] = shifted.reshape(-1)
                k += 1
        return table

    def neighbours_of(self, sites: np.ndarray) -> np.ndarray:
        """Rows of :attr:`neighbours` for ``sites`` (any shape → (..., 2·ndim)), computed by
        index arithmetic without the table."""
        sites = np.asarray(sites, dtype=np.int64)
        coords = np.unravel_index(sites, self.shape)
        strides = [int(np.prod(self.shape[a + 1 :])) for a in range(self.ndim)]
        columns = []
        for axis, side in enumerate(self.shape):
            for step in (1, -1):
                moved = coords[axis] + step
                if self.periodic:
                    target = sites + (moved % side - coords[axis]) * strides[axis]
                else:
                    outside = (moved < 0) | (moved >= side)
                    target = np.where(outside, -1, sites + step * strides[axis])
                columns.append(target)
        return np.stack(columns, axis=-1)

    def field(self, S):
        S = np.asarray(S, dtype=np.float64)
        lead = S.shape[:-1]
        grid = S.reshape(*lead, *self.shape)
        total = np.zeros_like(grid)
        for axis in range(self.ndim):
            ax = len(lead) + axis
            if self.periodic:
                total += np.roll(grid, 1, axis=ax) + np.roll(grid, -1, axis=ax)
            else:
                pad = [(0, 0)] * grid.ndim
                pad[ax] = (1, 1)
                padded = np.pad(grid, pad)
                total += np.take(padded, range(0, self.shape[axis]), axis=ax)
                total += np.take(padded, range(2, self.shape[axis] + 2), axis=ax)
        return self.J * total.reshape(S.shape)

    def field_at(self, S, sites):
        nbrs = self.neighbours_of(sites)  # (B, 2d)
        values = np.take_along_axis(S.astype(np.float64, copy=False), np.maximum(nbrs, 0), axis=1)
        return self.J * np.where(nbrs >= 0, values, 0.0).sum(axis=1)

    def to_dense(self, dtype=np.float64):
        check_allocation(
            self.n * self.n * np.dtype(dtype).itemsize + self.table_bytes(),
            f"the dense {self.n} x {self.n} matrix of a lattice",
            "LatticeCouplings.to_dense",
            "The lattice couplings work without it (a stencil).",
        )
        J = np.zeros((self.n, self.n), dtype=dtype)
        for column in self.neighbours_of(np.arange(self.n)).T:
            ok = column >= 0
            np.add.at(J, (np.arange(self.n)[ok], column[ok]), self.J)
        return J

    def __repr__(self):
        bc = "periodic" if self.periodic else "open"
        return f"LatticeCouplings(shape={self.shape}, J={self.J:g}, {bc})"


def _check_square(shape, caller):
    if len(shape) != 2 or shape[0] != shape[1] or shape[0] < 1:
        raise param_error("J", caller, "a square (n, n) matrix with n >= 1", f"<shape {shape}>")


def as_couplings(J, *, caller: str = "Network") -> Couplings:
    """Wrap a dense array, a scipy.sparse matrix or an existing :class:`Couplings`."""
    if isinstance(J, Couplings):
        return J
    if sp.issparse(J):
        return SparseCouplings(J, caller=caller)
    return DenseCouplings(J, caller=caller)


__all__ = [
    "Couplings",
    "DenseCouplings",
    "SparseCouplings",
    "PatternCouplings",
    "LatticeCouplings",
    "as_couplings",
]
