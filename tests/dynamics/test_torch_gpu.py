"""The torch backend on CUDA: the CPU checks again, with the CUDA defaults.

On CUDA the kernels compile the within-block loop and the lattice half-sweep
(``torch.compile``) and pattern-form couplings use exact int8 products
(``torch._int_mm``). These tests are skipped where ``torch.cuda.is_available()`` is False.
"""

from __future__ import annotations

import numpy as np
import pytest

import statnn as sn
import statnn.dynamics.reference as numpy_ref

torch = pytest.importorskip("torch")
import statnn.dynamics.torch.kernels as torch_kernels  # noqa: E402

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not torch.cuda.is_available(),
        reason="needs a CUDA device (torch.cuda.is_available() is False)",
    ),
]


def _nets():
    rng = np.random.default_rng(0)
    n = 64
    J = rng.normal(size=(n, n))
    J = (J + J.T) / 2
    np.fill_diagonal(J, 0.0)
    return {
        "dense64": sn.Network(J, bias=0.2 * rng.normal(size=n)),
        "dense32": sn.Network(J.astype(np.float32)),
        "hopfield": sn.hopfield(np.where(rng.random((10, 200)) < 0.5, 1, -1).astype(np.int8)),
        "ising2d": sn.ising((16, 16)),
        "ising3d": sn.ising((4, 4, 6), field=0.3, periodic=False),
    }


NETS = _nets()


@pytest.mark.parametrize(
    "name,schedule",
    [
        ("dense64", "sequential"),
        ("dense32", "sequential"),
        ("hopfield", "sequential"),  # int8 products: 20 chains, B = 16
        ("hopfield", "synchronous"),
        ("ising2d", "checkerboard"),  # compiled half-sweep
        ("ising3d", "checkerboard"),
        ("ising2d", "sequential"),
    ],
)
@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
def test_cuda_equals_numpy_at_T0(name, schedule, rule):
    if schedule == "synchronous" and rule == "metropolis":
        pytest.skip("synchronous is Glauber only")
    net = NETS[name]
    chains = 20
    a = numpy_ref.make_kernel(net, rule=rule, schedule=schedule, n_temps=1, chains=chains)
    b = torch_kernels.make_kernel(
        net, rule=rule, schedule=schedule, n_temps=1, chains=chains, device="cuda", block_size=16
    )
    S0 = (2 * np.random.default_rng(1).integers(0, 2, (1, chains, net.n)) - 1).astype(np.int8)
    sa, sb = a.init(S0, np.random.SeedSequence(0)), b.init(S0, np.random.SeedSequence(0))
    assert sb.spins.device.type == "cuda"
    for _ in range(3):
        sa, fa = a.step(sa, np.array([np.inf]), 1)
        sb, fb = b.step(sb, np.array([np.inf]), 1)
        np.testing.assert_array_equal(b.spins(sb), a.spins(sa))
        np.testing.assert_array_equal(fb, fa)


def test_cuda_same_seed_same_result():
    kw = dict(T=[1.0, 2.0], sweeps=20, chains=32, backend="torch", device="cuda", seed=3)
    r1 = sn.simulate(NETS["hopfield"], **kw)
    r2 = sn.simulate(NETS["hopfield"], **kw)
    np.testing.assert_array_equal(r1.states, r2.states)
    np.testing.assert_array_equal(r1.energy, r2.energy)


def test_cuda_onsager_energy_and_magnetization():
    """2D Ising L = 64 on CUDA, checkerboard: E/N and |m| within errors of Onsager."""
    from statnn.theory import onsager_energy, onsager_magnetization

    T = np.array([1.8, 2.0, 3.0, 3.5])
    run = sn.simulate(
        sn.ising((64, 64)),
        T=T,
        sweeps=2000,
        burn_in=500,
        chains=8,
        init="ones",
        schedule="checkerboard",
        backend="torch",
        device="cuda",
        record_every=10,
        seed=0,
    )
    e = run.energy.mean(axis=2)  # (n_T, chains)
    m = np.abs(run.magnetization).mean(axis=2)
    for t, temp in enumerate(T):
        se = e[t].std(ddof=1) / np.sqrt(e.shape[1])
        assert abs(e[t].mean() - onsager_energy(temp)) < 4 * se + 2e-3, temp
        if temp < 2.2:
            se = m[t].std(ddof=1) / np.sqrt(m.shape[1])
            assert abs(m[t].mean() - onsager_magnetization(temp)) < 4 * se + 5e-3, temp


