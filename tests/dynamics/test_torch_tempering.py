"""Parallel tempering inside the torch backend's device record loop (``TorchKernel.record``
with an ``ExchangeState``), on the CPU.

Independent truths: exact enumeration (each temperature's states and the joint law of two
temperatures right after the exchanges against Boltzmann's law; the exact stationary swap
rate of each pair), the numba backend's compiled exchange (swap acceptance to sampling
error), :class:`~statnn.dynamics.tempering.RoundTrips` fed the same forced label moves, the
plain record loop (with equal β every swap is accepted: the tempered records are the plain
ones relabelled by the known even-odd permutations), chunked calls against one call, and
counted host reads.
"""

from __future__ import annotations

import numpy as np
import pytest

import statnn as sn
from statnn.dynamics.tempering import RoundTrips
from tests.dynamics.test_compiled_tempering import _boltzmann, _codes, _exact_swap
from tests.dynamics.test_torch_records import _xi, host_reads  # noqa: F401 (a fixture)
from tests.statistical.test_boltzmann import chi_square_pvalue

torch = pytest.importorskip("torch")
from statnn.dynamics.torch.base import _DeviceExchange  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::statnn.stats.diagnostics.ConvergenceWarning")


def _sk6():
    rng = np.random.default_rng(3)
    J = np.triu(rng.normal(0.0, 0.6, size=(6, 6)), 1)
    return sn.Network(J + J.T, bias=rng.normal(0.0, 0.3, size=6))


# -- detailed balance against enumeration -----------------------------------------------------
@pytest.mark.parametrize(
    "make, schedule",
    [(_sk6, "random"), (lambda: sn.ising((6,), J=0.8, field=0.2), "checkerboard")],
    ids=["sk6-blocks", "chain6-checkerboard"],
)
def test_tempering_on_the_device_samples_boltzmann_at_every_temperature(make, schedule):
    """Final states (right after an exchange round) of every temperature against exact
    enumeration, with exchanges after every sweep; the swaps happen."""
    net = make()
    T = np.array([0.5, 0.9, 1.6])
    run = sn.simulate(net, T=T, sweeps=12, burn_in=200, chains=2500, seed=11, tempering=True,
                      backend="torch", schedule=schedule, record_every=1)  # fmt: skip
    for t, temperature in enumerate(T):
        p, _ = _boltzmann(net, 1.0 / temperature)
        counts = np.bincount(_codes(run.states[t]), minlength=2**net.n)
        assert chi_square_pvalue(counts, p) > 1e-4, temperature
    assert np.all(run.swap_acceptance > 0.05)
    np.testing.assert_allclose(run.energy[..., -1], net.energy(run.states) / net.n, atol=1e-12)


def test_device_exchange_keeps_the_product_of_boltzmann_laws_invariant():
    """Detailed balance of the swaps: the joint law of the two configurations of one ladder
    right after the exchanges is p_β0 ⊗ p_β1."""
    rng = np.random.default_rng(7)
    J = np.triu(rng.normal(0.0, 0.8, size=(3, 3)), 1)
    net = sn.Network(J + J.T, bias=[0.4, -0.2, 0.1])
    T = [0.6, 1.5]
    # 71 rounds: the last one (even) exchanges the pair, right before the states are read
    run = sn.simulate(net, T=T, sweeps=31, burn_in=40, chains=6000, seed=3, tempering=True,
                      backend="torch", record_every=1)  # fmt: skip
    p0, _ = _boltzmann(net, 1 / T[0])
    p1, _ = _boltzmann(net, 1 / T[1])
    codes = _codes(run.states[0]) * 2**net.n + _codes(run.states[1])
    counts = np.bincount(codes, minlength=4**net.n)
    assert chi_square_pvalue(counts, np.outer(p0, p1).ravel()) > 1e-4
    assert 0.1 < run.swap_acceptance[0] < 0.9


# -- swap acceptance: exact and against the numba backend --------------------------------------
def test_swap_acceptance_is_exact_and_that_of_the_numba_backend():
    net = _sk6()
    T = np.array([0.8, 1.3, 2.2])
    chains, sweeps = 1500, 40
    kw = dict(T=T, sweeps=sweeps, burn_in=40, chains=chains, tempering=True, record_every=1)
    runs = {b: sn.simulate(net, backend=b, seed=5, **kw) for b in ("torch", "numba")}
    tried = sweeps // 2 * chains
    for t in range(len(T) - 1):
        exact = _exact_swap(net, T[t], T[t + 1])
        sigma = np.sqrt(exact * (1 - exact) / tried)
        for b, run in runs.items():
            # 5 sigma of independent trials, plus 0.01 for successive rounds' correlation
            assert abs(run.swap_acceptance[t] - exact) < 5 * sigma + 0.01, (b, t)
        diff = runs["torch"].swap_acceptance[t] - runs["numba"].swap_acceptance[t]
        assert abs(diff) < 5 * np.sqrt(2) * sigma + 0.01
    for run in runs.values():
        assert run.round_trips > 0
        assert run.round_trip_rate == pytest.approx(run.round_trips / (chains * sweeps))


