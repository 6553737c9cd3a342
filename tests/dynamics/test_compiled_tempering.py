"""Parallel tempering, tuned ladders and adaptive burn-in through the numba backend's
compiled record loop, against the Python loop (``step`` + numpy measurement +
:class:`~statnn.dynamics.tempering.ReplicaExchange`) that backends without one run, and
against exact enumeration.

The compiled exchange draws its swap decisions from its own xoshiro stream and lets each
configuration keep its random stream when it changes temperature, so the two tempering
paths are compared statistically (exact Boltzmann laws and swap rates by enumeration);
without tempering the compiled burn-in draws exactly what the Python loop draws, and is
compared exactly.
"""

from __future__ import annotations

import itertools
import warnings

import numba
import numpy as np
import pytest

import statnn as sn
import statnn.dynamics.numba.kernel as numba_cpu
from statnn.dynamics.numba.measure import mark_ends
from statnn.dynamics.tempering import round_trips, tune_ladder
from statnn.stats.diagnostics import ConvergenceWarning
from tests.statistical.test_boltzmann import chi_square_pvalue


@pytest.fixture
def python_loop(monkeypatch):
    """Make the numba kernel look like a backend without a compiled record loop."""
    monkeypatch.delattr(numba_cpu.NumbaKernel, "record")


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fn(*args, **kwargs)


def _all_states(n):
    return np.array(list(itertools.product([-1, 1], repeat=n)), dtype=np.int8)


def _boltzmann(net, beta):
    e = net.energy(_all_states(net.n))
    w = np.exp(-beta * (e - e.min()))
    return w / w.sum(), e


def _exact_swap(net, T0, T1):
    """⟨min(1, exp((β_0 − β_1)(E − E')))⟩ over independent Boltzmann pairs (S at T0, S' at T1)."""
    p0, e = _boltzmann(net, 1.0 / T0)
    p1, _ = _boltzmann(net, 1.0 / T1)
    ratio = np.minimum(1.0, np.exp((1 / T0 - 1 / T1) * (e[:, None] - e[None, :])))
    return float(p0 @ ratio @ p1)


def _codes(states):
    n = states.shape[-1]
    return (states > 0).astype(np.int64) @ (1 << np.arange(n)[::-1])


def _small_net():
    rng = np.random.default_rng(3)
    J = np.triu(rng.normal(0.0, 0.6, size=(5, 5)), 1)
    return sn.Network(J + J.T, bias=rng.normal(0.0, 0.3, size=5))


# -- round-trip bookkeeping --------------------------------------------------------------------
@pytest.mark.parametrize("cold", [0, 3])
def test_compiled_round_trip_counter_equals_the_label_sequence_count(cold):
    """mark_ends, applied after every round of a random walk of labels, counts per replica
    the round trips that round_trips() counts on the same occupation sequence."""
    rng = np.random.default_rng(1)
    n_T = 4
    labels = [np.arange(n_T)]
    for _ in range(500):
        row = labels[-1].copy()
        for t in range(rng.integers(2), n_T - 1, 2):
            if rng.random() < 0.6:
                row[t], row[t + 1] = row[t + 1], row[t]
        labels.append(row)
    heading = np.zeros(n_T, dtype=np.int8)
    trips = np.zeros(n_T, dtype=np.int64)
    for row in labels:
        slot = np.argsort(row)  # slot[r]: the position of replica r
        mark_ends(slot, cold, n_T - 1 - cold, heading, trips)
    expected = round_trips(labels, cold=cold)
    assert expected.sum() > 5
    np.testing.assert_array_equal(trips, expected)


