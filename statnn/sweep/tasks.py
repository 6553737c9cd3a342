"""The built-in sweep tasks: ``"simulate"`` (any model through :func:`statnn.simulate`)
and ``"recall"`` (Hopfield retrieval through :func:`statnn.recall`)."""

from __future__ import annotations

import inspect
import itertools
import numbers
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from statnn._validation import (
    check_bool,
    check_choice,
    check_int,
    check_real,
    check_temperatures,
    param_error,
)
from statnn.results import DIMENSIONLESS, ENERGY, VARIABLE_ATTRS
from statnn.sweep.registry import register_task
from statnn.sweep.spec import check_seed_value

_MODELS = ("ising", "curie_weiss", "sk", "hopfield")
_MODEL_PARAMS = {
    "ising": {"L", "shape", "dim", "J", "field", "periodic"},
    "curie_weiss": {"N", "J", "field"},
    "sk": {"N", "J", "J0", "field", "distribution", "disorder_seed"},
    "hopfield": {"N", "alpha", "P", "rule", "kappa", "dilution", "disorder_seed"},
}
#: What the tasks pass on to :func:`statnn.simulate` / :func:`statnn.recall` as given (the
#: sweep's ``dynamics`` goes as their update rule, see :func:`_forwarded`).
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


# ------------------------------------------------------------------ parameter values
# Each check is the library's own (statnn._validation, the library's option tuples), with
# the bounds the library applies, so that a bad value is refused before any point runs
# instead of failing (or being silently converted) when its point is reached.


def _int(minimum: int, maximum: int | None = None):
    def check(value, name, caller):
        value = check_int(value, name, caller, minimum=minimum)
        if maximum is not None and value > maximum:
            raise param_error(name, caller, f"an int in [{minimum}, {maximum}]", value)

    return check


def _real(minimum=None, maximum=None, strict_minimum=False):
    def check(value, name, caller):
        check_real(value, name, caller, minimum, maximum, strict_minimum=strict_minimum)

    return check


def _choice(options: Callable[[], tuple]):
    def check(value, name, caller):
        check_choice(value, name, caller, options())

    return check


def _bool(value, name, caller):
    check_bool(value, name, caller)


def _temperatures(value, name, caller):
    """One temperature >= 0, or (under [fixed]) a non-empty list of them: real numbers
    only (a string such as "1.0" is refused, not converted)."""
    values = value if isinstance(value, list) and value else [value]
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise param_error(name, caller, "a float or list of floats >= 0", value)
    check_temperatures(values, caller, name)


def _shape(value, name, caller):
    expected = "a list of 1 to 3 side lengths >= 2"
    if not isinstance(value, list) or not 1 <= len(value) <= 3:
        raise param_error(name, caller, expected, value)
    for side in value:
        if isinstance(side, bool) or not isinstance(side, int) or side < 2:
            raise param_error(name, caller, expected, value)


def _device(value, name, caller):
    if value is not None and (not isinstance(value, str) or not value):
        raise param_error(name, caller, "a device name such as 'cpu' or 'cuda:0'", value)


def _backends() -> tuple:
    from statnn.dynamics.backends import BACKENDS

    return tuple(BACKENDS)


def _update_rules() -> tuple:
    from statnn.dynamics.backends import RULES

    return RULES


def _schedules() -> tuple:
    from statnn.dynamics.backends import SCHEDULES

    return SCHEDULES


def _learning_rules() -> tuple:
    from statnn.memory.networks import RULES

    return RULES


#: name -> check(value, name, caller) for every parameter of the built-in tasks.
_PARAM_CHECKS: dict[str, Callable[[Any, str, str], None]] = {
    "L": _int(2),
    "shape": _shape,
    "dim": _int(1, 3),
    "N": _int(2),
    "J": _real(),
    "J0": _real(),
    "field": _real(),
    "periodic": _bool,
    "distribution": _choice(lambda: ("gaussian", "pm1")),
    "alpha": _real(0.0, strict_minimum=True),
    "P": _int(1),
    "rule": _choice(_learning_rules),
    "kappa": _real(0.0),
    "dilution": _real(0.0, 1.0, strict_minimum=True),
    "disorder_seed": check_seed_value,
    "T": _temperatures,
    "sweeps": _int(1),
    "burn_in": _int(0),
    "chains": _int(1),
    "record_every": _int(1),
    "dynamics": _choice(_update_rules),
    "schedule": _choice(_schedules),
    "init": _choice(lambda: ("random", "ones")),
    "backend": _choice(_backends),
    "device": _device,
    "seed": check_seed_value,
    "tempering": _bool,
    "noise": _real(0.0, 1.0),
    "mask": _real(0.0, 1.0),
    "threshold": _real(),
    "average": _int(0),
}


