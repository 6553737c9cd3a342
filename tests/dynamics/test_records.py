"""The numba backend's compiled record loop against a plain Python loop over ``step``
measured with numpy (``Network.energy``, means, pattern overlaps), and its replica
exchange against exact enumeration."""

from __future__ import annotations

import itertools

import numba
import numpy as np
import pytest
import scipy.sparse as sp

import statnn as sn
import statnn.dynamics.numba.kernel as numba_cpu
from statnn.dynamics.numba.measure import exchange
from tests.statistical.test_boltzmann import chi_square_pvalue


def _sparse():
    A = sp.triu(sp.random(30, 30, density=0.2, random_state=1), k=1)
    return sn.Network(sp.csr_array(A + A.T), bias=0.1)


def _asymmetric_sparse():
    A = sp.random(30, 30, density=0.2, random_state=2)
    A.setdiag(0)
    A.eliminate_zeros()
    return sn.Network(sp.csr_array(A), bias=0.1)


def _lattice_with_bias(periodic):
    c = sn.ising((5, 6), periodic=periodic).couplings
    return sn.Network(c, bias=np.linspace(-0.4, 0.3, c.n))


def _xi(p=3, n=40):
    return np.where(np.random.default_rng(0).random((p, n)) < 0.5, -1, 1)


CASES = {
    "multispin-glauber": (lambda: sn.ising((8, 8), field=0.1), "checkerboard", "glauber"),
    "multispin-metropolis": (lambda: sn.ising((4, 128)), "checkerboard", "metropolis"),
    "lattice-checkerboard-open": (
        lambda: sn.ising((5, 6), periodic=False),
        "checkerboard",
        "glauber",
    ),
    "lattice-random": (lambda: sn.ising((6, 6), field=0.3), "random", "metropolis"),
    "lattice-synchronous": (lambda: sn.ising(12), "synchronous", "glauber"),
    "lattice-checkerboard-bias": (lambda: _lattice_with_bias(False), "checkerboard", "metropolis"),
    "lattice-permuted-bias": (lambda: _lattice_with_bias(True), "permuted", "glauber"),
    "dense64": (lambda: sn.sk(30, seed=1), "permuted", "glauber"),
    "dense32": (lambda: sn.sk(30, seed=1, dtype=np.float32), "sequential", "metropolis"),
    "dense-synchronous": (lambda: sn.sk(20, seed=2), "synchronous", "glauber"),
    "sparse": (_sparse, "random", "glauber"),
    "sparse-synchronous": (_sparse, "synchronous", "glauber"),
    "sparse-permuted": (_sparse, "permuted", "metropolis"),
    "sparse-asymmetric": (_asymmetric_sparse, "sequential", "glauber"),
    "patterns": (lambda: sn.Network(sn.PatternCouplings(_xi()), bias=0.05), "random", "metropolis"),
    "patterns-synchronous": (lambda: sn.hopfield(_xi()), "synchronous", "glauber"),
    "dense-memory-poly3": (
        lambda: sn.dense_memory(_xi(5, 30), "poly", degree=3, bias=0.05),
        "random",
        "metropolis",
    ),
    "dense-memory-poly4-permuted": (
        lambda: sn.dense_memory(_xi(4, 24), "poly", degree=4),
        "permuted",
        "glauber",
    ),
    "dense-memory-exp": (lambda: sn.dense_memory(_xi(6, 30), "exp", beta=0.4), "random", "glauber"),
    "dense-memory-exp-synchronous": (
        lambda: sn.dense_memory(_xi(6, 30), "exp", beta=0.4, bias=-0.02),
        "synchronous",
        "glauber",
    ),
}


