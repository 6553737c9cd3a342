"""Associative-memory experiments as library functions returning plain dicts of arrays.

* :func:`capacity_curve` — final overlap m vs load α = P/N, per rule, at T = 0 or T > 0;
* :func:`basin_of_attraction` — final overlap vs initial (cue) overlap;
* :func:`spurious_states` — fixed points reached from 3-pattern mixtures and random
  states, classified by their overlaps (:func:`classify_states`);
* :func:`phase_diagram` — mean final overlap on a (T, α) grid from a retrieval start.

Every result holds its parameters under ``"params"`` (with the package version) so that
the experiment scripts and plots built on them are self-describing. Errors are standard
errors of the mean over the runs (cued patterns × trials); runs that share a network are
not strictly independent, so treat them as indicative.
"""

from __future__ import annotations

import numpy as np

from statnn._validation import (
    check_int,
    check_probability,
    check_real,
    check_temperatures,
    param_error,
    renamed,
    seed_value,
)
from statnn._version import __version__
from statnn.memory.networks import RULES, hopfield
from statnn.memory.patterns import random_patterns
from statnn.memory.retrieval import recall, relax

#: labels of :func:`classify_states`
STATE_CLASSES = ("retrieval", "mixture-3", "spin-glass", "other")


def _alphas(alphas, caller: str) -> np.ndarray:
    try:
        arr = np.atleast_1d(np.asarray(alphas, dtype=np.float64))
    except (TypeError, ValueError):
        raise param_error("alphas", caller, "a sequence of loads alpha > 0", alphas) from None
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise param_error("alphas", caller, "a sequence of loads alpha > 0", alphas)
    return arr


def _seeds(seed, count: int) -> list[int]:
    """``count`` independent integer seeds derived from ``seed``."""
    states = np.random.SeedSequence(seed).generate_state(count, dtype=np.uint64)
    return [int(s >> 1) for s in states]


def _mean_err(values: np.ndarray) -> tuple[float, float]:
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size < 2:
        return float(values.mean()), float("nan")
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))


def capacity_curve(
    rule: str = "hebbian",
    alphas=(0.05, 0.1, 0.12, 0.14, 0.16, 0.2),
    N: int = 1000,
    *,
    T=0.0,
    noise: float = 0.0,
    trials: int = 1,
    max_cued: int | None = 100,
    sweeps: int = 100,
    average: int = 0,
    threshold: float = 0.9,
    pattern_activity: float = 0.0,
    seed: int | None = 0,
    backend: str | None = None,
    device: str | None = None,
    bias: float | None = None,
    **rule_options,
) -> dict:
    """Mean final overlap with the cued pattern vs load α = P/N (the capacity curve).

    For every α: P = round(α N) random patterns (``pattern_activity``: their mean activity; ``bias`` is its old name,
    FutureWarning), a network
    ``hopfield(patterns, rule, **rule_options)``, and :func:`recall` of up to ``max_cued``
    patterns from cues with a fraction ``noise`` of flipped bits (0: start in the pattern,
    the retrieval branch of AGS theory), at every temperature of ``T``; repeated for
    ``trials`` independent pattern sets.

    Returns
    -------
    dict
        ``alpha`` (n_α,), ``P`` (n_α,), ``T`` (n_T,), ``m_mean``, ``m_err`` and
        ``retrieval_rate`` (n_T, n_α), ``sweeps_mean`` (n_T, n_α) (at T = 0: sweeps to the
        fixed point), ``params``.
    """
    caller = "capacity_curve"
    pattern_activity = renamed(caller, "bias", bias, "pattern_activity", pattern_activity, 0.0)
    if rule not in RULES:
        raise param_error("rule", caller, "one of " + ", ".join(map(repr, RULES)), rule)
    alphas = _alphas(alphas, caller)
    N = check_int(N, "N", caller, minimum=2)
    temps = check_temperatures(T, caller)
    trials = check_int(trials, "trials", caller, minimum=1)
    if max_cued is not None:
        max_cued = check_int(max_cued, "max_cued", caller, minimum=1)
    seed = seed_value(seed, caller)
    P_values = np.maximum(1, np.rint(alphas * N).astype(int))
    shape = (len(temps), len(alphas))
    m_mean, m_err = np.empty(shape), np.empty(shape)
    rate, steps = np.empty(shape), np.empty(shape)
    seeds = _seeds(seed, 3 * len(alphas) * trials)
    for a, P in enumerate(P_values):
        runs, hits, counts = [], [], []
        for trial in range(trials):
            k = 3 * (a * trials + trial)
            xi = random_patterns(int(P), N, activity=pattern_activity, seed=seeds[k])
            net = hopfield(xi, rule, seed=seeds[k + 1], **rule_options)
            cue = None if max_cued is None else np.arange(min(int(P), max_cued))
            out = recall(
                net,
                xi,
                noise=noise,
                T=temps,
                sweeps=sweeps,
                seed=seeds[k + 2],
                backend=backend,
                device=device,
                threshold=threshold,
                cue=cue,
                average=average,
                squeeze=False,
            )
            runs.append(out.overlap.reshape(len(temps), -1))
            hits.append(out.retrieved.reshape(len(temps), -1))
            counts.append(out.sweeps.reshape(len(temps), -1))
        runs, hits, counts = (np.concatenate(x, axis=1) for x in (runs, hits, counts))
        for t in range(len(temps)):
            m_mean[t, a], m_err[t, a] = _mean_err(runs[t])
            rate[t, a] = hits[t].mean()
            steps[t, a] = counts[t].mean()
    return {
        "rule": rule,
        "N": N,
        "alpha": alphas,
        "P": P_values,
        "T": temps,
        "m_mean": m_mean,
        "m_err": m_err,
        "retrieval_rate": rate,
        "sweeps_mean": steps,
        "params": dict(
            experiment="capacity_curve",
            rule=rule,
            alphas=alphas.tolist(),
            N=N,
            T=temps.tolist(),
            noise=noise,
            trials=trials,
            max_cued=max_cued,
            sweeps=sweeps,
            average=average,
            threshold=threshold,
            pattern_activity=pattern_activity,
            seed=seed,
            backend=backend,
            device=device,
            rule_options=dict(rule_options),
            version=__version__,
        ),
    }


