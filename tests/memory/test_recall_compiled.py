"""recall / relax through the numba backend's compiled loop (NumbaKernel.relax) against the
same dynamics stepped one sweep at a time from Python (the path every other backend runs):
same final states, sweep counts and convergence flags bit for bit, overlaps bit for bit
where no time average is taken and to 1e-12 for time averages; the numpy reference backend
as a second, independent truth at T = 0."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import statnn as sn
from statnn.dynamics.numba.kernel import NumbaKernel, set_num_threads
from statnn.dynamics.sampling import Sampler
from statnn.memory import hopfield, random_patterns, recall, relax
from tests.memory.recall_checks import StepLoop, as_dict, compare

SCHEDULES = ("random", "sequential", "permuted", "synchronous")


@pytest.fixture
def stepped():
    """A context in which recall/relax take the Python step loop on this backend."""
    return StepLoop(NumbaKernel)


@pytest.fixture(scope="module")
def memory():
    xi = random_patterns(8, 200, seed=0)
    return xi, hopfield(xi)


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize(
    "T, sweeps, average",
    [
        (0.0, 30, 0),  # every chain converges: the run stops at the last fixed point
        (0.0, 6, 4),  # capped: chains that converged inside the window sit at their point
        ([0.0, 0.4], 12, 5),  # T = 0 and T > 0 chains side by side
        (0.3, 15, 7),  # a time average at T > 0
        (0.3, 15, 0),
    ],
)
def test_recall_compiled_equals_step_loop(memory, stepped, schedule, T, sweeps, average):
    xi, net = memory
    kw = dict(noise=0.25, T=T, sweeps=sweeps, chains=3, seed=5, schedule=schedule, average=average)
    a = recall(net, xi, **kw)
    with stepped:
        b = recall(net, xi, **kw)
    compare(as_dict(a), as_dict(b), averaged=average > 0)
    if not average:
        np.testing.assert_array_equal(a.overlap, b.overlap)
    assert a.params == b.params


def test_chains_stop_at_their_own_fixed_point(memory, stepped):
    xi, net = memory
    out = recall(net, xi, noise=0.3, T=0.0, sweeps=50, chains=4, seed=1)
    assert out.converged.all() and len(np.unique(out.sweeps)) > 2  # stopped at different sweeps
    # a stopped chain does no further work: its state (spins and random stream) is the one
    # of exactly done_at sweeps of the step loop
    s = sn.sampler(net, 0.0, chains=3, allow_asymmetric=True)
    starts = random_patterns(3, 200, seed=2)
    state = s.init(init=starts[None], seed=3)
    final, res = s.kernel.relax(state, s.betas, 40)
    done = res.done_at[0]
    assert np.all(done > 0) and len(np.unique(done)) > 1
    for c in range(3):
        ref, _ = s.step(state, int(done[c]))
        np.testing.assert_array_equal(final.rng[c], ref.rng[c])
        np.testing.assert_array_equal(s.spins(final)[0, c], s.spins(ref)[0, c])
    np.testing.assert_array_equal(state.spins[0], starts)  # the input state is untouched


def test_the_compiled_path_does_not_step_from_python(memory, monkeypatch):
    xi, net = memory
    calls = []
    original = Sampler.step
    monkeypatch.setattr(Sampler, "step", lambda *a, **k: calls.append(1) or original(*a, **k))
    recall(net, xi, noise=0.2, T=[0.0, 0.3], sweeps=20, average=5, seed=0)
    assert calls == []


def _networks():
    xi = random_patterns(6, 120, seed=4)
    hop = hopfield(xi)
    rng = np.random.default_rng(7)
    A = sp.triu(sp.random(150, 150, density=0.06, random_state=8, data_rvs=rng.standard_normal), 1)
    open_lattice = sn.ising((9, 10), periodic=False).couplings
    return [
        ("pattern", hop, xi),
        ("dense64", sn.Network(hop.couplings.to_dense()), xi),
        ("dense32", sn.Network(hop.couplings.to_dense(np.float32)), xi),
        ("sparse", sn.Network(sp.csr_array(A + A.T)), None),
        ("lattice", sn.ising((10, 12)), None),
        ("lattice-bias", sn.Network(open_lattice, np.linspace(-0.3, 0.3, 90)), None),
    ]


@pytest.mark.parametrize(
    "name, net, xi", _networks(), ids=lambda v: v if isinstance(v, str) else ""
)
@pytest.mark.parametrize("schedule", (*SCHEDULES, "checkerboard"))
def test_relax_compiled_equals_step_loop_every_representation(name, net, xi, schedule, stepped):
    if schedule == "checkerboard" and net.lattice is None:
        pytest.skip("checkerboard needs a lattice")
    if schedule == "checkerboard" and not net.lattice.bipartite:
        pytest.skip("checkerboard needs a bipartite lattice")
    rng = np.random.default_rng(11)
    starts = rng.choice(np.array([-1, 1], dtype=np.int8), size=(4, net.n))
    dyn = "metropolis" if name.startswith("lattice") and schedule != "synchronous" else "glauber"
    opts = {"multispin": False} if name.startswith("lattice") else None
    for T, sweeps, average in ((0.0, 40, 0), (0.0, 5, 3), ([0.0, 1.5], 25, 6), (1.5, 20, 8)):
        kw = dict(
            T=T, sweeps=sweeps, average=average, seed=2, schedule=schedule, dynamics=dyn,
            backend_options=opts,
        )  # fmt: skip
        a = relax(net, starts, xi, **kw)
        with stepped:
            b = relax(net, starts, xi, **kw)
        compare(a, b, averaged=average > 0)
        assert a.params == b.params


def test_relax_without_patterns_keeps_none(stepped):
    net = sn.ising((8, 8))
    starts = np.ones((2, 64), dtype=np.int8)
    out = relax(net, starts, T=0.0, sweeps=5, seed=0)
    assert out.overlaps is None and out.converged.all() and np.all(out.sweeps == 1)


def test_same_result_on_one_and_two_threads(memory):
    xi, net = memory
    kw = dict(noise=0.25, T=[0.0, 0.3], sweeps=25, chains=3, seed=9, average=6)
    try:
        set_num_threads(1)
        one = recall(net, xi, **kw)
        set_num_threads(2)
        two = recall(net, xi, **kw)
    finally:
        set_num_threads(2)
    for key in ("states", "sweeps", "converged", "overlaps"):
        np.testing.assert_array_equal(getattr(one, key), getattr(two, key))


@pytest.mark.parametrize("schedule", ("sequential", "synchronous"))
def test_compiled_recall_equals_numpy_reference_at_T0(memory, schedule):
    """Deterministic T = 0 dynamics: the numpy reference's step loop is an independent truth."""
    xi, net = memory
    kw = dict(noise=0.25, T=0.0, sweeps=30, chains=2, seed=3, schedule=schedule)
    a = recall(net, xi, backend="numba", **kw)
    b = recall(net, xi, backend="numpy", **kw)
    assert a.converged.all()
    for key in ("states", "sweeps", "converged", "overlaps", "overlap"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key), err_msg=key)


