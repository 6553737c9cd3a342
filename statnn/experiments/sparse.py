"""Biased (low-activity) patterns with the covariance rule and a threshold: retrieval vs load
beside the replica-symmetric theory of :mod:`statnn.theory.sparse`."""

from __future__ import annotations

import numpy as np
import xarray as xr

import statnn.theory as theory
from statnn.experiments._common import child_seeds, progress_bar, start_experiment
from statnn.memory.networks import hopfield
from statnn.memory.patterns import random_patterns
from statnn.memory.retrieval import relax

SPARSE_SIZES = {
    "tiny": dict(
        activities=[0.0, -0.8],
        N=200,
        loads=[0.5, 2.0],
        max_cued=10,
        sweeps=20,
        exact_activity=True,
        curve_activities=[0.0, -0.5, -0.8],
    ),
    "quick": dict(
        activities=[0.0, -0.6, -0.8, -0.9],
        N=600,
        loads=[0.4, 0.7, 0.9, 1.0, 1.15, 1.3, 1.6, 2.0],
        max_cued=20,
        sweeps=30,
        exact_activity=True,
        curve_activities=np.round(-np.linspace(0.0, 0.98, 25), 4).tolist(),
    ),
    "full": dict(
        activities=[0.0, -0.4, -0.6, -0.8, -0.9, -0.95],
        N=2000,
        loads=np.round(np.linspace(0.3, 2.0, 18), 3).tolist(),
        max_cued=50,
        sweeps=50,
        exact_activity=True,
        curve_activities=np.round(-np.linspace(0.0, 0.99, 45), 4).tolist(),
    ),
}

#: a run has retrieved its pattern when its final covariance overlap is at least this
RETRIEVED = 0.7


def covariance_overlap(states: np.ndarray, patterns: np.ndarray, a: float) -> np.ndarray:
    """m = (1/(N(1 − a²))) Σ_i (ξ_i − a) S_i of each state with its pattern (rows paired)."""
    xi = np.asarray(patterns, dtype=np.float64)
    return np.einsum("kn,kn->k", xi - a, states) / (xi.shape[1] * (1.0 - a * a))


def fixed_activity_patterns(P: int, N: int, a: float, seed) -> np.ndarray:
    """P patterns of ±1 with exactly round((1 + a) N / 2) entries +1 each, at random sites.

    Independent entries (:func:`statnn.memory.random_patterns`) give each pattern an active
    count fN ± √(fN); at the sizes a simulation reaches with f ≪ 1 that spread, not the
    load, decides which patterns survive, while the N → ∞ theory has every pattern at f.
    """
    rng = np.random.default_rng(seed)
    n_plus = int(round(0.5 * (1.0 + a) * N))
    keys = rng.random((P, N))
    ranks = np.argsort(keys, axis=1)
    xi = -np.ones((P, N), dtype=np.int8)
    np.put_along_axis(xi, ranks[:, :n_plus], 1, axis=1)
    return xi


def measured_capacity(loads: np.ndarray, fraction: np.ndarray) -> float:
    """The load where the retrieved fraction first falls through 1/2 (linear interpolation)."""
    below = np.flatnonzero(fraction < 0.5)
    if below.size == 0:
        return float("nan")
    k = int(below[0])
    if k == 0:
        return float(loads[0])
    f0, f1 = fraction[k - 1], fraction[k]
    return float(loads[k - 1] + (0.5 - f0) * (loads[k] - loads[k - 1]) / (f1 - f0))


