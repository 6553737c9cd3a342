"""Dense associative memory: n = 2 is the Hebbian network, ΔE from the cached projections is
the recomputed energy difference, the numba fields equal the numpy reference, nothing
overflows, and stored patterns are (not) fixed points below (above) the signal-to-noise
capacity of statnn.theory."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import statnn as sn
from statnn.errors import ValidationError
from statnn.theory import dense_bit_error, dense_capacity, dense_load


def random_states(count, n, seed):
    rng = np.random.default_rng(seed)
    return (2 * rng.integers(0, 2, size=(count, n)) - 1).astype(np.int8)


def test_degree_two_is_the_hebbian_network():
    xi = sn.random_patterns(30, 120, seed=0)
    hebb, dense = sn.hopfield(xi), sn.dense_memory(xi, degree=2)
    S = random_states(20, 120, seed=1)
    # 2N E = −(Σ_μ x_μ² − P N) is an integer: both energies give the same one
    two_n_e = 2 * 120 * np.stack([hebb.energy(S), dense.energy(S)])
    assert np.all(np.abs(two_n_e - np.round(two_n_e)) < 1e-6)
    assert np.array_equal(np.round(two_n_e[0]), np.round(two_n_e[1]))
    assert np.array_equal(hebb.local_field(S), dense.local_field(S))
    assert hebb.tie_tolerance == dense.tie_tolerance


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize(
    "rule, schedule",
    [("glauber", "random"), ("metropolis", "permuted"), ("glauber", "sequential"),
     ("glauber", "synchronous")],
)  # fmt: skip
@pytest.mark.parametrize("T", [0.0, 0.9])
def test_degree_two_trajectories_equal_hebbian(backend, rule, schedule, T):
    xi = sn.random_patterns(12, 80, seed=2)
    runs = [
        sn.simulate(net, T=T, sweeps=15, chains=3, dynamics=rule, schedule=schedule,
                    backend=backend, seed=5)
        for net in (sn.hopfield(xi), sn.dense_memory(xi, degree=2))
    ]  # fmt: skip
    assert np.array_equal(runs[0].states, runs[1].states)
    np.testing.assert_allclose(runs[0].energy, runs[1].energy, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(runs[0].overlaps, runs[1].overlaps)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(4, 40),
    p=st.integers(1, 12),
    interaction=st.sampled_from(["poly2", "poly3", "poly4", "poly5", "exp"]),
    beta=st.floats(0.05, 5.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_flip_energy_from_projections_equals_recomputed_energy(n, p, interaction, beta, seed):
    """ΔE of flipping S_i, 2 S_i h_i with h from the P projections, is E(S') − E(S)."""
    rng = np.random.default_rng(seed)
    xi = (2 * rng.integers(0, 2, size=(p, n)) - 1).astype(np.int8)
    kind = "exp" if interaction == "exp" else "poly"
    degree = 3 if kind == "exp" else int(interaction[-1])
    net = sn.dense_memory(xi, kind, degree=degree, beta=beta, bias=rng.normal(0, 0.2, n))
    S = random_states(3, n, seed + 1)
    S[0] = xi[0]  # a stored pattern: the largest projections
    h = net.local_field(S)
    flipped = np.repeat(S[:, None, :], n, axis=1)
    idx = np.arange(n)
    flipped[:, idx, idx] *= -1
    delta = net.energy(flipped) - net.energy(S)[:, None]
    scale = np.abs(net.energy(S)).max() + 1.0
    np.testing.assert_allclose(2.0 * S * h, delta, rtol=1e-9, atol=1e-12 * scale)


@pytest.mark.parametrize("interaction, degree", [("poly", 3), ("poly", 4), ("exp", 3)])
@pytest.mark.parametrize("schedule", ["sequential", "synchronous"])
def test_numba_zero_temperature_trajectories_equal_numpy(interaction, degree, schedule):
    """At T = 0 with a fixed site order no random number is drawn: the two backends'
    independently written fields must give the same trajectory."""
    xi = sn.random_patterns(60, 50, seed=3)
    net = sn.dense_memory(xi, interaction, degree=degree, beta=0.3)
    init = random_states(4, 50, seed=4)
    runs = [
        sn.simulate(net, T=0.0, sweeps=6, chains=4, init=init, schedule=schedule,
                    backend=backend, seed=0)
        for backend in ("numpy", "numba")
    ]  # fmt: skip
    assert np.array_equal(runs[0].states, runs[1].states)
    np.testing.assert_allclose(runs[0].energy, runs[1].energy, rtol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_exponential_memory_cannot_overflow(backend):
    n = 3000
    xi = sn.random_patterns(5, n, seed=6)
    net = sn.dense_memory(xi, "exp", beta=50.0)
    far = random_states(2, n, seed=7)  # every projection ~ ±√N: F underflows, the sign does not
    assert np.all(np.isfinite(net.energy(far)))
    h = net.local_field(xi[:2])
    assert np.all(np.isfinite(h)) and np.all(xi[:2] * h > 0)
    h_far = net.local_field(far)
    assert np.all(np.isfinite(h_far)) and np.all(h_far != 0)
    out = sn.recall(net, noise=0.3, T=0.0, sweeps=5, seed=0, backend=backend)
    assert out.retrieval_rate == 1.0


def unstable_bit_fraction(net, xi):
    return float(np.mean(xi * net.local_field(xi) < 0))


@pytest.mark.parametrize(
    "interaction, degree, beta, n, p",
    [("poly", 2, 1.0, 200, 200), ("poly", 3, 1.0, 100, 3333), ("poly", 4, 1.0, 40, 1896),
     ("exp", 3, 0.05, 60, 1000)],
)  # fmt: skip
def test_unstable_bits_at_stored_patterns_follow_signal_to_noise(interaction, degree, beta, n, p):
    xi = sn.random_patterns(p, n, seed=8)
    net = sn.dense_memory(xi, interaction, degree=degree, beta=beta)
    measured = unstable_bit_fraction(net, xi[:60])
    theory = dense_bit_error(p, n, interaction, degree=degree, beta=beta)
    assert 0.03 < theory < 0.35
    # 60 patterns × N bits (correlated within a pattern): a 25 % band is > 4 standard errors
    assert abs(measured - theory) < 0.25 * theory


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_patterns_are_fixed_points_below_capacity_and_not_above(backend):
    n, degree = 100, 3
    below = int(0.5 * dense_capacity(n, degree))  # error-free capacity 362 at N = 100
    xi = sn.random_patterns(below, n, seed=9)
    out = sn.recall(sn.dense_memory(xi, degree=degree), noise=0.0, T=0.0, sweeps=3, seed=0,
                    backend=backend, cue=np.arange(40))  # fmt: skip
    assert out.retrieval_rate == 1.0 and out.mean_overlap == 1.0
    above = int(dense_load(n, degree, bit_error=0.1))  # ~10 unstable bits per pattern
    xi = sn.random_patterns(above, n, seed=10)
    out = sn.recall(sn.dense_memory(xi, degree=degree), noise=0.0, T=0.0, sweeps=3, seed=0,
                    backend=backend, cue=np.arange(40))  # fmt: skip
    stays = np.mean(out.overlap == 1.0)
    assert stays <= 0.05  # theory: (1 − 0.1)^100 ≈ 3e-5 of the patterns are fixed points


def test_bad_arguments_raise_before_work():
    xi = sn.random_patterns(3, 10, seed=0)
    with pytest.raises(ValidationError, match="'interaction' parameter of dense_memory"):
        sn.dense_memory(xi, "cubic")
    with pytest.raises(ValidationError, match="'degree' parameter of dense_memory"):
        sn.dense_memory(xi, degree=1)
    with pytest.raises(ValidationError, match="'beta' parameter of dense_memory"):
        sn.dense_memory(xi, "exp", beta=0.0)
    with pytest.raises(sn.errors.StatnnError, match="no coupling matrix"):
        sn.dense_memory(xi, degree=3).couplings.to_dense()


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("interaction", ["poly", "exp"])
def test_step_is_pure(backend, interaction):
    """Stepping the same state twice gives the same result; the input state is unchanged."""
    net = sn.dense_memory(sn.random_patterns(8, 40, seed=11), interaction, degree=3, beta=0.5)
    for schedule in ("random", "sequential", "synchronous"):
        s = sn.sampler(net, T=[0.3, 2.0], chains=2, schedule=schedule, backend=backend)
        state, _ = s.step(s.init(seed=3), 2)
        before = s.spins(state)
        a, info_a = s.step(state, 3)
        b, info_b = s.step(state, 3)
        assert np.array_equal(s.spins(state), before)
        assert np.array_equal(s.spins(a), s.spins(b))
        assert np.array_equal(info_a.flips, info_b.flips)


def test_numba_refuses_the_state_of_a_hebbian_sampler():
    xi = sn.random_patterns(8, 40, seed=12)
    hebbian_state = sn.sampler(sn.hopfield(xi), T=1.0, backend="numba").init(seed=0)
    with pytest.raises(ValidationError, match="cache"):
        sn.sampler(sn.dense_memory(xi, degree=2), T=1.0, backend="numba").step(hebbian_state)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_resume_carries_chains_to_another_dense_memory(backend):
    xi = sn.random_patterns(10, 40, seed=13)
    net1, net2 = sn.dense_memory(xi, degree=3), sn.dense_memory(xi[::-1].copy(), "exp", beta=0.5)
    s1 = sn.sampler(net1, T=1.0, chains=3, backend=backend)
    state, _ = s1.step(s1.init(seed=0), 2)
    s2 = sn.sampler(net2, T=1.0, chains=3, backend=backend)
    carried = s2.resume(state)
    np.testing.assert_array_equal(s2.spins(carried), s1.spins(state))
    fresh = s2.init(init=s1.spins(state), seed=5)
    if fresh.cache is not None:
        np.testing.assert_array_equal(carried.cache, fresh.cache)
    out, _ = s2.step(carried, 20, T=[0.0])
    S = s2.spins(out)[0]
    assert np.all(S * net2.local_field(S) >= 0)


@pytest.mark.parametrize("interaction", ["poly", "exp"])
@pytest.mark.parametrize("schedule", ["sequential", "synchronous"])
def test_torch_zero_temperature_trajectories_equal_numpy(interaction, schedule):
    """Deterministic schedules at T = 0: the torch kernel (batched over chains, projections
    cached) follows the numpy reference update for update; the cache stays exact."""
    pytest.importorskip("torch")
    xi = sn.random_patterns(12, 40, seed=21)
    net = sn.dense_memory(xi, interaction, degree=4, beta=0.3, bias=0.01)
    init = random_states(3, 40, seed=22).reshape(1, 3, 40)
    out = {}
    for backend in ("numpy", "torch"):
        s = sn.sampler(net, T=0.0, chains=3, schedule=schedule, backend=backend)
        state, info = s.step(s.init(init=init, seed=0), 4)
        out[backend] = (s.spins(state), info.flips)
        if backend == "torch":
            projections = s.spins(state).astype(float) @ xi.T.astype(float)
            np.testing.assert_array_equal(state.cache.cpu().numpy(), projections)
    np.testing.assert_array_equal(out["torch"][0], out["numpy"][0])
    np.testing.assert_array_equal(out["torch"][1], out["numpy"][1])
    assert out["torch"][1].sum() > 0