def test_other_stored_patterns_are_projected(memory, stepped):
    """Overlaps with patterns other than the stored table go through the spin sums."""
    xi, net = memory
    starts = random_patterns(3, 200, seed=5)
    other = random_patterns(4, 200, seed=6)
    kw = dict(T=0.3, sweeps=12, average=5, seed=1)
    a = relax(net, starts, other, **kw)
    copy = relax(net, starts, np.array(xi), **kw)  # the stored table, not the same memory
    with stepped:
        b = relax(net, starts, other, **kw)
        c = relax(net, starts, xi, **kw)
    compare(a, b, averaged=True)
    compare(copy, c, averaged=True)


def test_multispin_lattice_agrees_with_the_one_spin_kernel_at_T0():
    """At T = 0 checkerboard sweeps are deterministic, so the multi-spin coded kernel's
    compiled relax must reach the states of the one-spin kernel's, in as many sweeps."""
    net = sn.ising((16, 16))
    rng = np.random.default_rng(3)
    starts = rng.choice(np.array([-1, 1], dtype=np.int8), size=(3, net.n))
    kw = dict(T=0.0, sweeps=60, seed=0, schedule="checkerboard", dynamics="metropolis")
    s = sn.sampler(net, 0.0, chains=3, schedule="checkerboard")
    assert s.kernel.multispin and s.kernel.relaxes
    packed = relax(net, starts, **kw)
    one_spin = relax(net, starts, backend_options={"multispin": False}, **kw)
    assert packed.converged.all()
    for key in ("states", "sweeps", "converged"):
        np.testing.assert_array_equal(packed[key], one_spin[key], err_msg=key)