def _python_loop(s, net, state, n_records, every, burn_in):
    """The reference: step, decode, measure with numpy."""
    if burn_in:
        state, _ = s.step(state, burn_in)
    out = {"energy": [], "magnetization": [], "overlaps": [], "q": [], "flips": 0}
    for _ in range(n_records):
        state, info = s.step(state, every)
        out["flips"] = out["flips"] + info.flips
        spins = s.spins(state)
        out["energy"].append(net.energy(spins, allow_asymmetric=True) / net.n)
        out["magnetization"].append(spins.mean(axis=-1))
        if net.patterns is not None:
            out["overlaps"].append(net.patterns.astype(float) @ spins[..., None] / net.n)
        pairs = s.chains // 2
        a, b = spins[:, 0 : 2 * pairs : 2], spins[:, 1 : 2 * pairs : 2]
        out["q"].append((a * b).mean(axis=-1))
    return state, {
        k: np.stack(v, axis=-1) if isinstance(v, list) and v else v for k, v in out.items()
    }


@pytest.mark.parametrize("lockstep", [False, True], ids=["fused", "lockstep"])
@pytest.mark.parametrize("T", [0.0, 1.5], ids=["T0", "T1.5"])
@pytest.mark.parametrize("name", list(CASES))
def test_records_equal_a_python_loop_over_step(name, T, lockstep):
    make, schedule, rule = CASES[name]
    net = make()
    s = sn.sampler(
        net, T=[T, 2.5], chains=3, schedule=schedule, dynamics=rule,
        allow_asymmetric=name.endswith("asymmetric"),
    )  # fmt: skip
    assert s.kernel.multispin == name.startswith("multispin")
    assert (s.kernel.kind == "dense_memory") == name.startswith("dense-memory")
    state = s.init("random", seed=4)
    before = s.spins(state), state.rng.copy()
    new, rec = s.kernel.record(state, s.betas, n_records=6, every=2, burn_in=3, lockstep=lockstep)
    ref_state, ref = _python_loop(s, net, state, 6, 2, 3)
    # the input state is left alone
    np.testing.assert_array_equal(s.spins(state), before[0])
    np.testing.assert_array_equal(state.rng, before[1])
    # integer-valued records exactly, energies to rounding (float32 fields: their precision)
    np.testing.assert_array_equal(rec.magnetization, ref["magnetization"])
    np.testing.assert_array_equal(rec.replica_overlap, ref["q"])
    np.testing.assert_array_equal(rec.flips, ref["flips"])
    if net.patterns is not None:
        np.testing.assert_array_equal(rec.overlaps, ref["overlaps"][..., 0, :].swapaxes(-1, -2))
    tol = 1e-6 if name == "dense32" else 1e-12
    np.testing.assert_allclose(rec.energy, ref["energy"], rtol=0, atol=tol)
    np.testing.assert_array_equal(s.spins(new), s.spins(ref_state))
    np.testing.assert_array_equal(new.rng, ref_state.rng)
    assert new.sweep == ref_state.sweep


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_dense_energy_from_cached_fields_does_not_drift(dtype, tol):
    """300 sweeps at high T (many flips): fields refreshed every REFRESH sweeps keep the
    recorded energy within ``tol`` per neuron of the numpy energy of the same states."""
    net = sn.sk(60, seed=3, dtype=dtype)
    s = sn.sampler(net, T=3.0, chains=2)
    state = s.init("random", seed=1)
    _, rec = s.kernel.record(state, s.betas, n_records=300, every=1)
    _, ref = _python_loop(s, net, state, 300, 1, 0)
    assert rec.flips.sum() > 10_000
    assert np.abs(rec.energy - ref["energy"]).max() < tol


@pytest.mark.parametrize("schedule", ["checkerboard", "random"])
def test_burn_in_runs_once_when_too_few_pairs_switch_to_lock_step(schedule):
    """One temperature × two chains at 2 threads: one pair for two threads, so the record
    loop switches to lock step after the burn-in; the records still equal the Python loop
    over ``step`` (burn-in run once), at 1 and 2 threads."""
    net = sn.ising((16, 16), field=0.05)
    s = sn.sampler(net, T=2.3, chains=2, schedule=schedule, dynamics="glauber")
    state = s.init("random", seed=8)
    ref_state, ref = _python_loop(s, net, state, 4, 3, 5)
    before = numba_cpu.get_num_threads()
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba_cpu.set_num_threads(threads)
            new, rec = s.kernel.record(state, s.betas, n_records=4, every=3, burn_in=5)
            np.testing.assert_array_equal(rec.magnetization, ref["magnetization"])
            np.testing.assert_array_equal(rec.replica_overlap, ref["q"])
            np.testing.assert_array_equal(s.spins(new), s.spins(ref_state))
            assert new.sweep == ref_state.sweep
    finally:
        numba_cpu.set_num_threads(before)


