"""The sampler (``init`` + ``step``, BlackJAX style) and ``simulate``, which records a Run.

Kernels come from the backend registry (:mod:`statnn.dynamics.backends`); this module owns
everything that is the same for all backends: argument checks, initial states, the
temperature grid, recording of observables and parallel tempering.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from statnn._progress import progress_bar
from statnn._validation import (
    check_bool,
    check_choice,
    check_int,
    check_spins,
    check_temperatures,
    param_error,
    renamed,
    seed_value,
)
from statnn._version import __version__
from statnn.core.network import Network, check_network
from statnn.core.neurons import inverse_temperature
from statnn.dynamics.backends import (
    DEFAULT_BACKEND,
    RULES,
    SCHEDULES,
    SamplerState,
    StepInfo,
    check_backend_options,
    load_backend,
)


class Sampler:
    """Monte Carlo dynamics of a network at a vector of temperatures × chains.

    Build one with :func:`sampler`. ``init`` makes a :class:`SamplerState`; ``step``
    advances it by whole sweeps and returns a new state with a :class:`StepInfo`. ``step``
    is pure on every backend: the state handed in (spins, random stream, caches) is left
    unchanged, so stepping the same state twice gives the same result. ``backend`` is the
    resolved backend name.
    """

    def __init__(
        self,
        net: Network,
        T,
        *,
        chains: int,
        dynamics: str,
        schedule: str,
        backend: str | None,
        device: str | None,
        allow_asymmetric: bool,
        caller: str,
        backend_options: dict | None = None,
    ):
        self.net = check_network(net, caller)
        self.T = check_temperatures(T, caller)
        self.chains = check_int(chains, "chains", caller, minimum=1)
        self.dynamics = check_choice(dynamics, "dynamics", caller, RULES)
        self.schedule = check_choice(schedule, "schedule", caller, SCHEDULES)
        allow_asymmetric = check_bool(allow_asymmetric, "allow_asymmetric", caller)
        self.backend = DEFAULT_BACKEND if backend is None else backend
        self.device = device
        if self.schedule == "synchronous" and self.dynamics != "glauber":
            raise param_error(
                "dynamics",
                caller,
                "'glauber' with the synchronous schedule "
                "(Little dynamics updates all neurons by the heat-bath rule)",
                dynamics,
            )
        if self.schedule == "checkerboard":
            lattice = net.lattice
            if lattice is None:
                raise param_error(
                    "schedule",
                    caller,
                    "'checkerboard' only for lattice networks "
                    "(sn.ising); use 'random' or 'sequential'",
                    schedule,
                )
            if not lattice.bipartite:
                raise param_error(
                    "schedule",
                    caller,
                    "'checkerboard' only on a bipartite lattice "
                    "(open boundaries or even periodic sides)",
                    f"<periodic lattice {lattice.shape}>",
                )
        if self.dynamics == "metropolis":
            net.require_symmetric(f"{caller} with dynamics='metropolis'", allow_asymmetric)
        module = load_backend(self.backend, caller)
        if device is not None and not getattr(module, "DEVICES", False):
            raise param_error(
                "device",
                caller,
                f"None for the {self.backend!r} backend (it runs on the CPU); "
                "use backend='torch' to choose a device",
                device,
            )
        self.backend_options = check_backend_options(backend_options, self.backend, module, caller)
        self.kernel = module.make_kernel(
            net,
            rule=self.dynamics,
            schedule=self.schedule,
            n_temps=len(self.T),
            chains=self.chains,
            device=device,
            **self.backend_options,
        )

    @property
    def rule(self) -> str:
        """The update rule: the old name of :attr:`dynamics`."""
        return self.dynamics

    @property
    def betas(self) -> np.ndarray:
        """β = 1/T per temperature (∞ at T = 0)."""
        return inverse_temperature(self.T)

    def initial_spins(
        self, init: Any, rng: np.random.Generator, caller: str = "Sampler.init"
    ) -> np.ndarray:
        """Initial states (n_T, chains, n) int8 from 'random', 'ones', a pattern index or an array."""
        shape = (len(self.T), self.chains, self.net.n)
        if isinstance(init, str):
            init = check_choice(init, "init", caller, ("random", "ones"))
            if init == "ones":
                return np.ones(shape, dtype=np.int8)
            spins = rng.integers(0, 2, size=shape, dtype=np.int8)
            spins <<= 1
            spins -= 1  # 2 · {0, 1} − 1 in place: no temporary N-long arrays
            return spins
        if isinstance(init, int | np.integer) and not isinstance(init, bool):
            patterns = self.net.patterns
            if patterns is None or not 0 <= init < len(patterns):
                count = 0 if patterns is None else len(patterns)
                raise param_error(
                    "init",
                    caller,
                    f"a pattern index in [0, {count}) for a network "
                    "with stored patterns, 'random', 'ones' or an array of ±1",
                    init,
                )
            return np.broadcast_to(patterns[init], shape).copy()
        spins = check_spins(init, "init", caller, n=self.net.n)
        try:
            return np.broadcast_to(spins, shape).copy()
        except ValueError:
            raise param_error(
                "init", caller, f"±1 spins broadcastable to {shape}", f"<shape {spins.shape}>"
            ) from None

    def init(self, init: Any = "random", seed=None) -> SamplerState:
        """The initial state of every temperature × chain.

        Parameters
        ----------
        init : 'random', 'ones', int or array_like of ±1
            ``'random'``: independent uniform ±1 spins; ``'ones'``: all +1; an int μ: the
            stored pattern ξ^μ (networks that keep patterns); an array of ±1 broadcastable
            to (n_T, chains, N).
        seed : int, numpy Generator, SeedSequence or None
            Fixes both the initial spins and every chain's random stream (None: fresh
            entropy).

        Returns
        -------
        SamplerState
            The backend's state (spins, random streams, sweep count, cached fields).

        Examples
        --------
        >>> import statnn as sn
        >>> s = sn.sampler(sn.ising((4, 4)), T=[1.0, 3.0], chains=2)
        >>> s.spins(s.init("ones", seed=0)).shape
        (2, 2, 16)
        """
        seed = seed_value(seed, "Sampler.init")
        init_seq, dynamics_seq = np.random.SeedSequence(seed).spawn(2)
        spins = self.initial_spins(init, np.random.default_rng(init_seq))
        return self.kernel.init(spins, dynamics_seq)

    def step(self, state: SamplerState, sweeps: int = 1, T=None) -> tuple[SamplerState, StepInfo]:
        """Advance every chain by ``sweeps`` sweeps.

        Parameters
        ----------
        state : SamplerState
            A state from :meth:`init` or a previous :meth:`step` of this sampler. A state
            this sampler could not have made (another network's, size, representation or
            backend) is refused before any compiled code runs.
        sweeps : int >= 0
            Sweeps to run; one sweep is N update attempts.
        T : float or array_like, optional
            Temperatures for these sweeps (one, or one per temperature of the sampler:
            annealing); default the sampler's.

        Returns
        -------
        state : SamplerState
            The advanced state (the input state is not modified).
        info : StepInfo
            ``flips`` (n_T, chains): spins flipped; ``acceptance``: flips per attempt.

        Examples
        --------
        >>> import statnn as sn
        >>> s = sn.sampler(sn.ising((4, 4)), T=2.0)
        >>> state, info = s.step(s.init(seed=0), sweeps=5)
        >>> state.sweep, info.flips.shape
        (5, (1, 1))
        >>> state, info = s.step(state, sweeps=5, T=0.0)   # a quench: anneal to T = 0
        """
        self.check_state(state, "Sampler.step")
        sweeps = check_int(sweeps, "sweeps", "Sampler.step", minimum=0)
        betas = self.betas
        if T is not None:
            T = check_temperatures(T, "Sampler.step")
            if len(T) not in (1, len(self.T)):
                raise param_error("T", "Sampler.step", f"one temperature or {len(self.T)}", T)
            betas = np.broadcast_to(inverse_temperature(T), self.T.shape).copy()
        state, flips = self.kernel.step(state, betas, sweeps)
        attempts = max(sweeps, 1) * self.net.n
        return state, StepInfo(flips=flips, acceptance=flips / attempts)

    def spins(self, state: SamplerState) -> np.ndarray:
        """The spins of ``state`` as numpy int8 (n_T, chains, n)."""
        self.check_state(state, "Sampler.spins")
        return self.kernel.spins(state)

    def check_state(self, state: Any, caller: str = "Sampler.step") -> None:
        """Raise the standard error unless ``state`` fits this sampler (shape, dtype,
        memory layout, representation and backend of every array)."""
        expected = (
            f"a SamplerState made by this sampler's init ({self.backend} backend, "
            f"{len(self.T)} temperature(s) x {self.chains} chain(s) x {self.net.n} neurons)"
        )
        if not isinstance(state, SamplerState):
            raise param_error("state", caller, expected, f"<a {type(state).__name__}>")
        problem = self.kernel.check_state(state)
        if problem is not None:
            raise param_error("state", caller, expected, f"<a state whose {problem}>")

    def resume(self, state: SamplerState) -> SamplerState:
        """Continue chains of another sampler under this one's network (e.g. new couplings).

        ``state`` must come from a sampler with the same backend, device, size and
        (temperatures, chains) layout. Spins, random streams and the sweep count carry over;
        cached fields are recomputed. Cheaper than :meth:`init`, which reseeds every chain.
        """
        self.check_state(state, "Sampler.resume")
        return self.kernel.rebind(state)


def sampler(
    net: Network,
    T=1.0,
    *,
    chains: int = 1,
    dynamics: str = "glauber",
    schedule: str = "random",
    backend: str | None = None,
    device: str | None = None,
    allow_asymmetric: bool = False,
    backend_options: dict | None = None,
    rule: str | None = None,
) -> Sampler:
    """The low-level Monte Carlo loop: ``init`` a state, then ``step`` it (BlackJAX style).

    Parameters
    ----------
    net : Network
        The network (``sn.ising``, ``sn.sk``, ``sn.curie_weiss``, ``sn.hopfield``,
        ``sn.Network``).
    T : float or array_like of float >= 0
        Temperatures, in units of the couplings (k_B = 1); β = 1/T, and T = 0 is the
        deterministic dynamics S_i = sign(h_i) (a tie keeps the state).
    chains : int >= 1
        Independent chains per temperature.
    dynamics : {'glauber', 'metropolis'}
        Update rule: heat bath P(S_i = +1) = 1/(1 + exp(−2βh_i)), or Metropolis
        acceptance min(1, exp(−βΔE)); at T = 0 both give S_i = sign(h_i).
    schedule : {'random', 'sequential', 'permuted', 'checkerboard', 'synchronous'}
        Order of the N update attempts of one sweep: N sites drawn with replacement, in
        index order, a fresh permutation per sweep, the two colours of a bipartite lattice
        in turn, or all at once from the old state (Little dynamics, Glauber only).
    backend : {'numpy', 'numba', 'torch'}, optional
        Monte Carlo backend (None: the package default, numba).
    device : str, optional
        torch device such as ``'cpu'``, ``'cuda'`` or ``'cuda:1'`` (torch backend only;
        the other backends refuse a device).
    allow_asymmetric : bool
        Accept J_ij != J_ji with the Metropolis rule (no energy function then).
    backend_options : dict, optional
        Backend settings (see docs/backends.md): numba ``multispin`` (bool),
        ``field_refresh`` (int); torch ``block_size`` (int), ``compile`` (bool),
        ``pattern_mode`` ("float" or "int8"). Unknown keys are refused.
    rule : str, optional
        Old name of ``dynamics`` (FutureWarning).

    Returns
    -------
    Sampler
        ``Sampler.init(init, seed)`` gives a state, ``Sampler.step(state, sweeps, T)``
        advances it and returns ``(state, StepInfo)``; ``Sampler.spins(state)`` reads the
        spins as int8 (n_T, chains, N).

    Examples
    --------
    >>> import statnn as sn
    >>> s = sn.sampler(sn.ising((8, 8)), T=2.0, chains=4)
    >>> state = s.init(init="random", seed=0)
    >>> state, info = s.step(state, sweeps=10)
    >>> info.acceptance.shape
    (1, 4)
    """
    dynamics = renamed("sampler", "rule", rule, "dynamics", dynamics, "glauber")
    return Sampler(
        net,
        T,
        chains=chains,
        dynamics=dynamics,
        schedule=schedule,
        backend=backend,
        device=device,
        allow_asymmetric=allow_asymmetric,
        caller="sampler",
        backend_options=backend_options,
    )


@dataclass(repr=False)
class Run:
    """Recorded observables of :func:`simulate`; leading axes are (temperature, chain).

    Attributes
    ----------
    T : (n_T,) temperatures.
    energy : (n_T, chains, n_records) energy per neuron E/N.
    magnetization : (n_T, chains, n_records) m = (1/N) Σ_i S_i.
    overlaps : (n_T, chains, n_records, P) m_μ = (1/N) Σ_i ξ_i^μ S_i, or None.
    replica_overlap : (n_T, chains // 2, n_records) q = (1/N) Σ_i S_i^a S_i^b of the chain
        pairs (0, 1), (2, 3), …: independent replicas of the same network; None for 1 chain.
    states : (n_T, chains, n) int8 final states.
    record_sweeps : (n_records,) sweep index (after burn-in) of each record.
    acceptance : (n_T, chains) fraction of update attempts that flipped a spin while recording.
    swap_acceptance : (n_T − 1,) replica-exchange acceptance per neighbouring pair, or None.
    round_trips : with tempering, round trips of replicas coldest → hottest → coldest
        completed while recording (all chains' ladders), else None.
    round_trip_rate : round trips per ladder (chain) and recorded sweep, or None.
    barrier : global communication barrier Λ = Σ_k (1 − swap_acceptance_k), or None.
    params : the arguments of the run (``backend`` the backend that ran, resolved from
        None), the package version, network info; with ``burn_in="auto"`` also
        ``burn_in_sweeps`` (run), ``burn_in_max`` (the cap) and ``burn_in_converged``;
        with ``tempering="auto"`` ``T_requested``, ``ladder`` ("auto") and
        ``ladder_sweeps`` (the sweeps spent tuning it).
    """

    T: np.ndarray
    n: int
    energy: np.ndarray
    magnetization: np.ndarray
    overlaps: np.ndarray | None
    states: np.ndarray
    record_sweeps: np.ndarray
    acceptance: np.ndarray
    swap_acceptance: np.ndarray | None = None
    replica_overlap: np.ndarray | None = None
    params: dict = field(default_factory=dict)
    round_trips: int | None = None
    round_trip_rate: float | None = None
    barrier: float | None = None

    def summary(self):
        """Per temperature: means and standard errors of e, m, |m|, C, χ, the Binder
        cumulant and τ_int; with patterns the best overlap, with replica pairs ⟨|q|⟩ and
        ⟨q²⟩ (:func:`statnn.stats.summarize`); the convergence diagnostics (R̂, bulk/tail
        ESS, MCSE), rows that fail the run's ``rhat_max`` / ``ess_min`` marked. ``print``
        shows them all."""
        from statnn.stats.diagnostics import ESS_MIN, RHAT_MAX
        from statnn.stats.summary import summarize

        return summarize(
            self.energy,
            self.magnetization,
            self.T,
            self.n,
            overlaps=self.overlaps,
            replica_overlap=self.replica_overlap,
            rhat_max=self.params.get("rhat_max", RHAT_MAX),
            ess_min=self.params.get("ess_min", ESS_MIN),
        )

    def __repr__(self) -> str:
        p = self.params
        temps = ", ".join(f"{t:g}" for t in np.asarray(self.T)[:6])
        more = ", …" if len(self.T) > 6 else ""
        return (
            f"Run(network={p.get('network', '?')!r}, n={self.n}, T=[{temps}{more}], "
            f"chains={self.energy.shape[1]}, records={self.energy.shape[2]}, "
            f"sweeps={p.get('sweeps', '?')}, burn_in={p.get('burn_in', '?')}, "
            f"backend={p.get('backend')!r}, seed={p.get('seed')!r})"
        )

    def to_xarray(self):
        """The run as a labelled :class:`xarray.Dataset` with units.

        Returns
        -------
        xarray.Dataset
            ``energy`` (J per spin), ``magnetization`` on (T, chain, sweep);
            ``overlaps`` (T, chain, sweep, pattern) and ``replica_overlap`` (T, pair, sweep)
            where recorded; ``acceptance`` (T, chain); with tempering ``swap_acceptance``
            (T_pair) and the scalars ``round_trips``, ``round_trip_rate`` and ``barrier``;
            ``states`` (T, chain, site). Coordinate ``sweep`` is the sweep
            (after burn-in) of each record. Every variable has ``units`` and ``long_name``;
            ``attrs`` hold ``n`` and the run's parameters as JSON text (``params``).
        """
        from statnn.results import run_dataset

        return run_dataset(self)


def simulate(
    net: Network,
    T=1.0,
    sweeps: int = 1000,
    burn_in: int = 100,
    chains: int = 1,
    *,
    dynamics: str = "glauber",
    schedule: str = "random",
    init: Any = "random",
    backend: str | None = None,
    device: str | None = None,
    record_every: int = 1,
    seed=None,
    tempering: bool | str = False,
    allow_asymmetric: bool = False,
    progress: bool = False,
    backend_options: dict | None = None,
    rule: str | None = None,
    burn_in_max: int | None = None,
    rhat_max: float = 1.01,
    ess_min: float = 100,
) -> Run:
    """Run Monte Carlo dynamics at every temperature × chain and record observables.

    ``burn_in`` sweeps are discarded, then ``sweeps`` more are run with observables recorded
    every ``record_every`` sweeps (energy per neuron, magnetization, pattern overlaps).
    With ``tempering=True`` neighbouring temperatures exchange configurations after every
    ``record_every`` sweeps with probability min(1, exp((β_t − β_{t+1})(E_t − E_{t+1})));
    the run reports the swap acceptance per pair, the replicas' round trips and the
    barrier Λ (:mod:`statnn.dynamics.tempering`). ``tempering="auto"`` first tunes the
    ``len(T)`` temperatures between ``min(T)`` and ``max(T)`` toward equal swap
    acceptance (:func:`statnn.dynamics.tempering.tune_ladder`; its sweeps come on top
    of ``burn_in``) and runs on the tuned ladder (``run.T``).

    ``burn_in="auto"`` burns in by blocks until the rank-normalised split-R̂ of the energy
    and |m| across chains is ≤ ``rhat_max`` at every temperature, at most ``burn_in_max``
    sweeps (default max(10 × sweeps, 10000)); the rule is in
    :mod:`statnn.dynamics.convergence`. After recording, one
    :class:`~statnn.stats.diagnostics.ConvergenceWarning` names the temperatures where
    R̂ > ``rhat_max`` or bulk ESS < ``ess_min`` for the energy or |m|.

    ``dynamics``, ``schedule``, ``backend``, ``device`` and ``backend_options`` are those of
    :func:`sampler` (``rule`` is the old name of ``dynamics``).

    Parameters
    ----------
    net : Network
        The network (``sn.ising``, ``sn.sk``, ``sn.curie_weiss``, ``sn.hopfield``, …).
    T : float or array_like of float >= 0
        Temperatures, in units of the couplings (k_B = 1); T = 0 runs S_i = sign(h_i).
    sweeps : int >= 1
        Recorded sweeps; one sweep is N update attempts, the unit of time
        (``Run.record_sweeps`` counts sweeps after the burn-in). The autocorrelation
        times τ of ``Run.summary()`` are in records, i.e. in units of ``record_every``
        sweeps.
    burn_in : int >= 0 or 'auto'
        Sweeps run first and discarded (equilibration); ``'auto'``: by blocks until the
        split-R̂ is ≤ ``rhat_max`` (see above).
    chains : int >= 1
        Independent chains per temperature; pairs (0, 1), (2, 3), … also give the replica
        overlap q.
    dynamics : {'glauber', 'metropolis'}
        Heat bath P(S_i = +1) = 1/(1 + exp(−2βh_i)) or Metropolis min(1, exp(−βΔE)).
    schedule : {'random', 'sequential', 'permuted', 'checkerboard', 'synchronous'}
        Order of the updates within a sweep (see :func:`sampler`).
    init : 'random', 'ones', int or array_like of ±1
        Initial state: uniform random spins, all +1, the stored pattern of that index, or
        an array broadcastable to (n_T, chains, N).
    backend : {'numpy', 'numba', 'torch'}, optional
        Monte Carlo backend (None: numba).
    device : str, optional
        torch device (``'cpu'``, ``'cuda'``, ``'cuda:1'``); torch backend only.
    record_every : int >= 1, <= sweeps
        Sweeps between records; ``sweeps // record_every`` records are kept.
    seed : int, numpy Generator, SeedSequence or None
        Seed of the initial state, the dynamics and the exchanges. The seed actually used
        (drawn from the OS for None, from the Generator for a Generator) is recorded in
        ``Run.params['seed']``: passing it back reproduces the run.
    tempering : bool or 'auto'
        Parallel tempering between neighbouring temperatures (sorted T); ``'auto'`` tunes
        the ladder first (see above).
    allow_asymmetric : bool
        Accept J_ij != J_ji (the recorded energy is then that of the symmetric part).
    progress : bool
        A progress bar (tqdm) on stderr, one tick per record.
    backend_options : dict, optional
        Backend settings, as in :func:`sampler`.
    rule : str, optional
        Old name of ``dynamics`` (FutureWarning).
    burn_in_max : int, optional
        Cap of ``burn_in='auto'`` in sweeps (default max(10 × sweeps, 10000)).
    rhat_max : float
        Largest split-R̂ counted as converged (auto burn-in and the warning).
    ess_min : float
        Smallest bulk effective sample size counted as converged (the warning).

    Returns
    -------
    Run
        The recorded series (temperature, chain, record), the final states, acceptance
        rates and ``params``; ``Run.summary()`` gives the per-temperature table.

    Examples
    --------
    >>> import statnn as sn
    >>> run = sn.simulate(sn.ising((8, 8)), T=[1.5, 3.0], sweeps=200, burn_in=100, chains=2, seed=0)
    >>> run.energy.shape
    (2, 2, 200)
    >>> again = sn.simulate(sn.ising((8, 8)), T=[1.5, 3.0], sweeps=200, burn_in=100, chains=2,
    ...                     seed=run.params["seed"])
    >>> bool((again.energy == run.energy).all())
    True
    """
    caller = "simulate"
    dynamics = renamed(caller, "rule", rule, "dynamics", dynamics, "glauber")
    check_network(net, caller)
    sweeps = check_int(sweeps, "sweeps", caller, minimum=1)
    auto_burn = isinstance(burn_in, str) and burn_in == "auto"
    if not auto_burn:
        if isinstance(burn_in, str):
            raise param_error("burn_in", caller, "an int >= 0 or 'auto'", burn_in)
        burn_in = check_int(burn_in, "burn_in", caller, minimum=0)
    if burn_in_max is None:
        burn_in_max = max(10 * sweeps, 10000)
    burn_in_max = check_int(burn_in_max, "burn_in_max", caller, minimum=1)
    from statnn.stats.diagnostics import check_thresholds

    rhat_max, ess_min = check_thresholds(rhat_max, ess_min, caller)
    if not (isinstance(tempering, bool | np.bool_) or tempering == "auto"):
        raise param_error("tempering", caller, "True, False or 'auto'", tempering)
    record_every = check_int(record_every, "record_every", caller, minimum=1)
    if record_every > sweeps:
        raise param_error("record_every", caller, f"an int <= sweeps ({sweeps})", record_every)
    if tempering != "auto":
        tempering = check_bool(tempering, "tempering", caller)
    allow_asymmetric = check_bool(allow_asymmetric, "allow_asymmetric", caller)
    progress = check_bool(progress, "progress", caller)
    seed = seed_value(seed, caller)  # the seed drawn for None is recorded
    if not net.symmetric:
        net.require_symmetric(caller, allow_asymmetric)
        warnings.warn(
            "Couplings are asymmetric: the recorded energy is that of the symmetric "
            "part (J + J^T)/2, which the dynamics does not minimise.",
            RuntimeWarning,
            stacklevel=2,
        )
    T_requested = None
    if tempering == "auto":
        from statnn.dynamics.tempering import tune_ladder

        T_requested = check_temperatures(T, caller)
        T, tuning = tune_ladder(
            net,
            float(T_requested.min()),
            float(T_requested.max()),
            len(T_requested),
            chains=chains,
            record_every=record_every,
            seed=seed,
            caller=caller,
            dynamics=dynamics,
            schedule=schedule,
            backend=backend,
            device=device,
            allow_asymmetric=allow_asymmetric,
            backend_options=backend_options,
        )
    s = Sampler(
        net,
        T,
        chains=chains,
        dynamics=dynamics,
        schedule=schedule,
        backend=backend,
        device=device,
        allow_asymmetric=allow_asymmetric,
        caller=caller,
        backend_options=backend_options,
    )
    if tempering:
        from statnn.dynamics.tempering import ReplicaExchange

        exchange = ReplicaExchange(s.T, seed, caller)
    state = s.init(init=init, seed=seed)

    n_records = sweeps // record_every
    burn_info = {}
    if auto_burn:
        from statnn.dynamics.convergence import auto_burn_in

        state, burned, ok = auto_burn_in(
            s,
            state,
            net,
            record_every=record_every,
            rhat_max=rhat_max,
            cap=burn_in_max,
            exchange=exchange if tempering else None,
        )
        if tempering:
            exchange.reset_counts()
        burn_info = dict(burn_in_sweeps=burned, burn_in_max=burn_in_max, burn_in_converged=ok)
    if has_record_loop(s, exchange if tempering else None):
        # the backend records (and exchanges, burn-in included) inside its compiled loop
        state, rec = _compiled_records(
            s,
            net,
            state,
            n_records,
            record_every,
            0 if auto_burn else burn_in,
            exchange if tempering else None,
            progress,
        )
        energy, magnetization = rec.energy, rec.magnetization
        overlaps, replica_overlap = rec.overlaps, rec.replica_overlap
        flips = rec.flips
    else:
        n_T = len(s.T)
        energy = np.empty((n_T, s.chains, n_records))
        magnetization = np.empty_like(energy)
        patterns = net.patterns
        overlaps = None if patterns is None else np.empty((n_T, s.chains, n_records, len(patterns)))
        pairs = s.chains // 2
        replica_overlap = np.empty((n_T, pairs, n_records)) if pairs else None
        flips = np.zeros((n_T, s.chains))

        burn_in_now = 0 if auto_burn else burn_in  # 'auto': burnt in above
        if burn_in_now and tempering:
            # exchanges during burn-in too: cold replicas must not stay stuck
            for done in range(0, burn_in, record_every):
                state, _ = s.step(state, min(record_every, burn_in - done))
                spins = s.spins(state)
                state, _, _ = exchange(s, state, spins, net.energy(spins, allow_asymmetric=True))
            exchange.reset_counts()
        elif burn_in_now:
            state, _ = s.step(state, burn_in)
        blocks = progress_bar(
            range(n_records), enabled=progress, desc=f"simulate {net.name}", unit="record"
        )
        for r in blocks:
            state, info = s.step(state, record_every)
            flips += info.flips
            spins = s.spins(state)
            e = net.energy(spins, allow_asymmetric=True)
            if tempering:
                state, spins, e = exchange(s, state, spins, e)
            energy[:, :, r] = e / net.n
            magnetization[:, :, r] = spins.mean(axis=-1, dtype=np.float64)
            if overlaps is not None:
                overlaps[:, :, r] = net.couplings.overlaps(spins)
            if replica_overlap is not None:
                a, b = spins[:, 0 : 2 * pairs : 2], spins[:, 1 : 2 * pairs : 2]
                replica_overlap[:, :, r] = (a * b).mean(axis=-1, dtype=np.float64)

    params = dict(
        T=s.T.tolist(),
        sweeps=sweeps,
        burn_in=burn_in,
        chains=s.chains,
        dynamics=dynamics,
        schedule=schedule,
        init=init if isinstance(init, str | int) else "array",
        backend=s.backend,
        device=device,
        backend_options=dict(s.backend_options),
        record_every=record_every,
        seed=seed,
        tempering=tempering,
        rhat_max=rhat_max,
        ess_min=ess_min,
        **burn_info,
        network=net.name,
        network_info=dict(net.info),
        version=__version__,
    )
    if T_requested is not None:
        params.update(
            T_requested=T_requested.tolist(),
            ladder="auto",
            ladder_sweeps=sum(r["sweeps"] for r in tuning),
        )
    report = exchange.report(n_records * record_every) if tempering else {}
    run = Run(
        T=s.T,
        n=net.n,
        energy=energy,
        magnetization=magnetization,
        overlaps=overlaps,
        states=s.spins(state),
        record_sweeps=record_every * np.arange(1, n_records + 1),
        acceptance=flips / (n_records * record_every * net.n),
        swap_acceptance=report.get("swap_acceptance"),
        replica_overlap=replica_overlap,
        params=params,
        round_trips=report.get("round_trips"),
        round_trip_rate=report.get("round_trip_rate"),
        barrier=report.get("barrier"),
    )
    from statnn.dynamics.convergence import warn_unconverged

    warn_unconverged(run, rhat_max, ess_min, stacklevel=3)
    return run


def has_record_loop(s, exchange=None) -> bool:
    """Whether the sampler's kernel runs the record loop itself (``record``) — with replica
    exchange when ``exchange`` is given (``exchange_state``: the numba backend compiled, the
    torch backend on the device)."""
    kernel = s.kernel
    return (
        hasattr(kernel, "record")
        and getattr(kernel, "records_on_device", True)
        and (exchange is None or hasattr(kernel, "exchange_state"))
    )


def compiled_record(s, state, exchange, *, n_records, every, burn_in=0):
    """One call of the backend's compiled record loop (:meth:`NumbaKernel.record
    <statnn.dynamics.numba.kernel.NumbaKernel.record>`); with ``exchange`` (a
    :class:`~statnn.dynamics.tempering.ReplicaExchange`) the loop exchanges temperatures
    and ``exchange`` takes over the loop's counters and exchange state for the next call."""
    native = None
    if exchange is not None:
        native = exchange.native
        if native is None:
            native = s.kernel.exchange_state(exchange.seed, exchange.cold)
    state, rec = s.kernel.record(
        state, s.betas, n_records=n_records, every=every, burn_in=burn_in, exchange=native
    )
    if exchange is not None:
        exchange.absorb(rec.exchange)
    return state, rec


def _compiled_records(s, net, state, n_records, record_every, burn_in, exchange, progress):
    """The backend's compiled record loop; with ``progress`` in about 20 calls that advance
    a progress bar (the exchange state carried from call to call) — the same records as
    one call."""
    shown = sys.stderr.isatty() if progress is None else bool(progress)
    if not shown:
        return compiled_record(
            s, state, exchange, n_records=n_records, every=record_every, burn_in=burn_in
        )
    parts = []
    bar = progress_bar(enabled=True, total=n_records, desc=f"simulate {net.name}", unit="record")
    with bar:
        done = 0
        while done < n_records:
            chunk = min(max(1, n_records // 20), n_records - done)
            state, rec = compiled_record(
                s,
                state,
                exchange,
                n_records=chunk,
                every=record_every,
                burn_in=burn_in if done == 0 else 0,
            )
            parts.append(rec)
            done += chunk
            bar.update(chunk)

    def joined(name, axis):
        values = [getattr(p, name) for p in parts]
        return None if values[0] is None else np.concatenate(values, axis=axis)

    last = parts[-1]
    return state, last._replace(
        energy=joined("energy", 2),
        magnetization=joined("magnetization", 2),
        overlaps=joined("overlaps", 2),
        replica_overlap=joined("replica_overlap", 2),
        flips=sum(p.flips for p in parts),
    )
