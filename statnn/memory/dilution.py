"""Random dilution of the couplings: keep each J_ij with probability c.

The connectivity c_ij ∈ {0, 1} is drawn independently with P(c_ij = 1) = c for every
ordered pair i ≠ j (asymmetric dilution), or for every unordered pair with c_ji = c_ij
(symmetric dilution). A learning rule's couplings are then J_ij ← c_ij J_ij / c, which
keeps the mean field of a retrieved pattern unchanged (Sompolinsky, Phys. Rev. A 34, 2571
(1986); Derrida, Gardner & Zippelius, Europhys. Lett. 4, 167 (1987) for the strongly
diluted, asymmetric limit). The result is a scipy.sparse CSR matrix, stored as
:class:`~statnn.core.couplings.SparseCouplings`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

_CHUNK = 1 << 22  # random numbers drawn at once


def dilution_mask(
    n: int, c: float, symmetric: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Kept pairs (rows, cols), i ≠ j, sorted by row then column.

    Each ordered pair (asymmetric) or unordered pair (symmetric, both orientations
    returned) is kept with probability ``c``. Memory is O(c n²) plus a chunk of draws.
    """
    rows_out, cols_out = [], []
    step = max(1, _CHUNK // max(n, 1))
    for start in range(0, n, step):
        stop = min(n, start + step)
        keep = rng.random((stop - start, n)) < c
        r, j = np.nonzero(keep)
        r = r + start
        ok = j > r if symmetric else j != r
        rows_out.append(r[ok])
        cols_out.append(j[ok])
    rows = np.concatenate(rows_out) if rows_out else np.empty(0, dtype=np.int64)
    cols = np.concatenate(cols_out) if cols_out else np.empty(0, dtype=np.int64)
    if symmetric:
        rows, cols = np.concatenate([rows, cols]), np.concatenate([cols, rows])
        order = np.lexsort((cols, rows))
        rows, cols = rows[order], cols[order]
    return rows.astype(np.int64), cols.astype(np.int64)


def sparse_from_pairs(n: int, rows: np.ndarray, cols: np.ndarray, values: np.ndarray):
    """CSR array with ``values`` at (rows, cols)."""
    return sp.csr_array((np.asarray(values, dtype=np.float64), (rows, cols)), shape=(n, n))


def dilute_dense(J: np.ndarray, c: float, symmetric: bool, rng: np.random.Generator):
    """J_ij c_ij / c as a CSR array (the diagonal is dropped)."""
    rows, cols = dilution_mask(J.shape[0], c, symmetric, rng)
    return sparse_from_pairs(J.shape[0], rows, cols, J[rows, cols] / c)


def mask_matrix(n: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The dense boolean connectivity matrix c_ij (n × n)."""
    mask = np.zeros((n, n), dtype=np.bool_)
    mask[rows, cols] = True
    return mask
