r"""Parallel tempering (replica exchange) between neighbouring temperatures.

A swap of the configurations at inverse temperatures β_t and β_{t+1} (total energies E_t,
E_{t+1}) is accepted with probability min(1, exp((β_t − β_{t+1})(E_t − E_{t+1}))), which
keeps the product of Boltzmann distributions invariant (Hukushima & Nemoto 1996). Even and
odd pairs alternate deterministically between calls (the "deterministic even-odd" scheme),
which makes the walk of a replica along the ladder non-reversible: a replica keeps moving
in one direction while its swaps are accepted (Okabe et al. 2001; Syed et al. 2021).

What tells whether tempering works (:class:`ReplicaExchange` counts them):

* the **swap acceptance** of every neighbouring pair: a pair with an acceptance near 0
  cuts the ladder in two;
* **round trips**: a replica makes one when it travels from the coldest temperature to
  the hottest and back. Only replicas that make round trips carry decorrelated
  configurations down to the cold end; the round-trip rate (per ladder and sweep) is the
  figure of merit of a ladder;
* the **global communication barrier** Λ = Σ_k r_k, the sum over pairs of the rejection
  rates r_k = 1 − acceptance_k (Syed et al. 2021). For a fine ladder Λ depends on the
  range [T_min, T_max] and the system, not on the ladder; with the even-odd scheme the
  round-trip rate per exchange round is at best 1 / (2 + 2Λ), reached when all r_k are
  equal.

:func:`tune_ladder` moves the temperatures toward equal rejection rates (the
iterative schedule optimisation of Syed et al. 2021, Algorithm 4): it runs short rounds,
estimates the cumulative barrier Λ(β) = Σ_{k: β_{k+1} ≤ β} r_k by linear interpolation
in β, and places the new β's at equal steps of Λ; each round doubles the sweeps. This
scheme was chosen over the feedback optimisation of Katzgraber et al. (2006), which
needs the histogram of replicas moving up and down at every temperature -- many round
trips, which are exactly what a poorly tuned glassy ladder lacks -- whereas equal
rejection needs only the swap acceptances, which every round measures, and is the
optimum for the non-reversible even-odd scheme used here.

References
----------
K. Hukushima and K. Nemoto, J. Phys. Soc. Jpn. 65, 1604 (1996).
Y. Okabe, Y. Tomita and C. Yamaguchi, Comput. Phys. Commun. 146, 63 (2002).
H. G. Katzgraber, S. Trebst, D. A. Huse and M. Troyer, J. Stat. Mech. P03018 (2006).
S. Syed, A. Bouchard-Côté, G. Deligiannidis and A. Doucet, "Non-reversible parallel
tempering: a scalable highly parallel MCMC scheme", J. R. Stat. Soc. B 84, 321 (2022)
(arXiv:1905.02939, 2019/2021).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from statnn._validation import check_int, param_error
from statnn.core.neurons import inverse_temperature

__all__ = [
    "ReplicaExchange",
    "RoundTrips",
    "barrier",
    "equalize_rejection",
    "round_trips",
    "tune_ladder",
]


class RoundTrips:
    """Counts round trips of replicas between the two ends of a ladder.

    A replica's round trip ends when it reaches the cold end having visited the hot end
    since it last left the cold end, after having been at the cold end before: the first
    arrival at either end only sets its direction.

    Parameters
    ----------
    n_T : int
        Number of temperatures (positions 0 … n_T − 1).
    cold : int
        Position of the coldest temperature (0 or n_T − 1); the hottest is the other end.
    chains : int
        Independent ladders (columns) tracked side by side.
    """

    def __init__(self, n_T: int, cold: int, chains: int = 1):
        self.n_T = n_T
        self.cold = cold
        self.hot = n_T - 1 - cold
        # labels[t, c]: the replica at position t in ladder c; it starts at position t.
        self.labels = np.repeat(np.arange(n_T)[:, None], chains, axis=1)
        # heading[r, c]: 0 not yet at an end, 1 left the cold end, 2 left the hot end.
        self.heading = np.zeros((n_T, chains), dtype=np.int8)
        self.trips = np.zeros((n_T, chains), dtype=np.int64)
        self._mark()

    def _mark(self) -> None:
        cols = np.arange(self.labels.shape[1])
        at_cold, at_hot = self.labels[self.cold], self.labels[self.hot]
        done = self.heading[at_cold, cols] == 2
        self.trips[at_cold, cols] += done
        self.heading[at_cold, cols] = 1
        going_up = self.heading[at_hot, cols] == 1
        self.heading[at_hot, cols] = np.where(going_up, 2, self.heading[at_hot, cols])

    def update(self, perm: np.ndarray) -> None:
        """Apply one exchange round: ``perm[t, c]`` is the position whose replica moves to t."""
        cols = np.arange(self.labels.shape[1])[None, :]
        self.labels = self.labels[perm, cols]
        self._mark()

    def total(self) -> int:
        """Round trips completed by all replicas of all ladders."""
        return int(self.trips.sum())


def round_trips(labels: Any, cold: int = 0) -> np.ndarray:
    """Round trips per replica from a sequence of ladder occupations.

    Parameters
    ----------
    labels : array_like of int, shape (rounds, n_T)
        ``labels[k, t]``: the replica at position t after round k (each row a
        permutation of 0 … n_T − 1; row 0 is the start).
    cold : int, default 0
        Position of the coldest temperature.

    Returns
    -------
    ndarray of int, shape (n_T,)
        Completed cold → hot → cold trips of each replica.
    """
    seq = np.asarray(labels)
    n_T = seq.shape[1]
    counter = RoundTrips(n_T, cold)
    counter.labels = seq[0][:, None].copy()
    counter.heading[:] = 0
    counter.trips[:] = 0
    counter._mark()
    for row in seq[1:]:
        counter.labels = row[:, None].copy()
        counter._mark()
    return counter.trips[:, 0]


def barrier(acceptance: Any) -> float:
    """Global communication barrier Λ = Σ_k (1 − acceptance_k) of a ladder."""
    return float(np.sum(1.0 - np.asarray(acceptance, dtype=np.float64)))


class ReplicaExchange:
    """Swap moves for a grid of strictly monotonic temperatures, with their own RNG stream.

    Counts tried and accepted swaps per pair and the round trips of replicas
    (:class:`RoundTrips`) in each chain's ladder.

    A backend with a compiled record loop runs the same moves there (temperature labels
    swapped in compiled code, from its own stream seeded by :attr:`seed`); it hands back
    its exchange state, kept in :attr:`native` by :meth:`absorb`, whose counts then make
    the :meth:`report`.
    """

    def __init__(self, T: np.ndarray, seed: int | None, caller: str):
        if len(T) < 2 or not (np.all(np.diff(T) > 0) or np.all(np.diff(T) < 0)):
            raise param_error(
                "T",
                caller,
                "at least two strictly increasing (or decreasing) temperatures for tempering=True",
                T,
            )
        self.betas = inverse_temperature(T)
        self.seed = np.random.SeedSequence(seed).spawn(3)[2]
        self.rng = np.random.default_rng(self.seed)
        self.parity = 0
        self.tried = np.zeros(len(T) - 1)
        self.accepted = np.zeros(len(T) - 1)
        self.cold = int(np.argmin(T))
        self.trips: RoundTrips | None = None
        self.rounds = 0
        self.native: Any = None

    def absorb(self, native) -> None:
        """Take over the exchange state of a compiled record loop (its ``tried``,
        ``accepted`` per pair, ``trips`` per replica and the rest it needs to go on)."""
        self.native = native
        self.tried[:] = native.tried
        self.accepted[:] = native.accepted

    def __call__(self, sampler, state, spins, energies):
        """One exchange round on energies (n_T, chains); returns the permuted state, spins, energies."""
        n_T, chains = energies.shape
        perm = np.repeat(np.arange(n_T)[:, None], chains, axis=1)
        for t in range(self.parity, n_T - 1, 2):
            with np.errstate(invalid="ignore", over="ignore"):
                log_ratio = (self.betas[t] - self.betas[t + 1]) * (energies[t] - energies[t + 1])
            log_ratio = np.nan_to_num(log_ratio, nan=0.0)
            accept = np.log(self.rng.random(chains)) < np.minimum(log_ratio, 0.0)
            perm[t, accept], perm[t + 1, accept] = t + 1, t
            self.tried[t] += chains
            self.accepted[t] += accept.sum()
        self.parity = 1 - self.parity
        if self.trips is None:
            self.trips = RoundTrips(n_T, self.cold, chains)
        self.trips.update(perm)
        self.rounds += 1
        cols = np.arange(chains)[None, :]
        return sampler.kernel.permute(state, perm), spins[perm, cols], energies[perm, cols]

    def reset_counts(self) -> None:
        """Forget the swap and round-trip counts (after burn-in); replicas keep their heading."""
        self.tried[:] = 0
        self.accepted[:] = 0
        self.rounds = 0
        if self.trips is not None:
            self.trips.trips[:] = 0
        if self.native is not None:
            self.native = self.native.reset_counts()

    def acceptance(self) -> np.ndarray:
        """Fraction of accepted swaps per neighbouring pair (nan where none was tried)."""
        with np.errstate(invalid="ignore"):
            return self.accepted / self.tried

    def round_trips(self) -> int:
        """Round trips completed since the last :meth:`reset_counts`, all ladders together."""
        if self.native is not None:
            return int(self.native.trips.sum())
        return 0 if self.trips is None else self.trips.total()

    def barrier(self) -> float:
        """Λ = Σ_k (1 − acceptance_k) of the swaps counted so far."""
        return barrier(self.acceptance())

    def report(self, sweeps: int) -> dict:
        """Swap acceptance per pair, round trips, their rate per ladder and sweep, and Λ."""
        if self.native is not None:
            chains = len(self.native.trips) // len(self.betas)
        else:
            chains = 0 if self.trips is None else self.trips.labels.shape[1]
        trips = self.round_trips()
        rate = trips / (chains * sweeps) if chains and sweeps else float("nan")
        return {
            "swap_acceptance": self.acceptance(),
            "round_trips": trips,
            "round_trip_rate": rate,
            "barrier": self.barrier(),
        }


def equalize_rejection(T: Any, rejection: Any, floor: float = 1e-3) -> np.ndarray:
    r"""A ladder with the same ends and equal estimated rejection between neighbours.

    With β_0 < … < β_{n−1} and rejection rates r_k between β_k and β_{k+1}, the cumulative
    barrier Λ(β_k) = Σ_{j<k} r_j is interpolated linearly in β and inverted at
    Λ_i = i Λ(β_{n−1}) / (n − 1) (Syed et al. 2021, Algorithm 4). Rates below ``floor``
    are raised to it so that Λ(β) is strictly increasing.

    Parameters
    ----------
    T : array_like
        Strictly increasing or decreasing temperatures > 0.
    rejection : array_like
        1 − acceptance for each neighbouring pair of ``T`` (same order).

    Returns
    -------
    ndarray
        The new temperatures in the order of ``T``.
    """
    T = np.asarray(T, dtype=np.float64)
    r = np.maximum(np.nan_to_num(np.asarray(rejection, dtype=np.float64), nan=1.0), floor)
    order = np.argsort(1.0 / T)  # β increasing
    beta = 1.0 / T[order]
    r_beta = r if order[0] == 0 else r[::-1]
    lam = np.concatenate([[0.0], np.cumsum(r_beta)])
    targets = np.linspace(0.0, lam[-1], len(T))
    new_beta = np.interp(targets, lam, beta)
    new_beta[0], new_beta[-1] = beta[0], beta[-1]
    out = np.empty_like(T)
    out[order] = 1.0 / new_beta
    return out


def tune_ladder(
    net,
    T_min: float,
    T_max: float,
    n_T: int,
    *,
    chains: int = 1,
    rounds: int = 6,
    sweeps: int = 100,
    record_every: int = 1,
    seed: int | None = None,
    caller: str = "tune_ladder",
    **sampler_kwargs,
) -> tuple[np.ndarray, list[dict]]:
    """Tune ``n_T`` temperatures in [T_min, T_max] toward equal swap acceptance.

    Starts from the geometric ladder; each of ``rounds`` rounds runs tempering for
    ``sweeps`` sweeps (doubling every round; exchanges every ``record_every`` sweeps),
    measures the rejection rate of every pair and moves the temperatures with
    :func:`equalize_rejection`. The spins are carried from round to round. A backend with
    a compiled record loop runs each round there (exchanges included), others step and
    exchange from Python.

    Parameters
    ----------
    net : Network
        The network to sample.
    T_min, T_max : float
        The ends of the ladder, 0 < T_min < T_max; they stay fixed.
    n_T : int
        Number of temperatures (≥ 2).
    chains, record_every, seed, **sampler_kwargs
        As in :func:`statnn.simulate` (``rule``, ``schedule``, ``backend``, ``device``).
    rounds : int, default 6
        Tuning rounds.
    sweeps : int, default 100
        Sweeps of the first round.

    Returns
    -------
    T : ndarray
        The tuned ladder, increasing.
    history : list of dict
        Per round: ``T`` (the ladder it ran), ``sweeps``, ``swap_acceptance``, ``barrier``.
    """
    from statnn.dynamics.sampling import compiled_record, has_record_loop, sampler

    n_T = check_int(n_T, "n_T", caller, minimum=2)
    rounds = check_int(rounds, "rounds", caller, minimum=1)
    sweeps = check_int(sweeps, "sweeps", caller, minimum=1)
    if not (np.isfinite(T_min) and np.isfinite(T_max) and 0 < T_min < T_max):
        raise param_error(
            "T", caller, "temperatures with 0 < T_min < T_max for a tuned ladder", (T_min, T_max)
        )
    T = np.geomspace(T_min, T_max, n_T)
    seeds = np.random.SeedSequence(seed).generate_state(2 * rounds, dtype=np.uint32)
    spins: Any = "random"
    history = []
    for k in range(rounds):
        s = sampler(net, T, chains=chains, **sampler_kwargs)
        state = s.init(init=spins, seed=int(seeds[2 * k]))
        exchange = ReplicaExchange(s.T, int(seeds[2 * k + 1]), caller)
        n_sweeps = sweeps * 2**k
        if has_record_loop(s, exchange):
            # the round as a compiled burn-in: blocks of record_every, an exchange after each
            state, _ = compiled_record(
                s, state, exchange, n_records=0, every=record_every, burn_in=n_sweeps
            )
        else:
            for done in range(0, n_sweeps, record_every):
                state, _ = s.step(state, min(record_every, n_sweeps - done))
                cur = s.spins(state)
                state, _, _ = exchange(s, state, cur, net.energy(cur, allow_asymmetric=True))
        spins = s.spins(state)
        acc = exchange.acceptance()
        history.append(dict(T=T.copy(), sweeps=n_sweeps, swap_acceptance=acc, barrier=barrier(acc)))
        T = equalize_rejection(T, 1.0 - acc)
    return T, history
