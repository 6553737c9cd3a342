"""The network: couplings plus biases, with local fields and the energy function.

Spin convention (docs/conventions.md)::

    h_i  = Σ_j J_ij S_j + b_i
    E(S) = −½ Σ_{i≠j} J_ij S_i S_j − Σ_i b_i S_i

:meth:`Network.from_neural` builds the same object from the neural convention
(J, θ) with membrane potential h_i = Σ_j J_ij n_j − θ_i, n_j = (S_j + 1)/2.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from statnn._validation import check_array, check_bool, check_spins, param_error
from statnn.core.couplings import Couplings, LatticeCouplings, PatternCouplings, as_couplings
from statnn.core.dense_memory import DenseMemoryCouplings
from statnn.errors import AsymmetricCouplingsError


class Network:
    """A recurrent circuit of n two-state neurons: couplings J and biases b.

    Parameters
    ----------
    J : ndarray (n, n), scipy.sparse matrix, or :class:`~statnn.core.couplings.Couplings`
        Couplings with a zero diagonal. Asymmetric couplings are accepted; everything that
        needs an energy function refuses them unless told ``allow_asymmetric=True``.
    bias : float or array_like (n,), optional
        External fields b_i (default 0). A single number is stored once (``net.bias`` is
        then a read-only view of it, n long).
    name : str, optional
        A label used in results and tables.
    info : dict, optional
        Construction parameters (model name, sizes, seed), stored with results.

    Examples
    --------
    >>> import numpy as np, statnn as sn
    >>> J = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> net = sn.Network(J, bias=[0.5, 0.0])
    >>> net.energy(np.array([1, 1]))
    -1.5
    """

    def __init__(self, J, bias=None, *, name: str | None = None, info: dict | None = None):
        self.couplings: Couplings = as_couplings(J, caller="Network")
        n = self.couplings.n
        if bias is None or np.ndim(bias) == 0:
            # a uniform bias is one number viewed n times (read-only, O(1) memory)
            value = 0.0 if bias is None else check_array(bias, "bias", "Network", ndim=0).item()
            self.bias = np.broadcast_to(np.float64(value), (n,))
        else:
            self.bias = check_array(bias, "bias", "Network", shape=(n,)).astype(np.float64)
        self.name = name or f"{self.couplings.kind} network"
        self.info: dict[str, Any] = dict(info or {})

    # -- construction -----------------------------------------------------------------
    @classmethod
    def from_neural(cls, J, theta, *, name: str | None = None) -> Network:
        """Build from the neural convention (activities n_j ∈ {0, 1} and thresholds θ_i).

        Membrane potential h_i = Σ_j J_ij n_j − θ_i with n_j = (S_j + 1)/2 and firing
        probability P(S_i = +1) = 1/(1 + e^{−4β h_i}). Since
        2 h_i = Σ_j J_ij S_j + (Σ_j J_ij − 2θ_i), this is the spin convention with the
        same J and biases b_i = Σ_j J_ij − 2θ_i at the same β.
        """
        couplings = as_couplings(J, caller="Network.from_neural")
        theta = check_array(theta, "theta", "Network.from_neural", shape=(couplings.n,))
        row_sums = couplings.field(np.ones(couplings.n))
        return cls(
            couplings,
            bias=row_sums - 2.0 * theta,
            name=name or "neural network",
            info={"model": "neural", "convention": "neural (J, theta)"},
        )

    # -- properties -------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of neurons."""
        return self.couplings.n

    @property
    def symmetric(self) -> bool:
        """Whether J_ij = J_ji (then the dynamics is relaxational and has an energy)."""
        return self.couplings.symmetric

    @property
    def patterns(self) -> np.ndarray | None:
        """Stored patterns (P, N) int8 for Hebbian pattern-form couplings, else None."""
        c = self.couplings
        return c.patterns if isinstance(c, PatternCouplings | DenseMemoryCouplings) else None

    @property
    def uniform_bias(self) -> float | None:
        """The common value of every b_i when the biases are all equal, else None."""
        b = self.bias
        if b.strides == (0,) or b.size == 0:
            return float(b[0]) if b.size else 0.0
        return float(b[0]) if bool(np.all(b == b[0])) else None

    @property
    def lattice(self) -> LatticeCouplings | None:
        """The lattice stencil for lattice models, else None."""
        c = self.couplings
        return c if isinstance(c, LatticeCouplings) else None

    @property
    def tie_tolerance(self) -> float:
        """|h| at or below which a field counts as zero for the T = 0 rule (a tie keeps S_i).

        tol = √ε · (max_i Σ_j |J_ij| + max_i |b_i|), with ε the machine epsilon of the
        type the fields are summed in (float64; float32 for float32 dense couplings): far
        above the rounding error of a field summed in any order (a few ε times that bound),
        far below any field that is not zero by construction. Lattice, pattern-form and
        integer-valued couplings have fields on a grid of spacing ≥ |J|, s or 1, so there a
        zero is detected exactly. Every backend applies this same number.
        """
        c = self.couplings
        eps = float(np.finfo(c.dtype).eps)
        b = self.bias
        b_max = abs(float(b[0])) if b.strides == (0,) else float(np.max(np.abs(b)))
        bound = c.row_bound() + (b_max if self.n else 0.0)
        return float(np.sqrt(eps) * bound)

    # -- physics ----------------------------------------------------------------------
    def local_field(self, S) -> np.ndarray:
        """Local fields h_i = Σ_j J_ij S_j + b_i for states S of shape (..., n) (float64).

        For a non-quadratic energy (dense associative memory) the effective field
        h_i = [E(S_i = −1) − E(S_i = +1)]/2, which is the same thing for quadratic energies.
        """
        S = check_spins(S, "S", "Network.local_field", n=self.n)
        return self.couplings.field(S) + self.bias

    def energy(self, S, *, allow_asymmetric: bool = False) -> np.ndarray | float:
        """Energy E(S) = −½ Σ_{i≠j} J_ij S_i S_j − Σ_i b_i S_i of states S (..., n).

        For a dense associative memory, E(S) = −Σ_μ F(ξ^μ · S) − Σ_i b_i S_i
        (:mod:`statnn.core.dense_memory`).

        Returns a float for a single state, else an array of shape S.shape[:-1] (float64).
        For asymmetric couplings no energy function governs the dynamics; the formula then
        evaluates the energy of the symmetric part (J + Jᵀ)/2 and is refused unless
        ``allow_asymmetric=True``.
        """
        allow_asymmetric = check_bool(allow_asymmetric, "allow_asymmetric", "Network.energy")
        self.require_symmetric("Network.energy", allow_asymmetric)
        S = check_spins(S, "S", "Network.energy", n=self.n)
        Sf = S.astype(np.float64)
        if not getattr(self.couplings, "quadratic", True):
            e = self.couplings.energy(S) - Sf @ self.bias
            return float(e) if np.ndim(e) == 0 else e
        e = -0.5 * np.einsum("...i,...i->...", Sf, self.couplings.field(S)) - Sf @ self.bias
        return float(e) if np.ndim(e) == 0 else e

    def require_symmetric(self, caller: str, allow_asymmetric: bool = False) -> None:
        """Raise :class:`AsymmetricCouplingsError` unless J is symmetric or the caller opted in."""
        if not self.symmetric and not allow_asymmetric:
            raise AsymmetricCouplingsError(
                f"{caller} needs symmetric couplings: with J_ij != J_ji the dynamics has no "
                "energy function and no Boltzmann distribution. Pass "
                "allow_asymmetric=True to evaluate the energy of the symmetric part anyway."
            )

    def __repr__(self) -> str:
        return f"Network({self.couplings!r}, name={self.name!r})"


def check_network(net: Any, caller: str, name: str = "net") -> Network:
    """Raise the standard error unless ``net`` is a :class:`Network`."""
    if not isinstance(net, Network):
        raise param_error(
            name, caller, "a statnn Network (e.g. from sn.hopfield or sn.ising)", type(net).__name__
        )
    return net