def _combinations(names: tuple[str, ...], fixed: Mapping, grid: Mapping) -> Iterator[dict]:
    """Every combination of the values ``names`` take in the sweep (those given)."""
    given = [n for n in names if n in fixed or n in grid]
    lists = [grid[n] if n in grid else [fixed[n]] for n in given]
    for combo in itertools.product(*lists):
        yield dict(zip(given, combo, strict=True))


def _where(name: str, grid: Mapping) -> str:
    return f"grid.{name}" if name in grid else f"fixed.{name}"


def _default(function: str, name: str) -> Any:
    """The library's default for ``name`` in :func:`statnn.simulate` or :func:`statnn.recall`."""
    if function == "simulate":
        from statnn.dynamics.sampling import simulate as func
    else:
        from statnn.memory.retrieval import recall as func
    return inspect.signature(func).parameters[name].default


def _check_values(fixed: Mapping, grid: Mapping, caller: str) -> None:
    """Check every value of every parameter, then the constraints between parameters over
    every combination of their values: together, every point of the grid."""
    for name, value in fixed.items():
        _PARAM_CHECKS[name](value, f"fixed.{name}", caller)
    for name, values in grid.items():
        for value in values:
            _PARAM_CHECKS[name](value, f"grid.{name}", caller)
    for names, check in _JOINT_CHECKS:
        for c in _combinations(names, fixed, grid):
            if names[0] in c:
                check(c, _where(names[0], grid), caller)


def _record_every(c: Mapping, where: str, caller: str) -> None:
    sweeps = c.get("sweeps", _default("simulate", "sweeps"))
    if c["record_every"] > sweeps:
        raise param_error(where, caller, f"an int <= sweeps ({sweeps})", c["record_every"])


def _average(c: Mapping, where: str, caller: str) -> None:
    sweeps = c.get("sweeps", _default("recall", "sweeps"))
    if c["average"] > sweeps:
        raise param_error(where, caller, f"an int <= sweeps ({sweeps})", c["average"])


def _mask(c: Mapping, where: str, caller: str) -> None:
    noise = c.get("noise", _default("recall", "noise"))
    if c["mask"] > 1 - noise:
        raise param_error(where, caller, f"a fraction <= 1 - noise = {1 - noise:g}", c["mask"])


def _alpha(c: Mapping, where: str, caller: str) -> None:
    if "N" in c and round(c["alpha"] * c["N"]) < 1:
        raise param_error(
            where,
            caller,
            f"a load with at least one pattern, round(alpha N) >= 1 (N = {c['N']})",
            c["alpha"],
        )


#: Constraints between parameters: (the names involved, the first one's check), applied
#: to every combination of their values in the sweep.
_JOINT_CHECKS = (
    (("record_every", "sweeps"), _record_every),
    (("average", "sweeps"), _average),
    (("mask", "noise"), _mask),
    (("alpha", "N"), _alpha),
)


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
    _check_values({k: v for k, v in fixed.items() if k != "model"}, _grid_without(grid), caller)


def _check_recall(names, fixed, grid, caller) -> None:
    if "model" in names:
        _models_in_play(fixed, grid, caller, allowed=("hopfield",))
    required = {("N",): "the number of neurons N", ("alpha", "P"): "the load alpha or P"}
    _check_names(names, fixed, grid, caller, _RECALL_PARAMS, required)
    _check_values({k: v for k, v in fixed.items() if k != "model"}, _grid_without(grid), caller)


def _grid_without(grid: Mapping, name: str = "model") -> dict:
    return {k: v for k, v in grid.items() if k != name}


# ------------------------------------------------------------------------ the models


def _disorder_seed(p: Mapping) -> int | None:
    """The seed of the quenched disorder (SK couplings, Hopfield patterns and dilution):
    ``disorder_seed`` if given, else one derived from the point's ``seed``."""
    if p.get("disorder_seed") is not None:
        return p["disorder_seed"]
    if p.get("seed") is None:
        return None
    return int(np.random.SeedSequence([p["seed"], 0x5EED]).generate_state(1)[0])


