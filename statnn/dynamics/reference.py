"""The reference kernels in numpy: each update reads like SPEC §1.

One sweep is N single-neuron update attempts. For the update of neuron i with local field
h_i = Σ_j J_ij S_j + b_i at inverse temperature β and a uniform random number u ∈ [0, 1):

* Glauber (heat bath): S_i ← +1 if u < P(S_i = +1) = 1/(1 + exp(−2β h_i)), else −1;
* Metropolis: flip S_i if u < min(1, exp(−β ΔE)), ΔE = 2 S_i h_i;
* T = 0 (β = ∞), both rules: S_i ← sign(h_i), and a zero field keeps S_i.

Schedules: ``random`` (N sites drawn uniformly with replacement), ``sequential``
(0, 1, …, N−1), ``permuted`` (a fresh permutation each sweep), ``checkerboard`` (all sites
of one colour at once, then the other — exact for bipartite couplings) and
``synchronous`` (all sites at once from the old state: Little dynamics, Glauber only).

Random draws, per chain and per sweep, from that chain's own generator in this order:
the site order (``random``: ``integers(0, N, N)``; ``permuted``: ``permutation(N)``),
then ``random(N)`` — the uniform of the k-th attempt of the sweep (for checkerboard and
synchronous, of site k). Chains are independent and vectorised over; nothing here is fast.
"""

from __future__ import annotations

import numpy as np

from statnn.core.network import Network
from statnn.core.neurons import glauber_probability, metropolis_acceptance
from statnn.dynamics.backends import SamplerState


def update(
    rule: str, old: np.ndarray, h: np.ndarray, u: np.ndarray, beta: np.ndarray
) -> np.ndarray:
    """New spin values from old spins, local fields, uniforms and inverse temperatures (all (B,))."""
    if rule == "glauber":
        new = np.where(u < glauber_probability(h, beta), 1, -1).astype(np.int8)
        keep = np.isinf(beta) & (h == 0)  # T = 0: a zero field keeps the state
        return np.where(keep, old, new)
    accept = u < metropolis_acceptance(2.0 * old * h, beta)
    return np.where(accept, -old, old).astype(np.int8)


class NumpyKernel:
    """Reference kernel for any coupling representation (see the module docstring)."""

    def __init__(self, net: Network, *, rule: str, schedule: str, n_temps: int, chains: int):
        self.net = net
        self.rule = rule
        self.schedule = schedule
        self.shape = (n_temps, chains)
        if schedule == "checkerboard":
            colors = net.lattice.colors()
            self.color_sites = [np.flatnonzero(colors == c) for c in (0, 1)]

    def init(self, spins, seed):
        """State with one numpy Generator per chain (advanced in place by ``step``)."""
        rngs = [
            np.random.Generator(np.random.PCG64(s))
            for s in seed.spawn(spins.shape[0] * spins.shape[1])
        ]
        return SamplerState(spins=spins.copy(), rng=rngs, sweep=0)

    def spins(self, state):
        return state.spins.copy()

    def permute(self, state, perm):
        chains = np.arange(self.shape[1])[None, :]
        return state._replace(spins=state.spins[perm, chains])

    def _draws(self, rngs, n):
        order = np.empty((len(rngs), n), dtype=np.int64)
        u = np.empty((len(rngs), n))
        for k, rng in enumerate(rngs):
            if self.schedule == "random":
                order[k] = rng.integers(0, n, size=n)
            elif self.schedule == "permuted":
                order[k] = rng.permutation(n)
            u[k] = rng.random(n)
        if self.schedule == "sequential":
            order = np.broadcast_to(np.arange(n), (len(rngs), n))
        return order, u

    def step(self, state, betas, sweeps):
        n = self.net.n
        S = state.spins.reshape(-1, n).copy()  # (K, n), K = n_T · chains
        beta = np.repeat(np.asarray(betas, dtype=np.float64), self.shape[1])
        flips = np.zeros(S.shape[0], dtype=np.int64)
        rows = np.arange(S.shape[0])
        for _ in range(sweeps):
            order, u = self._draws(state.rng, n)
            if self.schedule in ("synchronous", "checkerboard"):
                before = S.copy()
                if self.schedule == "synchronous":
                    h = self.net.couplings.field(S) + self.net.bias
                    S = update(self.rule, S, h, u, beta[:, None])
                else:
                    for sites in self.color_sites:
                        h = self.net.couplings.field(S)[:, sites] + self.net.bias[sites]
                        S[:, sites] = update(self.rule, S[:, sites], h, u[:, sites], beta[:, None])
                flips += np.count_nonzero(S != before, axis=1)
                continue
            for t in range(n):
                sites = order[:, t]
                h = self.net.couplings.field_at(S, sites) + self.net.bias[sites]
                old = S[rows, sites]
                new = update(self.rule, old, h, u[:, t], beta)
                flips += new != old
                S[rows, sites] = new
        new_spins = S.reshape(state.spins.shape)
        return state._replace(spins=new_spins, sweep=state.sweep + sweeps), flips.reshape(
            self.shape
        )


def make_kernel(net, *, rule, schedule, n_temps, chains, device=None):
    """Build the reference kernel (``device`` must be None: numpy runs on the CPU)."""
    return NumpyKernel(net, rule=rule, schedule=schedule, n_temps=n_temps, chains=chains)
