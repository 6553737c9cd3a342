"""Relaxation to a fixed point on the device: the loop under :func:`statnn.recall` /
``relax`` for the torch kernels (:meth:`TorchKernel.relax
<statnn.dynamics.torch.base.TorchKernel.relax>`).

Every chain runs one sweep at a time through the kernel's own ``_advance`` (the calls, hence
the random numbers, of ``Sampler.step(state, 1)`` repeated), all K chains in one batch.
After sweep t, on the device:

* each chain's flips of the sweep update ``last`` (K,), the last sweep that flipped a spin
  (0 when none did);
* if t is one of the last ``window`` sweeps (t > sweeps − window) the spins are added to
  ``sums`` (K, N) int32, or, for the pattern form with ``overlaps``, the exact overlaps
  M_μ = Σ_i ξ_i^μ S_i to ``osums`` (K, P) int64: the numerators of time averages.

When every chain is at T = 0, the host asks whether every chain is done only between
blocks of sweeps, one small read per block. The block after t sweeps is t // 2 sweeps long,
at least 1, at most :data:`MAX_BLOCK` (:func:`block_after`: 1, 1, 1, 1, 2, 3, 4, 6, 9, …):
a recall that converges in 4 sweeps runs exactly 4, and a run overshoots its last fixed
point by at most half the sweeps it needed (and by less than MAX_BLOCK), for
O(log sweeps + sweeps / MAX_BLOCK) reads. Otherwise nothing can stop the run early, and the
chains are examined once, after the last sweep. At the end of a block that ended at
sweep t, a T = 0 chain that is not yet done is found done when its last sweep flipped
nothing (``last < t``) and its state is a fixed point of the zero-temperature rule,
S_i h_i ≥ −tol for every i (a tie keeps the spin). A sweep that visits every site
(sequential, permuted, checkerboard, synchronous) and flips nothing is that test itself;
after random-order sweeps, which may miss sites, every field is checked (the kernel's
``_local_fields``, summed afresh). Then ``done_at = last + 1``: a fixed point flips
nothing at T = 0 ever after, and a state before ``last`` was not one (it flipped later), so
``last + 1`` is the first sweep after which the chain was at its fixed point — the sweep at
which the step loop of :func:`statnn.memory.retrieval._run_steps` finds it, exactly.

A done chain keeps being swept with the batch (at T = 0 it never changes: a fixed point
stays fixed under the deterministic rule); its window sums are trimmed at the end to the
sweeps up to ``done_at``, as :meth:`NumbaKernel.relax
<statnn.dynamics.numba.kernel.NumbaKernel.relax>` returns them. The generator is shared by
the batch, so the returned state's random stream and ``sweep`` count are those after every
sweep the loop ran (``ran``: up to the end of the block in which the last chain converged),
where the step loop stops right at that last ``done_at``: the spins are the same, the random
stream differs, which matters only to a caller who steps the returned state further. At
T > 0 chains are never done and the loop runs ``sweeps`` sweeps without reading anything
back. The results (``done_at``, sums, final overlaps, spins) come to the host in one copy.
"""

from __future__ import annotations

import numpy as np
import torch

from statnn.dynamics.backends import Relaxed

#: Longest block of sweeps between two host reads (see :func:`block_after`).
MAX_BLOCK = 64


