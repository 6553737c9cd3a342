"""Samples of a network's Boltzmann distribution, and annealed importance sampling of log Z.

Exact samples by enumeration for N ≤ 20; above, Monte Carlo samples from the package's
sampler (burn-in, then one sample per chain every ``thin`` sweeps).
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from statnn._validation import check_choice, check_int, check_real, param_error
from statnn.core.network import Network
from statnn.learning.exact import MAX_EXACT_N, exact_samples


def as_generator(random_state, caller: str, name: str = "random_state") -> np.random.Generator:
    """A numpy Generator from an int >= 0, a Generator, a SeedSequence or None (fresh entropy)."""
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.SeedSequence):
        return np.random.default_rng(random_state)
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state >= 0:
            return np.random.default_rng(int(random_state))
    raise param_error(
        name, caller, "an int >= 0, a numpy Generator, a SeedSequence or None", random_state
    )


def check_sample_args(n, T, method, burn_in, thin, chains, caller: str) -> dict:
    """The checked sampling arguments of :func:`draw_samples` (T > 0: a Boltzmann distribution)."""
    return dict(
        n=check_int(n, "n", caller, minimum=1),
        T=check_real(T, "T", caller, minimum=0.0, strict_minimum=True),
        method=check_choice(method, "method", caller, ("auto", "exact", "mc")),
        burn_in=check_int(burn_in, "burn_in", caller, minimum=0),
        thin=check_int(thin, "thin", caller, minimum=1),
        chains=check_int(chains, "chains", caller, minimum=1),
    )


def draw_samples(
    net: Network,
    n: int,
    T: float,
    *,
    method: str,
    burn_in: int,
    thin: int,
    chains: int,
    rng: np.random.Generator,
    backend: str | None,
    device: str | None,
    caller: str,
) -> np.ndarray:
    """``n`` samples (n, N) int8 of exp(−E/T): exact (``method='exact'``) or Monte Carlo."""
    if method == "auto":
        method = "exact" if net.n <= MAX_EXACT_N else "mc"
    if method == "exact":
        if net.n > MAX_EXACT_N:
            raise param_error(
                "method",
                caller,
                f"'mc' or 'auto' for a network of more than {MAX_EXACT_N} neurons",
                method,
            )
        net.require_symmetric(caller)
        return exact_samples(net.couplings.to_dense(), net.bias, n, rng, beta=1.0 / T)
    from statnn.dynamics.sampling import sampler

    net.require_symmetric(caller)
    chains = min(chains, n)
    per_chain = -(-n // chains)
    s = sampler(net, T, chains=chains, backend=backend, device=device)
    state = s.init(init="random", seed=int(rng.integers(2**63)))
    state, _ = s.step(state, burn_in)
    out = np.empty((per_chain, chains, net.n), dtype=np.int8)
    for k in range(per_chain):
        if k:
            state, _ = s.step(state, thin)
        out[k] = s.spins(state)[0]
    return out.reshape(-1, net.n)[:n]


class LogZ(NamedTuple):
    """An annealed-importance-sampling estimate of log Z and its standard error."""

    value: float
    error: float


def ais_log_z(
    net: Network,
    *,
    n_betas: int,
    chains: int,
    rng: np.random.Generator,
    backend: str | None = None,
    device: str | None = None,
) -> LogZ:
    """log Z of exp(−E) by annealed importance sampling (Neal 2001) with the package's sampler.

    Path p_β ∝ exp(−β E), β from 0 (uniform, log Z₀ = N log 2, sampled exactly) to 1 on a
    grid of ``n_betas`` steps; each chain accumulates log w = −Σ_k (β_k − β_{k−1}) E(S_{k−1})
    and then takes one Glauber sweep at β_k. log Z = N log 2 + log mean_c w_c; the error is
    the delta-method standard error std(w)/(√chains · mean(w)).
    """
    from statnn.dynamics.sampling import sampler

    betas = np.linspace(0.0, 1.0, n_betas + 1)
    s = sampler(net, 1.0, chains=chains, backend=backend, device=device)
    state = s.init(init="random", seed=int(rng.integers(2**63)))
    logw = np.zeros(chains)
    for k in range(1, len(betas)):
        E = net.energy(s.spins(state))[0]
        logw -= (betas[k] - betas[k - 1]) * E
        state, _ = s.step(state, 1, T=[1.0 / betas[k]])
    top = logw.max()
    w = np.exp(logw - top)
    value = net.n * np.log(2.0) + top + np.log(w.mean())
    error = w.std(ddof=1) / (np.sqrt(chains) * w.mean()) if chains > 1 else float("nan")
    return LogZ(float(value), float(error))