# -- round trips: forced label moves against RoundTrips -------------------------------------
@pytest.mark.parametrize("increasing", [True, False], ids=["cold-first", "cold-last"])
def test_round_trips_of_forced_swaps_follow_roundtrips(increasing):
    """Energies chosen so that each pair swaps exactly when a random decision says so
    (E_a = E_b: log-ratio 0, accepted; else a log-ratio of −∞, rejected): the device
    bookkeeping (labels, headings, trips, tried / accepted) equals RoundTrips and plain
    counting fed the same moves."""
    n_T, chains = 5, 3
    K = n_T * chains
    s = sn.sampler(sn.ising((4,)), T=np.linspace(0.5, 2.5, n_T)[:: 1 if increasing else -1],
                   chains=chains, backend="torch")  # fmt: skip
    betas = s.betas
    cold = int(np.argmax(betas))
    ex = _DeviceExchange(s.kernel, betas, s.kernel.exchange_state(np.random.SeedSequence(0), cold))
    ref = RoundTrips(n_T, cold, chains)
    rng = np.random.default_rng(2)
    who = np.arange(K).reshape(n_T, chains)
    tried = np.zeros(n_T - 1, dtype=np.int64)
    accepted = np.zeros(n_T - 1, dtype=np.int64)
    for rnd in range(400):
        parity = rnd % 2
        want = rng.random((n_T - 1, chains)) < 0.7
        E = np.zeros(K)
        for t in range(parity, n_T - 1, 2):
            sign = np.sign(betas[t] - betas[t + 1])
            E[who[t + 1]] = np.where(want[t], 0.0, sign * 1e308)  # E_a − E_b = −sign · 1e308
        perm = np.repeat(np.arange(n_T)[:, None], chains, axis=1)
        for t in range(parity, n_T - 1, 2):
            perm[t, want[t]], perm[t + 1, want[t]] = t + 1, t
            tried[t] += chains
            accepted[t] += want[t].sum()
        who = who[perm, np.arange(chains)[None, :]]
        ref.update(perm)
        ex.round(torch.as_tensor(E))
        np.testing.assert_array_equal(ex.who.view(n_T, chains).numpy(), who)
    heading = ex.heading.numpy().reshape(n_T, chains)
    np.testing.assert_array_equal(heading, ref.heading)
    np.testing.assert_array_equal(ex.trips.numpy().reshape(n_T, chains), ref.trips)
    np.testing.assert_array_equal(ex.tried.numpy(), tried)
    np.testing.assert_array_equal(ex.accepted.numpy(), accepted)
    assert ref.total() > 20


# -- equal β: every swap accepted, the plain records relabelled ------------------------------
def _even_odd(n_T, rounds, parity=0):
    """who after each round when every pair swaps: who[r][t] is the row at position t."""
    who, out = np.arange(n_T), []
    for _ in range(rounds):
        for t in range(parity, n_T - 1, 2):
            who[t], who[t + 1] = who[t + 1], who[t]
        parity = 1 - parity
        out.append(who.copy())
    return out


RELABEL_CASES = {
    "dense-permuted": (lambda: sn.sk(20, seed=1), "permuted", {"block_size": 7}),
    "checkerboard": (lambda: sn.ising((6, 4), field=0.1), "checkerboard", {}),
    "patterns": (lambda: sn.hopfield(_xi()), "random", {"block_size": 16}),
    "dense-memory": (
        lambda: sn.dense_memory(_xi(4, 24), interaction="poly", degree=3),
        "sequential",
        {},
    ),
    "synchronous": (lambda: sn.sk(16, seed=2), "synchronous", {}),
}


@pytest.mark.parametrize("name", list(RELABEL_CASES))
def test_equal_betas_give_the_plain_records_relabelled(name):
    """With equal β every proposed swap is accepted and the dynamics of each state is the
    plain loop's (its random numbers go by state, not by temperature): the tempered records,
    replica overlaps, final states, flips and counts are the plain ones moved by the known
    even-odd permutations, in temperature order."""
    make, schedule, options = RELABEL_CASES[name]
    net = make()
    s = sn.sampler(net, T=[1.3] * 4, chains=4, schedule=schedule, backend="torch",
                   backend_options=options)  # fmt: skip
    assert_equal_betas_relabel(s, net)


