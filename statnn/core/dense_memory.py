"""Dense associative memory (Krotov–Hopfield): an energy that is not quadratic in the spins.

For P stored patterns ξ^μ ∈ {−1, +1}^N and projections x_μ = ξ^μ · S = Σ_i ξ_i^μ S_i,

    E(S) = −Σ_μ F(x_μ) − Σ_i b_i S_i

with one of two interaction functions:

* ``poly`` of degree n ≥ 2:  F(x) = (x^n − N^{n−1}) / (n N^{n−1}).
  For n = 2 this is the Hebbian Hopfield network J = (1/N) ξᵀξ with a zero diagonal,
  *exactly*: −½ Σ_{i≠j} J_ij S_i S_j = −(1/2N) Σ_μ [(ξ^μ·S)² − N] because the diagonal
  terms i = j of (ξ^μ·S)² add up to Σ_i (ξ_i^μ S_i)² = N. The constant −1/n per pattern is
  the general-n version of that removed self-interaction (it shifts E by P/n and changes no
  dynamics); the factor 1/N^{n−1} makes a retrieved pattern's field O(1) for every n.
* ``exp`` with inverse width β_F > 0:  F(x) = exp(β_F (x − N)).
  This is Demircigil et al.'s F(x) = e^{β_F x} times the constant e^{−β_F N}, so that
  0 < F ≤ 1 and nothing can overflow, whatever N and β_F (the energy is between −P and 0).

The effective local field of neuron i is half the energy cost of flipping it from +1 to −1,

    h_i = [E(S with S_i = −1) − E(S with S_i = +1)] / 2,

so that the single-flip energy change is ΔE = 2 S_i h_i and P(S_i = +1) = 1/(1 + e^{−2βh_i})
is the exact heat bath of exp(−βE), as for quadratic energies. With r_μ = x_μ − ξ_i^μ S_i
(the projection without neuron i), it costs O(P) from the P projections:

* poly:  h_i = Σ_μ ξ_i^μ [(r_μ + 1)^n − (r_μ − 1)^n] / (2 n N^{n−1}) + b_i
  (for n = 2: h_i = (1/N)(Σ_μ ξ_i^μ x_μ − P S_i) + b_i, the Hebbian field);
* exp:   h_i = sinh(β_F) Σ_μ ξ_i^μ e^{β_F (r_μ − N)} + b_i, evaluated as a shifted
  log-sum-exp: with r* = max_μ r_μ,
  h_i = ½ [e^{β_F (r* − N + 1)} − e^{β_F (r* − N − 1)}] · Σ_μ ξ_i^μ e^{β_F (r_μ − r*)},
  where every exponential is ≤ 1 and the sum has a term ±1, so the sign of h_i is exact even
  when its magnitude underflows (it is then kept as the smallest subnormal of that sign).
"""

from __future__ import annotations

import numpy as np

from statnn._validation import check_int, check_patterns, check_real, param_error
from statnn.core.couplings import Couplings, pattern_projections
from statnn.errors import StatnnError

INTERACTIONS = ("poly", "exp")
_TINY = 5e-324


def poly_field_terms(r: np.ndarray, degree: int) -> np.ndarray:
    """[(r + 1)^n − (r − 1)^n] / 2 = Σ_{k odd} C(n, k) r^{n−k}, elementwise (float64).

    Exact for integer r while the result is below 2^53 (for n = 2 it is 2r).
    """
    r = np.asarray(r, dtype=np.float64)
    coeffs = odd_binomials(degree)
    out = np.zeros_like(r)
    for c in coeffs:  # Horner, highest power of r first
        out = out * r + c
    return out


def odd_binomials(degree: int) -> np.ndarray:
    """Coefficients of Σ_{k odd} C(n, k) r^{n−k} in r, highest power first (length n)."""
    from math import comb

    # power n−1 down to 0: the coefficient of r^{n−k} is C(n, k) for odd k, else 0
    return np.array(
        [
            comb(degree, degree - p) if (degree - p) % 2 == 1 else 0
            for p in range(degree - 1, -1, -1)
        ],
        dtype=np.float64,
    )