# -- tempering through simulate: compiled and Python paths against enumeration ------------------
@pytest.mark.parametrize("path", ["compiled", "python"])
def test_tempering_samples_boltzmann_and_swaps_at_the_exact_rate(path, request):
    """At every temperature the final states follow Boltzmann's law, each pair's swap
    acceptance is its exact stationary value, and the report is consistent — through the
    compiled loop and through the Python loop alike."""
    if path == "python":
        request.getfixturevalue("python_loop")
    net = _small_net()
    T = np.array([0.8, 1.3, 2.2])
    chains, sweeps = 2000, 40
    run = _quiet(
        sn.simulate, net, T=T, sweeps=sweeps, burn_in=60, chains=chains, seed=11,
        tempering=True, backend="numba",
    )  # fmt: skip
    for t, temperature in enumerate(T):
        p, _ = _boltzmann(net, 1.0 / temperature)
        counts = np.bincount(_codes(run.states[t]), minlength=2**net.n)
        assert chi_square_pvalue(counts, p) > 1e-4, temperature
    tried = sweeps // 2 * chains  # each pair in every other round
    for t in range(len(T) - 1):
        exact = _exact_swap(net, T[t], T[t + 1])
        # 5 sigma of independent trials, plus 0.01 for the correlation of successive rounds
        sigma = np.sqrt(exact * (1 - exact) / tried)
        assert abs(run.swap_acceptance[t] - exact) < 5 * sigma + 0.01
    assert run.barrier == pytest.approx(np.sum(1 - run.swap_acceptance))
    assert run.round_trip_rate == pytest.approx(run.round_trips / (chains * sweeps))
    assert run.round_trips > 0


def test_compiled_and_python_tempering_make_as_many_round_trips():
    """The round-trip rate is a property of the chain: both paths measure the same one
    (many independent ladders, so the counts are nearly Poisson)."""
    net = _small_net()
    kw = dict(T=[0.8, 1.1, 1.6, 2.2], sweeps=200, burn_in=50, chains=500, backend="numba",
              tempering=True)  # fmt: skip
    compiled = _quiet(sn.simulate, net, seed=4, **kw)
    with pytest.MonkeyPatch.context() as mp:
        mp.delattr(numba_cpu.NumbaKernel, "record")
        python = _quiet(sn.simulate, net, seed=5, **kw)
    a, b = compiled.round_trips, python.round_trips
    assert a > 200 and b > 200
    # round trips of one ladder are positively correlated at most over a few trips: allow
    # 5 sigma of a Poisson count inflated threefold
    assert abs(a - b) < 5 * np.sqrt(3 * (a + b))
    np.testing.assert_allclose(compiled.swap_acceptance, python.swap_acceptance, atol=0.03)


def test_exchange_keeps_the_product_of_boltzmann_laws_invariant():
    """Detailed balance of the swaps: the joint law of the two configurations of one ladder
    is the product p_β0 ⊗ p_β1 (not just each marginal)."""
    rng = np.random.default_rng(7)
    J = np.triu(rng.normal(0.0, 0.8, size=(3, 3)), 1)
    net = sn.Network(J + J.T, bias=[0.4, -0.2, 0.1])
    T = [0.6, 1.5]
    run = _quiet(
        sn.simulate, net, T=T, sweeps=30, burn_in=40, chains=6000, seed=3, tempering=True,
        backend="numba",
    )  # fmt: skip
    p0, _ = _boltzmann(net, 1 / T[0])
    p1, _ = _boltzmann(net, 1 / T[1])
    joint = np.outer(p0, p1).ravel()
    codes = _codes(run.states[0]) * 2**net.n + _codes(run.states[1])
    assert chi_square_pvalue(np.bincount(codes, minlength=4**net.n), joint) > 1e-4
    assert 0.1 < run.swap_acceptance[0] < 0.9  # swaps happen, and are not all accepted


# -- reproducibility and chunking -------------------------------------------------------------
FIELDS = ("energy", "magnetization", "replica_overlap", "states", "acceptance")
REPORT = ("swap_acceptance", "round_trips", "round_trip_rate", "barrier")


def _same(a, b, fields=FIELDS + REPORT):
    for name in fields:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.mark.parametrize("burn_in", [10, "auto"])