def assert_equal_betas_relabel(s, net, R=7, burn=3):
    """The check of :func:`test_equal_betas_give_the_plain_records_relabelled` on the
    sampler ``s`` (equal temperatures)."""
    n_T, chains = s.kernel.shape
    state = s.init("random", seed=4)
    plain_state, plain = s.kernel.record(state, s.betas, n_records=R, every=2, burn_in=burn)
    ex = s.kernel.exchange_state(np.random.SeedSequence(1), cold=n_T - 1)
    new, rec = s.kernel.record(state, s.betas, n_records=R, every=2, burn_in=burn, exchange=ex)
    rounds = _even_odd(n_T, 2 + R)  # burn-in: one full and one partial block
    for r in range(R):
        who = rounds[2 + r]
        np.testing.assert_array_equal(rec.magnetization[:, :, r], plain.magnetization[who, :, r])
        np.testing.assert_allclose(rec.energy[:, :, r], plain.energy[who, :, r], atol=1e-12)
        np.testing.assert_array_equal(rec.replica_overlap[:, :, r], plain.replica_overlap[who, :, r])
        if plain.overlaps is not None:
            np.testing.assert_array_equal(rec.overlaps[:, :, r], plain.overlaps[who, :, r])
    np.testing.assert_array_equal(s.spins(new), s.spins(plain_state)[rounds[-1]])
    np.testing.assert_array_equal(rec.flips.sum(0), plain.flips.sum(0))
    np.testing.assert_array_equal(rec.swap_tried, rec.swap_accepted)
    expected = [sum(1 for r in range(R) if (2 + r + t) % 2 == 0) * chains for t in range(n_T - 1)]
    np.testing.assert_array_equal(rec.swap_tried, expected)  # counts restart after burn-in
    ref = RoundTrips(n_T, n_T - 1, chains)
    for r, who in enumerate(rounds):
        prev = np.arange(n_T) if r == 0 else rounds[r - 1]
        perm = np.argsort(prev)[who]  # the position whose replica moves to t
        ref.update(np.repeat(perm[:, None], chains, axis=1))
        if r == 1:
            ref.trips[:] = 0
    np.testing.assert_array_equal(rec.round_trips, ref.trips[rounds[-1]])
    np.testing.assert_array_equal(rec.exchange.heading.reshape(n_T, chains), ref.heading[rounds[-1]])
    assert new.sweep == plain_state.sweep


# -- chunking, reproducibility --------------------------------------------------------------
def test_chunked_calls_equal_one_call():
    net = sn.hopfield(_xi())
    s = sn.sampler(net, T=[0.6, 1.0, 1.7], chains=4, backend="torch")
    state = s.init(seed=2)
    ex = s.kernel.exchange_state(np.random.SeedSequence(9), cold=0)
    one_state, one = s.kernel.record(state, s.betas, n_records=9, every=2, burn_in=5, exchange=ex)
    st, a = s.kernel.record(state, s.betas, n_records=4, every=2, burn_in=5, exchange=ex)
    st, b = s.kernel.record(st, s.betas, n_records=5, every=2, exchange=a.exchange)
    for name in ("energy", "magnetization", "overlaps", "replica_overlap"):
        joined = np.concatenate([getattr(a, name), getattr(b, name)], axis=2)
        np.testing.assert_array_equal(joined, getattr(one, name), err_msg=name)
    np.testing.assert_array_equal(a.flips + b.flips, one.flips)
    np.testing.assert_array_equal(s.spins(st), s.spins(one_state))
    for name in ("heading", "trips", "tried", "accepted"):
        np.testing.assert_array_equal(getattr(b.exchange, name), getattr(one.exchange, name))
    assert b.exchange.parity == one.exchange.parity
    assert torch.equal(b.exchange.rng.swaps, one.exchange.rng.swaps)
    np.testing.assert_array_equal(b.exchange.rng.rows, one.exchange.rng.rows)
    assert one.swap_accepted.sum() > 0
    # the state comes back in temperature order: the last record is of the final spins
    np.testing.assert_allclose(one.energy[..., -1], net.energy(s.spins(one_state)) / net.n,
                               atol=1e-12)  # fmt: skip
    np.testing.assert_array_equal(
        one.replica_overlap[..., -1],
        (s.spins(one_state)[:, 0::2] * s.spins(one_state)[:, 1::2]).mean(-1),
    )