def basin_of_attraction(
    rule: str = "hebbian",
    alpha: float = 0.05,
    N: int = 1000,
    *,
    initial_overlaps=(1.0, 0.8, 0.6, 0.4, 0.3, 0.2, 0.1),
    T: float = 0.0,
    chains: int = 1,
    max_cued: int | None = 50,
    sweeps: int = 100,
    threshold: float = 0.9,
    seed: int | None = 0,
    backend: str | None = None,
    device: str | None = None,
    **rule_options,
) -> dict:
    """Final overlap vs initial overlap m₀ of the cue (the basin of attraction).

    One network of P = round(α N) random patterns; for each m₀ the cues have a fraction
    (1 − m₀)/2 of flipped bits (initial overlap exactly m₀ up to rounding to whole
    neurons) and relax at temperature ``T``.

    Returns
    -------
    dict
        ``initial_overlap`` (n,), ``m_mean``, ``m_err``, ``retrieval_rate``,
        ``sweeps_mean`` (n,), ``final`` (n, runs) every final overlap, ``params``.
    """
    caller = "basin_of_attraction"
    alpha = check_real(alpha, "alpha", caller, minimum=0.0, strict_minimum=True)
    N = check_int(N, "N", caller, minimum=2)
    m0 = np.atleast_1d(np.asarray(initial_overlaps, dtype=np.float64))
    if m0.ndim != 1 or m0.size == 0 or np.any(np.abs(m0) > 1) or not np.all(np.isfinite(m0)):
        raise param_error("initial_overlaps", caller, "overlaps in [-1, 1]", initial_overlaps)
    seed = seed_value(seed, caller)
    s_pat, s_net, s_dyn = _seeds(seed, 3)
    P = max(1, int(round(alpha * N)))
    xi = random_patterns(P, N, seed=s_pat)
    net = hopfield(xi, rule, seed=s_net, **rule_options)
    cue = None if max_cued is None else np.arange(min(P, max_cued))
    finals, rows = [], []
    for k, m in enumerate(m0):
        out = recall(
            net,
            xi,
            noise=(1.0 - m) / 2.0,
            T=T,
            sweeps=sweeps,
            chains=chains,
            seed=s_dyn + k,
            backend=backend,
            device=device,
            threshold=threshold,
            cue=cue,
            squeeze=False,
        )
        finals.append(out.overlap.ravel())
        rows.append((*_mean_err(out.overlap), out.retrieval_rate, float(out.sweeps.mean())))
    rows = np.array(rows)
    return {
        "rule": rule,
        "alpha": alpha,
        "N": N,
        "P": P,
        "initial_overlap": m0,
        "m_mean": rows[:, 0],
        "m_err": rows[:, 1],
        "retrieval_rate": rows[:, 2],
        "sweeps_mean": rows[:, 3],
        "final": np.stack(finals),
        "params": dict(
            experiment="basin_of_attraction",
            rule=rule,
            alpha=alpha,
            N=N,
            initial_overlaps=m0.tolist(),
            T=T,
            chains=chains,
            max_cued=max_cued,
            sweeps=sweeps,
            threshold=threshold,
            seed=seed,
            backend=backend,
            device=device,
            rule_options=dict(rule_options),
            version=__version__,
        ),
    }