def test_tempering_same_seed_same_run_at_1_and_2_threads(burn_in):
    net = sn.ising((16, 16))
    before = numba_cpu.get_num_threads()
    runs = []
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba_cpu.set_num_threads(threads)
            runs.append(
                _quiet(
                    sn.simulate,
                    net,
                    T=[2.0, 2.3, 2.6],
                    sweeps=60,
                    burn_in=burn_in,
                    chains=4,
                    seed=5,
                    schedule="checkerboard",
                    tempering=True,
                    burn_in_max=600,
                )  # fmt: skip
            )
    finally:
        numba_cpu.set_num_threads(before)
    _same(*runs)
    assert runs[0].params.get("burn_in_sweeps") == runs[1].params.get("burn_in_sweeps")


def _hopfield():
    return sn.hopfield(np.where(np.random.default_rng(0).random((3, 30)) < 0.5, -1, 1))


@pytest.mark.parametrize(
    "make, schedule",
    [
        (lambda: sn.ising((8, 8)), "checkerboard"),  # multi-spin words
        (lambda: sn.sk(20, seed=1), "random"),  # dense with cached fields
        (_hopfield, "sequential"),  # pattern form with overlaps
    ],
    ids=["multispin", "dense", "patterns"],
)
def test_tempering_progress_chunks_give_the_same_run(make, schedule):
    """The exchange state carried between the progress bar's chunks: the same run."""
    net = make()
    kw = dict(T=[0.6, 1.0, 1.7], sweeps=63, burn_in=7, chains=3, seed=2, tempering=True,
              record_every=3, schedule=schedule)  # fmt: skip
    plain, chunked = (_quiet(sn.simulate, net, progress=p, **kw) for p in (False, True))
    fields = FIELDS + REPORT + (("overlaps",) if net.patterns is not None else ())
    _same(plain, chunked, fields)


# -- adaptive burn-in ---------------------------------------------------------------------------
def test_compiled_auto_burn_in_equals_the_python_loop():
    """Without tempering the compiled blocks draw what step draws: the same burn-in length
    (a cap that is not a multiple of the block, so the last block is partial), the same
    records and the same final states as the Python loop."""
    net = sn.sk(24, seed=2)
    kw = dict(T=[0.4, 1.5], sweeps=50, burn_in="auto", chains=4, seed=9, record_every=3,
              burn_in_max=700, backend="numba")  # fmt: skip
    compiled = _quiet(sn.simulate, net, **kw)
    with pytest.MonkeyPatch.context() as mp:
        mp.delattr(numba_cpu.NumbaKernel, "record")
        python = _quiet(sn.simulate, net, **kw)
    for key in ("burn_in_sweeps", "burn_in_converged", "burn_in_max"):
        assert compiled.params[key] == python.params[key], key
    assert compiled.params["burn_in_sweeps"] > 300  # several blocks ran
    np.testing.assert_array_equal(compiled.states, python.states)
    np.testing.assert_array_equal(compiled.magnetization, python.magnetization)
    np.testing.assert_allclose(compiled.energy, python.energy, rtol=0, atol=1e-12)


def test_compiled_auto_burn_in_with_tempering_converges():
    """burn_in='auto' with tempering through the compiled loop: burnt in by whole blocks,
    converged, and the recorded run at equilibrium (final states by enumeration)."""
    net = _small_net()
    T = np.array([0.5, 1.0, 2.0])
    run = _quiet(
        sn.simulate, net, T=T, sweeps=20, burn_in="auto", chains=1500, seed=6,
        tempering=True, record_every=2,
    )  # fmt: skip
    p = run.params
    assert p["burn_in_converged"] and p["burn_in_sweeps"] % (100 * 2) == 0
    for t, temperature in enumerate(T):
        probs, _ = _boltzmann(net, 1.0 / temperature)
        counts = np.bincount(_codes(run.states[t]), minlength=2**net.n)
        assert chi_square_pvalue(counts, probs) > 1e-4, temperature
    assert run.round_trip_rate == pytest.approx(run.round_trips / (1500 * 20))


