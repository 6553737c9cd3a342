"""The numba dense kernel's field cache H = S Jᵀ + b, computed once per distinct state."""

from __future__ import annotations

import numpy as np
import pytest

import statnn as sn
from statnn.dynamics.numba.dense import dense_fields


@pytest.mark.parametrize("start", ["cue at every T", "random", "ones"])
def test_fields_of_repeated_starts_are_those_of_every_chain(start):
    rng = np.random.default_rng(4)
    n = 120
    xi = sn.random_patterns(12, n, seed=1)
    net = sn.hopfield(xi, rule="storkey")  # dense float64 J
    bias = rng.normal(size=n)
    net = sn.Network(np.asarray(net.couplings.J), bias=bias)
    s = sn.sampler(net, T=[0.0, 0.5, 1.0], chains=5, backend="numba")
    cues = (2 * rng.integers(0, 2, (5, n)) - 1).astype(np.int8)
    init = np.broadcast_to(cues, (3, 5, n)) if start == "cue at every T" else start
    state = s.init(init=init, seed=3)
    flat = state.spins.reshape(-1, n)
    # the same kernel chain by chain, no sharing: bit for bit
    every = np.empty(flat.shape)
    dense_fields(flat, every, s.kernel.rep.JT, s.kernel.bias)
    np.testing.assert_array_equal(state.cache, every)
    # and the definition, in numpy
    np.testing.assert_allclose(state.cache, flat @ np.asarray(net.couplings.J).T + bias, atol=1e-12)
    assert state.cache.flags.c_contiguous and state.cache.flags.writeable
    # one array per chain, even where chains share a start: a change to one touches no other
    state.cache[0, 0] += 1.0
    assert state.cache[5, 0] == every[5, 0]


@pytest.mark.parametrize("start", ["cue at every T", "random", "ones"])
def test_pattern_overlaps_of_repeated_starts_are_exact(start):
    rng = np.random.default_rng(5)
    n = 90
    xi = sn.random_patterns(7, n, seed=2)
    s = sn.sampler(sn.hopfield(xi), T=[0.0, 0.7], chains=4, backend="numba")
    cues = (2 * rng.integers(0, 2, (4, n)) - 1).astype(np.int8)
    init = np.broadcast_to(cues, (2, 4, n)) if start == "cue at every T" else start
    state = s.init(init=init, seed=3)
    flat = state.spins.reshape(-1, n).astype(np.int64)
    np.testing.assert_array_equal(state.cache, flat @ xi.astype(np.int64).T)  # exact integers
    state.cache[0, 0] += 1
    assert state.cache[4, 0] == flat[4] @ xi[0].astype(np.int64)
