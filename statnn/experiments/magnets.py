"""Magnets: the 2D Ising model against Onsager, the Curie–Weiss ferromagnet against
m = tanh(βm), and the Sherrington–Kirkpatrick spin glass with parallel tempering against
the replica-symmetric solution.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

import statnn.theory as theory
from statnn._validation import check_choice
from statnn.core.models import curie_weiss as curie_weiss_model
from statnn.core.models import ising, sk
from statnn.dynamics.sampling import simulate
from statnn.dynamics.tempering import barrier, tune_ladder
from statnn.experiments._common import child_seeds, progress_bar, start_experiment
from statnn.stats import jackknife
from statnn.stats.diagnostics import ConvergenceWarning, ess, rhat, unconverged

#: The columns of :meth:`statnn.Run.summary` an experiment keeps, with their long names.
_SUMMARY = {
    "energy": "energy per spin E/N",
    "abs_magnetization": "mean |m|",
    "specific_heat": "specific heat per spin C",
    "susceptibility": "susceptibility chi (|m| convention)",
    "binder": "Binder cumulant U = 1 - <m^4>/(3<m^2>^2)",
}


#: Convergence diagnostics an experiment keeps per observable: (summary prefix, long name, units).
_DIAGNOSTICS = (
    ("rhat", "rank-normalised split R-hat across chains of", "1"),
    ("ess_bulk", "bulk effective sample size (all chains) of", "1"),
    ("ess_tail", "tail effective sample size (all chains) of", "1"),
    ("mcse", "Monte Carlo standard error (ArviZ) of", None),  # units: those of the observable
    ("tau", "integrated autocorrelation time, in records, of", "1"),
)
_DIAGNOSED = ("energy", "abs_magnetization")


def _summaries_per_size(
    build, sizes, T, seed: int, keys, *, progress: bool, desc: str, **simulate_kwargs
) -> tuple[dict, dict, dict]:
    """Columns ``keys`` of :meth:`statnn.Run.summary`, their errors and diagnostics, (size, T).

    One :func:`~statnn.dynamics.sampling.simulate` run of ``build(size)`` over all of ``T``
    per size, with its own seed from ``seed``. The diagnostics are the R̂, ESS, MCSE and
    τ_int columns of the energy and |m|, and ``converged``.
    """
    values = {k: np.empty((len(sizes), len(T))) for k in keys}
    errors = {k: np.empty((len(sizes), len(T))) for k in keys}
    diag_keys = [f"{d}_{obs}" for obs in _DIAGNOSED for d, _, _ in _DIAGNOSTICS]
    diags = {k: np.empty((len(sizes), len(T))) for k in diag_keys}
    diags["converged"] = np.empty((len(sizes), len(T)), dtype=bool)
    seeds = child_seeds(seed, len(sizes))
    for i in progress_bar(range(len(sizes)), enabled=progress, desc=desc):
        summary = simulate(build(sizes[i]), T=T, seed=seeds[i], **simulate_kwargs).summary()
        for k in keys:
            values[k][i], errors[k][i] = summary[k], summary[k + "_err"]
        for k in diags:
            diags[k][i] = summary[k]
    return values, errors, diags


def _diagnostic_variables(dims, diags: dict) -> dict:
    """Dataset variables of the convergence diagnostics (see :func:`_summaries_per_size`)."""
    variables = {}
    for obs in _DIAGNOSED:
        for prefix, long_name, units in _DIAGNOSTICS:
            attrs = {"long_name": f"{long_name} {obs}"}
            if units is not None:
                attrs["units"] = units
            variables[f"{prefix}_{obs}"] = (dims, diags[f"{prefix}_{obs}"], attrs)
    variables["converged"] = (
        dims,
        diags["converged"].astype(np.int8),
        {
            "long_name": "1 where R-hat <= 1.01 and bulk ESS >= 100 for energy and |m|, else 0",
            "units": "1",
        },
    )
    return variables


def _with_errors(dims, values: dict, errors: dict, long_names) -> dict:
    """Dataset variables: each of ``values`` with its long name, followed by its ``*_err``."""
    variables = {}
    for k in values:
        variables[k] = (dims, values[k], {"long_name": long_names[k]})
        variables[k + "_err"] = (dims, errors[k], {"long_name": f"standard error of {k}"})
    return variables


ISING_SIZES = {
    "tiny": dict(
        L=[4, 8],
        T=[1.5, 1.8, 2.8, 3.5],
        sweeps=300,
        burn_in=100,
        chains=2,
        record_every=1,
    ),
    "quick": dict(
        L=[8, 16, 32],
        T=[1.5, 1.75, 2.0, 2.1, 2.2, 2.25, 2.3, 2.35, 2.4, 2.5, 2.6, 2.8, 3.0, 3.25, 3.5],
        sweeps=3000,
        burn_in=1000,
        chains=8,
        record_every=2,
    ),
    "full": dict(
        L=[8, 16, 32, 64],
        T=np.round(np.union1d(np.linspace(1.5, 3.5, 21), np.linspace(2.15, 2.4, 11)), 4).tolist(),
        sweeps=20000,
        burn_in=4000,
        chains=8,
        record_every=5,
    ),
}


def _binder_crossing(T: np.ndarray, u1: np.ndarray, u2: np.ndarray, window=(1.9, 2.7)) -> float:
    """Temperature where two Binder curves cross (linear interpolation), nan if none."""
    d = u1 - u2
    for k in range(len(T) - 1):
        if not (window[0] <= T[k] and T[k + 1] <= window[1]):
            continue
        if (
            np.isfinite(d[k])
            and np.isfinite(d[k + 1])
            and d[k] * d[k + 1] <= 0
            and d[k] != d[k + 1]
        ):
            return float(T[k] + (T[k + 1] - T[k]) * d[k] / (d[k] - d[k + 1]))
    return float("nan")


def ising_2d(
    size: str = "quick",
    *,
    seed: int = 0,
    backend: str | None = None,
    device: str | None = None,
    progress: bool = False,
    **overrides,
) -> xr.Dataset:
    """2D Ising model: E, |M|, C, χ and the Binder cumulant vs T for several sizes L.

    Periodic L × L lattices, checkerboard Glauber dynamics from the ordered state
    (``init="ones"``), ``chains`` independent chains per temperature. Beside them Onsager's
    exact energy and specific heat and Yang's spontaneous magnetization for L → ∞; the
    Binder cumulants of successive sizes cross near T_c = 2/ln(1 + √2) ≈ 2.269.

    Parameters
    ----------
    size, seed, backend, device, progress
        As in :func:`statnn.experiments.hopfield_recall`.
    **overrides
        ``L``, ``T``, ``sweeps``, ``burn_in``, ``chains``, ``record_every``.

    Returns
    -------
    xarray.Dataset
        ``energy``, ``abs_magnetization``, ``specific_heat``, ``susceptibility``,
        ``binder`` and their ``*_err`` (L, T); ``binder_crossing`` (pair); the theory
        ``onsager_energy``, ``onsager_magnetization``, ``onsager_specific_heat`` on
        ``T_theory``.
    """
    call = start_experiment(
        "ising_2d", ISING_SIZES, size, seed, backend, overrides, device=device, progress=progress
    )
    p = call.params
    sizes = [int(L) for L in p["L"]]
    T = np.asarray(p["T"], dtype=float)
    data, errs, diags = _summaries_per_size(
        lambda L: ising((L, L)),
        sizes,
        T,
        call.seed,
        _SUMMARY,
        progress=progress,
        desc="Ising sizes",
        sweeps=p["sweeps"],
        burn_in=p["burn_in"],
        chains=p["chains"],
        schedule="checkerboard",
        init="ones",
        record_every=p["record_every"],
        backend=call.backend,
        device=call.device,
    )
    pairs = [f"{a}-{b}" for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    crossing = [
        _binder_crossing(T, data["binder"][i], data["binder"][i + 1]) for i in range(len(pairs))
    ]
    T_theory = np.linspace(min(1.0, T.min()), max(4.0, T.max()), 400)
    variables = _with_errors(("L", "T"), data, errs, _SUMMARY)
    variables.update(_diagnostic_variables(("L", "T"), diags))
    variables["binder_crossing"] = (
        "pair",
        np.asarray(crossing, dtype=float),
        {"long_name": "temperature where the Binder cumulants of two sizes cross"},
    )
    variables["onsager_energy"] = ("T_theory", np.asarray(theory.onsager_energy(T_theory)))
    variables["onsager_magnetization"] = (
        "T_theory",
        np.asarray(theory.onsager_magnetization(T_theory)),
    )
    variables["onsager_specific_heat"] = (
        "T_theory",
        np.asarray(theory.onsager_specific_heat(T_theory)),
    )
    ds = xr.Dataset(
        variables,
        coords={
            "L": ("L", np.asarray(sizes), {"long_name": "side length"}),
            "T": ("T", T, {"long_name": "temperature"}),
            "pair": pairs,
            "T_theory": T_theory,
        },
    )
    ds.attrs["T_c"] = float(theory.ising_critical_temperature())
    return call.finish(
        ds, experiment="ising-2d", title="2D Ising model vs Onsager; Binder cumulant crossing"
    )


CW_SIZES = {
    "tiny": dict(N=[200], T=[0.5, 0.7, 1.5], sweeps=300, burn_in=100, chains=2),
    "quick": dict(
        N=[100, 1000],
        T=np.round(np.linspace(0.3, 1.6, 14), 3).tolist(),
        sweeps=1000,
        burn_in=300,
        chains=4,
    ),
    "full": dict(
        N=[100, 1000, 10000],
        T=np.round(np.linspace(0.2, 1.6, 29), 3).tolist(),
        sweeps=10000,
        burn_in=2000,
        chains=8,
    ),
}


def curie_weiss(
    size: str = "quick",
    *,
    seed: int = 0,
    backend: str | None = None,
    device: str | None = None,
    progress: bool = False,
    **overrides,
) -> xr.Dataset:
    """Curie–Weiss ferromagnet (J_ij = 1/N): ⟨|m|⟩ and E/N vs T beside m = tanh(βm).

    Random-sequential Glauber dynamics from the ordered state for each N. The mean-field
    solution m(T) (:func:`statnn.theory.curie_weiss_magnetization`) and e = −m²/2 hold for
    N → ∞; at finite N, ⟨|m|⟩ stays O(1/√N) above T_c = 1.

    Parameters
    ----------
    size, seed, backend, device, progress
        As in :func:`statnn.experiments.hopfield_recall`.
    **overrides
        ``N``, ``T``, ``sweeps``, ``burn_in``, ``chains``.

    Returns
    -------
    xarray.Dataset
        ``abs_magnetization``, ``energy``, ``susceptibility``, ``binder`` with ``*_err``
        (N, T); ``m_theory`` and ``e_theory`` on ``T_theory``.
    """
    call = start_experiment(
        "curie_weiss", CW_SIZES, size, seed, backend, overrides, device=device, progress=progress
    )
    p = call.params
    Ns = [int(n) for n in p["N"]]
    T = np.asarray(p["T"], dtype=float)
    keys = ("abs_magnetization", "energy", "susceptibility", "binder")
    data, errs, diags = _summaries_per_size(
        curie_weiss_model,
        Ns,
        T,
        call.seed,
        keys,
        progress=progress,
        desc="Curie-Weiss sizes",
        sweeps=p["sweeps"],
        burn_in=p["burn_in"],
        chains=p["chains"],
        init="ones",
        backend=call.backend,
        device=call.device,
    )
    T_theory = np.linspace(0.01, max(2.0, T.max()), 300)
    m_theory = np.asarray(theory.curie_weiss_magnetization(T_theory))
    variables = _with_errors(("N", "T"), data, errs, _SUMMARY)
    variables.update(_diagnostic_variables(("N", "T"), diags))
    variables["m_theory"] = ("T_theory", m_theory, {"long_name": "solution of m = tanh(m/T)"})
    variables["e_theory"] = ("T_theory", -0.5 * m_theory**2, {"long_name": "-m^2/2"})
    ds = xr.Dataset(
        variables,
        coords={
            "N": ("N", np.asarray(Ns), {"long_name": "number of spins"}),
            "T": ("T", T, {"long_name": "temperature"}),
            "T_theory": T_theory,
        },
    )
    return call.finish(
        ds, experiment="curie-weiss", title="Curie-Weiss magnetization vs m = tanh(beta m)"
    )


SK_SIZES = {
    "tiny": dict(
        N=[32],
        T=[0.4, 0.8, 1.2, 1.6],
        samples=1,
        pairs=2,
        sweeps=200,
        burn_in=100,
        record_every=5,
        ladder="given",
    ),
    "quick": dict(
        N=[32, 64, 128],
        T=np.round(np.linspace(0.3, 1.6, 14), 3).tolist(),
        samples=8,
        pairs=4,
        sweeps=1000,
        burn_in=500,
        record_every=5,
        ladder="given",
    ),
    "full": dict(
        N=[32, 64, 128, 256, 512],
        T=np.round(np.linspace(0.2, 1.6, 25), 3).tolist(),
        samples=32,
        pairs=4,
        sweeps=20000,
        burn_in=10000,
        record_every=10,
        ladder="given",
    ),
}


def _jackknife_g(q2: np.ndarray, q4: np.ndarray) -> tuple[float, float]:
    """Spin-glass Binder parameter g = ½(3 − [⟨q⁴⟩]/[⟨q²⟩]²) over disorder samples, with a
    leave-one-sample-out :func:`statnn.stats.jackknife` error (nan for one sample)."""
    g, g_err = jackknife(lambda a2, a4: 0.5 * (3.0 - a4 / a2**2), q2, q4, n_blocks=len(q2))
    return float(g), float(g_err)


def sk_glass(
    size: str = "quick",
    *,
    seed: int = 0,
    backend: str | None = None,
    device: str | None = None,
    progress: bool = False,
    **overrides,
) -> xr.Dataset:
    """SK spin glass: energy and replica overlap q vs T with parallel tempering.

    For each N and each of ``samples`` disorder samples (Gaussian J_ij of variance 1/N),
    2·``pairs`` chains run at every temperature with replica exchange between neighbouring
    temperatures after every ``record_every`` sweeps, burn-in included
    (``simulate(..., tempering=True)``). Chains 2k and 2k + 1 are two independent replicas
    of the same sample at the same temperature; their overlap q = (1/N) Σ_i S_i^a S_i^b is
    the run's ``replica_overlap``, recorded after each exchange round, and ⟨|q|⟩, the
    energy per spin and the Binder parameter g = ½(3 − [⟨q⁴⟩]/[⟨q²⟩]²) are averaged over
    records, pairs and samples. Beside them the replica-symmetric energy and overlap
    (:func:`statnn.theory.sk_rs_energy`, :func:`statnn.theory.sk_rs_overlap`; exact above
    T = 1, an approximation below) and Parisi's ground-state energy −0.7633.

    Parameters
    ----------
    size, seed, backend, device, progress
        As in :func:`statnn.experiments.hopfield_recall`.
    **overrides
        ``N``, ``T``, ``samples``, ``pairs``, ``sweeps``, ``burn_in``, ``record_every``,
        ``ladder``: ``"given"`` (the temperatures ``T``), ``"geometric"`` (as many,
        geometric between min and max of ``T``) or ``"auto"`` (as many, tuned toward
        equal swap acceptance by :func:`statnn.dynamics.tempering.tune_ladder` on the
        first disorder sample of the largest N, before the runs; the ``T`` coordinate is
        the ladder used).

    Returns
    -------
    xarray.Dataset
        ``energy``, ``abs_q``, ``q2``, ``g`` with ``*_err`` (N, T); ``swap_acceptance``
        (N, T_pair); ``round_trip_rate`` and ``barrier`` Λ (N); ``rhat_energy``,
        ``ess_bulk_energy`` (worst disorder sample), ``converged`` (N, T); ``rs_energy``,
        ``rs_q`` on ``T_theory``.
    """
    call = start_experiment(
        "sk_glass", SK_SIZES, size, seed, backend, overrides, device=device, progress=progress
    )
    p = call.params
    Ns = [int(n) for n in p["N"]]
    T = np.sort(np.asarray(p["T"], dtype=float))
    samples, pairs, every = int(p["samples"]), int(p["pairs"]), int(p["record_every"])
    ladder = check_choice(p["ladder"], "ladder", "sk_glass", ("given", "geometric", "auto"))
    if ladder == "geometric":
        T = np.geomspace(T[0], T[-1], len(T))
    elif ladder == "auto":  # tuned once, on the first disorder sample of the largest N
        T, _ = tune_ladder(
            sk(
                Ns[-1],
                seed=child_seeds(call.seed, 3 * len(Ns) * samples)[3 * (len(Ns) - 1) * samples],
            ),
            float(T[0]),
            float(T[-1]),
            len(T),
            chains=2 * pairs,
            record_every=every,
            seed=call.seed,
            caller="sk_glass",
            backend=call.backend,
        )
    n_burn = -(-int(p["burn_in"]) // every)
    n_rec = max(1, int(p["sweeps"]) // every)
    shape = (len(Ns), len(T))
    out = {k: np.full(shape, np.nan) for k in ("energy", "abs_q", "q2", "g")}
    err = {k: np.full(shape, np.nan) for k in out}
    swaps = np.full((len(Ns), len(T) - 1), np.nan)
    trips = np.full(len(Ns), np.nan)
    lam = np.full(len(Ns), np.nan)
    rhat_e = np.full(shape, np.nan)
    ess_e = np.full(shape, np.nan)
    seeds = child_seeds(call.seed, 3 * len(Ns) * samples)
    jobs = [(i, s) for i in range(len(Ns)) for s in range(samples)]
    per_unit = {
        i: {"e": [], "q": [], "q2": [], "q4": [], "swap": [], "trips": [], "rhat": [], "ess": []}
        for i in range(len(Ns))
    }
    for i, smp in progress_bar(jobs, enabled=progress, desc="SK samples"):
        k = 3 * (i * samples + smp)
        with warnings.catch_warnings():  # one warning for the whole experiment, below
            warnings.simplefilter("ignore", ConvergenceWarning)
            run = simulate(
                sk(Ns[i], seed=seeds[k]),
                T,
                sweeps=n_rec * every,
                burn_in=n_burn * every,
                chains=2 * pairs,
                record_every=every,
                tempering=True,
                backend=call.backend,
                device=call.device,
                seed=seeds[k + 1],
            )
        q_rec = run.replica_overlap  # (T, pairs, records): chains 2k and 2k + 1
        unit = per_unit[i]
        unit["e"].append(run.energy.mean(axis=2))  # (T, chains)
        unit["q"].append(np.abs(q_rec).mean(axis=2))  # (T, pairs)
        unit["q2"].append((q_rec**2).mean(axis=2))
        unit["q4"].append((q_rec**4).mean(axis=2))
        unit["swap"].append(run.swap_acceptance)
        unit["trips"].append(run.round_trip_rate)
        unit["rhat"].append(rhat(run.energy))
        unit["ess"].append(ess(run.energy))
    for i in range(len(Ns)):
        flat = ("swap", "trips", "rhat", "ess")
        unit = {k: np.concatenate(v, axis=1) for k, v in per_unit[i].items() if k not in flat}
        for key, src in (("energy", "e"), ("abs_q", "q"), ("q2", "q2")):
            x = unit[src]
            out[key][i] = x.mean(axis=1)
            err[key][i] = x.std(axis=1, ddof=1) / np.sqrt(x.shape[1]) if x.shape[1] > 1 else np.nan
        for t in range(len(T)):
            out["g"][i, t], err["g"][i, t] = _jackknife_g(unit["q2"][t], unit["q4"][t])
        swaps[i] = np.mean(per_unit[i]["swap"], axis=0)
        trips[i] = np.mean(per_unit[i]["trips"])
        lam[i] = barrier(swaps[i])
        rhat_e[i] = np.max(per_unit[i]["rhat"], axis=0)  # the worst disorder sample
        ess_e[i] = np.min(per_unit[i]["ess"], axis=0)
    bad = unconverged(rhat_e, ess_e)
    if bad.any():
        where = "; ".join(
            f"N = {Ns[i]}, T = {T[t]:g}" for i, t in zip(*np.nonzero(bad), strict=True)
        )
        warnings.warn(
            f"sk_glass: not converged (R-hat > 1.01 or bulk ESS < 100 for the energy of some "
            f"disorder sample) at {where}: use more sweeps or burn_in (variable 'converged').",
            ConvergenceWarning,
            stacklevel=2,
        )
    T_theory = np.linspace(0.05, max(2.0, T.max()), 200)
    long_names = {
        "energy": "energy per spin E/N",
        "abs_q": "replica overlap <|q|>",
        "q2": "<q^2>",
        "g": "Binder parameter g = (3 - [<q^4>]/[<q^2>]^2)/2",
    }
    variables = _with_errors(("N", "T"), out, err, long_names)
    variables["swap_acceptance"] = (
        ("N", "T_pair"),
        swaps,
        {"long_name": "replica-exchange acceptance between T[k] and T[k+1]"},
    )
    variables["round_trip_rate"] = (
        "N",
        trips,
        {
            "long_name": "round trips coldest -> hottest -> coldest per replica ladder and sweep",
            "units": "1/sweep",
        },
    )
    variables["barrier"] = (
        "N",
        lam,
        {"long_name": "global communication barrier sum_k (1 - swap_acceptance_k)", "units": "1"},
    )
    variables["rhat_energy"] = (
        ("N", "T"),
        rhat_e,
        {"long_name": "rank-normalised split R-hat of the energy (worst sample)", "units": "1"},
    )
    variables["ess_bulk_energy"] = (
        ("N", "T"),
        ess_e,
        {"long_name": "bulk effective sample size of the energy (smallest sample)", "units": "1"},
    )
    variables["converged"] = (
        ("N", "T"),
        (~bad).astype(np.int8),
        {
            "long_name": "1 where R-hat <= 1.01 and bulk ESS >= 100 for the energy, else 0",
            "units": "1",
        },
    )
    variables["rs_energy"] = ("T_theory", np.asarray(theory.sk_rs_energy(T_theory)))
    variables["rs_q"] = ("T_theory", np.asarray(theory.sk_rs_overlap(T_theory)))
    ds = xr.Dataset(
        variables,
        coords={
            "N": ("N", np.asarray(Ns), {"long_name": "number of spins"}),
            "T": ("T", T, {"long_name": "temperature"}),
            "T_pair": 0.5 * (T[:-1] + T[1:]),
            "T_theory": T_theory,
        },
    )
    ds.attrs["ground_state_energy"] = float(theory.SK_GROUND_STATE_ENERGY)
    ds.attrs["ladder"] = ladder
    return call.finish(
        ds, experiment="sk-glass", title="SK spin glass with parallel tempering vs replica symmetry"
    )
