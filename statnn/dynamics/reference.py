"""The reference kernels in numpy: each update reads like the equations of docs/conventions.md.

One sweep is N single-neuron update attempts. For the update of neuron i with local field
h_i = Σ_j J_ij S_j + b_i at inverse temperature β and a uniform random number u ∈ [0, 1):

* Glauber (heat bath): S_i ← +1 if u < P(S_i = +1) = 1/(1 + exp(−2β h_i)), else −1;
* Metropolis: flip S_i if u < min(1, exp(−β ΔE)), ΔE = 2 S_i h_i;
* T = 0 (β = ∞), both rules: S_i ← sign(h_i), and a tie |h_i| ≤ tol keeps S_i (tol is
  :attr:`~statnn.core.network.Network.tie_tolerance`, the same number in every backend).

Schedules: ``random`` (N sites drawn uniformly with replacement), ``sequential``
(0, 1, …, N−1), ``permuted`` (a fresh permutation each sweep), ``checkerboard`` (all sites
of one colour at once, then the other — exact for bipartite couplings) and
``synchronous`` (all sites at once from the old state: Little dynamics, Glauber only).

Random draws, per chain and per sweep, from that chain's own generator in this order:
the site order (``random``: ``integers(0, N, N)``; ``permuted``: ``permutation(N)``),
then ``random(N)`` — the uniform of the k-th attempt of the sweep (for checkerboard and
synchronous, of site k). Chains are independent and vectorised over; nothing here is fast.

``step`` is pure: the generators live in the state as their bit-generator states, and each
call restarts them from there, so stepping the same state twice gives the same result.
"""

from __future__ import annotations

import numpy as np

from statnn._validation import param_error
from statnn.core.network import Network
from statnn.core.neurons import (
    glauber_probability,
    metropolis_acceptance,
    zero_temperature_tie,
)
from statnn.dynamics.backends import SamplerState, check_numpy_spins


def update(
    rule: str, old: np.ndarray, h: np.ndarray, u: np.ndarray, beta: np.ndarray, tol: float = 0.0
) -> np.ndarray:
    """New spin values from old spins, local fields, uniforms and inverse temperatures (all (B,)).

    Glauber: +1 if u < 1/(1 + exp(−2βh)); Metropolis: flip if u < min(1, exp(−2βsh));
    at β = ∞ both give sign(h) and a tie |h| ≤ ``tol`` keeps ``old``.
    """
    if rule == "glauber":
        new = np.where(u < glauber_probability(h, beta), 1, -1)
    else:
        new = np.where(u < metropolis_acceptance(2.0 * old * h, beta), -old, old)
    return np.where(zero_temperature_tie(h, beta, tol), old, new).astype(np.int8)


class NumpyKernel:
    """Reference kernel for any coupling representation (see the module docstring)."""

    def __init__(self, net: Network, *, rule: str, schedule: str, n_temps: int, chains: int):
        self.net = net
        self.rule = rule
        self.schedule = schedule
        self.shape = (n_temps, chains)
        self.tol = net.tie_tolerance
        if schedule == "checkerboard":
            colors = net.lattice.colors()
            self.color_sites = [np.flatnonzero(colors == c) for c in (0, 1)]

    def init(self, spins, seed):
        """State with one PCG64 generator state (a dict) per chain."""
        rngs = tuple(np.random.PCG64(s).state for s in seed.spawn(spins.shape[0] * spins.shape[1]))
        return SamplerState(spins=spins.copy(), rng=rngs, sweep=0)

    def rebind(self, state):
        """``state`` unchanged: this kernel keeps no cache that depends on the couplings."""
        return state

    def spins(self, state):
        return state.spins.copy()

    def check_state(self, state):
        return check_numpy_spins(state.spins, (*self.shape, self.net.n)) or (
            None
            if isinstance(state.rng, tuple)
            and len(state.rng) == self.shape[0] * self.shape[1]
            and all(isinstance(r, dict) and r.get("bit_generator") == "PCG64" for r in state.rng)
            else "random state is not one PCG64 state per chain (another backend's?)"
        )

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
        rngs = []
        for saved in state.rng:  # fresh generators from the saved states: the input is kept
            bit_generator = np.random.PCG64()
            bit_generator.state = saved
            rngs.append(np.random.Generator(bit_generator))
        S = state.spins.reshape(-1, n).copy()  # (K, n), K = n_T · chains
        beta = np.repeat(np.asarray(betas, dtype=np.float64), self.shape[1])
        flips = np.zeros(S.shape[0], dtype=np.int64)
        rows = np.arange(S.shape[0])
        for _ in range(sweeps):
            order, u = self._draws(rngs, n)
            if self.schedule in ("synchronous", "checkerboard"):
                before = S.copy()
                if self.schedule == "synchronous":
                    h = self.net.couplings.field(S) + self.net.bias
                    S = update(self.rule, S, h, u, beta[:, None], self.tol)
                else:
                    for sites in self.color_sites:
                        h = self.net.couplings.field(S)[:, sites] + self.net.bias[sites]
                        S[:, sites] = update(
                            self.rule, S[:, sites], h, u[:, sites], beta[:, None], self.tol
                        )
                flips += np.count_nonzero(S != before, axis=1)
                continue
            for t in range(n):
                sites = order[:, t]
                h = self.net.couplings.field_at(S, sites) + self.net.bias[sites]
                old = S[rows, sites]
                new = update(self.rule, old, h, u[:, t], beta, self.tol)
                flips += new != old
                S[rows, sites] = new
        new = SamplerState(
            spins=S.reshape(state.spins.shape),
            rng=tuple(rng.bit_generator.state for rng in rngs),
            sweep=state.sweep + sweeps,
        )
        return new, flips.reshape(self.shape)


#: The reference kernel has no options.
OPTIONS: dict[str, str] = {}


def make_kernel(net, *, rule, schedule, n_temps, chains, device=None):
    """Build the reference kernel (``device`` must be None: numpy runs on the CPU)."""
    if device is not None:
        raise param_error(
            "device",
            "the numpy backend",
            "None for the 'numpy' backend (it runs on the CPU); "
            "use backend='torch' to choose a device",
            device,
        )
    return NumpyKernel(net, rule=rule, schedule=schedule, n_temps=n_temps, chains=chains)