# -- dense associative memories: the cached projections M = ξ S are the overlaps -----------------
def _dense_memories():
    """(id, network) near each model's capacity, so that cues converge at different sweeps
    and some fail; the biased one exercises the bias in the fixed-point test."""
    n = 64
    rng = np.random.default_rng(21)
    return [
        ("poly2", sn.dense_memory(random_patterns(8, n, seed=1), degree=2)),
        ("poly3", sn.dense_memory(random_patterns(200, n, seed=2), degree=3)),
        ("poly3-bias", sn.dense_memory(random_patterns(200, n, seed=2), degree=3,
                                       bias=rng.normal(0.0, 0.05, n))),
        ("poly4", sn.dense_memory(random_patterns(1500, n, seed=3), degree=4)),
        ("exp", sn.dense_memory(random_patterns(200, n, seed=4), "exp", beta=0.08)),
    ]  # fmt: skip


DENSE_MEMORIES = _dense_memories()
_ids = lambda v: v if isinstance(v, str) else ""  # noqa: E731


@pytest.mark.parametrize("name, net", DENSE_MEMORIES, ids=_ids)
@pytest.mark.parametrize("schedule", SCHEDULES)
def test_dense_memory_recall_compiled_equals_step_loop(name, net, schedule, stepped):
    cases = [
        (0.0, 30, 0, "glauber"),  # every chain converges (or stops at the cap)
        (0.0, 4, 3, "glauber"),  # capped: chains that converged in the window sit there
        ([0.0, 0.15], 12, 5, "metropolis"),  # T = 0 and T > 0 side by side
        ([0.2, 0.0, 0.05], 10, 0, "glauber"),  # a mixed ladder, no average
        (0.1, 10, 6, "glauber"),  # a time average at T > 0
    ]
    for T, sweeps, average, dyn in cases:
        dyn = "glauber" if schedule == "synchronous" else dyn  # Little dynamics is heat bath
        kw = dict(
            noise=0.2, T=T, sweeps=sweeps, chains=3, seed=5, schedule=schedule, average=average,
            dynamics=dyn, cue=np.arange(6),
        )  # fmt: skip
        a = recall(net, **kw)
        with stepped:
            b = recall(net, **kw)
        compare(as_dict(a), as_dict(b), averaged=average > 0)
        if not average:
            np.testing.assert_array_equal(a.overlap, b.overlap)
        assert a.params == b.params


@pytest.mark.parametrize("name, net", DENSE_MEMORIES, ids=_ids)
@pytest.mark.parametrize("schedule", ("random", "synchronous"))
def test_dense_memory_relax_other_patterns_and_random_starts(name, net, schedule, stepped):
    """Random starts (many converge to spurious states, some not at all) and overlaps with
    patterns that are not the stored table (the spin-sum path) or a copy of it."""
    rng = np.random.default_rng(12)
    starts = rng.choice(np.array([-1, 1], dtype=np.int8), size=(5, net.n))
    other = random_patterns(3, net.n, seed=13)
    for T, sweeps, average in ((0.0, 25, 0), (0.0, 6, 4), ([0.0, 0.1], 9, 4)):
        kw = dict(T=T, sweeps=sweeps, average=average, seed=3, schedule=schedule)
        for xi in (other, np.array(net.patterns)):
            a = relax(net, starts, xi, **kw)
            with stepped:
                b = relax(net, starts, xi, **kw)
            compare(a, b, averaged=average > 0)


def test_dense_memory_chains_stop_at_their_own_fixed_point():
    """A stopped chain does no further work: its spins, projections and random stream are
    those of exactly done_at sweeps of ``step``."""
    net = DENSE_MEMORIES[1][1]
    s = sn.sampler(net, 0.0, chains=4, allow_asymmetric=True)
    starts = random_patterns(4, net.n, seed=8)
    state = s.init(init=starts[None], seed=3)
    final, res = s.kernel.relax(state, s.betas, 40, overlaps=True)
    done = res.done_at[0]
    assert np.all(done > 0) and len(np.unique(done)) > 1
    for c in range(4):
        ref, _ = s.step(state, int(done[c]))
        np.testing.assert_array_equal(final.rng[c], ref.rng[c])
        np.testing.assert_array_equal(final.cache[c], ref.cache[c])
        np.testing.assert_array_equal(s.spins(final)[0, c], s.spins(ref)[0, c])
    # the returned overlaps are the exact projections on the stored patterns
    exact = s.spins(final)[0].astype(np.int64) @ net.patterns.T.astype(np.int64)
    np.testing.assert_array_equal(res.overlaps, exact)


