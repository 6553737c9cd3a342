"""The replica overlap q of simulate: exact enumeration of ⟨q²⟩ for independent replicas."""

from __future__ import annotations

import itertools

import numpy as np

import statnn as sn


def test_replica_overlap_matches_exact_enumeration(backend):
    """Two independent replicas: ⟨q²⟩ = (1/N²) Σ_ij ⟨S_i S_j⟩², ⟨q⟩ = (1/N) Σ_i ⟨S_i⟩²."""
    rng = np.random.default_rng(4)
    n, T = 6, 1.0
    J = np.triu(rng.normal(0, 0.5, (n, n)), 1)
    net = sn.Network(J + J.T, bias=rng.normal(0, 0.3, n))
    states = np.array(list(itertools.product([-1, 1], repeat=n)), dtype=float)
    w = np.exp(-(net.energy(states) - net.energy(states).min()) / T)
    p = w / w.sum()
    correlations = np.einsum("s,si,sj->ij", p, states, states)
    q2_exact = np.sum(correlations**2) / n**2
    q_exact = np.sum((p @ states) ** 2) / n

    run = sn.simulate(
        net, T=T, sweeps=20, burn_in=60, chains=4000, record_every=20, seed=3, backend=backend
    )
    q = run.replica_overlap[0, :, -1]  # 2000 independent pairs, one record each
    assert run.replica_overlap.shape == (1, 2000, 1)
    for value, exact in ((q, q_exact), (q**2, q2_exact)):
        err = value.std(ddof=1) / np.sqrt(value.size)
        assert abs(value.mean() - exact) < 4 * err, (value.mean(), exact, err)


def test_summary_reports_q_and_single_chain_has_none():
    net = sn.curie_weiss(64)
    run = sn.simulate(
        net, T=[0.0], sweeps=5, burn_in=0, chains=4, init="ones", seed=0, backend="numpy"
    )
    np.testing.assert_array_equal(run.replica_overlap, 1.0)  # frozen in the same state
    s = run.summary()
    assert s["q_abs"][0] == 1.0 and s["q2"][0] == 1.0
    assert sn.simulate(net, T=1.0, sweeps=2, chains=1, backend="numpy").replica_overlap is None
