"""The Hopfield network constructor: patterns in, couplings in the cheapest representation out."""

from __future__ import annotations

import numpy as np

from statnn._validation import check_choice, check_real, param_error, seed_value
from statnn.core.network import Network
from statnn.memory.rules import (
    _patterns,
    hebbian_couplings,
    perceptron_couplings,
    pseudo_inverse_couplings,
    storkey_couplings,
)
from statnn.theory.sparse import sparse_threshold

RULES = ("hebbian", "pseudo_inverse", "storkey", "perceptron")

# Options that only one rule understands: passing them to another rule is an error.
_RULE_OPTIONS = {
    "kappa": ("perceptron", 0.0),
    "symmetrize": ("perceptron", False),
    "thresholds": ("perceptron", False),
    "lr": ("perceptron", 1.0),
    "max_epochs": ("perceptron", 1000),
    "activity": ("hebbian", 0.0),
    "threshold": ("hebbian", None),
    "dtype": (("pseudo_inverse", "storkey"), "float64"),
}


def _is_default(value, default) -> bool:
    if isinstance(default, bool) or isinstance(value, bool | np.bool_):
        return isinstance(value, bool | np.bool_) and bool(value) == default
    if isinstance(default, str):
        return isinstance(value, str) and value == default
    if isinstance(value, str) or np.ndim(value) != 0:
        return False
    try:
        return bool(value == default)
    except (TypeError, ValueError):
        return False


def _threshold(threshold, a: float, caller: str) -> float:
    if isinstance(threshold, str):
        if threshold != "auto":
            raise param_error("threshold", caller, "a finite float, 'auto' or None", threshold)
        return float(sparse_threshold(a))
    return check_real(threshold, "threshold", caller)