def _build_network(p: Mapping):
    """``(network, patterns or None)`` of the point's model, from the library's own
    constructors (``ising``, ``curie_weiss``, ``sk``, ``random_patterns`` + ``hopfield``)."""
    from statnn.core.models import curie_weiss, ising, sk
    from statnn.memory import hopfield, random_patterns

    model = p.get("model", "hopfield")
    options = {k: p[k] for k in _MODEL_OPTIONS[model] if k in p}
    if model == "ising":
        shape = tuple(p["shape"]) if "shape" in p else (p["L"],) * p.get("dim", 2)
        return ising(shape, **options), None
    if model == "curie_weiss":
        return curie_weiss(p["N"], **options), None
    if model == "sk":
        return sk(p["N"], seed=_disorder_seed(p), **options), None
    n = p["N"]
    n_patterns = p["P"] if "P" in p else round(p["alpha"] * n)
    xi = random_patterns(n_patterns, n, seed=_disorder_seed(p))
    if "dilution" in options:
        options["seed"] = _disorder_seed(p)
    return hopfield(xi, **options), xi


#: The options each model's constructor takes under the same name.
_MODEL_OPTIONS = {
    "ising": ("J", "field", "periodic"),
    "curie_weiss": ("J", "field"),
    "sk": ("J", "J0", "field", "distribution"),
    "hopfield": ("rule", "kappa", "dilution"),
}


def _per_T(values: Mapping[str, Any], T: Any):
    """A Dataset with a ``T`` axis when ``T`` is a list, scalars otherwise."""
    import xarray as xr

    if isinstance(T, list):
        return xr.Dataset({k: ("T", np.asarray(v)) for k, v in values.items()}, coords={"T": T})
    return xr.Dataset({k: ((), np.asarray(v).reshape(-1)[0]) for k, v in values.items()})


def _backend_name(p: Mapping) -> str:
    from statnn.dynamics.backends import DEFAULT_BACKEND

    return p.get("backend") or DEFAULT_BACKEND


def _forwarded(p: Mapping, names: tuple[str, ...], func: Callable) -> dict:
    """Keyword arguments for ``func`` (simulate or recall): those of ``names`` that ``p``
    gives, and the sweep's ``dynamics`` (glauber or metropolis) under the name ``func``
    gives the update rule (``dynamics``, formerly ``rule``)."""
    kwargs = {k: p[k] for k in names if k in p}
    if "dynamics" in p:
        takes = inspect.signature(func).parameters
        kwargs["dynamics" if "dynamics" in takes else "rule"] = p["dynamics"]
    return kwargs


def _task_result(values: Mapping[str, Any], T: Any, p: Mapping, **attrs):
    """:func:`_per_T` of ``values``, its attributes the backend and device used and ``attrs``."""
    ds = _per_T(values, T)
    ds.attrs.update(backend=_backend_name(p), device=p.get("device") or "cpu", **attrs)
    return ds


# ------------------------------------------------------------------------ the labels

