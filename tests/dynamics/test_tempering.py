"""Replica-exchange bookkeeping and ladder tuning.

Round trips are counted on hand-made ladder occupations whose trips are known by
construction; the ladder equaliser is checked on a rejection profile whose optimum is
known in closed form; the tuned ladder is checked on a small SK system by a fresh run.
"""

from __future__ import annotations

import numpy as np
import pytest

import statnn as sn
from statnn.dynamics.tempering import (
    ReplicaExchange,
    barrier,
    equalize_rejection,
    round_trips,
    tune_ladder,
)


def test_round_trips_on_hand_made_label_sequences():
    # 3 temperatures, position 0 coldest. Replica 0 goes 0 -> 1 -> 2 -> 1 -> 0: one trip;
    # replica 2 starts hot, reaches cold (direction set), not back at hot: none.
    seq = [
        [0, 1, 2],
        [1, 0, 2],
        [1, 2, 0],
        [2, 1, 0],
        [2, 0, 1],
        [0, 2, 1],
    ]
    np.testing.assert_array_equal(round_trips(seq), [1, 0, 0])
    # two replicas shuttling between the ends: each arrival at the cold end after the hot
    # one closes a trip, whichever end a replica started from
    two = [[0, 1], [1, 0], [0, 1], [1, 0], [0, 1], [1, 0]]
    np.testing.assert_array_equal(round_trips(two), [2, 2])
    np.testing.assert_array_equal(round_trips(two[:5]), [2, 1])
    # the coldest temperature may be the last position
    np.testing.assert_array_equal(round_trips(np.array(seq)[:, ::-1], cold=2), [1, 0, 0])
    # a replica that only visits the cold end never completes a trip
    np.testing.assert_array_equal(round_trips([[0, 1, 2], [1, 0, 2], [0, 1, 2]] * 3), [0, 0, 0])


def test_exchange_counts_round_trips_like_the_label_sequence():
    """ReplicaExchange's incremental counter equals round_trips() on its own history."""

    class _Kernel:
        def permute(self, state, perm):
            return state

    class _Sampler:
        kernel = _Kernel()

    rng = np.random.default_rng(0)
    T = np.array([0.5, 0.8, 1.2, 2.0])
    ex = ReplicaExchange(T, seed=4, caller="test")
    labels = [np.arange(4)]
    spins = np.zeros((4, 1, 3), dtype=np.int8)
    for _ in range(400):
        e = rng.normal(size=(4, 1)) * 3
        before = ex.trips.labels[:, 0].copy() if ex.trips is not None else np.arange(4)
        _, _, _ = ex(_Sampler(), None, spins, e)
        labels.append(ex.trips.labels[:, 0].copy())
        assert sorted(before) == sorted(labels[-1])
    assert ex.round_trips() == round_trips(labels).sum() > 0
    rep = ex.report(sweeps=400)
    assert rep["round_trip_rate"] == ex.round_trips() / 400
    assert rep["barrier"] == pytest.approx(barrier(ex.acceptance()))
    assert barrier([1.0, 0.5, 0.25]) == pytest.approx(1.25)


def test_equalize_rejection_knows_the_uniform_barrier_optimum():
    # rejection proportional to the β gap (a uniform barrier density): the optimum is
    # equal steps in β, whatever the starting ladder
    T = np.array([0.4, 0.5, 0.9, 1.0, 2.0])
    beta = 1 / T
    r = 0.3 * np.abs(np.diff(beta))
    new = equalize_rejection(T, r)
    np.testing.assert_allclose(1 / new, np.linspace(beta[0], beta[-1], 5))
    # decreasing temperatures come back in their own order
    np.testing.assert_allclose(equalize_rejection(T[::-1], r[::-1]), new[::-1])


def test_tuned_ladder_has_near_equal_acceptance_on_small_sk():
    net = sn.sk(32, seed=1)
    T, history = tune_ladder(
        net, 0.4, 1.6, 6, chains=4, rounds=5, sweeps=50, seed=2, backend="numba"
    )
    assert T[0] == pytest.approx(0.4) and T[-1] == pytest.approx(1.6)
    assert np.all(np.diff(T) > 0) and len(history) == 5
    run = sn.simulate(
        net,
        T=T,
        sweeps=3000,
        burn_in=200,
        chains=4,
        tempering=True,
        seed=3,
        backend="numba",
        ess_min=0,
        rhat_max=100.0,
    )
    acc = run.swap_acceptance
    assert np.max(np.abs(acc - acc.mean())) < 0.08, acc
    # the geometric start is further from equal
    geo = history[0]["swap_acceptance"]
    assert np.ptp(acc) < np.ptp(geo)
    assert run.round_trips > 0 and run.barrier == pytest.approx(np.sum(1 - acc))
    assert run.round_trip_rate == pytest.approx(run.round_trips / (4 * 3000))


def test_simulate_tempering_auto_records_the_ladder():
    net = sn.sk(16, seed=0)
    run = sn.simulate(
        net,
        T=[0.5, 0.8, 1.5],
        sweeps=100,
        burn_in=20,
        chains=2,
        tempering="auto",
        seed=1,
        backend="numba",
        ess_min=0,
        rhat_max=100.0,
    )
    assert run.params["ladder"] == "auto" and run.params["T_requested"] == [0.5, 0.8, 1.5]
    assert run.T[0] == pytest.approx(0.5) and run.T[-1] == pytest.approx(1.5)
    assert run.params["T"] == run.T.tolist() and run.swap_acceptance.shape == (2,)
    assert run.params["ladder_sweeps"] == 100 * (2**6 - 1)
