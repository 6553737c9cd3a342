"""The torch backend: batched kernels on the CPU and on CUDA (``backend="torch"``).

All K = n_T · chains states form the batch dimension. The update of neuron i with local
field h_i = Σ_j J_ij S_j + b_i, inverse temperature β and uniform u ∈ [0, 1) is the one of
:mod:`statnn.dynamics.numpy_ref` (SPEC §1):

* Glauber: S_i ← +1 if u < 1/(1 + exp(−2β h_i)), else −1;
* Metropolis: flip if u < min(1, exp(−β ΔE)), ΔE = 2 S_i h_i;
* T = 0 (β = ∞), both rules: S_i ← sign h_i, a zero field keeps S_i.

Kernels (see ``docs/backends.md``):

* **Block-sequential** (schedules ``random``, ``sequential``, ``permuted``; every
  coupling representation): the sweep's site order is cut into blocks of B sites. Inside
  a block the B updates run one after another, exactly, from fields kept current by
  h_a ← h_a + J[idx_a, idx_b] ΔS_b after each update b (a B × B sub-matrix G); after the
  block every cached field is corrected with one product h ← h + ΔS_block · J[:, block]ᵀ
  (pattern form: overlaps m ← m + ΔS_block · ξ[:, block]ᵀ). The result is the plain
  sequential dynamics, update for update. The site order (and, for ``random``, the sites
  drawn with replacement) is drawn once per sweep and *shared by all chains* — that is
  what makes the correction a matrix product. Each chain still follows exact random-
  sequential dynamics with its own uniforms; given the shared order the chains are
  independent, so at stationarity their time averages are uncorrelated and errors
  across chains stay valid.
* **Synchronous**: one field product per sweep, all sites from the old state.
* **Checkerboard** (lattices): :mod:`statnn.dynamics.torch_lattice`.

Random numbers come from one ``torch.Generator`` on the device, seeded from the
SeedSequence ``init`` receives: per sweep the order (``randint`` / ``randperm``), then the
uniforms (K, n) in column chunks. The same seed on the same device gives the same run;
different devices (or torch versions) give different streams, equal in distribution.
"""

from __future__ import annotations

import re

import numpy as np
import torch

from .._validation import param_error
from ..core.network import Network
from ..errors import BackendUnavailableError
from .backends import SamplerState
from .torch_fields import make_fields

#: Default block size B of block-sequential updates: the within-block loop costs O(K B)
#: per update and the block correction is a (K × B)(B × n) product; 64 keeps the product
#: efficient on tensor cores and the loop short. Override with ``make_kernel(block_size=)``.
BLOCK_SIZE = 64

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


def block_loop(raw, s, u, G, E, bias, scale: float, beta, zero_keeps, rule: str):
    """Update B sites one after another for all K states; returns the changes D (K, B).

    raw (K, B): coupling fields of the block sites in raw units (h = scale · raw + bias);
    s (K, B): their spins; u (K, B): uniforms; G (B, B): G[a, b] = raw J[idx_a, idx_b];
    E (B, B): 1 where idx_a = idx_b (a site drawn twice sees its own new value).
    After update b: raw_a += G[a, b] ΔS_b and s_a += E[a, b] ΔS_b. ``raw`` and ``s`` are
    modified in place.
    """
    D = torch.zeros_like(s)
    for b in range(s.shape[1]):
        h = raw[:, b] * scale + bias[b]
        old = s[:, b]
        d = new_spins(rule, old, h, u[:, b], beta, zero_keeps) - old
        D[:, b] = d
        raw.addr_(d, G[:, b])
        s.addr_(d, E[:, b])
    return D


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


