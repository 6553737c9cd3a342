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
