"""Measurements inside the compiled record loop of the numba backend.

Every quantity is an exact integer where the couplings allow: the spin sum Σ_i S_i, the
replica product Σ_i S_i^a S_i^b and, on packed lattices, the aligned-bond count are counted
(popcount over 64-spin words); only energies with real couplings are float64 sums. The
sums are divided by N when the records are stored, as numpy does.

:func:`exchange` is the replica-exchange move of parallel tempering run between two
blocks of sweeps: it swaps the temperature labels of two configurations, never the
configurations themselves.
"""

from __future__ import annotations

import math

from numba import njit

from statnn.dynamics.numba.rng import uniform


@njit(cache=True, nogil=True)
def spin_sum(s):
    """Σ_i S_i of one int8 chain (exact)."""
    total = 0
    for i in range(s.shape[0]):
        total += s[i]
    return total


@njit(cache=True, nogil=True)
def spin_product_sum(a, b):
    """Σ_i a_i b_i of two int8 chains (exact)."""
    total = 0
    for i in range(a.shape[0]):
        total += a[i] * b[i]
    return total


@njit(cache=True, nogil=True)
def bias_sum(s, bias):
    """Σ_i b_i S_i (float64, in site order)."""
    total = 0.0
    for i in range(s.shape[0]):
        total += bias[i] * s[i]
    return total


@njit(cache=True, nogil=True)
def exchange(E, beta, betas, who, slot, chains, parity, ex_rng, tried, accepted, heading, trips):
    """One round of replica exchange between neighbouring temperature slots.

    For each replica column c and each pair (t, t + 1) of the given parity, the
    configurations a = who[t, c] and b = who[t + 1, c] swap their labels with probability
    min(1, exp((β_t − β_{t+1})(E_a − E_b))) (``E`` total energies by configuration; an
    undefined product, e.g. ∞ · 0 at T = 0, counts as 0). A swap exchanges who, slot and the
    configurations' β. Then :func:`mark_ends` counts the round trips (``heading``,
    ``trips`` per configuration); the coldest slot is the one of the largest β.
    """
    n_T = betas.shape[0]
    for c in range(chains):
        for t in range(parity, n_T - 1, 2):
            a = who[t, c]
            b = who[t + 1, c]
            log_ratio = (betas[t] - betas[t + 1]) * (E[a] - E[b])
            if math.isnan(log_ratio):
                log_ratio = 0.0
            tried[t] += 1
            if log_ratio >= 0.0 or uniform(ex_rng) < math.exp(log_ratio):
                accepted[t] += 1
                who[t, c] = b
                who[t + 1, c] = a
                slot[a] = t + 1
                slot[b] = t
                beta[a] = betas[t + 1]
                beta[b] = betas[t]
    cold = 0 if betas[0] > betas[n_T - 1] else n_T - 1
    mark_ends(slot, cold, n_T - 1 - cold, heading, trips)


@njit(cache=True, nogil=True)
def mark_ends(slot, cold, hot, heading, trips):
    """Round-trip bookkeeping after an exchange round (as
    :class:`statnn.dynamics.tempering.RoundTrips`): ``heading[k]`` is 0 before
    configuration k first reaches the cold end, 1 once it has left the cold end, 2 once it
    has reached the hot end since; arriving at the cold end with heading 2 completes a round
    trip (``trips[k] += 1``)."""
    for k in range(slot.shape[0]):
        if slot[k] == cold:
            if heading[k] == 2:
                trips[k] += 1
            heading[k] = 1
        elif slot[k] == hot and heading[k] == 1:
            heading[k] = 2


@njit(cache=True, nogil=True)
def store(E, MS, O, Erec, Mrec, Orec, slot, chains, r):
    """Copy the last block's measurements (column 0 of E, MS, O) of each configuration to
    record r of the row of its temperature slot."""
    for k in range(slot.shape[0]):
        row = slot[k] * chains + k % chains
        Erec[row, r] = E[k, 0]
        Mrec[row, r] = MS[k, 0]
        for mu in range(O.shape[2]):
            Orec[row, r, mu] = O[k, 0, mu]


@njit(cache=True, nogil=True)
def pair_sums(S, who, Q, r):
    """Q[t · pairs + p, r] = Σ_i S_i^a S_i^b for a, b = who[t, 2p], who[t, 2p + 1] (int8 spins)."""
    n_T, chains = who.shape
    pairs = chains // 2
    for t in range(n_T):
        for p in range(pairs):
            Q[t * pairs + p, r] = spin_product_sum(S[who[t, 2 * p]], S[who[t, 2 * p + 1]])


__all__ = ["bias_sum", "exchange", "mark_ends", "pair_sums", "spin_product_sum", "spin_sum", "store"]