class BlockKernel(TorchKernel):
    """Exact sequential dynamics by blocks (schedules random, sequential, permuted)."""

    def __init__(self, net, *, block_size, compile, pattern_mode, **kw):
        super().__init__(net, **kw)
        self.B = int(block_size)
        self.fields = make_fields(net.couplings, self.device, pattern_mode)
        self.dtype = self.fields.dtype
        self.bias = torch.as_tensor(net.bias, device=self.device).to(self.dtype)
        self.loop = block_loop
        if compile:
            self.loop = torch.compile(block_loop, dynamic=False)
        self._arange = torch.arange(self.n, device=self.device)

    def _cache(self, S):
        flat = S.reshape(self.K, self.n)
        return self.fields.init_cache(flat).reshape(*self.shape, -1)

    def _order(self, gen):
        if self.schedule == "random":
            return torch.randint(0, self.n, (self.n,), generator=gen, device=self.device)
        if self.schedule == "permuted":
            return torch.randperm(self.n, generator=gen, device=self.device)
        return self._arange

    def step(self, state, betas, sweeps):
        beta, zero_keeps = self._betas(betas, self.dtype)
        S = state.spins.reshape(self.K, self.n).clone()  # the input state stays valid
        cache = state.cache.reshape(self.K, -1).clone()
        gen = state.rng
        flips = torch.zeros(self.K, dtype=torch.int64, device=self.device)
        f = self.fields
        for sweep in range(state.sweep, state.sweep + sweeps):
            if not f.exact and sweep > 0 and sweep % FIELD_REFRESH_SWEEPS == 0:
                cache.copy_(f.init_cache(S))
            order = self._order(gen)
            for start, u in self._uniform_chunks(gen, self.dtype, self.B):
                for b0 in range(0, u.shape[1], self.B):
                    idx = order[start + b0 : start + b0 + self.B]
                    D = self._block(S, cache, idx, u[:, b0 : b0 + self.B], beta, zero_keeps)
                    flips += (D != 0).sum(1)
        new = state._replace(
            spins=S.reshape(state.spins.shape),
            cache=cache.reshape(state.cache.shape),
            sweep=state.sweep + sweeps,
        )
        return new, flips.reshape(self.shape).cpu().numpy()

    def _block(self, S, cache, idx, u, beta, zero_keeps):
        f = self.fields
        raw = f.block_raw(cache, S, idx).to(self.dtype)
        s = S.index_select(1, idx).to(self.dtype)
        G = f.sub_matrix(idx).to(self.dtype)
        E = (idx[:, None] == idx[None, :]).to(self.dtype)
        loop = self.loop if len(idx) == self.B else block_loop  # compiled for full blocks
        D = loop(raw, s, u, G, E, self.bias[idx], f.scale, beta, zero_keeps, self.rule)
        S[:, idx] = s.to(torch.int8)  # a repeated site holds the same value everywhere
        f.apply(cache, idx, D)
        return D


class SynchronousKernel(TorchKernel):
    """Little dynamics: all sites from the old state, one field product per sweep."""

    def __init__(self, net, *, pattern_mode, **kw):
        super().__init__(net, **kw)
        self.fields = make_fields(net.couplings, self.device, pattern_mode)
        self.dtype = self.fields.dtype
        self.bias = torch.as_tensor(net.bias, device=self.device).to(self.dtype)

    def step(self, state, betas, sweeps):
        beta, zero_keeps = self._betas(betas, self.dtype)
        beta = beta[:, None]
        zero_keeps = None if zero_keeps is None else zero_keeps[:, None]
        S = state.spins.reshape(self.K, self.n)
        flips = torch.zeros(self.K, dtype=torch.int64, device=self.device)
        f = self.fields
        for _ in range(sweeps):
            u = torch.rand(
                (self.K, self.n), generator=state.rng, dtype=self.dtype, device=self.device
            )
            old = S.to(self.dtype)
            h = f.full_raw(S).to(self.dtype) * f.scale + self.bias
            new = new_spins(self.rule, old, h, u, beta, zero_keeps)
            flips += (new != old).sum(1)
            S = new.to(torch.int8)
        new_state = state._replace(spins=S.reshape(state.spins.shape), sweep=state.sweep + sweeps)
        return new_state, flips.reshape(self.shape).cpu().numpy()


def make_kernel(
    net,
    *,
    rule,
    schedule,
    n_temps,
    chains,
    device=None,
    block_size: int | None = None,
    compile: bool | None = None,
    pattern_mode: str | None = None,
):
    """Build the torch kernel for ``net`` on ``device`` (None → ``"cpu"``).

    Parameters
    ----------
    block_size : int, optional
        B of block-sequential updates (default :data:`BLOCK_SIZE`).
    compile : bool, optional
        Compile the within-block loop and the lattice half-sweep with ``torch.compile``
        (default: on CUDA only, where it fuses B updates / a half-sweep into few kernels).
    pattern_mode : {"float", "int8"}, optional
        Exact arithmetic of pattern-form couplings (default "int8" on CUDA, "float" on the
        CPU); see :class:`statnn.dynamics.torch_fields.PatternFields`.
    """
    dev = resolve_device(device)
    if compile is None:
        compile = dev.type == "cuda"
    if pattern_mode is None:
        pattern_mode = "int8" if dev.type == "cuda" else "float"
    if pattern_mode not in ("float", "int8"):
        raise param_error("pattern_mode", "the torch backend", "'float' or 'int8'", pattern_mode)
    block_size = BLOCK_SIZE if block_size is None else block_size
    if (
        not isinstance(block_size, int | np.integer)
        or isinstance(block_size, bool)
        or block_size < 1
    ):
        raise param_error("block_size", "the torch backend", "an int >= 1", block_size)
    kw = dict(rule=rule, schedule=schedule, n_temps=n_temps, chains=chains, device=dev)
    if schedule == "checkerboard":
        from .torch_lattice import CheckerboardKernel

        return CheckerboardKernel(net, compile=compile, **kw)
    if schedule == "synchronous":
        return SynchronousKernel(net, pattern_mode=pattern_mode, **kw)
    return BlockKernel(net, block_size=block_size, compile=compile, pattern_mode=pattern_mode, **kw)