@pytest.mark.parametrize(
    "name,schedule,kernel",
    [
        ("ising2d", "checkerboard", "torch"),  # compiled half-sweeps inside the graph
        ("hopfield", "sequential", "torch"),  # int8 products, randperm-free fixed order
        ("hopfield", "random", "torch"),  # randint with the kernel's generator in the graph
        ("hopfield", "synchronous", "torch"),
        ("ising2d", "sequential", "torch"),  # neighbour lists, index_add_
    ],
)
def test_cuda_graph_records_equal_the_eager_loop(name, schedule, kernel):
    """The record block replayed as a CUDA graph gives the eager loop's records, final
    spins and generator state (the graph advances the registered generator's Philox offset
    as the eager calls do); no FastPathWarning means the capture succeeded."""
    import warnings

    from statnn.dynamics.torch.triton_support import FastPathWarning

    net = NETS[name]
    s = sn.sampler(net, T=[1.5, 3.0], chains=10, schedule=schedule, backend="torch",
                   device="cuda", backend_options={"kernel": kernel})  # fmt: skip
    assert s.kernel.graph_safe
    state = s.init("random", seed=3)
    out = []
    for graphs in (True, False):
        s.kernel.use_graphs = graphs
        with warnings.catch_warnings():
            warnings.simplefilter("error", FastPathWarning)
            new, rec = s.kernel.record(state, s.betas, n_records=6, every=2, burn_in=2)
        out.append((new, rec))
    (g_state, g_rec), (e_state, e_rec) = out
    for field in ("energy", "magnetization", "overlaps", "replica_overlap", "flips"):
        a, b = getattr(g_rec, field), getattr(e_rec, field)
        if a is None:
            assert b is None
        else:
            np.testing.assert_array_equal(a, b, err_msg=field)
    np.testing.assert_array_equal(s.spins(g_state), s.spins(e_state))
    assert torch.equal(g_state.rng.get_state(), e_state.rng.get_state())
    # and the records are those of the final states
    np.testing.assert_allclose(
        g_rec.energy[..., -1], net.energy(s.spins(g_state)) / net.n, rtol=0, atol=1e-12
    )


def test_cuda_record_reads_back_once():
    """On CUDA too: one device → host copy per record call, none in the loop."""
    from tests.dynamics.test_torch_records import _READS

    counts = dict.fromkeys(_READS, 0)
    saved = {name: getattr(torch.Tensor, name) for name in _READS}

    def counting(name):
        def wrapper(self, *a, **k):
            counts[name] += 1
            return saved[name](self, *a, **k)

        return wrapper

    s = sn.sampler(NETS["ising2d"], T=2.0, chains=4, backend="torch", device="cuda")
    state = s.init(seed=0)
    try:
        for name in _READS:
            setattr(torch.Tensor, name, counting(name))
        s.kernel.record(state, s.betas, n_records=20, every=1)
    finally:
        for name, original in saved.items():
            setattr(torch.Tensor, name, original)
    assert counts["cpu"] == 1 and sum(counts.values()) == 2, counts


@pytest.mark.parametrize(
    "name,schedule",
    [("ising2d", "checkerboard"), ("hopfield", "sequential"), ("dense64", "random")],
)
def test_cuda_tempering_with_equal_betas_relabels_the_plain_records(name, schedule):
    """The device exchange on CUDA with the default kernels (Triton where installed): with
    equal β every swap is accepted and the records are the plain ones moved by the known
    even-odd permutations (see tests/dynamics/test_torch_tempering.py)."""
    from tests.dynamics.test_torch_tempering import assert_equal_betas_relabel

    net = NETS[name]
    s = sn.sampler(net, T=[1.3] * 4, chains=4, schedule=schedule, backend="torch",
                   device="cuda")  # fmt: skip
    assert_equal_betas_relabel(s, net)


def test_cuda_tempering_samples_boltzmann_and_reads_back_once():
    """simulate(tempering=True) on CUDA: each temperature's final states against exact
    enumeration, one device → host copy per call, no scalar read."""
    from tests.dynamics.test_compiled_tempering import _boltzmann, _codes
    from tests.dynamics.test_torch_records import _READS
    from tests.dynamics.test_torch_tempering import _sk6
    from tests.statistical.test_boltzmann import chi_square_pvalue

    net = _sk6()
    T = np.array([0.5, 0.9, 1.6])
    counts = dict.fromkeys(_READS, 0)
    saved = {name: getattr(torch.Tensor, name) for name in _READS}

    def counting(name):
        def wrapper(self, *a, **k):
            counts[name] += 1
            return saved[name](self, *a, **k)

        return wrapper

    try:
        for name in _READS:
            setattr(torch.Tensor, name, counting(name))
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            run = sn.simulate(net, T=T, sweeps=12, burn_in=200, chains=2500, seed=11,
                              tempering=True, backend="torch", device="cuda",
                              record_every=1)  # fmt: skip
    finally:
        for name, original in saved.items():
            setattr(torch.Tensor, name, original)
    assert counts["cpu"] == 1 and sum(counts.values()) == 2, counts
    assert sum(e.key == "aten::_local_scalar_dense" for e in prof.key_averages()) == 0
    for t, temperature in enumerate(T):
        p, _ = _boltzmann(net, 1.0 / temperature)
        hist = np.bincount(_codes(run.states[t]), minlength=2**net.n)
        assert chi_square_pvalue(hist, p) > 1e-4, temperature