def block_after(t: int, max_block: int = MAX_BLOCK) -> int:
    """Sweeps in the block that follows sweep t: t // 2, at least 1, at most ``max_block``
    (a block never runs more than half again the sweeps done so far)."""
    return min(max(1, t // 2), max_block)


def relax(kernel, state, betas, sweeps, *, window=0, overlaps=False, max_block=MAX_BLOCK):
    """Run every chain of ``kernel`` to a fixed point (T = 0) or for ``sweeps`` sweeps on
    the device (see the module docstring); returns the new state and a ``Relaxed``.

    ``betas`` are the inverse temperatures (n_T,), ∞ at T = 0. ``window``: sum each chain's
    spins (``overlaps``, pattern form: its overlaps M_μ = Σ_i ξ_i^μ S_i) over its last
    ``window`` sweeps, t > sweeps − window, up to ``done_at``. ``max_block``: the longest
    block of sweeps between two host reads.
    """
    k = kernel
    n_T, chains = k.shape
    K, n, dev = k.K, k.n, k.device
    sweeps, window, max_block = int(sweeps), int(window), max(1, int(max_block))
    betas = np.asarray(betas, dtype=np.float64)
    zero_host = np.repeat(np.isinf(betas), chains)  # β = ∞ per state (K,)
    any_zero, all_zero = bool(zero_host.any()), bool(zero_host.all())
    P = k._n_overlaps() if overlaps else 0
    check = k.schedule == "random"  # the other schedules visit every site in a sweep
    start = window and sweeps - window  # window sweeps are t > start
    with k._numerics():
        run = k._run(betas)
        S, cache, gen = k._own(state)
        flips = torch.zeros(K, dtype=torch.int64, device=dev)
        last = torch.zeros(K, dtype=torch.int64, device=dev)
        done_at = torch.full((K,), -1, dtype=torch.int64, device=dev)
        zero = k._upload(zero_host, torch.bool)
        sums = torch.zeros((K, n if window and not P else 0), dtype=torch.int32, device=dev)
        osums = torch.zeros((K, P if window else 0), dtype=torch.int64, device=dev)
        t = 0
        while t < sweeps:
            for _ in range(min(block_after(t, max_block), sweeps - t)):
                flips.zero_()
                k._advance(run, S, cache, gen, state.sweep + t, 1, flips)
                t += 1
                last.masked_fill_(flips > 0, t)
                if window and t > start:
                    k._sync_spins(run, S, cache)
                    if P:
                        osums += k._overlap_sums(S, cache)[:, :P].to(torch.int64)
                    else:
                        sums += S
            if all_zero and t < sweeps:  # else nothing can stop the run early
                done_at = _mark(k, run, S, cache, zero, last, done_at, t, check)
                if bool((done_at > 0).all()):  # the block's one read
                    break
        ran = t
        if any_zero and ran == sweeps:  # (a fixed point keeps its `last`: found now as well)
            done_at = _mark(k, run, S, cache, zero, last, done_at, ran, check)
        k._sync_spins(run, S, cache)
        if window:  # trim a done chain's sums to the window sweeps up to done_at
            upto = torch.where(done_at > 0, done_at.clamp(min=start), ran)
            extra = (ran - upto).clamp(min=0)
            if P:
                osums -= extra[:, None] * k._overlap_sums(S, cache)[:, :P].to(torch.int64)
            else:
                sums -= extra.to(torch.int32)[:, None] * S
        final = k._overlap_sums(S, cache)[:, :P].to(torch.int64) if P else osums[:, :0]
        # the one device → host copy: done_at, the sums, the final overlaps and the spins
        parts = (done_at, osums, final, sums, S)
        host = torch.cat([p.reshape(-1).view(torch.uint8) for p in parts]).cpu().numpy()
    new = k._new_state(state, S, cache, gen, ran)
    at = 0
    out = []
    for p in parts:
        size = p.numel() * p.element_size()
        dtype = {torch.int64: np.int64, torch.int32: np.int32, torch.int8: np.int8}[p.dtype]
        out.append(host[at : at + size].view(dtype).reshape(tuple(p.shape)).copy())
        at += size
    done_host, osums_host, final_host, sums_host, spins_host = out
    k._keep_host(new.spins, spins_host.reshape(n_T, chains, n))
    return new, Relaxed(
        done_at=done_host.reshape(n_T, chains),
        spin_sums=sums_host if sums_host.shape[1] else None,
        overlap_sums=osums_host if window and P else None,
        overlaps=final_host if P else None,
    )


def _mark(k, run, S, cache, zero, last, done_at, t, check):
    """``done_at`` with the T = 0 chains found done after sweep t: not done yet, no flip in
    sweep t (``last < t``) and, after random-order sweeps, every S_i h_i ≥ −tol; each gets
    ``last + 1``."""
    found = zero & (done_at < 0) & (last < t)
    if check:
        k._sync_spins(run, S, cache)
        found &= k._stable(S, cache)
    return torch.where(found, last + 1, done_at)
