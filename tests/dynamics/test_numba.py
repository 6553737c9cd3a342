"""The numba backend against the numpy reference: exact T = 0 trajectories, cache health,
thread-count independence, and the kernel protocol (split steps, permute, device)."""

from __future__ import annotations

import numba
import numpy as np
import pytest
import scipy.sparse as sp

import statnn as sn
import statnn.dynamics.numba.kernel as numba_cpu
import statnn.dynamics.reference as numpy_ref
from statnn.core.couplings import LatticeCouplings
from statnn.errors import ValidationError

N_T, CHAINS = 2, 3


def _dense(dtype, n=40, seed=1):
    net = sn.sk(n, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed)
    return sn.Network(net.couplings, bias=0.1 * rng.standard_normal(n))


def _sparse(n=50, seed=2):
    rng = np.random.default_rng(seed)
    A = sp.random(n, n, density=0.15, random_state=seed, data_rvs=rng.standard_normal)
    A = sp.triu(A, k=1)
    return sn.Network(sp.csr_array(A + A.T), bias=0.2 * rng.standard_normal(n))


def _patterns(n=60, p=5, seed=3):
    xi = np.where(np.random.default_rng(seed).random((p, n)) < 0.5, -1, 1).astype(np.int8)
    return sn.hopfield(xi)


def _asymmetric(n=30, seed=4):
    J = np.random.default_rng(seed).standard_normal((n, n))
    np.fill_diagonal(J, 0.0)
    return sn.Network(J)


NETWORKS = {
    "dense64": lambda: _dense(np.float64),
    "dense32": lambda: _dense(np.float32),
    "dense_asym": _asymmetric,
    "sparse": _sparse,
    "patterns": _patterns,
    "patterns_biased": lambda: sn.Network(_patterns().couplings, bias=0.05),
    "curie_weiss": lambda: sn.curie_weiss(50, field=0.01),
    "lattice2d_periodic": lambda: sn.ising((6, 8)),
    "lattice2d_open": lambda: sn.ising((5, 7), periodic=False),
    "lattice1d_field": lambda: sn.ising(20, field=0.5),
    "lattice3d_periodic": lambda: sn.ising((4, 4, 4), J=-1.0),
    "lattice3d_open": lambda: sn.ising((3, 3, 4), periodic=False),
    "lattice_nonuniform_bias": lambda: sn.Network(
        LatticeCouplings((6, 6)), bias=np.tile([0.0, 1.0, -2.0], 12)
    ),
}


def _kernels(net, rule, schedule):
    args = dict(rule=rule, schedule=schedule, n_temps=N_T, chains=CHAINS)
    return numpy_ref.make_kernel(net, **args), numba_cpu.make_kernel(net, **args)


def _initial(net, seed=0):
    rng = np.random.default_rng(seed)
    return (2 * rng.integers(0, 2, size=(N_T, CHAINS, net.n)) - 1).astype(np.int8)


def _cases():
    for name in NETWORKS:
        schedules = ["sequential", "synchronous"]
        if name.startswith("lattice") and "nonuniform" not in name:
            net = NETWORKS[name]()
            if net.lattice.bipartite:
                schedules.append("checkerboard")
        for schedule in schedules:
            rules = ["glauber"] if schedule == "synchronous" else ["glauber", "metropolis"]
            for rule in rules:
                yield pytest.param(name, schedule, rule, id=f"{name}-{schedule}-{rule}")


@pytest.mark.parametrize(("name", "schedule", "rule"), list(_cases()))
def test_zero_temperature_trajectory_matches_reference(name, schedule, rule):
    net = NETWORKS[name]()
    ref, fast = _kernels(net, rule, schedule)
    spins = _initial(net)
    seed = np.random.SeedSequence(7)
    a, b = ref.init(spins, seed), fast.init(spins, seed)
    betas = np.full(N_T, np.inf)
    for _ in range(6):  # one sweep at a time: the whole trajectory, not just the end
        a, fa = ref.step(a, betas, 1)
        b, fb = fast.step(b, betas, 1)
        np.testing.assert_array_equal(fast.spins(b), ref.spins(a))
        np.testing.assert_array_equal(fb, fa)


