"""Hopfield-network studies: the recall curve (the flagship), the (T, α) phase diagram and
the basins of attraction, each beside the Amit–Gutfreund–Sompolinsky theory.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

import statnn.theory as theory
from statnn.experiments._common import child_seeds, progress_bar, start_experiment
from statnn.memory.studies import basin_of_attraction, capacity_curve, phase_diagram

RECALL_SIZES = {
    "tiny": dict(
        N=100,
        alphas=[0.05, 0.25],
        T=[0.0, 0.3],
        rules=["hebbian"],
        noise=0.1,
        max_cued=10,
        sweeps=20,
        average=5,
        trials=1,
    ),
    "quick": dict(
        N=800,
        alphas=[0.02, 0.05, 0.08, 0.1, 0.12, 0.13, 0.14, 0.15, 0.16, 0.18, 0.2, 0.25, 0.3],
        T=[0.0, 0.2, 0.4],
        rules=["hebbian", "pseudo_inverse", "storkey"],
        noise=0.1,
        max_cued=40,
        sweeps=50,
        average=20,
        trials=1,
    ),
    "full": dict(
        N=2000,
        alphas=np.round(np.linspace(0.01, 0.3, 30), 3).tolist(),
        T=[0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
        rules=["hebbian", "pseudo_inverse", "storkey"],
        noise=0.1,
        max_cued=100,
        sweeps=100,
        average=50,
        trials=2,
    ),
}


def hopfield_recall(
    size: str = "quick",
    *,
    seed: int = 0,
    backend: str | None = None,
    device: str | None = None,
    progress: bool = False,
    **overrides,
) -> xr.Dataset:
    """Final overlap with the cued pattern vs load α = P/N at several T, per learning rule.

    For every rule, load and temperature: random patterns, the network
    ``hopfield(patterns, rule)``, cues with a fraction ``noise`` of flipped bits, Glauber
    dynamics for ``sweeps`` sweeps (at T > 0 the overlap is averaged over the last
    ``average``) — :func:`statnn.memory.capacity_curve`. Beside it, the AGS
    replica-symmetric retrieval overlap m(α, T) (:func:`statnn.theory.ags_overlap`), which
    holds for the Hebbian rule and vanishes beyond α_c(T) (0.138 at T = 0).

    Parameters
    ----------
    size : {'tiny', 'quick', 'full'}
        Preset parameters (see ``RECALL_SIZES``).
    seed : int >= 0, numpy Generator, SeedSequence or None
        Seed of the patterns, cues and dynamics (the integer used is recorded).
    backend : str, optional
        Monte Carlo backend (None: the package default; ``'torch'`` when ``device`` is
        given).
    device : str, optional
        torch device for the dynamics: ``'cpu'``, ``'cuda'``, ``'cuda:1'`` (torch backend
        only; a device that does not exist here raises
        :class:`~statnn.errors.BackendUnavailableError` before any work).
    progress : bool
        Show a progress bar over the rules.
    **overrides
        Any preset parameter: ``N``, ``alphas``, ``T``, ``rules``, ``noise``,
        ``max_cued``, ``sweeps``, ``average``, ``trials``.

    Returns
    -------
    xarray.Dataset
        ``m_mean``, ``m_err``, ``retrieval_rate`` (rule, T, alpha) and the theory
        ``ags_m`` (T, alpha_theory); attributes as described in
        :mod:`statnn.experiments`.
    """
    call = start_experiment(
        "hopfield_recall",
        RECALL_SIZES,
        size,
        seed,
        backend,
        overrides,
        device=device,
        progress=progress,
    )
    p = call.params
    rules = list(p["rules"])
    T = np.asarray(p["T"], dtype=float)
    alphas = np.asarray(p["alphas"], dtype=float)
    shape = (len(rules), len(T), len(alphas))
    m_mean, m_err, rate = np.empty(shape), np.empty(shape), np.empty(shape)
    seeds = child_seeds(call.seed, len(rules))
    for r, rule in enumerate(progress_bar(rules, enabled=progress, desc="recall rules")):
        out = capacity_curve(
            rule,
            alphas,
            p["N"],
            T=T,
            noise=p["noise"],
            trials=p["trials"],
            max_cued=p["max_cued"],
            sweeps=p["sweeps"],
            average=p["average"],
            seed=seeds[r],
            backend=call.backend,
            device=call.device,
        )
        m_mean[r], m_err[r], rate[r] = out["m_mean"], out["m_err"], out["retrieval_rate"]
    alpha_theory = np.linspace(0.002, max(0.3, float(alphas.max())), 150)
    ags = np.stack([np.asarray(theory.ags_overlap(alpha_theory, t)) for t in T])
    dims = ("rule", "T", "alpha")
    ds = xr.Dataset(
        {
            "m_mean": (dims, m_mean, {"long_name": "mean final overlap with the cued pattern"}),
            "m_err": (dims, m_err, {"long_name": "standard error of m_mean"}),
            "retrieval_rate": (dims, rate, {"long_name": "fraction of runs with m >= 0.9"}),
            "ags_m": (
                ("T", "alpha_theory"),
                ags,
                {"long_name": "AGS replica-symmetric retrieval overlap m(alpha, T)"},
            ),
        },
        coords={
            "rule": rules,
            "T": ("T", T, {"long_name": "temperature"}),
            "alpha": ("alpha", alphas, {"long_name": "load P/N"}),
            "alpha_theory": alpha_theory,
        },
    )
    return call.finish(
        ds,
        experiment="hopfield-recall",
        title="Hopfield recall: final overlap vs load, beside AGS theory",
    )


PHASE_SIZES = {
    "tiny": dict(
        N=100,
        T=[0.0, 0.6, 1.3],
        alphas=[0.02, 0.2],
        max_cued=5,
        sweeps=30,
        average=15,
        trials=1,
    ),
    "quick": dict(
        N=600,
        T=[0.0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 1.05, 1.2],
        alphas=[0.01, 0.025, 0.04, 0.055, 0.07, 0.085, 0.1, 0.115, 0.13, 0.145, 0.16, 0.175],
        max_cued=15,
        sweeps=60,
        average=30,
        trials=1,
    ),
    "full": dict(
        N=2000,
        T=np.round(np.linspace(0.0, 1.4, 15), 3).tolist(),
        alphas=np.round(np.linspace(0.01, 0.19, 19), 3).tolist(),
        max_cued=40,
        sweeps=300,
        average=150,
        trials=1,
    ),
}


def hopfield_phase_diagram(
    size: str = "quick",
    *,
    seed: int = 0,
    backend: str | None = None,
    device: str | None = None,
    progress: bool = False,
    **overrides,
) -> xr.Dataset:
    """The Hopfield (T, α) phase diagram from simulation, beside the AGS phase boundaries.

    At each grid point the Hebbian network starts in its patterns and runs Glauber
    dynamics (:func:`statnn.memory.phase_diagram`); the mean final overlap (time-averaged
    over the last ``average`` sweeps) is large in the retrieval phase and O(1/√N) outside
    it. The theory lines: T_g(α) = 1 + √α (spin-glass transition), T_M(α) (retrieval
    states disappear; α_c(T), 0.138 at T = 0) and T_c(α) (retrieval states become the
    global minima; 0.051 at T = 0).

    Parameters
    ----------
    size, seed, backend, device, progress
        As in :func:`hopfield_recall`.
    **overrides
        ``N``, ``T``, ``alphas``, ``max_cued``, ``sweeps``, ``average``, ``trials``.

    Returns
    -------
    xarray.Dataset
        ``m_mean``, ``m_err``, ``retrieval_rate`` (T, alpha); the theory lines ``T_g``
        and ``T_M`` on ``alpha_theory`` and ``alpha_global`` on ``T_line`` (the T_c line).
    """
    call = start_experiment(
        "hopfield_phase_diagram",
        PHASE_SIZES,
        size,
        seed,
        backend,
        overrides,
        device=device,
        progress=progress,
    )
    p = call.params
    T = np.asarray(p["T"], dtype=float)
    alphas = np.asarray(p["alphas"], dtype=float)
    seeds = child_seeds(call.seed, len(alphas))
    m_mean = np.empty((len(T), len(alphas)))
    m_err, rate = np.empty_like(m_mean), np.empty_like(m_mean)
    # one α at a time so that a progress bar can follow; all temperatures run as one batch
    for a in progress_bar(range(len(alphas)), enabled=progress, desc="phase diagram"):
        out = phase_diagram(
            T,
            [alphas[a]],
            p["N"],
            max_cued=p["max_cued"],
            sweeps=p["sweeps"],
            average=p["average"],
            trials=p["trials"],
            seed=seeds[a],
            backend=call.backend,
            device=call.device,
        )
        m_mean[:, a] = out["m_mean"][:, 0]
        m_err[:, a] = out["m_err"][:, 0]
        rate[:, a] = out["retrieval_rate"][:, 0]
    alpha_theory = np.linspace(0.001, max(0.2, float(alphas.max())), 60)
    alpha_c = float(theory.ags_critical_load(0.0))
    inside = alpha_theory < alpha_c
    T_M = np.full(alpha_theory.shape, np.nan)
    T_M[inside] = theory.ags_retrieval_temperature(alpha_theory[inside])
    T_line = np.linspace(0.0, 0.99, 34)
    ds = xr.Dataset(
        {
            "m_mean": (("T", "alpha"), m_mean, {"long_name": "mean final overlap"}),
            "m_err": (("T", "alpha"), m_err, {"long_name": "standard error of m_mean"}),
            "retrieval_rate": (("T", "alpha"), rate, {"long_name": "fraction with m >= 0.5"}),
            "T_g": (
                "alpha_theory",
                np.asarray(theory.spin_glass_temperature(alpha_theory)),
                {"long_name": "spin-glass temperature 1 + sqrt(alpha)"},
            ),
            "T_M": (
                "alpha_theory",
                T_M,
                {"long_name": "AGS: highest T with retrieval states (alpha_c(T))"},
            ),
            "alpha_global": (
                "T_line",
                np.asarray(theory.ags_global_minimum_load(T_line)),
                {"long_name": "AGS: load below which retrieval states are global minima"},
            ),
        },
        coords={
            "T": ("T", T, {"long_name": "temperature"}),
            "alpha": ("alpha", alphas, {"long_name": "load P/N"}),
            "alpha_theory": alpha_theory,
            "T_line": T_line,
        },
    )
    ds.attrs["alpha_c"] = alpha_c
    return call.finish(
        ds,
        experiment="hopfield-phase",
        title="Hopfield (T, alpha) phase diagram from simulation, beside AGS",
    )


BASIN_SIZES = {
    "tiny": dict(
        N=100,
        alphas=[0.05],
        rules=["hebbian"],
        initial_overlaps=[1.0, 0.5, 0.1],
        T=0.0,
        max_cued=5,
        chains=1,
        sweeps=20,
    ),
    "quick": dict(
        N=500,
        alphas=[0.03, 0.08, 0.12, 0.16],
        rules=["hebbian", "pseudo_inverse"],
        initial_overlaps=np.round(np.linspace(1.0, 0.05, 20), 3).tolist(),
        T=0.0,
        max_cued=20,
        chains=1,
        sweeps=40,
    ),
    "full": dict(
        N=2000,
        alphas=[0.02, 0.05, 0.08, 0.1, 0.12, 0.14, 0.16],
        rules=["hebbian", "pseudo_inverse", "storkey"],
        initial_overlaps=np.round(np.linspace(1.0, 0.02, 50), 3).tolist(),
        T=0.0,
        max_cued=50,
        chains=2,
        sweeps=100,
    ),
}


def basins(
    size: str = "quick",
    *,
    seed: int = 0,
    backend: str | None = None,
    device: str | None = None,
    progress: bool = False,
    **overrides,
) -> xr.Dataset:
    """Basins of attraction: final overlap vs the cue's initial overlap m₀, per rule and α.

    :func:`statnn.memory.basin_of_attraction` for every rule and load; beside it the
    AGS retrieval overlap m(α, T) (Hebbian), the level a cue inside the basin relaxes to.

    Parameters
    ----------
    size, seed, backend, device, progress
        As in :func:`hopfield_recall`.
    **overrides
        ``N``, ``alphas``, ``rules``, ``initial_overlaps``, ``T``, ``max_cued``,
        ``chains``, ``sweeps``.

    Returns
    -------
    xarray.Dataset
        ``m_mean``, ``m_err``, ``retrieval_rate`` (rule, alpha, m0) and ``ags_m`` (alpha).
    """
    call = start_experiment(
        "basins", BASIN_SIZES, size, seed, backend, overrides, device=device, progress=progress
    )
    p = call.params
    rules = list(p["rules"])
    alphas = np.asarray(p["alphas"], dtype=float)
    m0 = np.asarray(p["initial_overlaps"], dtype=float)
    shape = (len(rules), len(alphas), len(m0))
    m_mean, m_err, rate = np.empty(shape), np.empty(shape), np.empty(shape)
    seeds = child_seeds(call.seed, len(rules) * len(alphas))
    jobs = [(r, a) for r in range(len(rules)) for a in range(len(alphas))]
    for r, a in progress_bar(jobs, enabled=progress, desc="basins"):
        out = basin_of_attraction(
            rules[r],
            alphas[a],
            p["N"],
            initial_overlaps=m0,
            T=p["T"],
            chains=p["chains"],
            max_cued=p["max_cued"],
            sweeps=p["sweeps"],
            seed=seeds[r * len(alphas) + a],
            backend=call.backend,
            device=call.device,
        )
        m_mean[r, a], m_err[r, a], rate[r, a] = (
            out["m_mean"],
            out["m_err"],
            out["retrieval_rate"],
        )
    dims = ("rule", "alpha", "m0")
    ds = xr.Dataset(
        {
            "m_mean": (dims, m_mean, {"long_name": "mean final overlap"}),
            "m_err": (dims, m_err, {"long_name": "standard error of m_mean"}),
            "retrieval_rate": (dims, rate, {"long_name": "fraction with m >= 0.9"}),
            "ags_m": (
                "alpha",
                np.asarray(theory.ags_overlap(alphas, float(p["T"]))),
                {"long_name": "AGS retrieval overlap m(alpha, T)"},
            ),
        },
        coords={
            "rule": rules,
            "alpha": ("alpha", alphas, {"long_name": "load P/N"}),
            "m0": ("m0", m0, {"long_name": "initial overlap of the cue"}),
        },
    )
    return call.finish(
        ds, experiment="basins", title="Basins of attraction: final vs initial overlap"
    )