class DenseMemoryCouplings(Couplings):
    """Couplings of a dense associative memory, kept as the P × N patterns.

    Not a matrix: the energy has P interaction terms F(ξ^μ · S) (see the module docstring
    for F, the effective field and the n = 2 equivalence with the Hebbian network).
    :meth:`field` and :meth:`field_at` return the effective field
    h_i = [E(S_i = −1) − E(S_i = +1)]/2 without the biases, which is what every kernel needs.

    Parameters
    ----------
    patterns : array_like of ±1, shape (P, N)
    interaction : {"poly", "exp"}
    degree : int >= 2
        n of F(x) ∝ x^n (``poly`` only).
    beta : float > 0
        β_F of F(x) = exp(β_F (x − N)) (``exp`` only).
    caller : str
        The name used in error messages.

    Examples
    --------
    >>> import statnn as sn
    >>> xi = sn.random_patterns(5, 50, seed=0)
    >>> c = sn.DenseMemoryCouplings(xi, "poly", degree=3)
    >>> net = sn.Network(c)
    >>> bool(net.energy(xi[0]) < net.energy(-xi[0]))
    True
    """

    kind = "dense_memory"
    symmetric = True
    quadratic = False
    block_sites = 64

    def __init__(
        self,
        patterns,
        interaction: str = "poly",
        *,
        degree: int = 3,
        beta: float = 1.0,
        caller: str = "dense_memory",
    ):
        xi = check_patterns(patterns, caller)
        if interaction not in INTERACTIONS:
            raise param_error("interaction", caller, "'poly' or 'exp'", interaction)
        self.interaction = interaction
        self.degree = check_int(degree, "degree", caller, minimum=2)
        self.beta = check_real(beta, "beta", caller)
        if not (np.isfinite(self.beta) and self.beta > 0):
            raise param_error("beta", caller, "a finite float > 0", beta)
        self.patterns_t = np.ascontiguousarray(xi.T)
        self.p, self.n = xi.shape
        #: 1 / N^{n−1}: for n = 2 the Hebbian scale 1/N, bit for bit.
        self.inv_scale = 1.0 / float(self.n) ** (self.degree - 1)

    @property
    def patterns(self) -> np.ndarray:
        """The stored patterns ξ, (P, N) int8: a view of :attr:`patterns_t`."""
        return self.patterns_t.T

    @property
    def dtype(self) -> np.dtype:
        """Fields are computed in float64."""
        return np.dtype(np.float64)

    def row_bound(self) -> float:
        """The bound that sets the T = 0 tie tolerance.

        Degree 2: P (N − 1)/N, the Hebbian matrix's max_i Σ_j |J_ij| (the same tolerance as
        :func:`statnn.hopfield`). Otherwise 0: a polynomial field is an exact multiple of
        1/(n N^{n−1}) (integers summed in float64) and an exponential field keeps its exact
        sign however small it is, so a zero is detected exactly and no tolerance is wanted.
        """
        if self.interaction == "poly" and self.degree == 2:
            return self.inv_scale * self.p * (self.n - 1)
        return 0.0

    def projections(self, S) -> np.ndarray:
        """x_μ = ξ^μ · S for every pattern: (..., N) → float64 (..., P), exact integers."""
        return pattern_projections(S, self.patterns)

    def overlaps(self, S) -> np.ndarray:
        """Pattern overlaps m_μ = x_μ / N: (..., N) → (..., P)."""
        return self.projections(S) / self.n

    def interaction_energy(self, x: np.ndarray) -> np.ndarray:
        """F(x) elementwise for projections x (float64)."""
        x = np.asarray(x, dtype=np.float64)
        if self.interaction == "poly":
            n = self.degree
            return (x**n * self.inv_scale - 1.0) / n
        return np.exp(self.beta * (x - self.n))

    def energy(self, S) -> np.ndarray:
        """E(S) = −Σ_μ F(ξ^μ · S) for states (..., N) (no bias term): float64 (...)."""
        return -self.interaction_energy(self.projections(S)).sum(axis=-1)

    def _field_from(self, x, columns, own):
        """h from projections x (B, P), the patterns' bits at the site (B, P) and S_i (B,)."""
        r = x - columns * own[:, None]
        if self.interaction == "poly":
            terms = poly_field_terms(r, self.degree)
            return (np.einsum("bm,bm->b", columns, terms) / self.degree) * self.inv_scale
        top = r.max(axis=-1)
        total = np.einsum("bm,bm->b", columns, np.exp(self.beta * (r - top[:, None])))
        front = 0.5 * (
            np.exp(self.beta * (top - self.n + 1.0)) - np.exp(self.beta * (top - self.n - 1.0))
        )
        h = front * total
        return np.where((h == 0) & (total != 0), np.copysign(_TINY, total), h)

    def field_at(self, S, sites):
        S = np.asarray(S)
        x = self.projections(S)  # (B, P)
        rows = np.arange(len(sites))
        own = S[rows, sites].astype(np.float64)
        columns = self.patterns[:, sites].T.astype(np.float64)  # (B, P)
        return self._field_from(x, columns, own)

    def field(self, S):
        S = np.asarray(S)
        flat = S.reshape(-1, self.n)
        x = self.projections(flat)
        out = np.empty(flat.shape, dtype=np.float64)
        for start in range(0, self.n, self.block_sites):
            sites = np.arange(start, min(self.n, start + self.block_sites))
            rows = self.patterns_t[sites].astype(np.float64)  # a block: no float copy of ξ
            for b in range(flat.shape[0]):
                xb = np.broadcast_to(x[b], (len(sites), self.p))
                own = flat[b, sites].astype(np.float64)
                out[b, sites] = self._field_from(xb, rows, own)
        return out.reshape(S.shape)

    def to_dense(self, dtype=np.float64):
        """The Hebbian matrix (1/N) ξᵀξ for degree 2; no coupling matrix exists otherwise."""
        if self.interaction == "poly" and self.degree == 2:
            xi = self.patterns.astype(np.float64)
            J = (xi.T @ xi) * self.inv_scale
            np.fill_diagonal(J, 0.0)
            return J.astype(dtype, copy=False)
        raise StatnnError(
            f"A dense associative memory with {self.describe()} has no coupling matrix: "
            "its energy is not quadratic in the spins. Use its energy() and field() instead."
        )

    def describe(self) -> str:
        if self.interaction == "poly":
            return f"F(x) = x^{self.degree}/({self.degree} N^{self.degree - 1})"
        return f"F(x) = exp({self.beta:g} (x - N))"

    def __repr__(self):
        extra = f"degree={self.degree}" if self.interaction == "poly" else f"beta={self.beta:g}"
        return f"DenseMemoryCouplings(P={self.p}, N={self.n}, {self.interaction!r}, {extra})"


__all__ = ["INTERACTIONS", "DenseMemoryCouplings", "odd_binomials", "poly_field_terms"]