def test_simulate_progress_chunks_and_seeds():
    net = sn.ising((8, 8))
    kw = dict(T=[1.8, 2.3, 3.0], sweeps=40, burn_in=7, chains=3, tempering=True,
              record_every=2, backend="torch", schedule="checkerboard")  # fmt: skip
    plain, chunked, other = (
        sn.simulate(net, seed=seed, progress=p, **kw)
        for seed, p in ((2, False), (2, True), (3, False))
    )
    for name in ("energy", "magnetization", "replica_overlap", "states", "acceptance",
                 "swap_acceptance", "round_trips"):  # fmt: skip
        np.testing.assert_array_equal(getattr(plain, name), getattr(chunked, name), err_msg=name)
    assert not np.array_equal(plain.states, other.states)


def test_record_checks_the_exchange_state():
    s = sn.sampler(sn.ising((4, 4)), T=[1.0, 2.0], chains=2, backend="torch")
    other = sn.sampler(sn.ising((4, 4)), T=[1.0, 2.0, 3.0], chains=2, backend="torch")
    ex = other.kernel.exchange_state(np.random.SeedSequence(1), cold=0)
    with pytest.raises(ValueError, match="exchange"):
        s.kernel.record(s.init(seed=0), s.betas, n_records=2, every=1, exchange=ex)
    numba = sn.sampler(sn.ising((4, 4)), T=[1.0, 2.0], chains=2, backend="numba")
    ex = numba.kernel.exchange_state(np.random.SeedSequence(1), cold=0)  # another backend's
    with pytest.raises(ValueError, match="DeviceStreams|ndarray"):
        s.kernel.record(s.init(seed=0), s.betas, n_records=2, every=1, exchange=ex)


# -- no host read inside the loop -------------------------------------------------------------
@pytest.mark.parametrize(
    "make, schedule",
    [(lambda: sn.sk(20, seed=1), "random"), (lambda: sn.ising((4, 4)), "checkerboard")],
    ids=["dense", "lattice"],
)
def test_tempering_reads_back_once_whatever_the_number_of_records(make, schedule, host_reads):  # noqa: F811
    """simulate(tempering=True) on the torch backend: the counts of host reads do not grow
    with the number of records (exchange rounds), one device → host copy in all, and no
    scalar read at the C++ level."""
    net = make()
    seen = []
    for sweeps in (2, 10):
        for key in host_reads:
            host_reads[key] = 0
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            run = sn.simulate(net, T=[1.0, 1.5, 2.5], sweeps=sweeps, burn_in=3, chains=4,
                              schedule=schedule, backend="torch", tempering=True, seed=3,
                              record_every=1)  # fmt: skip
        scalar_reads = sum(e.key == "aten::_local_scalar_dense" for e in prof.key_averages())
        seen.append((dict(host_reads), scalar_reads))
        assert run.energy.shape[-1] == sweeps and run.swap_acceptance.shape == (2,)
    assert seen[0] == seen[1]
    counts, scalar_reads = seen[0]
    assert counts["cpu"] == 1 and counts["numpy"] == 1, counts
    assert sum(counts.values()) == 2, counts
    assert scalar_reads == 0


def test_auto_burn_in_and_tuned_ladder_run_the_device_exchange(monkeypatch):
    """burn_in='auto' and the tuning rounds of tempering='auto' go through the device
    record loop (the Python exchange is never called); the run ends at equilibrium."""
    import statnn.dynamics.tempering as tempering

    def refuse(*args, **kwargs):
        raise AssertionError("the Python exchange ran")

    monkeypatch.setattr(tempering.ReplicaExchange, "__call__", refuse)
    net = _sk6()
    T = np.array([0.6, 1.0, 1.8])
    run = sn.simulate(net, T=T, sweeps=10, burn_in="auto", chains=1500, seed=6,
                      tempering=True, backend="torch", record_every=2)  # fmt: skip
    assert run.params["burn_in_converged"]
    for t, temperature in enumerate(T):
        p, _ = _boltzmann(net, 1.0 / temperature)
        counts = np.bincount(_codes(run.states[t]), minlength=2**net.n)
        assert chi_square_pvalue(counts, p) > 1e-4, temperature
    # the rounds of tempering="auto"
    T, history = tempering.tune_ladder(net, 0.6, 1.8, 3, chains=50, rounds=2, sweeps=20,
                                       backend="torch", seed=1)  # fmt: skip
    assert len(history) == 2 and history[1]["sweeps"] == 40
    assert np.all(history[0]["swap_acceptance"] > 0)
    np.testing.assert_allclose([T[0], T[-1]], [0.6, 1.8])