def test_compiled_counts_restart_after_burn_in_and_carry_over():
    """Swap counts cover the recorded rounds only (an even-odd ladder: after 6 burn-in
    rounds pair 0 is tried in rounds 0, 2, …, 8 of 9, pair 1 in the 4 others), and a second
    call continues the parity and the counts."""
    net = _small_net()
    chains = 5
    s = sn.sampler(net, T=[0.7, 1.2, 2.0], chains=chains)
    state = s.init(seed=1)
    ex = s.kernel.exchange_state(np.random.SeedSequence(3), cold=0)
    state, rec = s.kernel.record(state, s.betas, n_records=9, every=1, burn_in=6, exchange=ex)
    np.testing.assert_array_equal(rec.swap_tried, [5 * chains, 4 * chains])
    assert rec.exchange.parity == 1 and rec.round_trips.sum() == rec.exchange.trips.sum()
    state, rec2 = s.kernel.record(state, s.betas, n_records=3, every=1, exchange=rec.exchange)
    np.testing.assert_array_equal(rec2.swap_tried, [6 * chains, 6 * chains])
    assert np.all(rec2.swap_accepted >= rec.swap_accepted)
    assert rec2.exchange.trips.sum() >= rec.exchange.trips.sum()


# -- tuned ladder -------------------------------------------------------------------------------
def test_tune_ladder_compiled_and_python_rounds_agree():
    """Each tuning round's swap acceptance through the compiled loop and through the
    Python loop agree to sampling error; the tuned ladders agree accordingly."""
    net = sn.sk(12, seed=4)
    kw = dict(chains=200, rounds=3, sweeps=40, backend="numba", record_every=2)
    T_c, hist_c = tune_ladder(net, 0.4, 2.0, 5, seed=1, **kw)
    with pytest.MonkeyPatch.context() as mp:
        mp.delattr(numba_cpu.NumbaKernel, "record")
        T_p, hist_p = tune_ladder(net, 0.4, 2.0, 5, seed=1, **kw)
    np.testing.assert_array_equal(hist_c[0]["T"], hist_p[0]["T"])  # the geometric start
    for a, b in zip(hist_c, hist_p, strict=True):
        assert a["sweeps"] == b["sweeps"]
        tried = 200 * a["sweeps"] // 2 // 2
        acc = 0.5 * (a["swap_acceptance"] + b["swap_acceptance"])
        sigma = np.sqrt(2 * acc * (1 - acc) / tried)
        # correlated successive swaps of one ladder: allow a factor 3 on the variance
        assert np.all(np.abs(a["swap_acceptance"] - b["swap_acceptance"]) < 5 * np.sqrt(3) * sigma)
    np.testing.assert_allclose(T_c, T_p, rtol=0.1)


# -- results ------------------------------------------------------------------------------------
def test_to_xarray_carries_the_tempering_report():
    pytest.importorskip("xarray")
    net = sn.ising((6, 6))
    run = _quiet(sn.simulate, net, T=[1.5, 2.5, 4.0], sweeps=100, chains=2, seed=1,
                 tempering=True)  # fmt: skip
    ds = run.to_xarray()
    assert int(ds["round_trips"]) == run.round_trips
    assert float(ds["round_trip_rate"]) == run.round_trip_rate
    assert float(ds["barrier"]) == run.barrier
    np.testing.assert_array_equal(ds["swap_acceptance"].values, run.swap_acceptance)
    assert ds["round_trip_rate"].attrs["units"] == "1/sweep"
    plain = _quiet(sn.simulate, net, T=2.0, sweeps=20, seed=1).to_xarray()
    assert not {"round_trips", "round_trip_rate", "barrier"} & set(plain.data_vars)
