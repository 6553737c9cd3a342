"""Recall: cue stored patterns with corrupted copies, run the dynamics, measure overlaps.

All cued patterns (× ``chains`` independent cues each, × temperatures) are chains of one
:func:`statnn.dynamics.sampling` run, so every backend runs them in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from statnn._validation import (
    check_int,
    check_patterns,
    check_probability,
    check_real,
    check_spins,
    check_temperatures,
    param_error,
    renamed,
    seed_value,
)
from statnn._version import __version__
from statnn.core.couplings import pattern_projections
from statnn.core.network import Network, check_network
from statnn.dynamics.sampling import sampler


@dataclass(repr=False)
class RecallResult:
    """What :func:`recall` found. Leading axes ``(...)`` are ``(n_T, chains)``, each dropped
    when ``T`` was a scalar / ``chains == 1`` (unless ``squeeze=False``).

    Attributes
    ----------
    overlaps : (..., P_cued, P) float
        Final overlaps m_μ = (1/N) Σ_i ξ_i^μ S_i of every run with every stored pattern
        (time-averaged over the last ``average`` sweeps when ``average > 0``).
    overlap : (..., P_cued) float
        Final overlap with the cued pattern.
    initial_overlap : (..., P_cued) float
        Overlap of the cue with its pattern (1 − 2·noise − mask, up to the random mask).
    retrieved : (..., P_cued) bool
        ``overlap >= threshold``.
    threshold : float
        The retrieval threshold used.
    sweeps : (..., P_cued) int
        At T = 0: the number of sweeps after which the state was a fixed point (every
        neuron aligned with its field, S_i h_i ≥ 0), at least 1, capped at the ``sweeps``
        argument (then ``converged`` is False). At T > 0: the sweeps run.
    converged : (..., P_cued) bool
        T = 0 runs that reached a fixed point; always False at T > 0.
    states : (..., P_cued, N) int8
        Final states.
    cued : (P_cued,) int
        Indices of the cued patterns.
    T : (n_T,) float
        Temperatures.
    params : dict
        The arguments of the call, the network info and the package version.
    """

    overlaps: np.ndarray
    overlap: np.ndarray
    initial_overlap: np.ndarray
    retrieved: np.ndarray
    threshold: float
    sweeps: np.ndarray
    converged: np.ndarray
    states: np.ndarray
    cued: np.ndarray
    T: np.ndarray
    params: dict = field(default_factory=dict)

    @property
    def retrieval_rate(self) -> float:
        """Fraction of runs that retrieved their pattern."""
        return float(np.mean(self.retrieved))

    @property
    def mean_overlap(self) -> float:
        """Mean final overlap with the cued pattern over every run."""
        return float(np.mean(self.overlap))

    def __repr__(self) -> str:
        temps = ", ".join(f"{t:g}" for t in np.ravel(self.T)[:6])
        more = ", …" if np.size(self.T) > 6 else ""
        return (
            f"RecallResult(overlap shape={tuple(np.shape(self.overlap))}, "
            f"T=[{temps}{more}], cued={np.size(self.cued)} pattern(s), "
            f"mean_overlap={self.mean_overlap:.4g}, retrieval_rate={self.retrieval_rate:.4g}, "
            f"threshold={self.threshold:g}, seed={self.params.get('seed')!r})"
        )


@dataclass
class RelaxResult:
    """What :func:`relax` found; leading axes are ``(n_T, K)``: temperature, initial state.

    Item access (``out["states"]``) works as well as attributes, as when :func:`relax`
    returned a dict.

    Attributes
    ----------
    states : (n_T, K, N) int8
        Final states.
    sweeps : (n_T, K) int
        At T = 0: sweeps until the state was a fixed point (S_i h_i ≥ 0 for every i),
        capped at the ``sweeps`` argument; at T > 0: the sweeps run.
    converged : (n_T, K) bool
        T = 0 runs that reached a fixed point; always False at T > 0.
    overlaps : (n_T, K, P) float or None
        Final overlaps m_μ = (1/N) Σ_i ξ_i^μ S_i with the patterns (time-averaged over the
        last ``average`` sweeps when ``average > 0``); None without patterns.
    T : (n_T,) float
        Temperatures.
    params : dict
        The arguments of the call (with the seed actually used), the network info and the
        package version.
    """

    states: np.ndarray
    sweeps: np.ndarray
    converged: np.ndarray
    overlaps: np.ndarray | None
    T: np.ndarray
    params: dict = field(default_factory=dict)

    def __getitem__(self, key: str):
        if key == "params" or key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def keys(self):
        """The names of the arrays (dict-style access)."""
        return ("states", "sweeps", "converged", "overlaps", "T")

    def __repr__(self) -> str:
        n_T, K, N = self.states.shape
        return (
            f"RelaxResult(n_T={n_T}, K={K}, N={N}, "
            f"converged={int(np.count_nonzero(self.converged))}/{self.converged.size})"
        )


def corrupt(
    patterns: np.ndarray, noise: float, mask: float, rng: np.random.Generator
) -> np.ndarray:
    """Cues from patterns (..., N): flip round(noise·N) neurons, randomise round(mask·N).

    The two sets are disjoint and drawn uniformly without replacement per cue. Flipped
    neurons carry the wrong bit; masked neurons get independent uniformly random ±1
    values, i.e. zero information about the pattern (spins cannot be 0, so "masking"
    replaces a bit by a coin toss). The cue's overlap is 1 − 2·noise − mask on average,
    exactly 1 − 2·noise without a mask.
    """
    n = patterns.shape[-1]
    n_flip = int(round(noise * n))
    n_mask = int(round(mask * n))
    cues = patterns.reshape(-1, n).copy()
    if n_flip + n_mask == 0:
        return cues.reshape(patterns.shape)
    order = np.argsort(rng.random(cues.shape), axis=1)
    rows = np.arange(cues.shape[0])[:, None]
    if n_flip:
        flip = order[:, :n_flip]
        cues[rows, flip] = -cues[rows, flip]
    if n_mask:
        masked = order[:, n_flip : n_flip + n_mask]
        cues[rows, masked] = (2 * rng.integers(0, 2, size=masked.shape) - 1).astype(np.int8)
    return cues.reshape(patterns.shape)


def recall(
    net: Network,
    patterns=None,
    *,
    noise: float = 0.0,
    mask: float = 0.0,
    T=0.0,
    sweeps: int = 100,
    seed: int | None = None,
    backend: str | None = None,
    device: str | None = None,
    chains: int = 1,
    threshold: float = 0.9,
    schedule: str = "random",
    dynamics: str = "glauber",
    cue=None,
    average: int = 0,
    squeeze: bool = True,
    backend_options: dict | None = None,
    rule: str | None = None,
) -> RecallResult:
    """Cue stored patterns with corrupted copies and let the network relax.

    For every cued pattern ξ^ν and every chain, the initial state is ξ^ν with a fraction
    ``noise`` of the neurons flipped and a fraction ``mask`` set to random ±1 (see
    :func:`corrupt`). The dynamics (Glauber by default, at every temperature of ``T``)
    then runs; at T = 0 one sweep at a time until every chain is at a fixed point
    (S_i h_i ≥ 0 for all i; the test runs after each sweep in which a chain flipped no
    spin) or ``sweeps`` is reached; at T > 0 for ``sweeps`` sweeps. Asymmetric couplings
    (perceptron-learned, asymmetric dilution) are accepted: Glauber dynamics needs no
    energy function (the sampler gets ``allow_asymmetric=True``).

    Parameters
    ----------
    net : Network
        A network storing the patterns (e.g. :func:`statnn.memory.networks`).
    patterns : (P, N) array of ±1, optional
        The stored patterns: cues are made from them and overlaps measured against them.
        Defaults to ``net.patterns`` for Hebbian networks in pattern form.
    noise : float in [0, 1]
        Fraction of flipped neurons in a cue (initial overlap 1 − 2·noise).
    mask : float in [0, 1]
        Fraction of neurons replaced by random ±1 (zero information); noise + mask ≤ 1.
    T : float or sequence of floats >= 0
        Temperature(s).
    sweeps : int >= 1
        Sweeps to run (T > 0) or the cap on sweeps (T = 0).
    seed : int, optional
        Seeds the cues and the dynamics (recorded in ``params``; drawn when None).
    backend, device : str, optional
        Passed to :func:`statnn.sampler` (None: the package default backend).
    chains : int >= 1
        Independent cues (fresh corruption and dynamics) per pattern.
    threshold : float
        A run has retrieved its pattern when its final overlap is >= threshold.
    schedule, dynamics : str
        Update schedule and rule of the dynamics (see :func:`statnn.sampler`); ``rule``
        is the old name of ``dynamics`` (FutureWarning).
    backend_options : dict, optional
        Backend settings, as for :func:`statnn.sampler`.
    rule : str, optional
        Old name of ``dynamics`` (FutureWarning).
    cue : int or sequence of int, optional
        Indices of the patterns to cue (default: all).
    average : int >= 0
        If > 0, overlaps are averaged over the last ``average`` sweeps (a time average
        for T > 0; at T = 0 a converged run contributes its fixed point).
    squeeze : bool
        Drop the temperature axis for a scalar ``T`` and the chain axis for ``chains=1``.

    Returns
    -------
    RecallResult

    Examples
    --------
    >>> import statnn as sn
    >>> from statnn.memory import random_patterns, recall
    >>> xi = random_patterns(5, 200, seed=0)
    >>> out = recall(sn.hopfield(xi), xi, noise=0.1, seed=1)
    >>> out.overlaps.shape, bool(out.retrieved.all())
    ((5, 5), True)
    """
    caller = "recall"
    dynamics = renamed(caller, "rule", rule, "dynamics", dynamics, "glauber")
    net = check_network(net, caller)
    if patterns is None:
        patterns = net.patterns
        if patterns is None:
            raise param_error(
                "patterns",
                caller,
                "the stored (P, N) patterns for a network that does not keep them "
                "(only Hebbian pattern-form networks do)",
                None,
            )
    xi = check_patterns(patterns, caller, n=net.n)
    p, n = xi.shape
    cued = _cue_indices(cue, p, caller)
    noise = check_probability(noise, "noise", caller)
    mask = check_probability(mask, "mask", caller)
    if noise + mask > 1.0:
        raise param_error("mask", caller, f"a fraction <= 1 - noise = {1 - noise:g}", mask)
    scalar_T = np.ndim(T) == 0
    temps = check_temperatures(T, caller)
    sweeps = check_int(sweeps, "sweeps", caller, minimum=1)
    chains = check_int(chains, "chains", caller, minimum=1)
    threshold = check_real(threshold, "threshold", caller)
    average = check_int(average, "average", caller, minimum=0)
    if average > sweeps:
        raise param_error("average", caller, f"an int <= sweeps ({sweeps})", average)
    seed = seed_value(seed, caller)
    if not isinstance(squeeze, bool):
        raise param_error("squeeze", caller, "a bool", squeeze)

    options = {} if backend is None else {"backend": backend}
    s = sampler(
        net,
        temps,
        chains=chains * len(cued),
        dynamics=dynamics,
        schedule=schedule,
        device=device,
        allow_asymmetric=True,
        backend_options=backend_options,
        **options,
    )
    cue_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[2])
    targets = np.broadcast_to(xi[cued], (chains, len(cued), n))
    cues = corrupt(targets, noise, mask, cue_rng)  # (chains, P_cued, N)
    init = np.broadcast_to(cues.reshape(1, -1, n), (len(temps), chains * len(cued), n))
    state = s.init(init=init, seed=seed)

    final, mean_overlaps, steps, converged = _run(s, state, net, xi, temps, sweeps, average)

    shape = (len(temps), chains, len(cued))
    overlaps = mean_overlaps.reshape(*shape, p)
    own = np.take_along_axis(overlaps, np.broadcast_to(cued[:, None], (*shape, 1)), axis=-1)[..., 0]
    initial = _cue_overlaps(cues, xi, cued)
    out = {
        "overlaps": overlaps,
        "overlap": own,
        "initial_overlap": np.broadcast_to(initial, shape).copy(),
        "retrieved": own >= threshold,
        "sweeps": steps.reshape(shape),
        "converged": converged.reshape(shape),
        "states": final.reshape(*shape, n),
    }
    if squeeze:
        drop = tuple(a for a, flag in ((0, scalar_T), (1, chains == 1)) if flag)
        out = {k: np.squeeze(v, axis=drop) if drop else v for k, v in out.items()}
    params = dict(
        noise=noise,
        mask=mask,
        T=temps.tolist(),
        sweeps=sweeps,
        seed=seed,
        backend=s.backend,
        device=device,
        chains=chains,
        threshold=threshold,
        schedule=schedule,
        dynamics=dynamics,
        backend_options=dict(s.backend_options),
        cue=cued.tolist(),
        average=average,
        network=net.name,
        network_info=dict(net.info),
        version=__version__,
    )
    return RecallResult(**out, threshold=threshold, cued=cued, T=temps, params=params)


def relax(
    net: Network,
    states,
    patterns=None,
    *,
    T=0.0,
    sweeps: int = 100,
    seed: int | None = None,
    backend: str | None = None,
    device: str | None = None,
    schedule: str = "random",
    dynamics: str = "glauber",
    average: int = 0,
    backend_options: dict | None = None,
    rule: str | None = None,
) -> RelaxResult:
    """Run the dynamics from given initial states (K, N): the engine under :func:`recall`.

    Same stopping rule as :func:`recall`: at T = 0 a state stops when it is a fixed point
    (every neuron aligned with its local field, S_i h_i ≥ 0), else after ``sweeps``.

    Parameters
    ----------
    net : Network
        The network.
    states : array_like of ±1, shape (K, N) or (N,)
        Initial states, one chain each (the same at every temperature).
    patterns : array_like of ±1, shape (P, N), optional
        Patterns to measure overlaps with (default: ``net.patterns``, else none).
    T : float or array_like of float >= 0
        Temperatures (in units of the couplings; 0 is the deterministic S_i = sign(h_i)).
    sweeps : int >= 1
        Maximum number of sweeps (one sweep = N update attempts).
    seed : int, numpy Generator, SeedSequence or None
        Seed of the dynamics; the one used (drawn for None) is in ``params['seed']``.
    backend : {'numpy', 'numba', 'torch'}, optional
        Monte Carlo backend (None: the package default).
    device : str, optional
        torch device (``'cpu'``, ``'cuda'``, ``'cuda:1'``), torch backend only.
    schedule : {'random', 'sequential', 'permuted', 'synchronous'}
        Order of the updates within a sweep.
    dynamics : {'glauber', 'metropolis'}
        Update rule.
    average : int >= 0
        Average the overlaps over the last ``average`` sweeps (0: the final state).
    backend_options : dict, optional
        Backend settings, as in :func:`statnn.sampler`.
    rule : str, optional
        Old name of ``dynamics`` (FutureWarning).

    Returns
    -------
    RelaxResult
        Final ``states`` (n_T, K, N), ``sweeps`` and ``converged`` (n_T, K), ``overlaps``
        (n_T, K, P) or None, ``T`` and ``params``.

    Examples
    --------
    >>> import statnn as sn
    >>> xi = sn.random_patterns(3, 200, seed=0)
    >>> out = sn.relax(sn.hopfield(xi), xi, T=0.0, sweeps=20, seed=0)
    >>> out.states.shape, bool(out.converged.all())
    ((1, 3, 200), True)
    """
    caller = "relax"
    dynamics = renamed(caller, "rule", rule, "dynamics", dynamics, "glauber")
    net = check_network(net, caller)
    init = check_spins(states, "states", caller, n=net.n)
    if init.ndim == 1:
        init = init[None, :]
    if init.ndim != 2:
        raise param_error("states", caller, "a (K, N) array of ±1 states", f"<shape {init.shape}>")
    if patterns is None:
        patterns = net.patterns
    xi = None if patterns is None else check_patterns(patterns, caller, n=net.n)
    temps = check_temperatures(T, caller)
    sweeps = check_int(sweeps, "sweeps", caller, minimum=1)
    average = check_int(average, "average", caller, minimum=0)
    if average > sweeps:
        raise param_error("average", caller, f"an int <= sweeps ({sweeps})", average)
    seed = seed_value(seed, caller)
    options = {} if backend is None else {"backend": backend}
    s = sampler(
        net,
        temps,
        chains=init.shape[0],
        dynamics=dynamics,
        schedule=schedule,
        device=device,
        allow_asymmetric=True,
        backend_options=backend_options,
        **options,
    )
    state = s.init(init=np.broadcast_to(init, (len(temps), *init.shape)), seed=seed)
    probe = xi if xi is not None else np.ones((1, net.n), dtype=np.int8)
    final, overlaps, steps, converged = _run(s, state, net, probe, temps, sweeps, average)
    params = dict(
        T=temps.tolist(),
        sweeps=sweeps,
        seed=seed,
        backend=s.backend,
        device=device,
        schedule=schedule,
        dynamics=dynamics,
        average=average,
        network=net.name,
        network_info=dict(net.info),
        version=__version__,
    )
    return RelaxResult(
        states=final,
        sweeps=steps,
        converged=converged,
        overlaps=overlaps if xi is not None else None,
        T=temps,
        params=params,
    )


def _cue_indices(cue, p: int, caller: str) -> np.ndarray:
    if cue is None:
        return np.arange(p)
    arr = np.atleast_1d(np.asarray(cue))
    if (
        arr.ndim != 1
        or arr.size == 0
        or not np.issubdtype(arr.dtype, np.integer)
        or np.any(arr < 0)
        or np.any(arr >= p)
    ):
        raise param_error("cue", caller, f"pattern indices in [0, {p})", cue)
    return arr.astype(np.int64)


def _cue_overlaps(cues, xi, cued):
    """Overlap of each cue (chains, P_cued, N) with its own pattern, in exact integers."""
    out = np.empty(cues.shape[:2])
    for j, mu in enumerate(cued):
        out[:, j] = (cues[:, j].astype(np.int32) @ xi[mu].astype(np.int32)) / xi.shape[1]
    return out


def _overlaps(S, xi):
    """m_μ = (1/N) ξ^μ · S, projected in blocks (no float copy of the pattern table).

    ``S`` holds spins or their time averages (multiples of 1/records); the projections of
    spins are exact integers, those of averages are rounded once.
    """
    n = xi.shape[1]
    if np.issubdtype(np.asarray(S).dtype, np.integer):
        return pattern_projections(S, xi) / n
    return _float_projections(S, xi) / n


def _float_projections(S, xi, block_entries: int = 1 << 20):
    """ξ^μ · S for float S (time-averaged spins), in float64 blocks of patterns."""
    p, n = xi.shape
    flat = np.asarray(S, dtype=np.float64).reshape(-1, n)
    out = np.empty((flat.shape[0], p))
    rows = max(1, block_entries // n)
    for start in range(0, p, rows):
        out[:, start : start + rows] = flat @ xi[start : start + rows].astype(np.float64).T
    return out.reshape(np.shape(S)[:-1] + (p,))


def _run(s, state, net, xi, temps, sweeps, average):
    """Run the dynamics; return final spins, overlaps, sweep counts and convergence flags.

    Shapes: spins (n_T, K, N), overlaps (n_T, K, P), sweeps and flags (n_T, K). A backend
    kernel with a compiled ``relax`` runs the whole loop there (:func:`_run_compiled`);
    otherwise the sampler is stepped one sweep at a time from Python (:func:`_run_steps`).
    Both give the same states, sweep counts and overlaps.
    """
    if getattr(s.kernel, "relaxes", False):
        return _run_compiled(s, state, net, xi, temps, sweeps, average)
    return _run_steps(s, state, net, xi, temps, sweeps, average)


#: Numba kernels whose cache holds the exact projections M = ξ S on the stored patterns.
_CACHED_PROJECTIONS = ("patterns", "dense_memory")


def _run_compiled(s, state, net, xi, temps, sweeps, average):
    """:func:`_run_steps` in one compiled call: each chain stops at its own fixed point.

    The step loop sums the spins of the last ``average`` sweeps up to the sweep ``t_end``
    at which it stops (the last chain's fixed point when every chain is at T = 0 and
    converges, else ``sweeps``); a chain that stopped earlier sits at its fixed point for
    the rest, so its missing terms are its final state, added here. In pattern form and
    dense associative memories (whose kernels cache M) the kernel sums the exact overlaps
    M_μ = ξ^μ · S instead of the spins when ``xi`` is the stored table, and the projections
    cost nothing.
    """
    n_T, K = len(temps), s.chains
    zero_T = temps == 0.0
    p, n = xi.shape
    own = s.kernel.kind in _CACHED_PROJECTIONS and _is_stored_table(xi, net)
    state, out = s.kernel.relax(state, s.betas, sweeps, window=average, overlaps=own)
    converged = out.done_at > 0
    stop = np.where(converged, out.done_at, sweeps)
    t_end = int(stop.max()) if zero_T.all() and converged.all() else sweeps
    recorded = max(0, t_end - (sweeps - average))
    spins = s.spins(state)
    if recorded and not (zero_T.all() and t_end < sweeps):
        extra = (recorded - np.clip(stop - (sweeps - average), 0, None)).ravel()
        if own:
            sums = out.overlap_sums
            sums += extra[:, None] * out.overlaps
            overlaps = sums / recorded / n
        else:
            sums = out.spin_sums
            flat = spins.reshape(K * n_T, n)
            for k in np.flatnonzero(extra):
                sums[k] += np.int32(extra[k]) * flat[k]
            overlaps = _overlaps(sums.reshape(n_T, K, n) / recorded, xi)
    elif own:
        overlaps = out.overlaps / n
    else:
        overlaps = _overlaps(spins, xi)
    return spins, overlaps.reshape(n_T, K, p), stop, converged


def _is_stored_table(xi, net) -> bool:
    """Whether the (P, N) patterns ``xi`` are the network's stored table (compared in blocks
    of rows when they are not the same memory)."""
    stored = net.patterns
    if stored is None or stored.shape != xi.shape:
        return False
    if xi is stored or (
        xi.__array_interface__["data"][0] == stored.__array_interface__["data"][0]
        and xi.strides == stored.strides
    ):
        return True
    rows = max(1, (1 << 20) // xi.shape[1])
    return all(
        np.array_equal(xi[a : a + rows], stored[a : a + rows]) for a in range(0, len(xi), rows)
    )


def _run_steps(s, state, net, xi, temps, sweeps, average):
    """The dynamics stepped one sweep at a time from Python (any backend)."""
    n_T, K = len(temps), s.chains
    zero_T = temps == 0.0
    n = xi.shape[1]
    done_at = np.full((n_T, K), -1, dtype=np.int64)
    # overlaps are linear in S: average the spins, then project once at the end
    # int32 sums of at most `average` <= sweeps < 2^31 spins; none when nothing is averaged
    spin_sum = np.zeros((n_T, K, n) if average else (1, 1, 1), dtype=np.int32)
    recorded = 0
    if not zero_T.any():
        # T > 0 everywhere: no convergence test, run in one block then average
        if sweeps - average:
            state, _ = s.step(state, sweeps - average)
        for _ in range(average):
            state, _ = s.step(state, 1)
            spin_sum += s.spins(state)
            recorded += 1
        spins = s.spins(state)
        overlaps = _overlaps(spin_sum / recorded if recorded else spins, xi)
        return spins, overlaps, np.full((n_T, K), sweeps), np.zeros((n_T, K), dtype=bool)

    for t in range(1, sweeps + 1):
        state, info = s.step(state, 1)
        quiet = (np.asarray(info.flips) == 0) & (done_at < 0) & zero_T[:, None]
        spins = None
        if quiet.any():
            spins = s.spins(state)
            candidates = spins[quiet]
            # the T = 0 rule's own tie tolerance: a tie keeps the spin, so it is stable
            fields = net.local_field(candidates)
            stable = np.all(candidates * fields >= -net.tie_tolerance, axis=-1)
            idx = np.argwhere(quiet)[stable]
            done_at[idx[:, 0], idx[:, 1]] = t
        if t > sweeps - average:
            spins = s.spins(state) if spins is None else spins
            spin_sum += spins
            recorded += 1
        if zero_T.all() and np.all(done_at > 0):
            break
    spins = s.spins(state)
    converged = done_at > 0
    steps = np.where(converged, done_at, sweeps)
    steps[~zero_T] = sweeps
    if recorded and not (zero_T.all() and t < sweeps):
        overlaps = _overlaps(spin_sum / recorded, xi)
    else:
        overlaps = _overlaps(spins, xi)
    return spins, overlaps, steps, converged