def test_float32_field_cache_stays_accurate():
    net = sn.sk(400, seed=5, dtype=np.float32)
    kernel = numba_cpu.make_kernel(
        net, rule="glauber", schedule="random", n_temps=2, chains=2, device=None
    )
    state = kernel.init(_initial_like(net, 2, 2), np.random.SeedSequence(1))
    refresh = numba_cpu.REFRESH[np.dtype(np.float32)]
    # T = 5 flips about half the attempts: the most drift between two refreshes
    state, flips = kernel.step(state, np.array([0.2, 0.5]), 2 * refresh - 1)
    assert flips.min() > 1000
    fresh = net.local_field(kernel.spins(state))
    cached = state.cache.reshape(fresh.shape).astype(np.float64)
    assert np.max(np.abs(cached - fresh)) < 1e-4


def _initial_like(net, n_T, chains, seed=0):
    rng = np.random.default_rng(seed)
    return (2 * rng.integers(0, 2, size=(n_T, chains, net.n)) - 1).astype(np.int8)


@pytest.mark.parametrize("name", ["dense32", "sparse", "patterns", "lattice2d_periodic"])
@pytest.mark.parametrize("schedule", ["random", "permuted"])
def test_same_seed_same_result_for_1_and_2_threads(name, schedule):
    net = NETWORKS[name]()
    kernel = numba_cpu.make_kernel(
        net, rule="glauber", schedule=schedule, n_temps=2, chains=4, device=None
    )
    spins = _initial_like(net, 2, 4)
    before = numba_cpu.get_num_threads()
    results = []
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba_cpu.set_num_threads(threads)
            state = kernel.init(spins, np.random.SeedSequence(3))
            state, flips = kernel.step(state, np.array([1.0, 2.0]), 5)
            results.append((kernel.spins(state), flips))
    finally:
        numba_cpu.set_num_threads(before)
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert results[0][1].sum() > 0


@pytest.mark.parametrize("name", ["dense64", "dense32", "patterns", "lattice2d_open"])
def test_split_steps_equal_one_step_and_leave_input_alone(name):
    net = NETWORKS[name]()
    kernel = numba_cpu.make_kernel(
        net, rule="metropolis", schedule="random", n_temps=2, chains=2, device=None
    )
    state0 = kernel.init(_initial_like(net, 2, 2), np.random.SeedSequence(11))
    copy0 = kernel.spins(state0)
    betas = np.array([0.7, 1.3])
    whole, f_whole = kernel.step(state0, betas, 45)
    part, f1 = kernel.step(state0, betas, 17)
    part, f2 = kernel.step(part, betas, 28)
    np.testing.assert_array_equal(kernel.spins(state0), copy0)
    np.testing.assert_array_equal(kernel.spins(whole), kernel.spins(part))
    np.testing.assert_array_equal(f_whole, f1 + f2)
    assert whole.sweep == part.sweep == 45


@pytest.mark.parametrize("name", ["dense64", "patterns"])
def test_permute_moves_the_cache_with_the_spins(name):
    net = NETWORKS[name]()
    kernel = numba_cpu.make_kernel(
        net, rule="glauber", schedule="random", n_temps=3, chains=2, device=None
    )
    state = kernel.init(_initial_like(net, 3, 2), np.random.SeedSequence(5))
    state, _ = kernel.step(state, np.array([0.5, 1.0, 2.0]), 3)
    perm = np.array([[1, 2], [0, 0], [2, 1]])
    before = kernel.spins(state)
    moved = kernel.permute(state, perm)
    np.testing.assert_array_equal(kernel.spins(moved), before[perm, np.arange(2)[None, :]])
    fresh = kernel.init(kernel.spins(moved), np.random.SeedSequence(0)).cache
    np.testing.assert_allclose(moved.cache, fresh, atol=1e-9)


def test_uniform_and_bounded_draws_are_uniform():
    from statnn.dynamics.numba.rng import bounded, seed_states, uniform

    st = seed_states(np.random.SeedSequence(0), 1)[0]
    u = np.array([uniform(st) for _ in range(20000)])
    assert 0.0 <= u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 4 * np.sqrt(1 / 12 / u.size)
    counts = np.bincount([bounded(st, 7) for _ in range(7000)], minlength=7)
    chi2 = ((counts - 1000) ** 2 / 1000).sum()
    assert chi2 < 22.5  # p = 0.001 for 6 degrees of freedom


def test_device_must_be_none():
    with pytest.raises(ValidationError, match="device"):
        numba_cpu.make_kernel(
            sn.ising((4, 4)), rule="glauber", schedule="random", n_temps=1, chains=1, device="cpu"
        )


def test_simulate_with_numba_backend_runs():
    run = sn.simulate(
        sn.ising((8, 8)), T=[1.5, 3.0], sweeps=50, burn_in=10, chains=2, backend="numba", seed=0
    )
    assert run.energy.shape == (2, 2, 50)
    assert run.states.dtype == np.int8