@pytest.mark.parametrize("chains", [1, 3])
def test_multispin_chains_split_by_row_blocks_record_as_one_thread(monkeypatch, chains):
    """A multi-spin chain's half-sweeps split by row blocks between the threads (forced
    here for a small lattice, as for a large one with fewer chains than threads): the
    records equal the Python loop over ``step`` with numpy measurement, at 1 and 2 threads."""
    from statnn.dynamics.numba.kernel import Multispin

    net = sn.ising((64, 64), field=0.05)
    s = sn.sampler(net, T=2.3, chains=chains, schedule="checkerboard", dynamics="glauber")
    assert s.kernel.multispin and s.kernel.geometry[-1] == 4  # 4 row blocks
    state = s.init("random", seed=8)
    assert not s.kernel.rep._split(chains)  # 64 words per half-sweep: too short to split
    ref_state, ref = _python_loop(s, net, state, 7, 3, 2)
    monkeypatch.setattr(Multispin, "_split", lambda self, chains: True)
    before = numba_cpu.get_num_threads()
    runs = []
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba_cpu.set_num_threads(threads)
            runs.append(s.kernel.record(state, s.betas, n_records=7, every=3, burn_in=2))
    finally:
        numba_cpu.set_num_threads(before)
    for new, rec in runs:
        np.testing.assert_array_equal(rec.magnetization, ref["magnetization"])
        np.testing.assert_allclose(rec.energy, ref["energy"], rtol=0, atol=1e-12)
        np.testing.assert_array_equal(rec.flips, ref["flips"])
        if chains > 1:
            np.testing.assert_array_equal(rec.replica_overlap, ref["q"])
        np.testing.assert_array_equal(s.spins(new), s.spins(ref_state))
        np.testing.assert_array_equal(new.rng, ref_state.rng)
    np.testing.assert_array_equal(runs[0][1].energy, runs[1][1].energy)


