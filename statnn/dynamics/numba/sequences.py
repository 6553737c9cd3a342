"""Asynchronous sequence memory with slow synapses, compiled: O(P) per single-site update.

The field of neuron i (:func:`statnn.memory.delayed_sequence_trace`) is

    h_i = (1/N) [ν Σ_{j≠i} Σ_μ ξ_i^μ ξ_j^μ S_j + λ Σ_{j≠i} Σ_μ ξ_i^{μ+1} ξ_j^μ S̄_j]
        = (1/N) [ν (Σ_μ ξ_i^μ M_μ − P S_i) + λ (Σ_μ ξ_i^{μ+1} M̄_μ − c_i S̄_i)],

with the projections M_μ = ξ^μ · S (exact int64), M̄_μ = ξ^μ · S̄ (float64) and
c_i = Σ_μ ξ_i^{μ+1} ξ_i^μ. The slow trace S̄ is

* ``delay``: S̄ = S(t − τ), the state L = round(τN) single-site updates ago. A ring buffer of
  length L + 1 holds, for each recent update, the index of the neuron it flipped (−1:
  none); before update t the flip of update t − L − 1 is replayed on S̄ and M̄ (O(P)), so
  that S̄ is the state after t − L updates, and S̄ and M̄ are exact integers;
* ``exponential``: S̄(t) = ∫_0^∞ e^{−s/τ} S(t − s) ds / τ, time in sweeps. S is constant
  between updates (1/N sweep apart), so before each update M̄ ← M + (M̄ − M) e^{−1/(τN)}
  exactly; the one S̄_i the self term needs is refreshed lazily, from the update count at
  which neuron i last changed: S̄_i ← S_i + (S̄_i − S_i) e^{−k/(τN)}.

The rule is Glauber, P(S_i = +1) = 1/(1 + e^{−2βh_i}) against a uniform u, and at T = 0
S_i = sign(h_i) with a zero field keeping the state. The sites and uniforms are drawn by the
caller, so the numpy reference consumes the same numbers.
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True, nogil=True)
def delayed_sequence_updates(
    xi, c, sites, u, beta, zero_t, sym, lam, exponential, inv_tau_n,
    s, proj, sbar, pbar, ring, last, clock,
):  # fmt: skip
    """Run the single-site updates ``sites`` (uniforms ``u``) of one chain in place.

    ``xi`` (N, P) int8 patterns, ``c`` (N,) int64 self terms, ``s`` (N,) int8 state,
    ``proj`` (P,) int64 projections M, ``sbar`` (N,) float64 slow trace, ``pbar`` (P,)
    float64 its projections M̄, ``ring`` (L + 1,) int64 flip history (delay), ``last`` (N,)
    int64 update count of each S̄_i's last refresh (exponential), ``clock`` (1,) int64 the
    number of updates done so far.
    """
    n, p = xi.shape
    length = ring.shape[0]
    decay = math.exp(-inv_tau_n)
    t = clock[0]
    for k in range(sites.shape[0]):
        i = sites[k]
        if exponential:
            for mu in range(p):
                pbar[mu] = proj[mu] + (pbar[mu] - proj[mu]) * decay
            now = t + 1
            sbar[i] = s[i] + (sbar[i] - s[i]) * math.exp(-(now - last[i]) * inv_tau_n)
            last[i] = now
        else:
            j = ring[t % length]
            if j >= 0:
                sbar[j] = -sbar[j]
                for mu in range(p):
                    pbar[mu] += 2.0 * sbar[j] * xi[j, mu]
        a = -p * s[i]
        for mu in range(p):
            a += xi[i, mu] * proj[mu]
        b = -c[i] * sbar[i]
        for mu in range(p):
            b += xi[i, (mu + 1) % p] * pbar[mu]
        h = (sym * a + lam * b) / n
        old = s[i]
        new = old
        if zero_t:
            if h > 0:
                new = 1
            elif h < 0:
                new = -1
        else:
            new = 1 if u[k] < 1.0 / (1.0 + math.exp(-2.0 * beta * h)) else -1
        flipped = -1
        if new != old:
            s[i] = new
            for mu in range(p):
                proj[mu] += 2 * new * xi[i, mu]
            flipped = i
        if not exponential:
            ring[t % length] = flipped
        t += 1
    clock[0] = t
