"""Learning couplings from samples: the inverse Ising problem on SK couplings, and a
Hopfield network learned from noisy examples of its patterns.
"""

from __future__ import annotations

import time

import numpy as np
import xarray as xr

from statnn.core.models import sk
from statnn.experiments._common import child_seeds, progress_bar, start_experiment
from statnn.learning.boltzmann import BoltzmannMachine
from statnn.learning.exact import MAX_EXACT_N
from statnn.learning.samples import draw_samples
from statnn.memory.networks import hopfield
from statnn.memory.patterns import random_patterns
from statnn.memory.retrieval import recall

INVERSE_ISING_SIZES = {
    "tiny": dict(
        N=8,
        betas=[0.5, 1.5],
        M=[1000, 4000],
        methods=["exact", "pseudolikelihood", "pcd", "mean_field", "tap", "sessak_monasson"],
        l2=1e-4,
        pcd=dict(lr=0.2, epochs=150, chains=100),
        ladder=[1.0, 1.4, 2.0],
        burn_in=500,
        thin=10,
        mc_chains=200,
        hopfield_N=32,
        hopfield_P=2,
        hopfield_M=500,
        hopfield_flip=0.1,
        cue_noise=0.25,
    ),
    "quick": dict(
        N=16,
        betas=[0.5, 1.0, 1.5],
        M=[1000, 3000, 10000, 30000],
        methods=["exact", "pseudolikelihood", "pcd", "mean_field", "tap", "sessak_monasson"],
        l2=1e-4,
        pcd=dict(lr=0.2, epochs=600, chains=200),
        ladder=[1.0, 1.3, 1.7, 2.2],
        burn_in=2000,
        thin=10,
        mc_chains=1000,
        hopfield_N=64,
        hopfield_P=3,
        hopfield_M=2000,
        hopfield_flip=0.1,
        cue_noise=0.25,
    ),
    "full": dict(
        N=64,
        betas=[0.5, 1.0, 1.5],
        M=[1000, 3000, 10000, 30000, 100000],
        methods=["pseudolikelihood", "pcd", "mean_field", "tap", "sessak_monasson"],
        l2=1e-4,
        pcd=dict(lr=0.2, epochs=2000, chains=500),
        ladder=[1.0, 1.2, 1.45, 1.75, 2.1, 2.5],
        burn_in=10000,
        thin=20,
        mc_chains=2000,
        hopfield_N=100,
        hopfield_P=5,
        hopfield_M=5000,
        hopfield_flip=0.1,
        cue_noise=0.25,
    ),
}


def _samples(net, M, T, p, rng, backend, device):
    method = "exact" if net.n <= MAX_EXACT_N else "mc"
    return draw_samples(
        net,
        M,
        T,
        method=method,
        burn_in=int(p["burn_in"]),
        thin=int(p["thin"]),
        chains=int(p["mc_chains"]),
        rng=rng,
        backend=backend,
        device=device,
        caller="inverse_ising",
    )


