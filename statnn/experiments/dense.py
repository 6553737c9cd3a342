"""Dense associative memories: retrieval vs the number of stored patterns, beside the
signal-to-noise capacity of :mod:`statnn.theory.dense`."""

from __future__ import annotations

import numpy as np
import xarray as xr

import statnn.theory as theory
from statnn.experiments._common import child_seeds, progress_bar, start_experiment
from statnn.memory.dense import dense_memory
from statnn.memory.patterns import random_patterns
from statnn.memory.retrieval import recall

#: model name → (interaction, degree, β_F)
MODELS = {
    "n=2": ("poly", 2, 1.0),
    "n=3": ("poly", 3, 1.0),
    "n=4": ("poly", 4, 1.0),
    "exp": ("exp", 3, 0.2),
}

DENSE_SIZES = {
    "tiny": dict(
        models=["n=2", "n=3", "exp"],
        N={"n=2": [100], "n=3": [40], "n=4": [20], "exp": [16]},
        loads=[0.3, 4.0],
        T=[0.0],
        noise=0.1,
        max_cued=10,
        sweeps=5,
    ),
    "quick": dict(
        models=["n=2", "n=3", "n=4", "exp"],
        N={"n=2": [100, 200], "n=3": [50, 100], "n=4": [24, 32], "exp": [24, 32]},
        loads=[0.25, 0.5, 1.0, 2.0, 4.0, 8.0],
        T=[0.0, 0.1],
        noise=0.1,
        max_cued=20,
        sweeps=10,
    ),
    "full": dict(
        models=["n=2", "n=3", "n=4", "exp"],
        N={"n=2": [200, 400, 800], "n=3": [50, 100, 200], "n=4": [24, 32, 48], "exp": [24, 32, 40]},
        loads=np.round(np.geomspace(0.125, 16.0, 15), 4).tolist(),
        T=[0.0, 0.05, 0.1, 0.2],
        noise=0.1,
        max_cued=50,
        sweeps=20,
    ),
}


def model_capacity(model: str, N: int) -> float:
    """Error-free P_max of a model at N: Krotov–Hopfield's for poly, its analogue for exp."""
    interaction, degree, beta = MODELS[model]
    if interaction == "poly":
        return theory.dense_capacity(N, degree)
    return theory.exp_capacity(N, beta)