#: Units and long names, in the vocabulary of :mod:`statnn.results` (reduced units: J the
#: coupling scale, k_B = 1; "1" dimensionless).
_PARAM_LABELS: dict[str, tuple[str, str]] = {
    "model": (DIMENSIONLESS, "model"),
    "L": (DIMENSIONLESS, "lattice side L"),
    "shape": (DIMENSIONLESS, "lattice side lengths"),
    "dim": (DIMENSIONLESS, "lattice dimension"),
    "N": (DIMENSIONLESS, "number of neurons N"),
    "J": (ENERGY, "coupling scale J"),
    "J0": (ENERGY, "mean coupling J0 (SK)"),
    "field": (ENERGY, "external field H"),
    "periodic": (DIMENSIONLESS, "periodic boundaries"),
    "distribution": (DIMENSIONLESS, "distribution of the SK couplings"),
    "alpha": (DIMENSIONLESS, "load alpha = P/N asked for"),
    "P": (DIMENSIONLESS, "number of stored patterns P"),
    "rule": (DIMENSIONLESS, "learning rule"),
    "kappa": (DIMENSIONLESS, "Gardner stability margin kappa"),
    "dilution": (DIMENSIONLESS, "connectivity c (fraction of couplings kept)"),
    "disorder_seed": (DIMENSIONLESS, "seed of the quenched disorder"),
    "T": VARIABLE_ATTRS["T"],
    "sweeps": (DIMENSIONLESS, "Monte Carlo sweeps (N update attempts each)"),
    "burn_in": (DIMENSIONLESS, "burn-in sweeps discarded"),
    "chains": (DIMENSIONLESS, "independent chains"),
    "record_every": (DIMENSIONLESS, "sweeps between records"),
    "dynamics": (DIMENSIONLESS, "update rule"),
    "schedule": (DIMENSIONLESS, "update schedule"),
    "init": (DIMENSIONLESS, "initial state"),
    "backend": (DIMENSIONLESS, "dynamics backend"),
    "device": (DIMENSIONLESS, "device"),
    "seed": (DIMENSIONLESS, "seed the point's task received"),
    "tempering": (DIMENSIONLESS, "replica exchange between temperatures"),
    "noise": (DIMENSIONLESS, "fraction of cue spins flipped"),
    "mask": (DIMENSIONLESS, "fraction of cue spins set to zero"),
    "threshold": (DIMENSIONLESS, "overlap counted as a retrieval"),
    "average": (DIMENSIONLESS, "final sweeps averaged"),
}
#: The simulate task returns Run.summary() columns: the shared labels of statnn.results.
_SIMULATE_LABELS = {
    **_PARAM_LABELS,
    **{
        name: VARIABLE_ATTRS[name]
        for name in (
            "energy",
            "magnetization",
            "abs_magnetization",
            "specific_heat",
            "susceptibility",
            "binder",
            "tau_energy",
            "tau_abs_magnetization",
            "overlap",
            "q_abs",
            "q2",
            "acceptance",
        )
    },
}
_RECALL_LABELS = {
    **_PARAM_LABELS,
    "overlap": (
        DIMENSIONLESS,
        "final overlap with the cued pattern (mean over patterns and chains)",
    ),
    "retrieval_rate": (DIMENSIONLESS, "fraction of cues retrieved (overlap >= threshold)"),
    "initial_overlap": (DIMENSIONLESS, "overlap of the cue with its pattern"),
    "converged": (DIMENSIONLESS, "fraction of T = 0 runs that reached a fixed point"),
    "mean_sweeps": (DIMENSIONLESS, "mean sweeps run"),
    "n_patterns": (DIMENSIONLESS, "number of stored patterns P"),
    "pattern_load": (DIMENSIONLESS, "load P/N actually stored (P = round(alpha N) or P)"),
}


# ------------------------------------------------------------------------- the tasks


@register_task("simulate", check=_check_simulate, labels=_SIMULATE_LABELS)
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
    ``chains``, ``dynamics`` (glauber or metropolis: simulate's update rule),
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

    net, _ = _build_network(p)
    T = p["T"]
    run = simulate(net, T=T, **_forwarded(p, _SIMULATE_ARGS, simulate))
    values = {k: v for k, v in run.summary().items() if k != "T"}
    values["acceptance"] = run.acceptance.mean(axis=1)
    return _task_result(values, T, p, n=int(net.n))


@register_task("recall", check=_check_recall, labels=_RECALL_LABELS)
def recall_task(**p) -> Any:
    """Hopfield recall: store random patterns, cue corrupted copies, measure the overlap.

    Parameters: ``N``, ``alpha`` (P = round(αN)) or ``P``, ``rule`` (learning rule),
    ``kappa``, ``dilution``, ``disorder_seed`` (patterns; default derived from ``seed``),
    and :func:`statnn.recall`'s ``T`` (number, or list for a ``T`` axis), ``noise``,
    ``mask``, ``sweeps``, ``chains``, ``threshold``, ``schedule``, ``dynamics``
    (its update rule), ``backend``, ``device``, ``seed``, ``average``.

    Returns
    -------
    xarray.Dataset
        ``overlap`` (mean final overlap with the cued pattern over patterns × chains) with
        ``overlap_err``, ``retrieval_rate``, ``initial_overlap``, ``converged`` (fraction
        of T = 0 runs at a fixed point), ``mean_sweeps``, ``n_patterns``,
        ``pattern_load`` (P/N); ``attrs``: backend, device.
    """
    from statnn.memory import recall

    net, xi = _build_network(p)
    T = p.get("T", 0.0)
    out = recall(net, xi, T=T, squeeze=False, **_forwarded(p, _RECALL_ARGS, recall))
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
        "pattern_load": np.full(n_t, len(xi) / net.n),
    }
    return _task_result(values, T, p)
