"""recall / relax through the torch backend's device loop (TorchKernel.relax) on CPU torch.

Independent truths: the same dynamics stepped one sweep at a time from Python (the loop of
``Sampler.step`` with a host copy of the spins per sweep, reached by switching
``TorchKernel.relaxes`` off): same final states, sweep counts and convergence flags bit
for bit, overlaps bit for bit without a time average and to 1e-12 with one; the numba
backend's compiled relax at T = 0 under deterministic schedules (sequential, synchronous,
checkerboard) with exact fields (pattern form, lattices); and counted host reads: one small
read per block of sweeps (the block after t sweeps is t // 2 long, 1 to 64), not one per
sweep.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

import statnn as sn
from statnn.dynamics.sampling import Sampler
from statnn.memory import hopfield, random_patterns, recall, relax

torch = pytest.importorskip("torch")
import statnn.dynamics.torch.fields as torch_fields  # noqa: E402
from statnn.dynamics.torch import relax as torch_relax  # noqa: E402
from statnn.dynamics.torch.base import TorchKernel  # noqa: E402
from tests.dynamics.test_torch_records import host_reads  # noqa: E402, F401 (a fixture)
from tests.memory.recall_checks import StepLoop, as_dict, compare  # noqa: E402

SCHEDULES = ("random", "sequential", "permuted", "synchronous")


@pytest.fixture
def stepped():
    """A context in which recall/relax take the Python step loop on this backend."""
    return StepLoop(TorchKernel)


@pytest.fixture(scope="module")
def memory():
    xi = random_patterns(6, 96, seed=0)
    return xi, hopfield(xi)


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize(
    "T, sweeps, average",
    [
        (0.0, 30, 0),  # every chain converges: the run stops at the last fixed point
        (0.0, 4, 3),  # capped: chains that converged inside the window sit at their point
        ([0.0, 0.4], 10, 5),  # T = 0 and T > 0 chains side by side
        (0.3, 9, 4),  # a time average at T > 0
    ],
)
def test_recall_on_the_device_equals_step_loop(memory, stepped, schedule, T, sweeps, average):
    xi, net = memory
    kw = dict(
        noise=0.3, T=T, sweeps=sweeps, chains=2, seed=5, schedule=schedule, average=average,
        backend="torch", backend_options={"block_size": 16},
    )  # fmt: skip
    a = recall(net, xi, **kw)
    with stepped:
        b = recall(net, xi, **kw)
    compare(as_dict(a), as_dict(b), averaged=average > 0)
    if not average:
        np.testing.assert_array_equal(a.overlap, b.overlap)
    assert a.params == b.params


def _dense_memory():
    return sn.dense_memory(random_patterns(4, 24, seed=3), interaction="poly", degree=3)


def _networks():
    xi = random_patterns(5, 64, seed=4)
    hop = hopfield(xi)
    rng = np.random.default_rng(7)
    A = sp.triu(sp.random(60, 60, density=0.1, random_state=8, data_rvs=rng.standard_normal), 1)
    open_lattice = sn.ising((6, 7), periodic=False).couplings
    exp_memory = sn.dense_memory(random_patterns(4, 24, seed=5), interaction="exp", beta=0.3)
    return [
        # name, network, patterns, backend options
        ("pattern", hop, xi, {"block_size": 16}),
        ("pattern-int8", hop, xi, {"block_size": 8, "pattern_mode": "int8"}),
        ("dense64", sn.Network(hop.couplings.to_dense()), xi, {"block_size": 16}),
        ("dense32", sn.Network(hop.couplings.to_dense(np.float32)), xi, {"block_size": 16}),
        ("sparse", sn.Network(sp.csr_array(A + A.T)), None, {"block_size": 16}),
        ("sparse-lists", sn.Network(sp.csr_array(A + A.T)), None, {"block_size": 16}),
        ("lattice", sn.ising((6, 8)), None, {"block_size": 16}),
        ("lattice-bias", sn.Network(open_lattice, np.linspace(-0.3, 0.3, 42)), None, None),
        ("dense-memory-poly", _dense_memory(), None, None),
        ("dense-memory-exp", exp_memory, None, None),
    ]


@pytest.mark.parametrize(
    "name, net, xi, options", _networks(), ids=lambda v: v if isinstance(v, str) else ""
)
@pytest.mark.parametrize("schedule", (*SCHEDULES, "checkerboard"))
def test_relax_on_the_device_equals_step_loop_every_kernel(
    name, net, xi, options, schedule, stepped, monkeypatch
):
    if schedule == "checkerboard" and (net.lattice is None or not net.lattice.bipartite):
        pytest.skip("checkerboard needs a bipartite lattice")
    if name == "sparse-lists":  # padded neighbour lists instead of a dense matrix
        monkeypatch.setattr(torch_fields, "SPARSE_AS_DENSE_MAX_N", 10)
    rng = np.random.default_rng(11)
    starts = rng.choice(np.array([-1, 1], dtype=np.int8), size=(3, net.n))
    dyn = "metropolis" if name.startswith("lattice") and schedule != "synchronous" else "glauber"
    for T, sweeps, average in ((0.0, 25, 0), (0.0, 3, 2), ([0.0, 1.5], 12, 4), (1.5, 8, 5)):
        kw = dict(
            T=T, sweeps=sweeps, average=average, seed=2, schedule=schedule, dynamics=dyn,
            backend="torch", backend_options=options,
        )  # fmt: skip
        s = sn.sampler(net, T, chains=3, schedule=schedule, dynamics=dyn, backend="torch",
                       backend_options=options, allow_asymmetric=True)  # fmt: skip
        assert s.kernel.relaxes
        a = relax(net, starts, xi, **kw)
        with stepped:
            b = relax(net, starts, xi, **kw)
        compare(a, b, averaged=average > 0)
        assert a.params == b.params


def test_the_device_loop_does_not_step_from_python(memory, monkeypatch):
    xi, net = memory
    calls = []
    original = Sampler.step
    monkeypatch.setattr(Sampler, "step", lambda *a, **k: calls.append(1) or original(*a, **k))
    out = recall(net, xi, noise=0.2, T=[0.0, 0.3], sweeps=8, average=3, seed=0, backend="torch")
    assert calls == [] and out.overlaps.shape == (2, 6, 6)


def test_relax_leaves_its_input_state_and_returns_the_stepped_spins(memory):
    """The input state stays valid; the returned spins are those the step loop reaches
    after ``done_at`` sweeps (a fixed point stays fixed); the flat chain order is k = t ·
    chains + c."""
    xi, net = memory
    s = sn.sampler(net, 0.0, chains=4, backend="torch", allow_asymmetric=True)
    starts = random_patterns(4, net.n, seed=2)
    state = s.init(init=starts[None], seed=3)
    final, res = s.kernel.relax(state, s.betas, 40)
    done = res.done_at[0]
    assert np.all(done > 0) and len(np.unique(done)) > 1  # chains stop at different sweeps
    np.testing.assert_array_equal(s.spins(state)[0], starts)
    for c in range(4):
        ref, _ = s.step(state, int(done[c]))
        np.testing.assert_array_equal(s.spins(final)[0, c], s.spins(ref)[0, c])
        before, _ = s.step(state, int(done[c]) - 1)
        flips = s.step(before, 1)[1].flips[0, c]  # the sweep done_at flipped nothing ...
        assert flips == 0
        if done[c] > 1:  # ... and the one before it did (else done_at would be earlier)
            assert s.step(s.step(state, int(done[c]) - 2)[0], 1)[1].flips[0, c] > 0
    assert final.sweep >= done.max()


@pytest.mark.parametrize(
    "schedule, net, options",
    [
        ("sequential", "pattern", {"block_size": 16}),
        ("synchronous", "pattern", None),
        ("checkerboard", "lattice", None),
        ("sequential", "lattice", {"block_size": 16}),
        ("synchronous", "lattice", None),
    ],
)
def test_device_relax_equals_numba_at_T0(memory, schedule, net, options):
    """Deterministic T = 0 dynamics with exact fields: the numba backend's compiled relax
    is an independent truth, state for state and sweep for sweep."""
    rng = np.random.default_rng(4)
    if net == "pattern":
        xi, net = memory
    else:
        xi, net = None, sn.ising((8, 10))
    starts = rng.choice(np.array([-1, 1], dtype=np.int8), size=(5, net.n))
    dyn = "metropolis" if xi is None and schedule != "synchronous" else "glauber"
    kw = dict(T=0.0, sweeps=40, seed=1, schedule=schedule, dynamics=dyn)
    a = relax(net, starts, xi, backend="torch", backend_options=options, **kw)
    b = relax(net, starts, xi, backend="numba", backend_options={"multispin": False}, **kw)
    assert a.converged.any()
    compare(a, b, averaged=False)


def _neel(shape):
    """A Néel state: under synchronous T = 0 dynamics of a ferromagnet every spin flips,
    forever (a 2-cycle: no chain ever converges)."""
    grid = np.indices(shape).sum(0) % 2
    return np.where(grid == 0, 1, -1).astype(np.int8).ravel()


def _blocks(sweeps, cap):
    """The documented block lengths covering ``sweeps``: after t sweeps, t // 2 (1 to cap)."""
    out, t = [], 0
    while t < sweeps:
        out.append(min(max(1, t // 2), cap, sweeps - t))
        t += out[-1]
    return out


@pytest.mark.parametrize("sweeps", [1, 7, 100, 300])
def test_host_reads_grow_with_the_blocks_not_the_sweeps(host_reads, sweeps):  # noqa: F811
    """A run that never converges (a synchronous 2-cycle): one scalar read per block but the
    last, then one copy of the results (``cpu`` and ``numpy``); the spins of the result are
    that copy (``Sampler.spins`` reads nothing more)."""
    net = sn.ising((4, 6))
    starts = np.stack([_neel((4, 6)), _neel((4, 6))])
    out = relax(net, starts, T=0.0, sweeps=sweeps, schedule="synchronous", seed=0,
                backend="torch")  # fmt: skip
    assert not out.converged.any() and np.all(out.sweeps == sweeps)
    blocks = len(_blocks(sweeps, torch_relax.MAX_BLOCK))
    scalar = host_reads["__bool__"] + host_reads["item"]
    assert scalar == blocks - 1, host_reads
    assert host_reads["cpu"] == 1 and host_reads["numpy"] == 1, host_reads
    assert sum(host_reads.values()) == scalar + 2, host_reads
    if sweeps <= 2 * torch_relax.MAX_BLOCK:  # O(log sweeps) up to the cap
        assert scalar <= 2 * math.log2(sweeps) + 2
    else:
        assert scalar <= 2 * math.log2(2 * torch_relax.MAX_BLOCK) + 2 + sweeps / 64


def test_a_converging_recall_reads_once_per_block_until_the_last_fixed_point(
    memory,
    host_reads,  # noqa: F811
):
    xi, net = memory
    out = recall(net, xi, noise=0.3, T=0.0, sweeps=500, chains=3, seed=1, backend="torch",
                 schedule="random")  # fmt: skip
    assert out.converged.all()
    last = int(out.sweeps.max())
    # the loop runs blocks until one ends at or after the last done_at, then stops
    ends = np.cumsum(_blocks(500, torch_relax.MAX_BLOCK))
    blocks = int(np.searchsorted(ends, last)) + 1
    assert host_reads["__bool__"] + host_reads["item"] == blocks, host_reads
    assert host_reads["cpu"] == 1 and host_reads["numpy"] == 1, host_reads


def test_mixed_temperatures_read_nothing_before_the_end(memory, host_reads):  # noqa: F811
    """With a chain at T > 0 the run cannot stop early: no read until the one copy."""
    xi, net = memory
    recall(net, xi, noise=0.3, T=[0.0, 0.5], sweeps=50, average=10, seed=1, backend="torch")
    assert host_reads["__bool__"] + host_reads["item"] == 0, host_reads
    assert host_reads["cpu"] == 1 and host_reads["numpy"] == 1, host_reads


def test_the_step_loop_reads_once_per_sweep(memory, host_reads, stepped):  # noqa: F811
    """The baseline the device loop removes (the count the benchmark prints)."""
    xi, net = memory
    with stepped:
        recall(net, xi, noise=0.3, T=[0.0, 0.5], sweeps=50, seed=1, backend="torch")
    assert host_reads["cpu"] >= 50


@pytest.mark.parametrize("schedule", ["random", "permuted", "sequential"])
def test_dense_memory_indexes_on_the_device_without_reads(schedule, host_reads):  # noqa: F811
    """Off the CPU the dense-memory kernel indexes its sites with device tensors
    (``host_order`` False): the same updates as the host-indexed CPU path, and a step reads
    back only its flips; relax then reads once per block."""
    net = _dense_memory()
    s = sn.sampler(net, [0.0, 0.8], chains=3, schedule=schedule, backend="torch")
    state = s.init(seed=1)
    assert s.kernel.host_order
    a, fa = s.step(state, 4)
    s.kernel.host_order = False
    for key in host_reads:
        host_reads[key] = 0
    b, fb = s.step(state, 4)
    assert host_reads["cpu"] == 1 and sum(host_reads.values()) == 2, host_reads
    np.testing.assert_array_equal(fa.flips, fb.flips)
    assert fa.flips.sum() > 0
    np.testing.assert_array_equal(s.spins(a), s.spins(b))
    assert torch.equal(a.cache, b.cache)
    for key in host_reads:
        host_reads[key] = 0
    zero = sn.sampler(net, 0.0, chains=3, schedule=schedule, backend="torch")
    zero.kernel.host_order = False
    _, res = zero.kernel.relax(zero.init(seed=2), zero.betas, 30)
    blocks = int(np.searchsorted(np.cumsum(_blocks(30, torch_relax.MAX_BLOCK)), res.done_at.max()))
    assert np.all(res.done_at > 0)
    assert host_reads["__bool__"] == blocks + 1 and host_reads["cpu"] == 1, host_reads


@pytest.mark.parametrize("schedule", ["random", "synchronous"])
def test_block_lengths_do_not_change_the_results(schedule):
    """Blocks of one sweep (a read after every sweep), the default blocks and one block of
    every sweep give the same done_at, window sums and spins: where the host looks does
    not decide what is found. Small random-order systems have quiet sweeps that miss a
    misaligned site (a quiet sweep that is no fixed point); synchronous ones, 2-cycles that
    run to the cap, their window sums trimmed for none."""
    from statnn.dynamics.torch.relax import relax as device_relax

    net = hopfield(random_patterns(3, 12, seed=6))
    s = sn.sampler(net, [0.0, 0.0], chains=40, schedule=schedule, backend="torch",
                   backend_options={"block_size": 4})  # fmt: skip
    state = s.init("random", seed=7)
    runs = [
        device_relax(s.kernel, state, s.betas, 30, window=12, max_block=m) for m in (1, 64, 10**6)
    ]
    (_, a), *rest = runs
    assert len(np.unique(a.done_at[a.done_at > 0])) > 2  # (synchronous: 2-cycles stay −1)
    for new, b in rest:
        np.testing.assert_array_equal(a.done_at, b.done_at)
        np.testing.assert_array_equal(a.spin_sums, b.spin_sums)
        np.testing.assert_array_equal(s.spins(runs[0][0]), s.spins(new))
    if schedule == "random":  # some chain had a quiet sweep before its fixed point
        flips = []
        st = state
        for _ in range(int(a.done_at.max())):
            st, info = s.step(st, 1)
            flips.append(info.flips)
        flips = np.stack(flips)  # (sweeps, n_T, chains)
        t = np.arange(1, len(flips) + 1)[:, None, None]
        assert np.any((flips == 0) & (t < a.done_at[None])), "no quiet sweep before a fixed point"
