"""What every torch kernel shares: the device check, the seed, the update rule (Glauber
P(S = +1) = 1/(1 + exp(−2βh)), Metropolis and the T = 0 rule, vectorised: the torch twin of
:mod:`statnn.dynamics.numba.rules`) and the state layout (:class:`TorchKernel`)."""

from __future__ import annotations

import numpy as np
import torch

from statnn.core.network import Network
from statnn.dynamics.backends import SamplerState

#: Float caches (dense couplings) are recomputed from the spins this often (sweeps).
FIELD_REFRESH_SWEEPS = 50

#: Uniforms are drawn in chunks of at most this many numbers (K × columns).
_CHUNK = 2**24


def torch_seed(seed: np.random.SeedSequence) -> int:
    """A 63-bit integer for ``torch.Generator.manual_seed`` derived from a SeedSequence."""
    return int(seed.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


#: float32 computes fields and β·h only when every nonzero magnitude in play (couplings ×
#: neighbours, biases, finite β and 1/β) lies in [1e-15, 1e15]: then β·h stays far inside
#: float32's range (1.2e-38 … 3.4e38) and nothing overflows, underflows or flushes to 0.
_F32_SAFE = (1e-15, 1e15)


def decision_dtype(dtype: torch.dtype, magnitudes, betas) -> torch.dtype:
    """``dtype``, or float64 where float32 would overflow or lose the update's answer.

    ``magnitudes``: largest |field| contributions (e.g. |J|·(number of neighbours), max |b|);
    ``betas``: the step's inverse temperatures (β = ∞ is exact in any dtype).
    """
    if dtype == torch.float64:
        return dtype
    lo, hi = _F32_SAFE
    values = [abs(float(m)) for m in magnitudes]
    for beta in np.asarray(betas, dtype=np.float64).ravel():
        if np.isfinite(beta) and beta != 0:
            values += [beta, 1.0 / beta]
    if all(v == 0 or lo <= v <= hi for v in values):
        return dtype
    return torch.float64


def new_spins(rule: str, old, h, u, beta, zero_keeps, tol: float = 0.0):
    """Updated spins (float ±1) from old spins, fields, uniforms and β (all broadcastable).

    Glauber: +1 if u < 1/(1 + exp(−2βh)); Metropolis: flip if u < min(1, exp(−2βsh)).
    ``zero_keeps`` is the boolean β = ∞ of each state (or None when every β is finite):
    there the rules give sign(h), and a tie |h| ≤ ``tol`` (the network's tie tolerance)
    keeps the state.
    """
    if rule == "glauber":
        p = torch.sigmoid(2.0 * beta * h)  # NaN at β = ∞, h = 0: a tie, handled below
        new = torch.where(u < p, 1.0, -1.0).to(h.dtype)
    else:
        x = -2.0 * beta * old * h  # −β ΔE; NaN at β = ∞, ΔE = 0: a tie, handled below
        accept = (x >= 0) | (u < torch.exp(x))
        new = torch.where(accept, -old, old)
    if zero_keeps is not None:
        new = torch.where(zero_keeps & (h.abs() <= tol), old, new)
    return new


class TorchKernel:
    """Shared layout: spins (n_T, chains, n) int8 on the device, one generator, flips."""

    def __init__(self, net: Network, *, rule, schedule, n_temps, chains, device):
        self.net = net
        self.rule = rule
        self.schedule = schedule
        self.shape = (n_temps, chains)
        self.K = n_temps * chains
        self.n = net.n
        self.device = device
        self.tol = net.tie_tolerance

    def _generator(self, state):
        """A copy of the state's generator: ``step`` never advances its input's stream."""
        gen = torch.Generator(device=self.device)
        gen.set_state(state.rng.get_state())
        return gen

    def init(self, spins, seed):
        gen = torch.Generator(device=self.device)
        gen.manual_seed(torch_seed(seed))
        S = torch.as_tensor(np.ascontiguousarray(spins, dtype=np.int8), device=self.device)
        S = S.reshape(*self.shape, self.n).clone()
        return SamplerState(spins=S, rng=gen, sweep=0, cache=self._cache(S))

    def _cache(self, S):
        return None

    def rebind(self, state):
        """``state``'s chains (spins, generator) with the cache recomputed for this network."""
        return state._replace(cache=self._cache(state.spins))

    def spins(self, state):
        return state.spins.cpu().numpy().copy()

    def check_state(self, state):
        shape = (*self.shape, self.n)
        S = state.spins
        if not isinstance(S, torch.Tensor):
            return f"spins are a {type(S).__name__}, not a torch tensor (another backend's?)"
        if tuple(S.shape) != shape or S.dtype != torch.int8:
            return f"spins are {S.dtype} of shape {tuple(S.shape)}, not torch.int8 of shape {shape}"
        if S.device != self.device or not S.is_contiguous():
            return (
                f"spins are on {S.device} (contiguous: {S.is_contiguous()}), not on {self.device}"
            )
        if not isinstance(state.rng, torch.Generator) or state.rng.device != self.device:
            return f"random state is not a torch.Generator on {self.device}"
        cache = state.cache
        want = self._cache_layout()
        if want is None:
            return None if cache is None else "cache is set where this kernel keeps none"
        if not (
            isinstance(cache, torch.Tensor)
            and (tuple(cache.shape), cache.dtype) == want
            and cache.device == self.device
        ):
            return f"cache is not a {want[1]} tensor of shape {want[0]} on {self.device}"
        return None

    def _cache_layout(self):
        """(shape, dtype) of the cache ``init`` makes, or None (found from one small state)."""
        if not hasattr(self, "_layout"):
            probe = torch.ones((*self.shape, self.n), dtype=torch.int8, device=self.device)
            cache = self._cache(probe)
            self._layout = None if cache is None else (tuple(cache.shape), cache.dtype)
        return self._layout

    def permute(self, state, perm):
        p = torch.as_tensor(np.asarray(perm), dtype=torch.int64, device=self.device)
        c = torch.arange(self.shape[1], device=self.device)[None, :]
        cache = None if state.cache is None else state.cache[p, c].contiguous()
        return state._replace(spins=state.spins[p, c].contiguous(), cache=cache)

    def _betas(self, betas, dtype):
        beta = torch.as_tensor(np.repeat(np.asarray(betas, dtype=np.float64), self.shape[1]))
        beta = beta.to(device=self.device, dtype=dtype)
        inf = torch.isinf(beta)
        return beta, (inf if bool(inf.any()) else None)

    def _uniform_chunks(self, gen, dtype, B):
        """Column ranges of whole blocks whose uniforms are drawn at once."""
        width = max(B, (_CHUNK // max(self.K, 1)) // B * B)
        for start in range(0, self.n, width):
            stop = min(start + width, self.n)
            u = torch.rand((self.K, stop - start), generator=gen, dtype=dtype, device=self.device)
            yield start, u