def classify_states(
    overlaps, *, retrieval: float = 0.9, mixture: tuple = (0.3, 0.7), small: float = 0.25
) -> np.ndarray:
    """Label fixed points by their overlaps with the stored patterns (..., P) → (...).

    With |m| sorted in decreasing order, |m|₁ ≥ |m|₂ ≥ …:

    * ``"retrieval"``: |m|₁ ≥ ``retrieval`` (a pattern or its reverse −ξ);
    * ``"mixture-3"``: the three largest within ``mixture`` (the symmetric 3-mixture has
      m = 1/2 each for α → 0, Amit, Gutfreund & Sompolinsky 1985) and |m|₄ < ``small``;
    * ``"spin-glass"``: every |m| < ``small`` (no macroscopic overlap);
    * ``"other"``: anything else (asymmetric or 5-mixtures, partially retrieved states).
    """
    m = np.abs(np.asarray(overlaps, dtype=np.float64))
    if m.ndim == 0:
        raise param_error("overlaps", "classify_states", "an array (..., P)", overlaps)
    top = -np.sort(-m, axis=-1)
    pad = np.zeros((*top.shape[:-1], max(0, 4 - top.shape[-1])))
    top = np.concatenate([top, pad], axis=-1)
    lo, hi = mixture
    labels = np.full(top.shape[:-1], "other", dtype=object)
    is_mix = np.all((top[..., :3] >= lo) & (top[..., :3] <= hi), axis=-1) & (top[..., 3] < small)
    labels[is_mix] = "mixture-3"
    labels[top[..., 0] < small] = "spin-glass"
    labels[top[..., 0] >= retrieval] = "retrieval"
    return labels.astype(str)


