"""The Hopfield network constructor: patterns in, couplings in the cheapest representation out."""

from __future__ import annotations

from .._validation import check_choice, check_patterns
from ..core.couplings import PatternCouplings
from ..core.network import Network

RULES = ("hebbian",)


def hopfield(patterns, rule: str = "hebbian") -> Network:
    """A Hopfield network storing ``patterns`` (P, N) of ±1.

    ``rule="hebbian"``: J_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ (i ≠ j), kept in pattern form — the
    N × N matrix is never built. Load α = P/N; retrieval up to α_c ≈ 0.138 at T = 0.
    """
    rule = check_choice(rule, "rule", "hopfield", RULES)
    xi = check_patterns(patterns, "hopfield")
    p, n = xi.shape
    return Network(
        PatternCouplings(xi, caller="hopfield"),
        name=f"Hopfield {rule} N={n} P={p}",
        info={"model": "hopfield", "rule": rule, "n": n, "p": p, "alpha": p / n},
    )