@pytest.mark.parametrize(
    "name, make, schedule, options",
    [
        ("lattice", lambda: sn.ising((6, 10), periodic=False), "checkerboard", None),
        ("lattice-msc-off", lambda: sn.ising((8, 8)), "checkerboard", {"multispin": False}),
        ("sparse", lambda: _sparse(), "random", None),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_same_seed_same_simulate_at_1_and_2_threads_one_spin(name, make, schedule, options):
    net = make()
    before = numba_cpu.get_num_threads()
    runs = []
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba_cpu.set_num_threads(threads)
            runs.append(
                sn.simulate(
                    net, T=[1.5, 2.5], sweeps=30, burn_in=5, chains=3, seed=6,
                    schedule=schedule, dynamics="metropolis", backend="numba",
                    backend_options=options,
                )  # fmt: skip
            )
    finally:
        numba_cpu.set_num_threads(before)
    a, b = runs
    for field in ("energy", "magnetization", "replica_overlap", "states", "acceptance"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


# -- energies in the record loop: drift and exactness -----------------------------------------------------------------
def _random_sparse(n, degree, seed):
    rng = np.random.default_rng(seed)
    A = sp.triu(
        sp.random(n, n, density=degree / n, random_state=seed, data_rvs=rng.standard_normal), k=1
    )
    return sn.Network(sp.csr_array(A + A.T) / np.sqrt(degree), bias=rng.normal(0, 0.2, n))


def test_sparse_carried_energy_drift_without_refresh_stays_at_rounding(monkeypatch):
    """Carried from ~10⁵ flips with the refresh switched off, the sparse energy stays within
    1e-12 per neuron of the numpy energy of the same states (the drift the refresh bounds)."""
    monkeypatch.setattr(numba_cpu, "SPARSE_REFRESH", 10**9)
    net = _random_sparse(200, 8, 4)
    s = sn.sampler(net, T=4.0, chains=2, schedule="random", dynamics="metropolis")
    state = s.init("random", seed=3)
    _, rec = s.kernel.record(state, s.betas, n_records=300, every=1)
    _, ref = _python_loop(s, net, state, 300, 1, 0)
    assert rec.flips.sum() > 50_000
    drift = np.abs(rec.energy - ref["energy"])
    assert drift.max() < 1e-12
    assert drift.max() > 0  # carried, not recomputed: rounding does show


def test_sparse_carried_energy_is_recomputed_every_refresh_sweeps():
    """At every multiple of REFRESH sweeps of the run, the carried energy (the state's cache,
    kept by ``step`` as by the record loop) equals a recomputation from scratch bit for bit,
    whatever the calls the sweeps were split into."""
    from statnn.dynamics.numba.sparse import REFRESH

    net = _random_sparse(150, 6, 5)
    s = sn.sampler(net, T=3.0, chains=3, schedule="permuted", dynamics="glauber")
    state = s.init("random", seed=2)
    fresh = s.kernel.rep.fresh_cache
    a, _ = s.step(state, REFRESH - 7)
    a, _ = s.step(a, 7)
    b, _ = s.kernel.record(state, s.betas, n_records=REFRESH // 4, every=4)
    for x in (a, b):
        assert x.sweep == REFRESH
        np.testing.assert_array_equal(x.cache, fresh(s.spins(x).reshape(-1, net.n)))
    c, _ = s.step(a, 13)
    assert not np.array_equal(c.cache, fresh(s.spins(c).reshape(-1, net.n)))


def test_lattice_record_energies_are_exact_bond_sums_after_many_flips():
    """The one-spin lattice record loop counts the bonds as integers: after ~10⁶ flips each
    record is exactly −J × (the numpy bond sum) / N, and m exact."""
    net = sn.ising((24, 30), J=0.7)
    s = sn.sampler(
        net, T=5.0, chains=2, schedule="checkerboard", dynamics="glauber",
        backend_options={"multispin": False},
    )  # fmt: skip
    assert not s.kernel.multispin
    state = s.init("random", seed=9)
    _, rec = s.kernel.record(state, s.betas, n_records=40, every=50)
    _, ref = _python_loop(s, net, state, 40, 50, 0)
    assert rec.flips.sum() > 10**6
    np.testing.assert_array_equal(rec.magnetization, ref["magnetization"])
    bonds = np.round(ref["energy"] * net.n / -0.7)  # the numpy bond sums, integers
    np.testing.assert_array_equal(rec.energy, -0.7 * bonds / net.n)


# -- exact enumeration through simulate (one-spin lattice and sparse record loops) ----------
# name: (network, schedule, backend options, whether 3000 chains tell β from 1.1 β)
ONE_SPIN_NETS = {
    "lattice-open": (
        lambda: sn.ising((2, 4), J=0.6, field=0.15, periodic=False), "checkerboard", None, True
    ),
    "lattice-msc-off": (
        lambda: sn.ising((2, 4), J=0.5, field=0.1), "checkerboard", {"multispin": False}, False
    ),
    "lattice-random-bias": (
        lambda: sn.Network(sn.ising((2, 3), J=0.6).couplings, bias=np.linspace(-0.3, 0.4, 6)),
        "random",
        None,
        False,
    ),
    "sparse": (lambda: _random_sparse(6, 3, 11), "random", None, False),
    "sparse-permuted": (lambda: _random_sparse(6, 4, 12), "permuted", None, False),
}


@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
@pytest.mark.parametrize("name", list(ONE_SPIN_NETS))
def test_one_spin_record_loops_sample_boltzmann(name, rule):
    """``simulate`` through the compiled one-spin lattice / sparse record loops: final states
    at each temperature against exact enumeration (and not against 1.1 β where the test
    has the power to tell), and the last recorded energy, averaged over the chains, against
    the exact ⟨E⟩ within 5 standard errors."""
    make, schedule, options, powerful = ONE_SPIN_NETS[name]
    net = make()
    T = np.array([1.0, 2.0])
    chains = 3000
    run = sn.simulate(
        net, T=T, sweeps=20, burn_in=400, chains=chains, schedule=schedule, seed=23,
        dynamics=rule, record_every=4, backend="numba", backend_options=options,
    )  # fmt: skip
    bits = (run.states > 0).astype(np.int64) @ (1 << np.arange(net.n)[::-1])
    for t, temperature in enumerate(T):
        p, e = _boltzmann(net, 1.0 / temperature)
        counts = np.bincount(bits[t], minlength=2**net.n)
        assert chi_square_pvalue(counts, p) > 1e-4, temperature
        if t == 0 and powerful:
            assert chi_square_pvalue(counts, _boltzmann(net, 1.1 / temperature)[0]) < 1e-5
        mean, var = p @ e, p @ (e - p @ e) ** 2
        recorded = run.energy[t, :, -1] * net.n
        assert abs(recorded.mean() - mean) < 5 * np.sqrt(var / chains), temperature


@pytest.mark.parametrize("tempering", [False, True])
def test_same_seed_same_records_at_1_and_2_threads(tempering):
    net = sn.ising((16, 16))
    before = numba_cpu.get_num_threads()
    runs = []
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba_cpu.set_num_threads(threads)
            runs.append(
                sn.simulate(
                    net,
                    T=[2.0, 2.3, 2.6],
                    sweeps=40,
                    burn_in=10,
                    chains=4,
                    seed=5,
                    schedule="checkerboard",
                    tempering=tempering,
                )  # fmt: skip
            )
    finally:
        numba_cpu.set_num_threads(before)
    a, b = runs
    for field in ("energy", "magnetization", "replica_overlap", "states", "acceptance"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    if tempering:
        np.testing.assert_array_equal(a.swap_acceptance, b.swap_acceptance)


# -- replica exchange against exact enumeration ------------------------------------------------
def _all_states(n):
    return np.array(list(itertools.product([-1, 1], repeat=n)), dtype=np.int8)


def _boltzmann(net, beta):
    e = net.energy(_all_states(net.n))
    w = np.exp(-beta * (e - e.min()))
    return w / w.sum(), e


def test_exchange_move_accepts_with_the_metropolis_probability():
    """The swap of two labels is accepted with min(1, exp((β_t − β_{t+1})(E_a − E_b)))."""
    betas = np.array([1.0, 0.5])
    rng = np.array([1, 2, 3, 4], dtype=np.uint64)
    for E, expected in (([-3.0, -1.0], np.exp(-1.0)), ([-1.0, -3.0], 1.0), ([2.0, 2.0], 1.0)):
        accepted = np.zeros(1, dtype=np.int64)
        tried = np.zeros(1, dtype=np.int64)
        n = 20_000
        for _ in range(n):
            who = np.array([[0], [1]])
            slot = np.array([0, 1])
            beta = betas.copy()
            exchange(np.array(E), beta, betas, who, slot, 1, 0, rng, tried, accepted,
                     np.zeros(2, dtype=np.int8), np.zeros(2, dtype=np.int64))  # fmt: skip
        assert tried[0] == n
        p = accepted[0] / n
        assert abs(p - expected) <= 5 * np.sqrt(expected * (1 - expected) / n) + 1e-12


TEMPERING_NETS = {
    "multispin": (lambda: sn.ising((2, 4), J=0.3, field=0.2), "checkerboard"),
    "dense": (lambda: sn.Network(*_random_symmetric(6)), "random"),
    "patterns": (lambda: sn.Network(sn.PatternCouplings(_xi(2, 6), scale=0.3)), "sequential"),
}


def _random_symmetric(n):
    rng = np.random.default_rng(3)
    J = np.triu(rng.normal(0.0, 0.5, size=(n, n)), 1)
    return J + J.T, rng.normal(0.0, 0.3, size=n)


@pytest.mark.parametrize("tempering", [False, True])
@pytest.mark.parametrize("name", list(TEMPERING_NETS))
def test_simulate_samples_boltzmann_at_every_temperature(name, tempering):
    """Final states of ``simulate`` at each temperature against exact enumeration; with
    tempering, the mean swap acceptance of each pair equals its exact stationary value
    Σ p_t(S) p_{t+1}(S') min(1, exp((β_t − β_{t+1})(E(S) − E(S'))))."""
    make, schedule = TEMPERING_NETS[name]
    net = make()
    T = np.array([1.0, 1.5, 2.5])
    chains = 3000
    run = sn.simulate(
        net, T=T, sweeps=20, burn_in=60, chains=chains, schedule=schedule, seed=17,
        tempering=tempering, record_every=2,
    )  # fmt: skip
    bits = (run.states > 0).astype(np.int64) @ (1 << np.arange(net.n)[::-1])
    for t, temperature in enumerate(T):
        p, e = _boltzmann(net, 1.0 / temperature)
        counts = np.bincount(bits[t], minlength=2**net.n)
        assert chi_square_pvalue(counts, p) > 1e-4, temperature
        if t == 0:  # the test has the power to tell β from 1.1 β at the lowest temperature
            assert chi_square_pvalue(counts, _boltzmann(net, 1.1 / temperature)[0]) < 1e-5
    if tempering:
        tried = run.params["sweeps"] // 2 * chains  # records × chains, every pair every other round
        for t in range(len(T) - 1):
            p0, e = _boltzmann(net, 1.0 / T[t])
            p1, _ = _boltzmann(net, 1.0 / T[t + 1])
            ratio = np.minimum(1.0, np.exp((1 / T[t] - 1 / T[t + 1]) * (e[:, None] - e[None, :])))
            exact = p0 @ ratio @ p1
            n_tried = tried / 2
            assert (
                abs(run.swap_acceptance[t] - exact)
                < 5 * np.sqrt(exact * (1 - exact) / n_tried) + 0.01
            )


@pytest.mark.parametrize("name", list(TEMPERING_NETS))
def test_compiled_exchange_samples_boltzmann_with_the_exact_swap_rate(name):
    """The record loop's own replica exchange (labels swapped in compiled code): final
    states at each temperature against exact enumeration, and the swap acceptance of each
    pair against its exact stationary value."""
    make, schedule = TEMPERING_NETS[name]
    net = make()
    T = np.array([1.0, 1.5, 2.5])
    chains = 3000
    s = sn.sampler(net, T=T, chains=chains, schedule=schedule)
    state = s.init("random", seed=17)
    new, rec = s.kernel.record(
        state, s.betas, n_records=10, every=2, burn_in=60,
        exchange_seed=np.random.SeedSequence(5),
    )  # fmt: skip
    spins = s.spins(new)
    bits = (spins > 0).astype(np.int64) @ (1 << np.arange(net.n)[::-1])
    for t, temperature in enumerate(T):
        p, _ = _boltzmann(net, 1.0 / temperature)
        assert chi_square_pvalue(np.bincount(bits[t], minlength=2**net.n), p) > 1e-4, temperature
    for t in range(len(T) - 1):
        p0, e = _boltzmann(net, 1.0 / T[t])
        p1, _ = _boltzmann(net, 1.0 / T[t + 1])
        ratio = np.minimum(1.0, np.exp((1 / T[t] - 1 / T[t + 1]) * (e[:, None] - e[None, :])))
        exact = p0 @ ratio @ p1
        n_tried = rec.swap_tried[t]
        rate = rec.swap_accepted[t] / n_tried
        assert abs(rate - exact) < 5 * np.sqrt(exact * (1 - exact) / n_tried) + 0.01
    assert rec.round_trips.shape == (len(T), chains)
    assert rec.round_trips.sum() > 0


def test_progress_bar_chunks_give_the_same_records():
    net = sn.hopfield(_xi())
    runs = [
        sn.simulate(net, T=0.5, sweeps=45, burn_in=5, chains=3, seed=2, progress=progress)
        for progress in (False, True)
    ]
    for field in ("energy", "magnetization", "overlaps", "replica_overlap", "states", "acceptance"):
        np.testing.assert_array_equal(getattr(runs[0], field), getattr(runs[1], field))
