"""Sequence memory: synchronous dynamics visits the stored patterns in order."""

from __future__ import annotations

import numpy as np
import pytest

import statnn as sn
from statnn.errors import ValidationError
from statnn.memory import sequence_memory, sequence_trace


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_zero_temperature_plays_the_cycle(backend):
    if backend == "torch":
        pytest.importorskip("torch")
    P, N, steps = 6, 300, 14
    xi = sn.random_patterns(P, N, seed=0)
    m = sequence_trace(sequence_memory(xi), xi, start=2, steps=steps, seed=0, backend=backend)
    expected = (2 + np.arange(steps + 1)) % P
    assert np.array_equal(m[:, 0, 0].argmax(axis=-1), expected)
    # at low load the next pattern's field dominates: every step lands on it exactly
    assert np.all(m[:, 0, 0].max(axis=-1) == 1.0)


def test_finite_temperature_advances_in_order():
    """With a symmetric part ν < λ and thermal noise the state may linger on a pattern (or
    sit between two, so that the most overlapping one skips ahead by two), but it never
    goes backwards and keeps moving forwards."""
    P, N = 8, 400
    xi = sn.random_patterns(P, N, seed=1)
    net = sequence_memory(xi, symmetric=0.5)
    m = sequence_trace(net, xi, steps=30, T=0.3, chains=4, seed=2)[:, 0]  # (t, chain, P)
    order = m.argmax(axis=-1)
    moves = (np.diff(order, axis=0)) % P
    assert np.all(moves <= 2)
    assert np.all(moves.sum(axis=0) >= 10)  # 30 steps: at least 10 patterns further on
    assert m.max(axis=-1).min() > 0.3


def test_open_sequence_stops_at_the_end():
    xi = sn.random_patterns(4, 300, seed=3)
    m = sequence_trace(sequence_memory(xi, cyclic=False, symmetric=0.5), xi, steps=6, seed=0)
    order = m[:, 0, 0].argmax(axis=-1)
    assert list(order[:4]) == [0, 1, 2, 3] and np.all(order[3:] == 3)


def test_bad_arguments():
    xi = sn.random_patterns(3, 20, seed=0)
    with pytest.raises(ValidationError, match="'cyclic' parameter of sequence_memory"):
        sequence_memory(xi, cyclic="yes")
    with pytest.raises(ValidationError, match="'start' parameter of sequence_trace"):
        sequence_trace(sequence_memory(xi), xi, start=3)


# --- asynchronous dynamics with slow synapses ------------------------------------------


def _dwell(trace):
    """Dwell times of every chain of a (t, chains, P) trace, pooled."""
    from statnn.memory import transition_times

    return np.concatenate([np.diff(transition_times(trace[:, k])) for k in range(trace.shape[1])])


@pytest.mark.parametrize("kernel", ["delay", "exponential"])
@pytest.mark.parametrize("T", [0.0, 0.3])
def test_delayed_numba_equals_numpy_reference(kernel, T):
    """The O(P) compiled kernel (cached projections, ring buffer / lazy trace) against the
    O(N) reference (dense couplings, explicit state history): same seed, same trajectory."""
    xi = sn.random_patterns(4, 150, seed=5)
    kw = dict(asymmetric=1.7, tau=2.5, kernel=kernel, sweeps=14, T=[T], chains=2, seed=9)
    a = sn.memory.delayed_sequence_trace(xi, backend="numba", **kw)
    b = sn.memory.delayed_sequence_trace(xi, backend="numpy", **kw)
    assert np.array_equal(a, b)
    assert len(_dwell(a[:, 0])) >= 2  # the run does move through the sequence


@pytest.mark.parametrize("kernel", ["delay", "exponential"])
@pytest.mark.parametrize("T", [0.0, 0.2])
def test_delayed_visits_the_patterns_in_order(kernel, T):
    P, N = 5, 1000
    xi = sn.random_patterns(P, N, seed=2)
    m = sn.memory.delayed_sequence_trace(
        xi, asymmetric=2.0, tau=5.0, kernel=kernel, sweeps=40, T=T, chains=3, seed=4
    )[:, 0]
    for k in range(3):
        lead = m[:, k].argmax(axis=-1)
        visited = lead[np.r_[True, lead[1:] != lead[:-1]]]
        assert len(visited) >= 5  # about one pattern per τ + 1.4 sweeps
        assert np.all(np.diff(visited) % P == 1)  # always the next pattern, never back
    # between transitions the state sits on one pattern
    assert np.median(m.max(axis=-1)) > (0.95 if T == 0 else 0.8)