def inverse_ising(
    size: str = "quick",
    *,
    seed: int = 0,
    backend: str | None = None,
    device: str | None = None,
    progress: bool = False,
    **overrides,
) -> xr.Dataset:
    """Inverse Ising: reconstruction error ε vs sample count M per method, on SK couplings.

    For each inverse temperature β: one SK sample J⁰ (Gaussian, variance 1/N, no field)
    and M samples of exp(−β E) — exact by enumeration for N ≤ 20, else Glauber Monte Carlo
    with ``mc_chains`` chains after ``burn_in`` sweeps, one sample every ``thin`` sweeps —
    nested (the first M of the largest set). Each method of :class:`statnn.BoltzmannMachine`
    learns J from them, and ε = ‖J − βJ⁰‖_F / ‖βJ⁰‖_F measures the distance to the known
    truth (no theory involved). ``exact`` runs only for N ≤ 20; on the spin-glass side
    (β > 1) PCD's chains exchange replicas over the temperatures ``ladder``. The likelihood methods
    (exact, pseudo-likelihood, PCD) get the penalty ``l2`` Σ J_ij², which keeps them finite
    where a small sample leaves a pair in fewer than its four joint states. Beside it, a Hopfield
    panel: ``hopfield_M`` examples of ``hopfield_P`` random patterns with each bit flipped
    with probability ``hopfield_flip``; the pseudo-likelihood machine learned from them is
    cued by :func:`statnn.recall` at T = 0 with a fraction ``cue_noise`` of flipped bits,
    against the Hebbian network of the clean patterns.

    Parameters
    ----------
    size, seed, backend, device, progress
        As in :func:`statnn.experiments.hopfield_recall`.
    **overrides
        ``N``, ``betas``, ``M``, ``methods``, ``l2``, ``pcd`` (dict of BoltzmannMachine settings),
        ``ladder`` (PCD's replica-exchange temperatures for β > 1),
        ``burn_in``, ``thin``, ``mc_chains``, ``hopfield_N``, ``hopfield_P``,
        ``hopfield_M``, ``hopfield_flip``, ``cue_noise``.

    Returns
    -------
    xarray.Dataset
        ``epsilon`` and ``fit_time`` (beta, estimator, M) (NaN where a method did not run);
        ``overlap_learned``, ``overlap_hebbian`` (pattern) final recall overlaps;
        ``J_learned``, ``J_hebbian`` (coupling) the couplings i < j of the Hopfield panel.
    """
    call = start_experiment(
        "inverse_ising",
        INVERSE_ISING_SIZES,
        size,
        seed,
        backend,
        overrides,
        device=device,
        progress=progress,
    )
    p = call.params
    N = int(p["N"])
    betas = np.asarray(p["betas"], dtype=float)
    Ms = sorted(int(m) for m in p["M"])
    methods = [str(m) for m in p["methods"]]
    pcd = dict(p["pcd"])
    eps = np.full((len(betas), len(methods), len(Ms)), np.nan)
    seconds = np.full_like(eps, np.nan)
    seeds = child_seeds(call.seed, 3 * len(betas) + 2)
    for b in progress_bar(range(len(betas)), enabled=progress, desc="inverse Ising betas"):
        beta = betas[b]
        truth = sk(N, seed=seeds[3 * b])
        J_true = beta * truth.couplings.to_dense()
        rng = np.random.default_rng(seeds[3 * b + 1])
        X = _samples(truth, Ms[-1], 1.0 / beta, p, rng, call.backend, call.device)
        for k, method in enumerate(methods):
            if method == "exact" and N > MAX_EXACT_N:
                continue
            settings = {}
            if method in ("exact", "pseudolikelihood", "pcd"):
                settings["l2"] = float(p["l2"])
            if method == "pcd":
                settings.update(pcd, tempering=list(p["ladder"]) if beta > 1.0 else False)
            for j, M in enumerate(Ms):
                bm = BoltzmannMachine(
                    method,
                    backend=call.backend,
                    device=call.device,
                    random_state=seeds[3 * b + 2],
                    **settings,
                )
                tic = time.perf_counter()
                bm.fit(X[:M])
                seconds[b, k, j] = time.perf_counter() - tic
                eps[b, k, j] = np.linalg.norm(bm.couplings_ - J_true) / np.linalg.norm(J_true)

    # Hopfield network learned from noisy examples of its patterns
    hN, hP, hM = int(p["hopfield_N"]), int(p["hopfield_P"]), int(p["hopfield_M"])
    rng = np.random.default_rng(seeds[-2])
    xi = random_patterns(hP, hN, seed=int(rng.integers(2**31)))
    labels = rng.integers(0, hP, size=hM)
    flips = np.where(rng.random((hM, hN)) < float(p["hopfield_flip"]), -1, 1)
    examples = (xi[labels] * flips).astype(np.int8)
    learned = BoltzmannMachine("pseudolikelihood", backend=call.backend, device=call.device).fit(
        examples
    )
    hebb = hopfield(xi, rule="hebbian")
    cue = dict(noise=float(p["cue_noise"]), T=0.0, sweeps=50, seed=seeds[-1])
    over_learned = recall(
        learned.network_, xi, backend=call.backend, device=call.device, **cue
    ).overlap
    over_hebb = recall(hebb, xi, backend=call.backend, device=call.device, **cue).overlap
    iu = np.triu_indices(hN, 1)
    J_hebb = hebb.couplings.to_dense()[iu]
    J_learn = learned.couplings_[iu]

    ds = xr.Dataset(
        {
            "epsilon": (
                ("beta", "estimator", "M"),
                eps,
                {
                    "units": "1",
                    "long_name": "reconstruction error ||J - beta J0||_F / ||beta J0||_F",
                },
            ),
            "fit_time": (
                ("beta", "estimator", "M"),
                seconds,
                {"units": "s", "long_name": "wall time of the fit"},
            ),
            "overlap_learned": (
                "pattern",
                np.asarray(over_learned, dtype=float).reshape(hP),
                {"units": "1", "long_name": "final overlap, network learned from noisy examples"},
            ),
            "overlap_hebbian": (
                "pattern",
                np.asarray(over_hebb, dtype=float).reshape(hP),
                {"units": "1", "long_name": "final overlap, Hebbian network of the clean patterns"},
            ),
            "J_learned": (
                "coupling",
                J_learn,
                {"units": "1", "long_name": "learned coupling J_ij (i < j), in units of k_B T"},
            ),
            "J_hebbian": (
                "coupling",
                J_hebb,
                {"units": "J", "long_name": "Hebbian coupling J_ij (i < j)"},
            ),
        },
        coords={
            "beta": (
                "beta",
                betas,
                {"units": "k_B/J", "long_name": "inverse temperature of the samples"},
            ),
            "estimator": (
                "estimator",
                methods,
                {"units": "1", "long_name": "BoltzmannMachine method"},
            ),
            "M": ("M", np.asarray(Ms), {"units": "1", "long_name": "number of samples"}),
            "pattern": np.arange(hP),
        },
    )
    ds.attrs["N"] = N
    ds.attrs["hopfield_N"] = hN
    return call.finish(
        ds,
        experiment="inverse-ising",
        title=f"Inverse Ising on SK couplings (N = {N}): error vs samples per method",
    )