def spurious_states(
    rule: str = "hebbian",
    alpha: float = 0.05,
    N: int = 1000,
    *,
    n_mixtures: int = 50,
    n_random: int = 50,
    sweeps: int = 200,
    seed: int | None = 0,
    backend: str | None = None,
    device: str | None = None,
    retrieval: float = 0.9,
    mixture: tuple = (0.3, 0.7),
    small: float = 0.25,
    **rule_options,
) -> dict:
    """Spurious fixed points at T = 0: from 3-pattern mixtures and from random states.

    Starts: ``n_mixtures`` symmetric mixtures sgn(ξ^μ + ξ^ν + ξ^ρ) of random distinct
    triples, and ``n_random`` uniformly random states. Each relaxes at T = 0 to a fixed
    point, which :func:`classify_states` labels retrieval / mixture-3 / spin-glass / other.
    For symmetric couplings the energy per neuron of each fixed point is recorded too
    (Hebbian, α → 0: −1/2 for a pattern, −3/8 for a 3-mixture).

    Returns
    -------
    dict
        ``start`` (K,) "mixture" or "random"; ``triples`` (n_mixtures, 3); ``overlaps``
        (K, P) at the fixed point; ``label`` (K,); ``energy`` (K,) or None;
        ``converged`` and ``sweeps`` (K,); ``counts``: {start: {label: count}}; ``params``.
    """
    caller = "spurious_states"
    alpha = check_real(alpha, "alpha", caller, minimum=0.0, strict_minimum=True)
    N = check_int(N, "N", caller, minimum=2)
    n_mixtures = check_int(n_mixtures, "n_mixtures", caller, minimum=0)
    n_random = check_int(n_random, "n_random", caller, minimum=0)
    if n_mixtures + n_random == 0:
        raise param_error("n_random", caller, "at least one start in all", n_random)
    seed = seed_value(seed, caller)
    P = max(1, int(round(alpha * N)))
    if n_mixtures and P < 3:
        raise param_error("alpha", caller, f"a load giving P >= 3 patterns at N={N}", alpha)
    s_pat, s_net, s_start, s_dyn = _seeds(seed, 4)
    xi = random_patterns(P, N, seed=s_pat)
    net = hopfield(xi, rule, seed=s_net, **rule_options)
    rng = np.random.default_rng(s_start)
    triples = np.array([rng.choice(P, 3, replace=False) for _ in range(n_mixtures)], dtype=int)
    triples = triples.reshape(n_mixtures, 3)
    starts = []
    if n_mixtures:
        mix = xi[triples].astype(np.int16).sum(axis=1)  # odd sum: never zero
        starts.append(np.sign(mix).astype(np.int8))
    if n_random:
        starts.append((2 * rng.integers(0, 2, size=(n_random, N)) - 1).astype(np.int8))
    init = np.concatenate(starts)
    out = relax(net, init, xi, T=0.0, sweeps=sweeps, seed=s_dyn, backend=backend, device=device)
    overlaps = out["overlaps"][0]
    states = out["states"][0]
    labels = classify_states(overlaps, retrieval=retrieval, mixture=mixture, small=small)
    kind = np.array(["mixture"] * n_mixtures + ["random"] * n_random)
    energy = net.energy(states) / N if net.symmetric else None
    counts = {
        k: {c: int(np.count_nonzero(labels[kind == k] == c)) for c in STATE_CLASSES}
        for k in ("mixture", "random")
        if np.any(kind == k)
    }
    return {
        "rule": rule,
        "alpha": alpha,
        "N": N,
        "P": P,
        "start": kind,
        "triples": triples,
        "overlaps": overlaps,
        "label": labels,
        "energy": energy,
        "converged": out["converged"][0],
        "sweeps": out["sweeps"][0],
        "counts": counts,
        "params": dict(
            experiment="spurious_states",
            rule=rule,
            alpha=alpha,
            N=N,
            n_mixtures=n_mixtures,
            n_random=n_random,
            sweeps=sweeps,
            seed=seed,
            backend=backend,
            device=device,
            retrieval=retrieval,
            mixture=list(mixture),
            small=small,
            rule_options=dict(rule_options),
            version=__version__,
        ),
    }


def phase_diagram(
    T=(0.0, 0.2, 0.4, 0.6, 0.8),
    alphas=(0.02, 0.05, 0.08, 0.11, 0.14),
    N: int = 1000,
    *,
    rule: str = "hebbian",
    max_cued: int | None = 20,
    sweeps: int = 200,
    average: int = 100,
    trials: int = 1,
    threshold: float = 0.5,
    seed: int | None = 0,
    backend: str | None = None,
    device: str | None = None,
    **rule_options,
) -> dict:
    """The (T, α) phase diagram by simulation: mean final overlap from a retrieval start.

    Each grid point runs :func:`capacity_curve` dynamics started in the patterns, for
    ``sweeps`` sweeps, overlaps time-averaged over the last ``average`` (T > 0). A
    point is in the retrieval phase when the mean overlap exceeds ``threshold``; compare
    with AGS's T_M(α) (:func:`statnn.theory.ags_retrieval_temperature`). All temperatures
    of one α run as one batch.

    Returns
    -------
    dict
        ``T`` (n_T,), ``alpha`` (n_α,), ``m_mean``, ``m_err``, ``retrieval_rate``,
        ``retrieval`` (m_mean ≥ threshold) — all (n_T, n_α) —, ``params``.
    """
    check_probability(threshold, "threshold", "phase_diagram")
    curve = capacity_curve(
        rule,
        alphas,
        N,
        T=T,
        noise=0.0,
        trials=trials,
        max_cued=max_cued,
        sweeps=sweeps,
        average=average,
        threshold=threshold,
        seed=seed,
        backend=backend,
        device=device,
        **rule_options,
    )
    params = dict(curve["params"], experiment="phase_diagram")
    return {
        "rule": rule,
        "N": N,
        "T": curve["T"],
        "alpha": curve["alpha"],
        "m_mean": curve["m_mean"],
        "m_err": curve["m_err"],
        "retrieval_rate": curve["retrieval_rate"],
        "retrieval": curve["m_mean"] >= threshold,
        "params": params,
    }


__all__ = [
    "STATE_CLASSES",
    "basin_of_attraction",
    "capacity_curve",
    "classify_states",
    "phase_diagram",
    "spurious_states",
]