def test_dense_memory_recall_does_not_step_from_python(monkeypatch):
    net = DENSE_MEMORIES[4][1]
    calls = []
    original = Sampler.step
    monkeypatch.setattr(Sampler, "step", lambda *a, **k: calls.append(1) or original(*a, **k))
    s = sn.sampler(net, 0.0)
    assert s.kernel.kind == "dense_memory" and s.kernel.relaxes
    recall(net, noise=0.2, T=[0.0, 0.1], sweeps=8, average=3, seed=0, cue=[0, 1])
    assert calls == []


@pytest.mark.parametrize("name, net", DENSE_MEMORIES, ids=_ids)
def test_dense_memory_same_result_on_one_and_two_threads(name, net):
    kw = dict(noise=0.2, T=[0.0, 0.1], sweeps=12, chains=3, seed=9, average=4, cue=np.arange(5))
    try:
        set_num_threads(1)
        one = recall(net, **kw)
        set_num_threads(2)
        two = recall(net, **kw)
    finally:
        set_num_threads(2)
    for key in ("states", "sweeps", "converged", "overlaps"):
        np.testing.assert_array_equal(getattr(one, key), getattr(two, key))


@pytest.mark.parametrize("name, net", DENSE_MEMORIES, ids=_ids)
@pytest.mark.parametrize("schedule", ("sequential", "synchronous"))
def test_dense_memory_compiled_recall_equals_numpy_reference_at_T0(name, net, schedule):
    """Deterministic T = 0 dynamics: the numpy reference (fields from the couplings' own
    formula, a step loop in Python) is an independent truth."""
    kw = dict(noise=0.2, T=0.0, sweeps=30, chains=2, seed=3, schedule=schedule, cue=np.arange(8))
    a = recall(net, backend="numba", **kw)
    b = recall(net, backend="numpy", **kw)
    for key in ("states", "sweeps", "converged", "overlaps", "overlap"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key), err_msg=key)


# -- multi-spin coded lattices: packed words, spins unpacked for the window sums ----------------
def _packed_lattices():
    """Lattices that take multi-spin coding: one word per colour row (16²), two full words
    (20 × 256: 2 row blocks), 3D, 1D, and a uniform field."""
    return [
        ("2d-16", sn.ising((16, 16))),
        ("2d-20x256", sn.ising((20, 256))),
        ("3d", sn.ising((4, 6, 8))),
        ("1d", sn.ising((40,))),
        ("2d-field", sn.ising((12, 12), field=0.3)),
    ]


PACKED = _packed_lattices()


@pytest.mark.parametrize("name, net", PACKED, ids=_ids)
@pytest.mark.parametrize("dyn", ("glauber", "metropolis"))
def test_multispin_relax_compiled_equals_step_loop(name, net, dyn, stepped):
    s = sn.sampler(net, 0.0, chains=2, schedule="checkerboard")
    assert s.kernel.multispin and s.kernel.relaxes
    rng = np.random.default_rng(11)
    starts = rng.choice(np.array([-1, 1], dtype=np.int8), size=(4, net.n))
    starts[0] = 1  # a fixed point from the start (stops after one sweep)
    cases = (
        (0.0, 40, 0),  # every chain to its fixed point, after 1 to 6 sweeps
        (0.0, 5, 3),  # capped, averaged: chains that stopped in the window sit there
        ([0.0, 2.0], 25, 6),  # T = 0 and T > 0 side by side
        ([3.0, 0.0, 1.5], 12, 0),  # a mixed ladder, no average
        (2.2, 20, 8),  # a time average at T > 0
    )
    for T, sweeps, average in cases:
        kw = dict(T=T, sweeps=sweeps, average=average, seed=2, schedule="checkerboard",
                  dynamics=dyn)  # fmt: skip
        a = relax(net, starts, np.ones((1, net.n), dtype=np.int8), **kw)
        with stepped:
            b = relax(net, starts, np.ones((1, net.n), dtype=np.int8), **kw)
        compare(a, b, averaged=average > 0)