# -- recall / relax on the device (TorchKernel.relax) -----------------------------------------
@pytest.mark.parametrize(
    "name,schedule,kernel",
    [
        ("hopfield", "random", None),  # the default kernel: Triton blocks where installed
        ("hopfield", "synchronous", None),
        ("hopfield", "random", "torch"),  # int8 products (more than 16 chains)
        ("hopfield", "permuted", "torch"),
        ("dense64", "sequential", None),
        ("ising2d", "checkerboard", None),  # multi-spin words where Triton applies
        ("ising2d", "checkerboard", "torch"),  # compiled half-sweeps
        ("ising3d", "random", "torch"),  # neighbour lists, every field checked
        ("dense_memory", "random", None),  # sites indexed by device tensors (no read)
    ],
)
def test_cuda_relax_equals_the_step_loop(name, schedule, kernel):
    """recall/relax through the device loop equal the loop over ``step`` (one host copy of
    the spins per sweep) on CUDA: states, sweeps and flags bit for bit, overlaps to 1e-12."""
    from statnn.dynamics.torch.base import TorchKernel

    if name == "dense_memory":
        xi = np.where(np.random.default_rng(4).random((4, 32)) < 0.5, 1, -1).astype(np.int8)
        net = sn.dense_memory(xi, interaction="poly", degree=3)
    else:
        net = NETS[name]
    xi = net.patterns
    starts = np.random.default_rng(2).choice(np.array([-1, 1], dtype=np.int8), (20, net.n))
    options = {} if kernel is None else {"kernel": kernel}
    s = sn.sampler(net, 0.0, chains=20, schedule=schedule, backend="torch", device="cuda",
                   backend_options=options)  # fmt: skip
    assert s.kernel.relaxes
    assert getattr(s.kernel, "host_order", False) is False
    for T, sweeps, average in ((0.0, 60, 0), ([0.0, 1.0], 20, 5)):
        kw = dict(T=T, sweeps=sweeps, average=average, seed=1, schedule=schedule,
                  backend="torch", device="cuda", backend_options=options)  # fmt: skip
        a = sn.relax(net, starts, xi, **kw)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(TorchKernel, "relaxes", property(lambda self: False))
            b = sn.relax(net, starts, xi, **kw)
        for key in ("states", "sweeps", "converged"):
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{key} at T={T}")
        if xi is not None:
            np.testing.assert_allclose(a.overlaps, b.overlaps, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kernel", [None, "torch"])
def test_cuda_relax_reads_once_per_block(kernel):
    """A run that never converges (a synchronous 2-cycle from a Néel state): one scalar read
    per block of sweeps but the last (after t sweeps a block of t // 2, 1 to 64), one copy at the end,
    no other scalar read (``aten::_local_scalar_dense``)."""
    from statnn.dynamics.torch.relax import MAX_BLOCK
    from tests.dynamics.test_torch_records import _READS

    net = NETS["ising2d"]
    neel = np.where(np.indices((16, 16)).sum(0) % 2 == 0, 1, -1).astype(np.int8).ravel()
    sweeps, blocks, t = 200, 0, 0
    while t < sweeps:
        t, blocks = t + min(max(1, t // 2), MAX_BLOCK, sweeps - t), blocks + 1
    counts = dict.fromkeys(_READS, 0)
    saved = {name: getattr(torch.Tensor, name) for name in _READS}

    def counting(name):
        def wrapper(self, *a, **k):
            counts[name] += 1
            return saved[name](self, *a, **k)

        return wrapper

    options = {} if kernel is None else {"kernel": kernel}
    kw = dict(T=0.0, sweeps=sweeps, schedule="synchronous", seed=0, backend="torch",
              device="cuda", backend_options=options)  # fmt: skip
    sn.relax(net, np.stack([neel, -neel]), **kw)  # compile and warm up
    try:
        for name in _READS:
            setattr(torch.Tensor, name, counting(name))
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            out = sn.relax(net, np.stack([neel, -neel]), **kw)
    finally:
        for name, original in saved.items():
            setattr(torch.Tensor, name, original)
    assert not out.converged.any()
    assert counts["__bool__"] == blocks - 1, counts
    assert counts["cpu"] == 1 and sum(counts.values()) == blocks + 1, counts
    scalar = sum(
        e.name() == "aten::_local_scalar_dense" for e in prof.profiler.kineto_results.events()
    )
    assert scalar == blocks - 1
