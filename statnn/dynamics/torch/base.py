"""What every torch kernel shares: the device check, the seed, the update rule (Glauber
P(S = +1) = 1/(1 + exp(−2βh)), Metropolis and the T = 0 rule, vectorised: the torch twin of
:mod:`statnn.dynamics.numba.rules`), the state layout and the record loop
(:class:`TorchKernel`).

A kernel implements two calls that work in place on device tensors and never read a value
back to the host: ``_run(betas)`` (host-side preparation: dtype, β on the device) and
``_advance(run, S, cache, gen, sweep, sweeps, flips)`` (``sweeps`` sweeps, flips added per
state), plus ``_pair_sum`` (Σ_ij J_ij S_i S_j per state, from the fields it keeps); a kernel
that advances another representation (the packed words of the multi-spin kernel, in the
cache) decodes it into the int8 spins in ``_sync_spins``, once per call. ``step``
and ``record`` are built on them here: ``record`` keeps its measurements in preallocated
device tensors and reads them back once, at the end.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import NamedTuple

import numpy as np
import torch

from statnn._validation import param_error
from statnn.core.network import Network
from statnn.dynamics.backends import Records, SamplerState
from statnn.dynamics.torch.fields import PatternFields

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

    #: Whether one record block (``every`` sweeps and the measurement) may be captured as a
    #: CUDA graph and replayed: true where ``_advance`` launches the same work whatever the
    #: sweep number (no host-side schedule such as a periodic field refresh, no sweep counter
    #: passed as a kernel argument).
    graph_safe = False

    #: Capture the record block as a CUDA graph on CUDA devices where :attr:`graph_safe`
    #: (set False on an instance to run the record loop eagerly).
    use_graphs = True

    def __init__(self, net: Network, *, rule, schedule, n_temps, chains, device):
        self.net = net
        self.rule = rule
        self.schedule = schedule
        self.shape = (n_temps, chains)
        self.K = n_temps * chains
        self.n = net.n
        self.device = device
        self.tol = net.tie_tolerance
        bias = np.broadcast_to(np.asarray(net.bias, dtype=np.float64), (net.n,))
        #: b (n,) float64 on the device, for the recorded energy
        self.bias64 = torch.as_tensor(np.ascontiguousarray(bias), device=device)
        self.uniform_bias = net.uniform_bias
        self._host = None  # (weakref to the spins tensor, its version, host copy)

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
        kept = self._host
        if kept is not None and kept[0]() is state.spins and state.spins._version == kept[1]:
            return kept[2].copy()  # read back with the records of the call that made it
        return state.spins.cpu().numpy().copy()

    def _keep_host(self, spins, host):
        """Remember ``host``, the numpy copy of the device tensor ``spins`` read back with a
        call's results, for :meth:`spins` (until the tensor changes)."""
        self._host = (weakref.ref(spins), spins._version, host)

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
        """β per state (K,) on the device and the β = ∞ mask (None when every β is finite,
        decided from the host values: no device read, no blocking copy)."""
        host = np.repeat(np.asarray(betas, dtype=np.float64), self.shape[1])
        beta = torch.as_tensor(host, dtype=dtype)
        if self.device.type == "cuda":  # from pinned memory: the copy does not block the host
            beta = beta.pin_memory()
        beta = beta.to(self.device, non_blocking=True)
        return beta, (torch.isinf(beta) if np.isinf(host).any() else None)

    def _uniform_chunks(self, gen, dtype, B):
        """Column ranges of whole blocks whose uniforms are drawn at once."""
        width = max(B, (_CHUNK // max(self.K, 1)) // B * B)
        for start in range(0, self.n, width):
            stop = min(start + width, self.n)
            u = torch.rand((self.K, stop - start), generator=gen, dtype=dtype, device=self.device)
            yield start, u

    # -- dynamics: step and record on the kernel's in-place calls ---------------------------
    @property
    def records_on_device(self) -> bool:
        """Whether :meth:`record` can run this kernel: its ``step`` is the shared one, built
        on its own ``_advance`` (a kernel that overrides ``step`` instead is recorded by
        ``simulate``'s loop over ``step``)."""
        mro = type(self).__mro__
        step_owner = next(c for c in mro if "step" in c.__dict__)
        advance_owner = next(c for c in mro if "_advance" in c.__dict__)
        return step_owner is TorchKernel and advance_owner is not TorchKernel

    def _run(self, betas):
        """Host-side preparation of a call at inverse temperatures ``betas`` (n_T,)."""
        raise NotImplementedError

    def _advance(self, run, S, cache, gen, sweep, sweeps, flips):
        """Run ``sweeps`` sweeps from sweep number ``sweep`` in place: S (K, n) int8, the
        cache (K, ·) or None, the generator; add the flips per state to ``flips`` (K,)."""
        raise NotImplementedError

    def _pair_sum(self, run, S, cache):
        """Σ_ij J_ij S_i S_j per state (K,) float64, from the fields the kernel keeps."""
        raise NotImplementedError

    def _sync_spins(self, run, S, cache):
        """Bring the int8 spins S up to date with the cache, in place, where ``_advance``
        runs on another representation (packed words); here nothing: S is advanced."""

    def _coupling_energy(self, run, S, cache):
        """The coupling part of E per state (K,) float64: −½ Σ_ij J_ij S_i S_j for
        quadratic couplings (a kernel with another energy overrides this)."""
        return self._pair_sum(run, S, cache).mul(-0.5)

    def _overlap_sums(self, S, cache):
        """Σ_i ξ_i^μ S_i per state (K, P) of pattern-form couplings, else None."""
        return None

    def _local_fields(self, S, cache):
        """h_i = Σ_j J_ij S_j + b_i of every site (K, n) float64, for the T = 0 fixed-point
        test of :meth:`relax` after random-order sweeps (a kernel that runs that schedule
        provides it)."""
        raise NotImplementedError

    def _stable(self, S, cache):
        """Per state (K,) bool: a fixed point of the T = 0 rule, S_i h_i ≥ −tol for every i
        (a tie, |h_i| ≤ tol, keeps the spin)."""
        h = self._local_fields(S, cache)
        return (S.to(h.dtype) * h >= -self.tol).all(1)

    def _numerics(self):
        """A context the dynamics runs in (e.g. TF32 off where exactness depends on it)."""
        return contextlib.nullcontext()

    def _own(self, state):
        """Copies of the state's spins (K, n), cache (K, ·) and generator to advance."""
        S = state.spins.reshape(self.K, self.n).clone()  # the input state stays valid
        cache = None if state.cache is None else state.cache.reshape(self.K, -1).clone()
        return S, cache, self._generator(state)

    def _new_state(self, state, S, cache, gen, sweeps):
        return state._replace(
            spins=S.reshape(state.spins.shape),
            rng=gen,
            cache=None if cache is None else cache.reshape(state.cache.shape),
            sweep=state.sweep + sweeps,
        )

    def step(self, state, betas, sweeps):
        sweeps = int(sweeps)
        with self._numerics():
            run = self._run(betas)
            S, cache, gen = self._own(state)
            flips = torch.zeros(self.K, dtype=torch.int64, device=self.device)
            if sweeps:
                self._advance(run, S, cache, gen, state.sweep, sweeps, flips)
                self._sync_spins(run, S, cache)
        new = self._new_state(state, S, cache, gen, sweeps)
        return new, flips.reshape(self.shape).cpu().numpy()

    # -- relaxation to a fixed point (recall / relax) --------------------------------------
    @property
    def kind(self) -> str:
        """The coupling representation the kernel runs on: ``"patterns"`` (Hebbian pattern
        form, cached overlaps), ``"dense"``, ``"sparse"``, ``"lattice"``, …"""
        if isinstance(getattr(self, "fields", None), PatternFields):
            return "patterns"
        return getattr(self.net.couplings, "kind", "") or "dense"

    @property
    def relaxes(self) -> bool:
        """Whether :meth:`relax` serves this kernel: its ``step`` is the shared one on its
        ``_advance`` and, under the random schedule, it provides the fields of the
        fixed-point test (:meth:`_local_fields`)."""
        own_fields = type(self)._local_fields is not TorchKernel._local_fields
        return self.records_on_device and (self.schedule != "random" or own_fields)

    def relax(self, state, betas, sweeps, *, window=0, overlaps=False):
        """Run every chain to a fixed point (T = 0) or for ``sweeps`` sweeps, on the device
        (:mod:`statnn.dynamics.torch.relax`): the results of :meth:`NumbaKernel.relax
        <statnn.dynamics.numba.kernel.NumbaKernel.relax>` and of the step loop of
        :func:`statnn.recall`, with one small host read per block of sweeps (blocks of half
        the sweeps run so far, up to :data:`~statnn.dynamics.torch.relax.MAX_BLOCK` sweeps:
        :func:`~statnn.dynamics.torch.relax.block_after`) and one copy of the results at the
        end.

        A T = 0 chain is done after the first sweep t that flips no spin and leaves a fixed
        point (S_i h_i ≥ −tol for every i): ``done_at`` = t. Over its last ``window``
        sweeps (t > sweeps − window, up to ``done_at``) its spins are summed; with
        ``overlaps=True`` (pattern form) its exact overlaps M_μ = Σ_i ξ_i^μ S_i instead,
        and the final ones returned.

        Returns
        -------
        state : SamplerState
            The final chains (the input state is not modified). All chains share one
            generator: its stream and ``sweep`` are those after every sweep the loop ran,
            up to the end of the block in which the last chain converged (the spins are
            those of ``done_at``: a fixed point stays fixed at T = 0).
        Relaxed
            ``done_at`` (n_T, chains), ``spin_sums`` (K, N) int32 or None, ``overlap_sums``
            (K, P) int64 or None, ``overlaps`` (K, P) int64 or None.
        """
        if not self.relaxes:
            raise NotImplementedError(
                f"{type(self).__name__} has no relax under the {self.schedule!r} schedule"
            )
        from statnn.dynamics.torch.relax import relax

        return relax(self, state, betas, sweeps, window=window, overlaps=overlaps)

    def _columns(self):
        """Offsets of the record row: E, Σ S, q sums of the chain pairs, overlap sums."""
        n_T, chains = self.shape
        K, pairs = self.K, chains // 2
        P = self._n_overlaps()
        q0 = 2 * K
        o0 = q0 + n_T * pairs
        return q0, o0, o0 + K * P, pairs, P

    def _n_overlaps(self):
        fields = getattr(self, "fields", None)
        return int(fields.p) if isinstance(fields, PatternFields) else 0

    def _state_sums(self, run, S, cache):
        """Per state (K,): E = −½ Σ_ij J_ij S_i S_j − Σ_i b_i S_i (float64), Σ_i S_i (int64)
        and the pattern overlap sums Σ_i ξ_i^μ S_i (K, ≥ P), or None without patterns."""
        m = S.sum(1, dtype=torch.int64)
        if self.uniform_bias is not None:
            field_part = m.to(torch.float64) * float(self.uniform_bias)
        else:
            field_part = S.to(torch.float64) @ self.bias64
        E = self._coupling_energy(run, S, cache).sub_(field_part)
        return E, m, self._overlap_sums(S, cache) if self._n_overlaps() else None

    def _replica_sums(self, S, cache, who=None):
        """Σ_i S_i^a S_i^b (n_T · pairs,) int64 of the chain pairs (0, 1), (2, 3), … of each
        temperature; ``who`` (K,), where given, names the state at each position t · chains
        + c (replica exchange), else state k is at position k."""
        pairs = self.shape[1] // 2
        if who is None:
            grid = S.reshape(*self.shape, self.n)
            a, b = grid[:, 0 : 2 * pairs : 2], grid[:, 1 : 2 * pairs : 2]
        else:
            at = who.view(self.shape)
            a, b = S[at[:, 0 : 2 * pairs : 2]], S[at[:, 1 : 2 * pairs : 2]]
        return (a * b).sum(-1, dtype=torch.int64).reshape(-1)

    def _measure(self, run, S, cache, dst, who=None):
        """Write one record row ``dst`` (float64, device): per state E = −½ Σ_ij J_ij S_i S_j
        − Σ_i b_i S_i and Σ_i S_i, per chain pair Σ_i S_i^a S_i^b, and the pattern overlap
        sums Σ_i ξ_i^μ S_i. Integer sums are exact in float64 (|sum| ≤ n·P < 2⁵³). With
        ``who`` (replica exchange) the row is by position: the state ``who[j]`` at j."""
        self._write_row(dst, self._state_sums(run, S, cache), S, cache, who)

    def _write_row(self, dst, sums, S, cache, who=None):
        """The record row from :meth:`_state_sums` ``sums`` (and the replica sums), by
        position where ``who`` is given."""
        K = self.K
        q0, o0, end, pairs, P = self._columns()
        E, m, overlaps = sums
        if who is not None:
            E, m = E[who], m[who]
            overlaps = None if overlaps is None else overlaps[who]
        dst[:K].copy_(E)
        dst[K : 2 * K].copy_(m)
        if pairs:
            dst[q0:o0].copy_(self._replica_sums(S, cache, who))
        if P:
            dst[o0:end].copy_(overlaps[:, :P].reshape(-1))

    def _temperature_tensors(self, run):
        """The tensors of ``run`` that hold, per state (leading dimension K, in any view), a
        value of its temperature: here ``run`` is β per state or a tuple that starts with
        (β, the β = ∞ mask or None). Replica exchange rewrites them in place when states
        change temperature; a kernel with another layout overrides this."""
        if isinstance(run, torch.Tensor):
            return [run]
        return [x for x in run[:2] if x is not None]

    def exchange_state(self, seed, cold):
        """A fresh :class:`~statnn.dynamics.numba.kernel.ExchangeState` for :meth:`record`:
        ``rng`` is a :class:`DeviceStreams`: the state of the swap decisions'
        ``torch.Generator`` on the device seeded from ``seed`` (a SeedSequence), and each
        configuration on its own row; even pairs first, no counts; the replicas at the
        coldest slot ``cold`` (0 or n_T − 1) start heading away from it. The counts are
        numpy arrays by position of the temperature-ordered state (flattened (n_T,
        chains))."""
        from statnn.dynamics.numba.kernel import ExchangeState

        n_T, chains = self.shape
        gen = torch.Generator(device=self.device)
        gen.manual_seed(torch_seed(seed))
        heading = np.zeros((n_T, chains), dtype=np.int8)
        heading[cold] = 1
        return ExchangeState(
            rng=DeviceStreams(swaps=gen.get_state(), rows=np.arange(n_T * chains)),
            parity=0,
            heading=heading.ravel(),
            trips=np.zeros(n_T * chains, dtype=np.int64),
            tried=np.zeros(n_T - 1, dtype=np.int64),
            accepted=np.zeros(n_T - 1, dtype=np.int64),
        )

    def record(
        self,
        state,
        betas,
        *,
        n_records,
        every,
        burn_in=0,
        exchange=None,
        exchange_seed=None,
        lockstep=False,
    ):
        """Burn-in, then ``n_records`` blocks of ``every`` sweeps measured after each block,
        on the device; returns the new state and :class:`~statnn.dynamics.backends.Records`.

        Measured per chain: E/N with E = −½ Σ_ij J_ij S_i S_j − Σ_i b_i S_i (from the fields
        the kernel keeps: exact integers for lattices and pattern form), m = (1/N) Σ_i S_i,
        the pattern overlaps m_μ = (1/N) Σ_i ξ_i^μ S_i (pattern form) and q = (1/N) Σ_i
        S_i^a S_i^b of the chain pairs (0, 1), (2, 3), …; flips during the recorded sweeps.
        The measurements go into one preallocated device tensor; the loop reads nothing back,
        and the records, the flips and the final spins come to the host in one copy at the
        end. On CUDA, where :attr:`graph_safe`, the first block runs eagerly and the next
        ones replay it as a CUDA graph (one :class:`~statnn.dynamics.torch.triton_support.
        FastPathWarning` and the eager loop where capture fails). ``lockstep`` is accepted
        for the numba signature (no effect).

        With ``exchange`` (an :class:`~statnn.dynamics.numba.kernel.ExchangeState` of
        :meth:`exchange_state`; or ``exchange_seed``, a SeedSequence, for a fresh one)
        neighbouring temperatures exchange labels after every block, burn-in included, on
        the device (:meth:`_exchange_round`: the rule and bookkeeping of the numba backend);
        the swap and round-trip counts restart after a burn-in, and ``Records.exchange``
        continues the exchange in a next call (the same records as one call). The records
        stay labelled by temperature, the returned state is in temperature order, and the
        exchange counts come back with the records in the same single copy. This loop runs
        eagerly (no CUDA graph).
        """
        if not self.records_on_device:
            raise NotImplementedError(
                f"{type(self).__name__} has its own step and no device record loop; "
                "simulate records it through its loop over step."
            )
        R, every, burn_in = int(n_records), int(every), int(burn_in)
        if exchange is None and exchange_seed is not None:
            exchange = self.exchange_state(exchange_seed, int(np.argmax(betas)))
        if exchange is not None:
            n_T = self.shape[0]
            if (
                not isinstance(exchange.rng, DeviceStreams)
                or np.shape(exchange.heading) != (self.K,)
                or np.shape(exchange.tried) != (n_T - 1,)
            ):
                raise param_error(
                    "exchange",
                    "TorchKernel.record",
                    f"the ExchangeState of TorchKernel.exchange_state for a {n_T} x {self.shape[1]} ladder",
                    f"<an ExchangeState of {np.shape(exchange.heading)[0]} replicas, "
                    f"rng {type(exchange.rng).__name__}>",
                )
            return self._record_exchanging(state, betas, R, every, burn_in, exchange)
        with self._numerics():
            run = self._run(betas)
            S, cache, gen = self._own(state)
            flips = torch.zeros(self.K, dtype=torch.int64, device=self.device)
            sweep = state.sweep
            if burn_in:
                self._advance(run, S, cache, gen, sweep, burn_in, flips)
                sweep += burn_in
                flips.zero_()
            width = self._columns()[2]
            buf = torch.empty((R, width), dtype=torch.float64, device=self.device)
            start = 0
            if R > 1 and self.device.type == "cuda" and self.graph_safe and self.use_graphs:
                from statnn.dynamics.torch.graphs import record_with_graph

                start = record_with_graph(self, run, S, cache, gen, flips, buf, sweep, every)
            for r in range(start, R):  # the eager loop: no value is read back
                self._advance(run, S, cache, gen, sweep + r * every, every, flips)
                self._measure(run, S, cache, buf[r])
            if burn_in or R:
                self._sync_spins(run, S, cache)
            # the one device → host copy: records, flips and final spins as bytes
            parts = (buf.reshape(-1), flips, S.reshape(-1))
            blob = torch.cat([part.view(torch.uint8) for part in parts])
            host = blob.cpu().numpy()
        new = self._new_state(state, S, cache, gen, burn_in + R * every)
        return new, self._unpack(host, new.spins, R)

    def _upload(self, values, dtype):
        """A host array as a new device tensor (from pinned memory on CUDA: no host sync)."""
        t = torch.tensor(np.asarray(values), dtype=dtype)
        if self.device.type == "cuda":
            t = t.pin_memory()
        return t.to(self.device, non_blocking=True)

    def _record_exchanging(self, state, betas, R, every, burn_in, exchange):
        """:meth:`record` with replica exchange after every block (see there)."""
        n_T, chains = self.shape
        K, dev = self.K, self.device
        end = self._columns()[2]
        betas = np.asarray(betas, dtype=np.float64)
        blocks = []  # (sweeps, record row or −1 for burn-in)
        if burn_in:
            full, part = divmod(burn_in, every)
            blocks += [(every, -1)] * full + ([(part, -1)] if part else [])
        blocks += [(every, r) for r in range(R)]
        with self._numerics():
            run = self._run(betas)
            live = self._temperature_tensors(run)
            ladder = [x.clone() for x in live]  # state t · chains + c at temperature t
            ex = _DeviceExchange(self, betas, exchange)
            S, cache, gen = self._own(state)
            # each configuration back on the row whose random numbers it draws
            S = torch.empty_like(S).index_copy_(0, ex.who, S)
            if cache is not None:
                cache = torch.empty_like(cache).index_copy_(0, ex.who, cache)
            rows = ex.rows()
            for x, y in zip(live, ladder, strict=True):
                x.copy_(y[rows])
            flips = torch.zeros(K, dtype=torch.int64, device=dev)
            block_flips = torch.zeros(K, dtype=torch.int64, device=dev)
            buf = torch.empty((R, end), dtype=torch.float64, device=dev)
            sweep = state.sweep
            for length, r in blocks:  # no value is read back
                if r == 0 and burn_in:
                    ex.reset_counts()
                block_flips.zero_()
                self._advance(run, S, cache, gen, sweep, length, block_flips)
                sweep += length
                if r >= 0:
                    flips += block_flips[ex.who]  # by the position before the exchange
                    sums = self._state_sums(run, S, cache)
                else:
                    sums = (self._state_sums(run, S, cache)[0], None, None)
                rows = ex.round(sums[0])
                for x, y in zip(live, ladder, strict=True):
                    x.copy_(y[rows])  # each state's β (and β = ∞ mask) at its new slot
                if r >= 0:
                    self._write_row(buf[r], sums, S, cache, ex.who)
            if blocks:
                self._sync_spins(run, S, cache)
            # the state in temperature order: the state at each position
            S = S[ex.who]
            cache = None if cache is None else cache[ex.who]
            counts = ex.counts()
            parts = (buf.reshape(-1), flips, S.reshape(-1), *counts)
            blob = torch.cat([part.reshape(-1).view(torch.uint8) for part in parts])
            host = blob.cpu().numpy()
        new = self._new_state(state, S, cache, gen, burn_in + R * every)
        return new, self._unpack(host, new.spins, R, ex)

    def _unpack(self, host, spins, R, ex=None):
        n_T, chains = self.shape
        K, n = self.K, self.n
        q0, o0, end, pairs, P = self._columns()
        nbuf = R * end * 8
        rec = host[:nbuf].view(np.float64).reshape(R, end)
        flips = host[nbuf : nbuf + 8 * K].view(np.int64).copy()
        at = nbuf + 8 * K
        final = host[at : at + K * n].view(np.int8).reshape(n_T, chains, n).copy()
        exchanged = None if ex is None else ex.unpack(host[at + K * n :])
        self._keep_host(spins, final)
        fields = dict.fromkeys(Records._fields)
        fields.update(
            energy=(rec[:, :K].T / n).reshape(n_T, chains, R),
            magnetization=(rec[:, K : 2 * K].T / n).reshape(n_T, chains, R),
            overlaps=(
                (rec[:, o0:end].reshape(R, K, P).transpose(1, 0, 2) / n).reshape(n_T, chains, R, P)
                if P
                else None
            ),
            replica_overlap=(rec[:, q0:o0].T / n).reshape(n_T, pairs, R) if pairs else None,
            flips=flips.reshape(n_T, chains),
        )
        if exchanged is not None:
            fields.update(
                swap_tried=exchanged.tried,
                swap_accepted=exchanged.accepted,
                round_trips=exchanged.trips.reshape(n_T, chains).copy(),
                exchange=exchanged,
            )
        return Records(**fields)


class DeviceStreams(NamedTuple):
    """``ExchangeState.rng`` of the torch backend: the random streams of a tempering run.

    ``swaps``: the state of the ``torch.Generator`` of the swap decisions (a CPU uint8
    tensor, ``Generator.get_state()``); ``rows`` (K,) int64: the row of the kernel's random
    numbers (drawn per row of the state) that the configuration at each position of the
    temperature-ordered state draws. A configuration keeps its row when it changes
    temperature, as the numba backend's configurations keep their streams, so that a run in
    several calls draws what one call draws."""

    swaps: torch.Tensor
    rows: np.ndarray


class _DeviceExchange:
    """Replica exchange between neighbouring temperature slots, on the device, for
    :meth:`TorchKernel.record` (the rule and bookkeeping of the numba backend's
    :func:`statnn.dynamics.numba.measure.exchange`, vectorised over the pairs of a round).

    Labels, not configurations, move: the configuration on row k of the state (its random
    numbers are row k's) is at position ``slot[k]`` · chains + k mod chains, and ``who``
    (K,) is the row at each position t · chains + c. In a round of parity p every pair
    (t, t + 1), t = p, p + 2, … of every column c swaps the labels of its rows a = who[t, c],
    b = who[t + 1, c] with probability min(1, exp((β_t − β_{t+1})(E_a − E_b))) (an undefined
    product, ∞ · 0 at T = 0, counts as 0); the pairs of one parity are disjoint, so all of
    them are decided at once from one draw of uniforms of the swap generator. Then each
    row's round-trip heading (0 not yet at the cold end, 1 left it, 2 reached the hot end
    since) and trips are updated, as :class:`statnn.dynamics.tempering.RoundTrips` does.
    Everything stays on the device.
    """

    def __init__(self, kernel, betas, state):
        n_T, chains = self.shape = kernel.shape
        K, dev = kernel.K, kernel.device
        streams = state.rng
        self.gen = torch.Generator(device=dev)
        self.gen.set_state(streams.swaps)
        self.parity = int(state.parity)
        up = kernel._upload
        self.who = up(streams.rows, torch.int64)
        self.position_slot = torch.arange(K, device=dev) // chains  # the slot of each position
        self.slot = torch.empty_like(self.who).index_copy_(0, self.who, self.position_slot)
        self.column = torch.arange(K, device=dev) % chains  # of each row (and position)
        # by row; the state's counts are by position
        self.heading = torch.empty(K, dtype=torch.int8, device=dev)
        self.heading.index_copy_(0, self.who, up(state.heading, torch.int8))
        self.trips = torch.empty(K, dtype=torch.int64, device=dev)
        self.trips.index_copy_(0, self.who, up(state.trips, torch.int64))
        self.tried = up(state.tried, torch.int64)
        self.accepted = up(state.accepted, torch.int64)
        self.cold = 0 if betas[0] > betas[-1] else n_T - 1
        self.hot = n_T - 1 - self.cold
        self.pairs = []  # per parity: lower slots t (n,), β_t − β_{t+1} (n, 1)
        for p in (0, 1):
            t = np.arange(p, n_T - 1, 2)
            step = betas[t] - betas[t + 1]
            self.pairs.append((up(t, torch.int64), up(step, torch.float64)[:, None]))

    def rows(self):
        """Per row, the position t · chains + c of identity order whose temperature it has."""
        return self.slot * self.shape[1] + self.column

    def reset_counts(self):
        self.tried.zero_()
        self.accepted.zero_()
        self.trips.zero_()

    def round(self, E):
        """One exchange round on the total energies E (K,) by row; returns :meth:`rows`."""
        t, step = self.pairs[self.parity]
        self.parity = 1 - self.parity
        if t.numel():
            at = self.who.view(self.shape)
            lo, hi = at[t], at[t + 1]  # (pairs, chains) rows
            log_ratio = step * (E[lo] - E[hi])
            log_ratio = torch.where(torch.isnan(log_ratio), 0.0, log_ratio)
            u = torch.rand(lo.shape, generator=self.gen, dtype=torch.float64, device=E.device)
            swap = (log_ratio >= 0) | (u < torch.exp(log_ratio))
            at[t] = torch.where(swap, hi, lo)
            at[t + 1] = torch.where(swap, lo, hi)
            self.tried[t] += self.shape[1]
            self.accepted[t] += swap.sum(1)
            self.slot[self.who] = self.position_slot
        at_cold = self.slot == self.cold
        back = at_cold & (self.heading == 2)
        up = (self.slot == self.hot) & (self.heading == 1) & ~at_cold
        self.trips += back
        self.heading.masked_fill_(at_cold, 1)
        self.heading.masked_fill_(up, 2)
        return self.rows()

    def counts(self):
        """Device tensors for the host copy: tried, accepted (n_T − 1,), and by position
        (temperature order) the rows, trips (int64) and headings (int8) there."""
        return self.tried, self.accepted, self.who, self.trips[self.who], self.heading[self.who]

    def unpack(self, tail):
        """The :class:`~statnn.dynamics.numba.kernel.ExchangeState` for the next call from
        the host bytes of :meth:`counts`."""
        from statnn.dynamics.numba.kernel import ExchangeState

        pairs, K = self.shape[0] - 1, self.who.shape[0]
        ints = tail[: 8 * (2 * pairs + 2 * K)].copy().view(np.int64)
        return ExchangeState(
            rng=DeviceStreams(swaps=self.gen.get_state(), rows=ints[2 * pairs : 2 * pairs + K]),
            parity=self.parity,
            heading=tail[8 * (2 * pairs + 2 * K) :].view(np.int8).copy(),
            trips=ints[2 * pairs + K :],
            tried=ints[:pairs],
            accepted=ints[pairs : 2 * pairs],
        )
