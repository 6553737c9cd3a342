"""The built-in sweep tasks: ``"simulate"`` (any model through :func:`statnn.simulate`)
and ``"recall"`` (Hopfield retrieval through :func:`statnn.recall`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from statnn._validation import param_error
from statnn.sweep.registry import register_task

_MODELS = ("ising", "curie_weiss", "sk", "hopfield")
_MODEL_PARAMS = {
    "ising": {"L", "shape", "dim", "J", "field", "periodic"},
    "curie_weiss": {"N", "J", "field"},
    "sk": {"N", "J", "J0", "field", "distribution", "disorder_seed"},
    "hopfield": {"N", "alpha", "P", "rule", "kappa", "dilution", "disorder_seed"},
}
#: What the tasks pass on to :func:`statnn.simulate` / :func:`statnn.recall` as given (the
#: sweep's ``dynamics`` goes as their ``rule``, see :func:`_forwarded`).
_SIMULATE_ARGS = (
    "sweeps",
    "burn_in",
    "chains",
    "schedule",
    "init",
    "backend",
    "device",
    "record_every",
    "seed",
    "tempering",
)
_RECALL_ARGS = (
    "noise",
    "mask",
    "sweeps",
    "chains",
    "threshold",
    "schedule",
    "backend",
    "device",
    "seed",
    "average",
)
#: Every name a sweep file may give the task (models add theirs, ``_MODEL_PARAMS``).
_SIMULATE_PARAMS = {"model", "T", "dynamics", *_SIMULATE_ARGS}
_RECALL_PARAMS = {"model", "T", "dynamics", *_RECALL_ARGS} | _MODEL_PARAMS["hopfield"]


def _models_in_play(fixed: Mapping, grid: Mapping, caller: str, allowed=_MODELS) -> list[str]:
    if "model" in fixed:
        models, where = [fixed["model"]], "fixed.model"
    elif "model" in grid:
        models, where = list(grid["model"]), "grid.model"
    else:
        raise param_error(
            "model", caller, "given, one of " + ", ".join(map(repr, allowed)), "<nothing>"
        )
    for m in models:
        if m not in allowed:
            raise param_error(where, caller, "one of " + ", ".join(map(repr, allowed)), m)
    return models


def _check_names(names, fixed, grid, caller, allowed: set, required_any: Mapping) -> None:
    for name in names:
        if name not in allowed:
            where = f"grid.{name}" if name in grid else f"fixed.{name}"
            raise param_error(
                where,
                caller,
                "a parameter of this task (one of " + ", ".join(sorted(allowed)) + ")",
                grid.get(name, fixed.get(name)),
            )
    for group, text in required_any.items():
        if not any(n in names for n in group):
            raise param_error(group[0], caller, f"given ({text})", "<nothing>")


def _check_simulate(names, fixed, grid, caller) -> None:
    models = _models_in_play(fixed, grid, caller)
    allowed = set(_SIMULATE_PARAMS).union(*(_MODEL_PARAMS[m] for m in models))
    required: dict = {("T",): "the temperature(s)"}
    if "ising" in models:
        required[("L", "shape")] = "the lattice size L (or shape) of the Ising model"
    if set(models) - {"ising"}:
        required[("N",)] = "the number of neurons N"
    if "hopfield" in models:
        required[("alpha", "P")] = "the load alpha = P/N or the number of patterns P"
    _check_names(names, fixed, grid, caller, allowed, required)


def _check_recall(names, fixed, grid, caller) -> None:
    if "model" in names:
        _models_in_play(fixed, grid, caller, allowed=("hopfield",))
    required = {("N",): "the number of neurons N", ("alpha", "P"): "the load alpha or P"}
    _check_names(names, fixed, grid, caller, _RECALL_PARAMS, required)


def _disorder_seed(p: Mapping) -> int | None:
    if p.get("disorder_seed") is not None:
        return int(p["disorder_seed"])
    if p.get("seed") is None:
        return None
    return int(np.random.SeedSequence([int(p["seed"]), 0x5EED]).generate_state(1)[0])


def _n_patterns(p: Mapping) -> int:
    if "P" in p:
        return int(p["P"])
    return max(1, int(round(float(p["alpha"]) * int(p["N"]))))


def _hopfield_net(p: Mapping):
    from statnn.memory import hopfield, random_patterns

    n = int(p["N"])
    xi = random_patterns(_n_patterns(p), n, seed=_disorder_seed(p))
    kwargs = {k: p[k] for k in ("kappa", "dilution") if k in p}
    if "dilution" in kwargs:
        kwargs["seed"] = _disorder_seed(p)
    return hopfield(xi, rule=p.get("rule", "hebbian"), **kwargs), xi


def _build_network(p: Mapping):
    from statnn.core.models import curie_weiss, ising, sk

    model = p["model"]
    if model == "ising":
        shape = p["shape"] if "shape" in p else (p["L"],) * int(p.get("dim", 2))
        return ising(
            tuple(shape),
            J=p.get("J", 1.0),
            field=p.get("field", 0.0),
            periodic=p.get("periodic", True),
        )
    if model == "curie_weiss":
        return curie_weiss(p["N"], J=p.get("J", 1.0), field=p.get("field", 0.0))
    if model == "sk":
        kwargs = {k: p[k] for k in ("J", "J0", "field", "distribution") if k in p}
        return sk(p["N"], seed=_disorder_seed(p), **kwargs)
    return _hopfield_net(p)[0]


def _per_T(values: Mapping[str, Any], T: Any):
    """A Dataset with a ``T`` axis when ``T`` is a list, scalars otherwise."""
    import xarray as xr

    if isinstance(T, list):
        return xr.Dataset({k: ("T", np.asarray(v)) for k, v in values.items()}, coords={"T": T})
    return xr.Dataset({k: ((), np.asarray(v).reshape(-1)[0]) for k, v in values.items()})


def _backend_name(p: Mapping) -> str:
    from statnn.dynamics.backends import DEFAULT_BACKEND

    return p.get("backend") or DEFAULT_BACKEND


def _forwarded(p: Mapping, names: tuple[str, ...]) -> dict:
    """Keyword arguments for a task's function: those of ``names`` that ``p`` gives, and the
    sweep's ``dynamics`` (glauber or metropolis) as the function's ``rule``."""
    kwargs = {k: p[k] for k in names if k in p}
    if "dynamics" in p:
        kwargs["rule"] = p["dynamics"]
    return kwargs


def _task_result(values: Mapping[str, Any], T: Any, p: Mapping, **attrs):
    """:func:`_per_T` of ``values``, its attributes the backend and device used and ``attrs``."""
    ds = _per_T(values, T)
    ds.attrs.update(backend=_backend_name(p), device=p.get("device") or "cpu", **attrs)
    return ds


@register_task("simulate", check=_check_simulate)
def simulate_task(**p) -> Any:
    """Build ``model`` from the parameters and run :func:`statnn.simulate`.

    Parameters (names in sweep files): ``model`` (ising, curie_weiss, sk, hopfield);
    Ising ``L`` (side, with ``dim``, default 2) or ``shape``, ``J``, ``field``,
    ``periodic``; Curie–Weiss ``N``, ``J``, ``field``; SK ``N``, ``J``, ``J0``,
    ``distribution``; Hopfield ``N``, ``alpha`` (P = round(αN)) or ``P``, ``rule``
    (learning rule: hebbian, pseudo_inverse, storkey, perceptron), ``kappa``,
    ``dilution``; ``disorder_seed`` for SK couplings / Hopfield patterns (default derived
    from ``seed``). Dynamics: ``T`` (a number, or a list in [fixed] for one run over all
    temperatures, which gives the results a ``T`` axis), ``sweeps``, ``burn_in``,
    ``chains``, ``dynamics`` (glauber or metropolis: simulate's ``rule``),
    ``schedule``, ``init``, ``backend``, ``device``, ``record_every``, ``seed``,
    ``tempering``.

    Returns
    -------
    xarray.Dataset
        :meth:`statnn.Run.summary` columns (energy, magnetization, abs_magnetization,
        specific_heat, susceptibility, binder with ``_err`` twins, tau_*, overlap for
        Hopfield) and ``acceptance``; ``attrs``: backend, device.
    """
    from statnn.dynamics.sampling import simulate

    net = _build_network(p)
    T = p["T"]
    run = simulate(net, T=T, **_forwarded(p, _SIMULATE_ARGS))
    values = {k: v for k, v in run.summary().items() if k != "T"}
    values["acceptance"] = run.acceptance.mean(axis=1)
    return _task_result(values, T, p, n=int(net.n))


@register_task("recall", check=_check_recall)
def recall_task(**p) -> Any:
    """Hopfield recall: store random patterns, cue corrupted copies, measure the overlap.

    Parameters: ``N``, ``alpha`` (P = round(αN)) or ``P``, ``rule`` (learning rule),
    ``kappa``, ``dilution``, ``disorder_seed`` (patterns; default derived from ``seed``),
    and :func:`statnn.recall`'s ``T`` (number, or list for a ``T`` axis), ``noise``,
    ``mask``, ``sweeps``, ``chains``, ``threshold``, ``schedule``, ``dynamics``
    (its ``rule``), ``backend``, ``device``, ``seed``, ``average``.

    Returns
    -------
    xarray.Dataset
        ``overlap`` (mean final overlap with the cued pattern over patterns × chains) with
        ``overlap_err``, ``retrieval_rate``, ``initial_overlap``, ``converged`` (fraction
        of T = 0 runs at a fixed point), ``mean_sweeps``, ``n_patterns``, ``load``
        (P/N); ``attrs``: backend, device.
    """
    from statnn.memory import recall

    net, xi = _hopfield_net(p)
    T = p.get("T", 0.0)
    out = recall(net, xi, T=T, squeeze=False, **_forwarded(p, _RECALL_ARGS))
    n_t = len(out.T)
    overlap = out.overlap.reshape(n_t, -1)
    count = overlap.shape[1]
    values = {
        "overlap": overlap.mean(axis=1),
        "overlap_err": overlap.std(axis=1, ddof=1) / np.sqrt(count)
        if count > 1
        else np.full(n_t, np.nan),
        "retrieval_rate": out.retrieved.reshape(n_t, -1).mean(axis=1),
        "initial_overlap": out.initial_overlap.reshape(n_t, -1).mean(axis=1),
        "converged": out.converged.reshape(n_t, -1).mean(axis=1),
        "mean_sweeps": out.sweeps.reshape(n_t, -1).mean(axis=1),
        "n_patterns": np.full(n_t, len(xi)),
        "load": np.full(n_t, len(xi) / net.n),
    }
    return _task_result(values, T, p)
