"""The dense associative memory constructor (Krotov–Hopfield, Demircigil et al.)."""

from __future__ import annotations

from statnn.core.dense_memory import DenseMemoryCouplings
from statnn.core.network import Network


def dense_memory(
    patterns,
    interaction: str = "poly",
    *,
    degree: int = 3,
    beta: float = 1.0,
    bias=None,
) -> Network:
    """A dense associative memory storing ``patterns`` (P, N) of ±1.

    Energy E(S) = −Σ_μ F(ξ^μ · S) − Σ_i b_i S_i with

    * ``interaction="poly"``: F(x) = (x^n − N^{n−1}) / (n N^{n−1}), n = ``degree`` ≥ 2;
      n = 2 is the Hebbian Hopfield network :func:`statnn.hopfield` exactly (same energies,
      same fields, same trajectories for the same seed);
    * ``interaction="exp"``: F(x) = exp(β_F (x − N)), β_F = ``beta`` > 0 (bounded by 1:
      cannot overflow).

    The network's :meth:`~statnn.Network.local_field` is the effective field
    h_i = [E(S_i = −1) − E(S_i = +1)]/2, so Glauber P(S_i = +1) = 1/(1 + e^{−2βh_i}) and
    Metropolis min(1, e^{−βΔE}) with ΔE = 2 S_i h_i sample exp(−βE) exactly. Backends:
    ``numpy`` (reference), ``numba`` (O(P) per update from cached projections, and
    ``simulate``'s compiled record loop) and ``torch`` (one neuron at a time for all chains
    at once). See :mod:`statnn.core.dense_memory`.

    Parameters
    ----------
    patterns : array_like of ±1, shape (P, N)
    interaction : {"poly", "exp"}
    degree : int >= 2
        Degree n of the polynomial interaction (``poly`` only).
    beta : float > 0
        Width β_F of the exponential interaction (``exp`` only).
    bias : float or array_like (N,), optional
        External fields b_i.

    Returns
    -------
    Network
        With :class:`~statnn.core.dense_memory.DenseMemoryCouplings`.

    Examples
    --------
    >>> import statnn as sn
    >>> xi = sn.random_patterns(20, 100, seed=0)
    >>> net = sn.dense_memory(xi, interaction="poly", degree=3)
    >>> out = sn.recall(net, noise=0.1, T=0.0, sweeps=20, seed=0)
    >>> out.retrieval_rate
    1.0
    """
    couplings = DenseMemoryCouplings(patterns, interaction, degree=degree, beta=beta)
    info = {"model": "dense_memory", "interaction": interaction, "P": couplings.p, "N": couplings.n}
    if interaction == "poly":
        info["degree"] = couplings.degree
        name = f"dense memory (n={couplings.degree}, P={couplings.p})"
    else:
        info["beta"] = couplings.beta
        name = f"dense memory (exp, beta={couplings.beta:g}, P={couplings.p})"
    return Network(couplings, bias=bias, name=name, info=info)


__all__ = ["dense_memory"]