def sparse_patterns(
    size: str = "quick",
    *,
    seed: int = 0,
    backend: str | None = None,
    device: str | None = None,
    progress: bool = False,
    **overrides,
) -> xr.Dataset:
    """Retrieval of biased patterns vs load with the optimal threshold, beside α_c(a).

    For each pattern mean a (``activities``; a → −1 is sparse coding with a fraction
    f = (1 + a)/2 of active neurons), P = ``load`` × α_c(a) × N random patterns (each with
    exactly round(fN) active neurons unless ``exact_activity=False``) are stored
    by the covariance rule in the low-activity network h_i = Σ_j J_ij (S_j − a) − θ with
    the theory's optimal threshold θ(a) (``hopfield(..., threshold="auto")``), and, for
    comparison, in the same couplings with no threshold and no centring
    (h_i = Σ_j J_ij S_j). Up to ``max_cued`` stored patterns are relaxed at T = 0 from the
    pattern itself (:func:`statnn.relax`) and the final covariance overlap
    m = (1/(N(1 − a²))) Σ_i (ξ_i − a) S_i is measured; a pattern is retrieved when m ≥ 0.5.
    Theory: α_c(a) (:func:`statnn.theory.sparse_capacity`), the retrieval branch m(α) at
    threshold θ(a) (:func:`statnn.theory.sparse_overlap`) and the small-activity asymptote
    1/(2f|ln f|) (:func:`statnn.theory.sparse_capacity_asymptote`).

    Parameters
    ----------
    size : {'tiny', 'quick', 'full'}
        Preset parameters (see ``SPARSE_SIZES``).
    seed : int
    backend : str, optional
        Monte Carlo backend (None: the package default).
    device : str, optional
        torch device.
    progress : bool
    **overrides
        Any preset parameter: ``activities``, ``N``, ``loads`` (multiples of α_c(a)),
        ``max_cued``, ``sweeps``, ``exact_activity`` (patterns with exactly round(fN)
        active neurons, :func:`fixed_activity_patterns`; False: independent entries),
        ``curve_activities`` (where the α_c(a) curve is drawn).

    Returns
    -------
    xarray.Dataset
        ``overlap``, ``retrieved_fraction``, ``overlap_no_threshold``,
        ``retrieved_no_threshold`` (activity, load_ratio), ``alpha`` (activity, load_ratio),
        ``theory_overlap`` (activity, load_ratio_theory), ``alpha_c``, ``threshold``,
        ``alpha_c_measured`` (activity), ``alpha_c_curve``, ``asymptote_curve``
        (curve_activity).
    """
    call = start_experiment(
        "sparse_patterns", SPARSE_SIZES, size, seed, backend, overrides, device=device
    )
    p = call.params
    acts = np.asarray(p["activities"], dtype=float)
    loads = np.asarray(p["loads"], dtype=float)
    N = int(p["N"])
    load_theory = np.linspace(0.02, float(loads.max()), 120)
    shape = (len(acts), len(loads))
    overlap, fraction = np.full(shape, np.nan), np.full(shape, np.nan)
    overlap0, fraction0 = np.full(shape, np.nan), np.full(shape, np.nan)
    alpha = np.zeros(shape)
    m_theory = np.zeros((len(acts), len(load_theory)))
    caps = theory.sparse_capacity(acts, full=True)
    seeds = child_seeds(call.seed, len(acts) * len(loads))
    jobs = [(i, k) for i in range(len(acts)) for k in range(len(loads))]
    for i, k in progress_bar(jobs, enabled=progress, desc="sparse patterns"):
        a, alpha_c = float(acts[i]), float(caps.alpha_c[i])
        if k == 0:
            m_theory[i] = theory.sparse_overlap(load_theory * alpha_c, a, float(caps.threshold[i]))
        P = max(2, int(round(loads[k] * alpha_c * N)))
        alpha[i, k] = P / N
        job_seed = seeds[i * len(loads) + k]
        if p["exact_activity"]:
            xi = fixed_activity_patterns(P, N, a, job_seed)
        else:
            xi = random_patterns(P, N, activity=a, seed=job_seed)
        cued = xi[: min(P, int(p["max_cued"]))]
        for net, m_out, f_out in (
            (hopfield(xi, activity=a, threshold=float(caps.threshold[i])), overlap, fraction),
            (hopfield(xi, activity=a), overlap0, fraction0),
        ):
            out = relax(net, cued, T=0.0, sweeps=p["sweeps"], seed=job_seed, backend=call.backend)
            states = np.asarray(out.states, dtype=np.float64).reshape(len(cued), N)
            m = covariance_overlap(states, cued, a)
            m_out[i, k] = float(m.mean())
            f_out[i, k] = float(np.mean(m >= RETRIEVED))
    measured = np.array(
        [measured_capacity(alpha[i], fraction[i]) for i in range(len(acts))], dtype=float
    )
    curve_acts = np.asarray(p["curve_activities"], dtype=float)
    curve = np.asarray(theory.sparse_capacity(curve_acts), dtype=float)
    f_curve = (1.0 - np.abs(curve_acts)) / 2.0
    asym = np.where(f_curve <= 0.1, 1.0 / (2.0 * f_curve * np.abs(np.log(f_curve))), np.nan)
    one = "1"
    act_dims = ("activity", "load_ratio")
    ds = xr.Dataset(
        {
            "overlap": (act_dims, overlap, {"units": one, "long_name": "mean final overlap m"}),
            "retrieved_fraction": (
                act_dims,
                fraction,
                {"units": one, "long_name": f"fraction of patterns retrieved (m >= {RETRIEVED})"},
            ),
            "overlap_no_threshold": (
                act_dims,
                overlap0,
                {"units": one, "long_name": "mean final overlap, no threshold or centring"},
            ),
            "retrieved_no_threshold": (
                act_dims,
                fraction0,
                {"units": one, "long_name": "fraction retrieved, no threshold or centring"},
            ),
            "alpha": (act_dims, alpha, {"units": one, "long_name": "load alpha = P/N"}),
            "theory_overlap": (
                ("activity", "load_ratio_theory"),
                m_theory,
                {"units": one, "long_name": "replica-symmetric retrieval overlap m(alpha)"},
            ),
            "alpha_c": (
                ("activity",),
                np.asarray(caps.alpha_c, dtype=float),
                {"units": one, "long_name": "replica-symmetric capacity alpha_c(a)"},
            ),
            "threshold": (
                ("activity",),
                np.asarray(caps.threshold, dtype=float),
                {"units": one, "long_name": "optimal threshold theta(a)"},
            ),
            "alpha_c_measured": (
                ("activity",),
                measured,
                {"units": one, "long_name": "load where half the patterns are retrieved"},
            ),
            "alpha_c_curve": (
                ("curve_activity",),
                curve,
                {"units": one, "long_name": "replica-symmetric capacity alpha_c(a)"},
            ),
            "asymptote_curve": (
                ("curve_activity",),
                asym,
                {"units": one, "long_name": "small-activity asymptote 1/(2 f |ln f|)"},
            ),
        },
        coords={
            "activity": ("activity", acts, {"units": one, "long_name": "pattern mean a"}),
            "load_ratio": ("load_ratio", loads, {"units": one, "long_name": "load / alpha_c(a)"}),
            "load_ratio_theory": (
                "load_ratio_theory",
                load_theory,
                {"units": one, "long_name": "load / alpha_c(a) of the theory curves"},
            ),
            "curve_activity": (
                "curve_activity",
                curve_acts,
                {"units": one, "long_name": "pattern mean a of the alpha_c curve"},
            ),
        },
        attrs={"n_neurons": N},
    )
    return call.finish(
        ds,
        experiment="sparse-patterns",
        title="Biased patterns: covariance rule with the optimal threshold vs alpha_c(a)",
    )


__all__ = [
    "SPARSE_SIZES",
    "covariance_overlap",
    "fixed_activity_patterns",
    "measured_capacity",
    "sparse_patterns",
]