def test_multispin_chains_stop_at_their_own_fixed_point():
    """A stopped chain does no further work: its words and every block's random stream are
    those of exactly done_at sweeps of ``step``."""
    net = sn.ising((16, 16))
    s = sn.sampler(net, 0.0, chains=4, schedule="checkerboard", dynamics="metropolis")
    rng = np.random.default_rng(5)
    starts = rng.choice(np.array([-1, 1], dtype=np.int8), size=(4, net.n))
    state = s.init(init=starts[None], seed=3)
    final, res = s.kernel.relax(state, s.betas, 60)
    done = res.done_at[0]
    assert np.all(done > 0) and len(np.unique(done)) > 1
    for c in range(4):
        ref, _ = s.step(state, int(done[c]))
        np.testing.assert_array_equal(final.rng[c], ref.rng[c])
        np.testing.assert_array_equal(final.spins[c], ref.spins[c])
    np.testing.assert_array_equal(s.spins(state)[0], starts)  # the input state is untouched


def test_multispin_window_sums_are_the_unpacked_spins():
    """The kernel's window sums equal the spins decoded after each of those sweeps."""
    net = sn.ising((6, 256))
    s = sn.sampler(net, 2.5, chains=3, schedule="checkerboard")
    state = s.init(init="random", seed=1)
    _, res = s.kernel.relax(state, s.betas, 7, window=4)
    want = np.zeros((3, net.n), dtype=np.int64)
    for t in range(1, 8):
        state, _ = s.step(state, 1)
        if t > 3:
            want += s.spins(state)[0]
    np.testing.assert_array_equal(res.spin_sums, want)


def test_multispin_same_result_on_one_and_two_threads():
    net = sn.ising((20, 256))
    starts = np.random.default_rng(4).choice(np.array([-1, 1], dtype=np.int8), size=(3, net.n))
    kw = dict(T=[0.0, 2.0], sweeps=15, average=5, seed=9, schedule="checkerboard",
              dynamics="metropolis")  # fmt: skip
    xi = np.ones((1, net.n), dtype=np.int8)
    try:
        set_num_threads(1)
        one = relax(net, starts, xi, **kw)
        set_num_threads(2)
        two = relax(net, starts, xi, **kw)
    finally:
        set_num_threads(2)
    for key in ("states", "sweeps", "converged", "overlaps"):
        np.testing.assert_array_equal(one[key], two[key])


@pytest.mark.parametrize("name, net", PACKED, ids=_ids)
def test_multispin_relax_equals_numpy_reference_at_T0(name, net):
    """Deterministic T = 0 checkerboard sweeps: the numpy reference is an independent truth."""
    starts = np.random.default_rng(6).choice(np.array([-1, 1], dtype=np.int8), size=(3, net.n))
    kw = dict(T=0.0, sweeps=30, seed=0, schedule="checkerboard", dynamics="metropolis")
    a = relax(net, starts, backend="numba", **kw)
    b = relax(net, starts, backend="numpy", **kw)
    for key in ("states", "sweeps", "converged"):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_multispin_split_relax_equals_chain_per_thread(monkeypatch):
    """The row-block-parallel driver (taken with fewer chains than threads on long lattices;
    forced here for any count) gives the chain-per-thread driver's result bit for bit, with
    chains stopping at different sweeps while others run on."""
    from statnn.dynamics.numba.kernel import Multispin

    net = sn.ising((40, 128))
    starts = np.random.default_rng(8).choice(np.array([-1, 1], dtype=np.int8), size=(3, net.n))
    xi = np.ones((1, net.n), dtype=np.int8)
    kw = dict(T=[0.0, 2.0], sweeps=14, average=5, seed=4, schedule="checkerboard",
              dynamics="metropolis")  # fmt: skip
    try:
        set_num_threads(2)
        monkeypatch.setattr(Multispin, "_split", lambda self, chains: True)
        a = relax(net, starts, xi, **kw)
        monkeypatch.setattr(Multispin, "_split", lambda self, chains: False)
        b = relax(net, starts, xi, **kw)
    finally:
        set_num_threads(2)
    assert len(np.unique(a.sweeps[0])) > 1
    for key in ("states", "sweeps", "converged", "overlaps"):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_multispin_relax_does_not_step_from_python(monkeypatch):
    net = sn.ising((16, 16))
    calls = []
    original = Sampler.step
    monkeypatch.setattr(Sampler, "step", lambda *a, **k: calls.append(1) or original(*a, **k))
    starts = np.ones((2, net.n), dtype=np.int8)
    out = relax(net, starts, T=[0.0, 2.0], sweeps=6, average=3, seed=0, schedule="checkerboard")
    assert calls == [] and out.converged[0].all()