def dense_capacity_study(
    size: str = "quick",
    *,
    seed: int = 0,
    backend: str | None = None,
    device: str | None = None,
    progress: bool = False,
    **overrides,
) -> xr.Dataset:
    """Retrieval of dense associative memories vs load P / P_max for n = 2, 3, 4 and exp.

    For every model (``poly`` F ∝ x^n for n = 2, 3, 4; ``exp`` F = e^{β_F x} with β_F = 0.2),
    a few N and loads P = ``load`` × P_max(N), where P_max is the error-free signal-to-noise
    capacity (N^{n−1} / (2 (2n−3)!! ln N) for poly, e^{(N−1) α_1} / (2 ln N) with
    α_1 = 2β_F − ln cosh 2β_F for exp; :mod:`statnn.theory.dense`): P random patterns are
    stored, (up to ``max_cued`` of) them are cued with a fraction ``noise`` of flipped bits
    and relaxed by Glauber dynamics at each T (:func:`statnn.recall`), and the fraction of
    stored patterns that are T = 0 fixed points (every ξ_i h_i > 0) is counted. Beside it,
    the theory's fixed-point fraction (1 − ε)^N with ε = Φ(−z) the unstable-bit probability
    (:func:`statnn.theory.dense_bit_error`).

    Parameters
    ----------
    size : {'tiny', 'quick', 'full'}
        Preset parameters (see ``DENSE_SIZES``).
    seed : int
    backend : str, optional
        Monte Carlo backend (None: the package default; not 'torch').
    device : str, optional
        torch device: only None (CPU) works, the numpy and numba backends run these models.
    progress : bool
    **overrides
        Any preset parameter: ``models``, ``N`` (model → list of sizes, same length for
        every model), ``loads``, ``T``, ``noise``, ``max_cued``, ``sweeps``.

    Returns
    -------
    xarray.Dataset
        ``retrieval_rate`` (model, n_index, T, p_ratio), ``stable_fraction`` and
        ``theory_stable`` (model, n_index, p_ratio), ``theory_stable_curve`` (model, n_index,
        p_ratio_theory), ``n_neurons``, ``p_max`` (model, size) and ``n_patterns``
        (model, n_index, p_ratio).
    """
    call = start_experiment(
        "dense_capacity_study", DENSE_SIZES, size, seed, backend, overrides, device=device
    )
    p = call.params
    models = list(p["models"])
    sizes = {m: list(p["N"][m]) for m in models}
    n_sizes = len(sizes[models[0]])
    loads = np.asarray(p["loads"], dtype=float)
    T = np.asarray(p["T"], dtype=float)
    p_ratio_theory = np.geomspace(loads.min() / 2, loads.max() * 2, 120)
    rate = np.full((len(models), n_sizes, len(T), len(loads)), np.nan)
    stable = np.full((len(models), n_sizes, len(loads)), np.nan)
    stable_theory = np.full_like(stable, np.nan)
    curve = np.full((len(models), n_sizes, len(p_ratio_theory)), np.nan)
    n_used = np.zeros((len(models), n_sizes), dtype=np.int64)
    p_max = np.zeros((len(models), n_sizes))
    p_used = np.zeros((len(models), n_sizes, len(loads)), dtype=np.int64)
    seeds = child_seeds(call.seed, len(models) * n_sizes * len(loads))
    jobs = [(a, b) for a in range(len(models)) for b in range(n_sizes)]
    for a, b in progress_bar(jobs, enabled=progress, desc="dense capacity"):
        model = models[a]
        interaction, degree, beta = MODELS[model]
        N = int(sizes[model][b])
        n_used[a, b] = N
        p_max[a, b] = model_capacity(model, N)
        P_curve = np.maximum(1.0, p_ratio_theory * p_max[a, b])
        eps = theory.dense_bit_error(P_curve, N, interaction, degree=degree, beta=beta)
        curve[a, b] = (1.0 - eps) ** N
        for k, load in enumerate(loads):
            P = max(2, int(round(load * p_max[a, b])))
            p_used[a, b, k] = P
            eps = theory.dense_bit_error(P, N, interaction, degree=degree, beta=beta)
            stable_theory[a, b, k] = (1.0 - eps) ** N
            job_seed = seeds[(a * n_sizes + b) * len(loads) + k]
            xi = random_patterns(P, N, seed=job_seed)
            net = dense_memory(xi, interaction, degree=degree, beta=beta)
            cued = np.arange(min(P, p["max_cued"]))
            h = net.local_field(xi[cued])
            stable[a, b, k] = float(np.mean(np.all(xi[cued] * h > 0, axis=1)))
            out = recall(
                net,
                noise=p["noise"],
                T=T,
                sweeps=p["sweeps"],
                cue=cued,
                seed=job_seed,
                backend=call.backend,
            )
            rate[a, b, :, k] = (
                np.asarray(out.retrieved, dtype=float).reshape(len(T), -1).mean(axis=1)
            )
    one = "1"
    ds = xr.Dataset(
        {
            "retrieval_rate": (
                ("model", "n_index", "T", "p_ratio"),
                rate,
                {"units": one, "long_name": "fraction of cued patterns retrieved (m >= 0.9)"},
            ),
            "stable_fraction": (
                ("model", "n_index", "p_ratio"),
                stable,
                {
                    "units": one,
                    "long_name": "fraction of stored patterns that are T = 0 fixed points",
                },
            ),
            "theory_stable": (
                ("model", "n_index", "p_ratio"),
                stable_theory,
                {"units": one, "long_name": "signal-to-noise fixed-point fraction (1 - eps)^N"},
            ),
            "theory_stable_curve": (
                ("model", "n_index", "p_ratio_theory"),
                curve,
                {"units": one, "long_name": "signal-to-noise fixed-point fraction (1 - eps)^N"},
            ),
            "n_neurons": (
                ("model", "n_index"),
                n_used,
                {"units": one, "long_name": "number of neurons N"},
            ),
            "p_max": (
                ("model", "n_index"),
                p_max,
                {"units": one, "long_name": "error-free signal-to-noise capacity P_max"},
            ),
            "n_patterns": (
                ("model", "n_index", "p_ratio"),
                p_used,
                {"units": one, "long_name": "number of stored patterns P"},
            ),
        },
        coords={
            "model": ("model", models, {"units": one, "long_name": "interaction function F"}),
            "n_index": ("n_index", np.arange(n_sizes), {"units": one, "long_name": "index of N"}),
            "T": ("T", T, {"long_name": "temperature"}),
            "p_ratio": ("p_ratio", loads, {"units": one, "long_name": "load P / P_max"}),
            "p_ratio_theory": (
                "p_ratio_theory",
                p_ratio_theory,
                {"units": one, "long_name": "load P / P_max of the theory curves"},
            ),
        },
    )
    return call.finish(
        ds,
        experiment="dense-capacity",
        title="Dense associative memories: retrieval vs P / P_max, beside signal-to-noise",
    )


__all__ = ["DENSE_SIZES", "MODELS", "dense_capacity_study", "model_capacity"]