def test_delayed_threshold_lambda_equals_nu():
    """Below λ = ν the slow term cannot turn a neuron against the fast one: no transition
    (theory: dwell time infinite); above it the sequence runs (finite dwell time)."""
    xi = sn.random_patterns(4, 800, seed=3)
    for lam, moves in [(0.7, False), (0.9, False), (1.3, True), (2.0, True)]:
        m = sn.memory.delayed_sequence_trace(
            xi, asymmetric=lam, symmetric=1.0, tau=3.0, sweeps=25, chains=2, seed=1
        )[:, 0]
        ran = np.any(m.argmax(axis=-1) != 0, axis=0)
        assert np.all(ran == moves), lam
        assert np.isfinite(sn.theory.delayed_sequence_dwell_time(lam, 3.0)) == moves
        if not moves:
            assert m[-1, :, 0].min() > 0.95


def test_delayed_dwell_time_follows_theory():
    """Delay kernel, T = 0: the measured time between transitions is τ + ln(2λ/(λ − ν)) (the
    N → ∞ derivation), at two delays and two λ; it grows with τ one sweep per sweep."""
    xi = sn.random_patterns(6, 2000, seed=7)
    got = {}
    for lam, tau in [(2.0, 4.0), (2.0, 10.0), (1.5, 6.0)]:
        m = sn.memory.delayed_sequence_trace(
            xi, asymmetric=lam, tau=tau, sweeps=int(6 * tau + 15), chains=3, seed=2
        )[:, 0]
        d = _dwell(m)
        theory = sn.theory.delayed_sequence_dwell_time(lam, tau)
        assert len(d) >= 12
        assert abs(d.mean() - theory) < 0.04 * theory, (lam, tau, d.mean(), theory)
        got[lam, tau] = d.mean()
    assert 5.0 < got[2.0, 10.0] - got[2.0, 4.0] < 7.0


def test_exponential_dwell_time_scales_with_tau():
    xi = sn.random_patterns(5, 2000, seed=8)
    means = []
    for tau in (4.0, 8.0):
        m = sn.memory.delayed_sequence_trace(
            xi, asymmetric=2.0, tau=tau, kernel="exponential", sweeps=int(5 * tau + 8),
            chains=3, seed=6,
        )[:, 0]  # fmt: skip
        means.append(_dwell(m).mean())
    assert 1.6 < means[1] / means[0] < 2.4
    # N → ∞ trace: the same scaling, first transition past the start
    th = [
        np.diff(sn.memory.transition_times(
            sn.theory.delayed_sequence_overlaps(5, 5 * tau, asymmetric=2.0, tau=tau,
                                                kernel="exponential")
        ))[0]
        for tau in (4.0, 8.0)
    ]  # fmt: skip
    assert 1.6 < th[1] / th[0] < 2.4


def test_mean_field_delay_dwell_matches_closed_form():
    """The numerical N → ∞ trace (Euler over the 2^P site classes) against the closed form
    Δ = τ + ln(2λ/(λ − ν)) derived independently."""
    for lam, tau in [(2.0, 5.0), (3.0, 8.0), (1.5, 4.0)]:
        m = sn.theory.delayed_sequence_overlaps(5, 6 * tau, asymmetric=lam, tau=tau)
        d = np.diff(sn.memory.transition_times(m))
        assert np.allclose(d, sn.theory.delayed_sequence_dwell_time(lam, tau), atol=0.2)
    still = sn.theory.delayed_sequence_overlaps(4, 30, asymmetric=0.9, tau=3)
    assert np.allclose(still[-1], [1, 0, 0, 0])


def test_delayed_bad_arguments():
    xi = sn.random_patterns(3, 20, seed=0)
    f = sn.memory.delayed_sequence_trace
    with pytest.raises(ValidationError, match="'tau' parameter of delayed_sequence_trace"):
        f(xi, tau=0)
    with pytest.raises(ValidationError, match="'kernel' parameter of delayed_sequence_trace"):
        f(xi, kernel="gamma")
    with pytest.raises(ValidationError, match="'backend' parameter of delayed_sequence_trace"):
        f(xi, backend="torch")
    with pytest.raises(ValidationError, match="'T' parameter of delayed_sequence_trace"):
        f(xi, T=-1.0)
    with pytest.raises(ValidationError, match="'overlaps' parameter of transition_times"):
        sn.memory.transition_times(np.ones(3))
    with pytest.raises(ValidationError, match="'dt' parameter of delayed_sequence_overlaps"):
        sn.theory.delayed_sequence_overlaps(3, 5, dt=0.03)
