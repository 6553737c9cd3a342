"""Sequence recall: the overlap trace m_ν(t) of a sequence memory beside its mean-field theory."""

from __future__ import annotations

import numpy as np
import xarray as xr

import statnn.theory as theory
from statnn.experiments._common import start_experiment
from statnn.memory.patterns import random_patterns
from statnn.memory.sequences import sequence_memory, sequence_trace

SEQUENCE_SIZES = {
    "tiny": dict(N=1000, P=4, T=[0.0, 0.5], asymmetric=1.0, symmetric=0.5, steps=8, chains=4),
    "quick": dict(
        N=4000, P=6, T=[0.0, 0.4, 0.8], asymmetric=1.0, symmetric=0.5, steps=20, chains=8
    ),
    "full": dict(
        N=20000,
        P=8,
        T=[0.0, 0.2, 0.4, 0.6, 0.8],
        asymmetric=1.0,
        symmetric=0.5,
        steps=40,
        chains=16,
    ),  # fmt: skip
}


def sequence_recall(
    size: str = "quick",
    *,
    seed: int = 0,
    backend: str | None = None,
    device: str | None = None,
    progress: bool = False,
    **overrides,
) -> xr.Dataset:
    """Overlap trace m_ν(t) of a sequence memory under synchronous Glauber dynamics.

    P random patterns in N neurons, couplings J = (λ/N) Σ_μ ξ^{μ+1} ξ^μ + (ν/N) Σ_μ ξ^μ ξ^μ
    (cyclic; :func:`statnn.memory.sequence_memory`), started on ξ^0 and updated
    synchronously (all neurons at once) at each T for ``steps`` steps; the overlaps with
    every pattern are averaged over ``chains`` runs. Beside them, the N → ∞ mean-field
    trace m_ν(t + 1) = ⟨ξ^ν tanh(β Σ_μ (λ ξ^{μ+1} + ν ξ^μ) m_μ(t))⟩
    (:func:`statnn.theory.sequence_overlaps`).

    Parameters
    ----------
    size : {'tiny', 'quick', 'full'}
    seed : int
    backend : str, optional
    device : str, optional
        torch device: only None (CPU) works, the numpy and numba backends run these models.
    progress : bool
        Unused (the run is one call per temperature set).
    **overrides
        ``N``, ``P``, ``T``, ``asymmetric`` (λ), ``symmetric`` (ν), ``steps``, ``chains``.

    Returns
    -------
    xarray.Dataset
        ``overlap`` and ``overlap_err`` (T, step, pattern), ``theory_overlap``
        (T, step, pattern).
    """
    call = start_experiment(
        "sequence_recall", SEQUENCE_SIZES, size, seed, backend, overrides, device=device
    )
    p = call.params
    T = np.asarray(p["T"], dtype=float)
    xi = random_patterns(p["P"], p["N"], seed=call.seed)
    net = sequence_memory(xi, asymmetric=p["asymmetric"], symmetric=p["symmetric"])
    m = sequence_trace(
        net, xi, steps=p["steps"], T=T, chains=p["chains"], seed=call.seed, backend=call.backend
    )  # (step, T, chain, pattern)
    mean = m.mean(axis=2).transpose(1, 0, 2)
    err = (
        m.std(axis=2, ddof=1).transpose(1, 0, 2) / np.sqrt(p["chains"])
        if p["chains"] > 1
        else np.zeros_like(mean)
    )
    th = np.stack(
        [
            theory.sequence_overlaps(
                p["P"], p["steps"], float(t), asymmetric=p["asymmetric"], symmetric=p["symmetric"]
            )
            for t in T
        ]
    )
    one = "1"
    dims = ("T", "step", "pattern")
    ds = xr.Dataset(
        {
            "overlap": (dims, mean, {"units": one, "long_name": "overlap m_nu(t) with pattern nu"}),
            "overlap_err": (dims, err, {"units": one, "long_name": "standard error of overlap"}),
            "theory_overlap": (
                dims,
                th,
                {"units": one, "long_name": "mean-field overlap m_nu(t), N -> infinity"},
            ),
        },
        coords={
            "T": ("T", T, {"long_name": "temperature"}),
            "step": (
                "step",
                np.arange(p["steps"] + 1),
                {"units": one, "long_name": "synchronous step t"},
            ),
            "pattern": (
                "pattern",
                np.arange(p["P"]),
                {"units": one, "long_name": "pattern index nu"},
            ),
        },
    )
    return call.finish(
        ds,
        experiment="sequence-recall",
        title="Sequence recall: overlap trace m_nu(t), synchronous dynamics, beside mean field",
    )


__all__ = ["SEQUENCE_SIZES", "sequence_recall"]
