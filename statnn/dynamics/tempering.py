"""Parallel tempering (replica exchange) between neighbouring temperatures.

A swap of the configurations at inverse temperatures β_t and β_{t+1} (total energies E_t,
E_{t+1}) is accepted with probability min(1, exp((β_t − β_{t+1})(E_t − E_{t+1}))), which
keeps the product of Boltzmann distributions invariant (Hukushima & Nemoto 1996). Even and
odd pairs alternate between calls so that every pair is tried.
"""

from __future__ import annotations

import numpy as np

from statnn._validation import param_error
from statnn.core.neurons import inverse_temperature


class ReplicaExchange:
    """Swap moves for a grid of strictly monotonic temperatures, with their own RNG stream."""

    def __init__(self, T: np.ndarray, seed: int | None, caller: str):
        if len(T) < 2 or not (np.all(np.diff(T) > 0) or np.all(np.diff(T) < 0)):
            raise param_error(
                "T",
                caller,
                "at least two strictly increasing (or decreasing) temperatures for tempering=True",
                T,
            )
        self.betas = inverse_temperature(T)
        self.rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[2])
        self.parity = 0
        self.tried = np.zeros(len(T) - 1)
        self.accepted = np.zeros(len(T) - 1)

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
        cols = np.arange(chains)[None, :]
        return sampler.kernel.permute(state, perm), spins[perm, cols], energies[perm, cols]

    def reset_counts(self) -> None:
        """Forget the swap statistics (after burn-in)."""
        self.tried[:] = 0
        self.accepted[:] = 0

    def acceptance(self) -> np.ndarray:
        """Fraction of accepted swaps per neighbouring pair (nan where none was tried)."""
        with np.errstate(invalid="ignore"):
            return self.accepted / self.tried
