"""Sequence recall: the overlap trace m_ν(t) of a sequence memory beside its mean-field theory."""

from __future__ import annotations

import numpy as np
import xarray as xr

import statnn.theory as theory
from statnn.experiments._common import start_experiment
from statnn.memory.patterns import random_patterns
from statnn.memory.sequences import (
    delayed_sequence_trace,
    sequence_memory,
    sequence_trace,
    transition_times,
)

#: the asynchronous panel's parameters (delayed synapses, T = 0, λ = 2, ν = 1)
_ASYNC = dict(async_asymmetric=2.0, async_symmetric=1.0)

SEQUENCE_SIZES = {
    "tiny": dict(
        N=1000, P=4, T=[0.0, 0.5], asymmetric=1.0, symmetric=0.5, steps=8, chains=4,
        async_N=500, async_taus=[2.0, 4.0], async_sweeps=20, async_chains=2, **_ASYNC,
    ),
    "quick": dict(
        N=4000, P=6, T=[0.0, 0.4, 0.8], asymmetric=1.0, symmetric=0.5, steps=20, chains=8,
        async_N=2000, async_taus=[3.0, 6.0, 12.0], async_sweeps=60, async_chains=4, **_ASYNC,
    ),
    "full": dict(
        N=20000, P=8, T=[0.0, 0.2, 0.4, 0.6, 0.8], asymmetric=1.0, symmetric=0.5, steps=40,
        chains=16, async_N=8000, async_taus=[2.0, 4.0, 8.0, 16.0, 32.0], async_sweeps=120,
        async_chains=8, **_ASYNC,
    ),
}  # fmt: skip


def sequence_recall(
    size: str = "quick",
    *,
    seed: int = 0,
    backend: str | None = None,
    device: str | None = None,
    progress: bool = False,
    **overrides,
) -> xr.Dataset:
    """Overlap trace m_ν(t) of a sequence memory: synchronous, and asynchronous with delays.

    P random patterns in N neurons, couplings J = (λ/N) Σ_μ ξ^{μ+1} ξ^μ + (ν/N) Σ_μ ξ^μ ξ^μ
    (cyclic; :func:`statnn.memory.sequence_memory`), started on ξ^0 and updated
    synchronously (all neurons at once) at each T for ``steps`` steps; the overlaps with
    every pattern are averaged over ``chains`` runs. Beside them, the N → ∞ mean-field
    trace m_ν(t + 1) = ⟨ξ^ν tanh(β Σ_μ (λ ξ^{μ+1} + ν ξ^μ) m_μ(t))⟩
    (:func:`statnn.theory.sequence_overlaps`).

    Asynchronous panel: the same P patterns on ``async_N`` neurons, random-order
    single-site updates at T = 0 with delayed synapses
    (:func:`statnn.memory.delayed_sequence_trace`, λ = ``async_asymmetric``, ν = ``async_symmetric``): the trace of one run with the
    largest delay τ beside the N → ∞ trace (:func:`statnn.theory.delayed_sequence_overlaps`),
    and the mean time between transitions at each τ of ``async_taus`` beside
    Δ = τ + ln(2λ/(λ − ν)) (:func:`statnn.theory.delayed_sequence_dwell_time`). This panel
    runs on the numba or numpy backend; with ``backend="torch"`` it runs on numba (the
    ``async_backend`` attribute says which).

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
        ``N``, ``P``, ``T``, ``asymmetric`` (λ), ``symmetric`` (ν), ``steps``, ``chains``;
        ``async_N``, ``async_taus``, ``async_sweeps``, ``async_chains``,
        ``async_asymmetric``, ``async_symmetric`` for the asynchronous panel.

    Returns
    -------
    xarray.Dataset
        ``overlap`` and ``overlap_err`` (T, step, pattern), ``theory_overlap``
        (T, step, pattern); ``async_overlap`` and ``async_theory_overlap`` (sweep, pattern),
        ``dwell``, ``dwell_err`` and ``theory_dwell`` (tau).
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
    a_backend = "numpy" if call.backend == "numpy" else "numba"
    taus = np.asarray(p["async_taus"], dtype=float)
    a_xi = random_patterns(p["P"], p["async_N"], seed=call.seed)
    lam, nu = p["async_asymmetric"], p["async_symmetric"]
    dwell, dwell_err = np.full(len(taus), np.nan), np.full(len(taus), np.nan)
    for k, tau in enumerate(taus):
        sweeps = int(np.ceil(5 * tau + 15))
        m_tau = delayed_sequence_trace(
            a_xi, asymmetric=lam, symmetric=nu, tau=float(tau), sweeps=sweeps,
            chains=p["async_chains"], seed=[call.seed, k], backend=a_backend,
        )[:, 0]  # fmt: skip
        d = np.concatenate(
            [np.diff(transition_times(m_tau[:, c])) for c in range(p["async_chains"])]
        )
        if len(d):
            dwell[k] = d.mean()
            dwell_err[k] = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else 0.0
    a_trace = delayed_sequence_trace(
        a_xi, asymmetric=lam, symmetric=nu, tau=float(taus[-1]), sweeps=p["async_sweeps"],
        seed=[call.seed, len(taus)], backend=a_backend,
    )[:, 0, 0]  # fmt: skip
    a_theory = theory.delayed_sequence_overlaps(
        p["P"], p["async_sweeps"], asymmetric=lam, symmetric=nu, tau=float(taus[-1])
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
            "async_overlap": (
                ("sweep", "pattern"),
                a_trace,
                {"units": one, "long_name": "overlap m_nu(t), asynchronous, delayed synapses"},
            ),
            "async_theory_overlap": (
                ("sweep", "pattern"),
                a_theory,
                {"units": one, "long_name": "mean-field overlap, asynchronous, N -> infinity"},
            ),
            "dwell": ("tau", dwell, {"units": "sweeps", "long_name": "time between transitions"}),
            "dwell_err": ("tau", dwell_err, {"units": "sweeps", "long_name": "standard error"}),
            "theory_dwell": (
                "tau",
                np.asarray(theory.delayed_sequence_dwell_time(lam, taus, symmetric=nu)),
                {"units": "sweeps", "long_name": "tau + ln(2 lambda/(lambda - nu)), N -> infinity"},
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
            "sweep": (
                "sweep",
                np.arange(p["async_sweeps"] + 1),
                {"units": "sweeps", "long_name": "asynchronous time t"},
            ),
            "tau": ("tau", taus, {"units": "sweeps", "long_name": "synaptic delay tau"}),
        },
        attrs={"async_backend": a_backend, "async_tau": float(taus[-1])},
    )
    return call.finish(
        ds,
        experiment="sequence-recall",
        title="Sequence recall: overlap trace m_nu(t), synchronous and with delayed synapses, "
        "beside mean field",
    )


__all__ = ["SEQUENCE_SIZES", "sequence_recall"]
