"""Sampler.resume: chains carried to new couplings keep spins and streams, refresh caches."""

from __future__ import annotations

import numpy as np

import statnn as sn


def _numpy(x):
    if x is None:
        return None
    if hasattr(x, "cpu"):
        return x.cpu().numpy()
    return np.asarray(x)


def test_resume_keeps_chains_and_refreshes_caches(backend):
    net1, net2 = sn.sk(12, seed=0), sn.sk(12, seed=1)
    s1 = sn.sampler(net1, T=1.0, chains=3, backend=backend)
    state, _ = s1.step(s1.init(seed=0), 2)
    s2 = sn.sampler(net2, T=1.0, chains=3, backend=backend)
    carried = s2.resume(state)
    np.testing.assert_array_equal(s2.spins(carried), s1.spins(state))
    assert carried.sweep == state.sweep and carried.rng is state.rng
    fresh = s2.init(init=s1.spins(state), seed=5)  # the cache a new start computes
    if fresh.cache is None:
        assert carried.cache is None
    else:
        np.testing.assert_allclose(_numpy(carried.cache), _numpy(fresh.cache), atol=1e-5)
    # the continued chains follow net2: at T = 0 every spin ends aligned with its field
    out, _ = s2.step(carried, 20, T=[0.0])
    S = s2.spins(out)[0]
    assert np.all(S * net2.local_field(S) >= 0)
