"""What every torch kernel shares: the device check, the seed, the update rule (seed
eq. 2 and the T = 0 rule, vectorised) and the state layout (:class:`TorchKernel`)."""

from __future__ import annotations

import re

import numpy as np
import torch

from statnn._validation import param_error
from statnn.core.network import Network
from statnn.dynamics.backends import SamplerState
from statnn.errors import BackendUnavailableError

#: Float caches (dense couplings) are recomputed from the spins this often (sweeps).
FIELD_REFRESH_SWEEPS = 50

#: Uniforms are drawn in chunks of at most this many numbers (K × columns).
_CHUNK = 2**24

_DEVICE_RE = re.compile(r"cpu|cuda(:\d+)?")


def resolve_device(device, caller: str = "the torch backend") -> torch.device:
    """``None`` → CPU; ``'cpu'``, ``'cuda'`` or ``'cuda:N'`` checked against this machine."""
    if device is None:
        return torch.device("cpu")
    text = str(device) if isinstance(device, torch.device) else device
    if not isinstance(text, str) or not _DEVICE_RE.fullmatch(text):
        raise param_error("device", caller, "None, 'cpu', 'cuda' or 'cuda:N'", device)
    if text.startswith("cuda"):
        if not torch.cuda.is_available():
            build = "a CPU-only build" if torch.version.cuda is None else "no visible GPU"
            raise BackendUnavailableError(
                f"device={text!r} needs a CUDA GPU, but torch {torch.__version__} has "
                f"{build} here (torch.cuda.is_available() is False); use device='cpu'."
            )
        index = int(text.split(":")[1]) if ":" in text else 0
        if index >= torch.cuda.device_count():
            raise BackendUnavailableError(
                f"device={text!r} does not exist: this machine has "
                f"{torch.cuda.device_count()} CUDA device(s)."
            )
    return torch.device(text)


def torch_seed(seed: np.random.SeedSequence) -> int:
    """A 63-bit integer for ``torch.Generator.manual_seed`` derived from a SeedSequence."""
    return int(seed.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def new_spins(rule: str, old, h, u, beta, zero_keeps):
    """Updated spins (float ±1) from old spins, fields, uniforms and β (all broadcastable).

    ``zero_keeps`` is the boolean β = ∞ of each state (or None when every β is finite):
    there a zero field keeps the state under Glauber; Metropolis gets it from NaN → reject.
    """
    if rule == "glauber":
        p = torch.sigmoid(2.0 * beta * h)  # NaN at β = ∞, h = 0: handled below
        new = torch.where(u < p, 1.0, -1.0).to(h.dtype)
        if zero_keeps is not None:
            new = torch.where(zero_keeps & (h == 0), old, new)
        return new
    x = -2.0 * beta * old * h  # −β ΔE; NaN at β = ∞, ΔE = 0 → rejected
    accept = (x >= 0) | (u < torch.exp(x))
    return torch.where(accept, -old, old)


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

    def init(self, spins, seed):
        gen = torch.Generator(device=self.device)
        gen.manual_seed(torch_seed(seed))
        S = torch.as_tensor(np.ascontiguousarray(spins, dtype=np.int8), device=self.device)
        S = S.reshape(*self.shape, self.n).clone()
        return SamplerState(spins=S, rng=gen, sweep=0, cache=self._cache(S))

    def _cache(self, S):
        return None

    def spins(self, state):
        return state.spins.cpu().numpy().copy()

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