def hopfield(
    patterns,
    rule: str = "hebbian",
    *,
    kappa: float = 0.0,
    activity: float | str = 0.0,
    threshold: float | str | None = None,
    dilution: float | None = None,
    symmetric_dilution: bool = True,
    symmetrize: bool = False,
    thresholds: bool = False,
    lr: float = 1.0,
    max_epochs: int = 1000,
    seed: int | None = None,
    dtype: str = "float64",
) -> Network:
    """A Hopfield network storing ``patterns`` (P, N) of ±1 with a learning rule.

    ======================  =====================================================  ========
    ``rule``                couplings (J_ii = 0 always)                            storage
    ======================  =====================================================  ========
    ``"hebbian"``           J = (1/N) ξᵀξ; α_c ≈ 0.138 at T = 0 (AGS)             patterns
    ``"pseudo_inverse"``    J = (1/N) ξᵀ C⁻¹ ξ, C = ξξᵀ/N; every pattern fixed      dense
                            up to α = 1
    ``"storkey"``           Storkey's (1997) incremental rule                      dense
    ``"perceptron"``        rows learned to Gardner margin κ; α_c(κ), α_c(0) = 2   dense
    ======================  =====================================================  ========

    The Hebbian network is kept in pattern form (no N × N matrix): the field costs O(P)
    per flip. See :mod:`statnn.memory.rules` for the equations and sources.

    Parameters
    ----------
    patterns : array_like of ±1, shape (P, N)
        Stored patterns (a single pattern of shape (N,) is P = 1).
    rule : str
        One of ``"hebbian"``, ``"pseudo_inverse"``, ``"storkey"``, ``"perceptron"``.
    kappa : float >= 0
        Perceptron rule only: Gardner stability margin κ.
    activity : float in (−1, 1) or "auto"
        Hebbian only: mean activity a of biased patterns, J ∝ Σ (ξ_i − a)(ξ_j − a).
    threshold : float, "auto" or None
        Hebbian only. None (default): no bias, h_i = Σ_j J_ij S_j. A number θ: the
        low-activity network h_i = Σ_j J_ij (S_j − a) − θ, i.e. biases
        b_i = −θ − a Σ_j J_ij (centring the presynaptic activity removes the quenched
        field a Σ_j J_ij; see docs/memory.md). ``"auto"``: the θ that maximises the
        capacity at activity a, :func:`statnn.theory.sparse_threshold` (0 at a = 0).
        Strongly biased patterns need it to be retrieved (a = −0.6 and beyond in the
        ``sparse-patterns`` experiment).
    dilution : float in (0, 1], optional
        Connectivity c: **keep** each coupling with probability c (J_ij ← c_ij J_ij / c;
        the perceptron rule learns only the kept ones). Diluted couplings are sparse CSR.
    symmetric_dilution : bool
        c_ij = c_ji (symmetric network) or independent (asymmetric, Derrida–Gardner–
        Zippelius).
    symmetrize, thresholds, lr, max_epochs
        Perceptron rule only, see :func:`statnn.memory.rules.perceptron_couplings`.
    seed : int, numpy Generator, SeedSequence or None
        Seed of the dilution; the seed used is recorded in ``net.info['seed']``.
    dtype : {"float64", "float32"}
        Pseudo-inverse and Storkey rules only: precision of the dense N × N couplings
        (float32 halves their memory). Dense rules check the memory they need before
        allocating and refuse with the size (:class:`~statnn.errors.InsufficientMemoryError`).

    Returns
    -------
    Network
        ``net.info`` records the rule, its parameters, N, P and α = P/N (and, for the
        perceptron rule, how many neurons reached the margin and the epochs run).

    Examples
    --------
    >>> import statnn as sn
    >>> from statnn.memory import random_patterns
    >>> xi = random_patterns(10, 200, seed=0)
    >>> net = sn.hopfield(xi)                      # pattern form
    >>> net_pi = sn.hopfield(xi, rule="pseudo_inverse")
    >>> net.info["alpha"]
    0.05
    """
    caller = "hopfield"
    rule = check_choice(rule, "rule", caller, RULES)
    given = {
        "kappa": kappa,
        "symmetrize": symmetrize,
        "thresholds": thresholds,
        "lr": lr,
        "max_epochs": max_epochs,
        "activity": activity,
        "threshold": threshold,
        "dtype": dtype,
    }
    for name, (owner, default) in _RULE_OPTIONS.items():
        value = given[name]
        owners = owner if isinstance(owner, tuple) else (owner,)
        if rule not in owners and not _is_default(value, default):
            raise param_error(
                name,
                caller,
                f"left at its default ({default!r}): it applies to rule="
                + " or ".join(repr(o) for o in owners)
                + " only",
                value,
                hint=f"rule={rule!r} was asked for.",
            )
    if threshold is not None:  # checked before any work; "auto" is resolved once a is known
        _threshold(threshold, 0.0, caller)
    xi = _patterns(patterns, caller)
    p, n = xi.shape
    if dilution is not None:  # record the seed actually used (drawn for None)
        seed = seed_value(seed, caller)
    dilute = {"dilution": dilution, "symmetric_dilution": symmetric_dilution, "seed": seed}
    info = {"model": "hopfield", "rule": rule, "n": n, "p": p, "alpha": p / n}
    info.update(dilution=dilution, symmetric_dilution=symmetric_dilution, seed=seed)
    bias = None
    if rule == "hebbian":
        couplings = hebbian_couplings(xi, activity=activity, **dilute)
        a = float(xi.mean()) if isinstance(activity, str) else float(activity)
        info["activity"] = a
        if threshold is not None:
            theta = _threshold(threshold, a, caller)
            bias = -theta - a * couplings.field(np.ones(n))
            info["threshold"] = theta
    elif rule == "pseudo_inverse":
        couplings = pseudo_inverse_couplings(xi, dtype=dtype, **dilute)
        info["dtype"] = str(dtype)
    elif rule == "storkey":
        couplings = storkey_couplings(xi, dtype=dtype, **dilute)
        info["dtype"] = str(dtype)
    else:
        couplings, bias, fit = perceptron_couplings(
            xi,
            kappa=kappa,
            symmetrize=symmetrize,
            thresholds=thresholds,
            lr=lr,
            max_epochs=max_epochs,
            return_fit=True,
            **dilute,
        )
        info.update(
            kappa=kappa,
            symmetrize=symmetrize,
            thresholds=thresholds,
            lr=lr,
            max_epochs=max_epochs,
            n_converged=int(np.count_nonzero(fit.converged)),
            n_iter=int(fit.n_iter),
        )
        if not thresholds:
            bias = None
    name = f"Hopfield {rule} N={n} P={p}"
    if dilution is not None:
        name += f" c={dilution:g}"
    return Network(couplings, bias=bias, name=name, info=info)
