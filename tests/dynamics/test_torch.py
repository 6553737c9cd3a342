"""The torch backend on the CPU: exact agreement with numpy_ref, seeds, devices, errors.

Block-sequential updates must be the plain sequential dynamics step for step: at T = 0
with the fixed "sequential" order no uniform is used, so the torch and numpy trajectories
are compared exactly for every coupling representation. At T > 0 the block size only
regroups the same updates (same order, same uniforms), so B = 1 and B = 64 must give the
same trajectory where the fields are exact integers, and the right mean energy otherwise.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

import statnn as sn
import statnn.dynamics.reference as numpy_ref
from statnn.errors import BackendUnavailableError, ValidationError

torch = pytest.importorskip("torch")
import statnn.dynamics.torch.fields as torch_fields  # noqa: E402
import statnn.dynamics.torch.kernels as torch_kernels  # noqa: E402

N = 24


def _spins(rng, n_T, chains, n):
    return (2 * rng.integers(0, 2, size=(n_T, chains, n)) - 1).astype(np.int8)


def _symmetric(rng, n, dtype=np.float64):
    J = rng.normal(size=(n, n))
    J = (J + J.T) / 2
    np.fill_diagonal(J, 0.0)
    return J.astype(dtype)


def _networks():
    rng = np.random.default_rng(7)
    J = _symmetric(rng, N)
    asym = rng.normal(size=(N, N))
    np.fill_diagonal(asym, 0.0)
    mask = np.triu(rng.random((N, N)) < 0.25, 1)
    return {
        "dense64+bias": sn.Network(J, bias=0.3 * rng.normal(size=N)),
        "dense32": sn.Network(_symmetric(rng, N, np.float32)),
        "asymmetric": sn.Network(asym),
        "hopfield": sn.hopfield(np.where(rng.random((4, N)) < 0.5, 1, -1).astype(np.int8)),
        "curie_weiss+field": sn.curie_weiss(N, field=0.25),
        "sparse": sn.Network(sp.csr_matrix(np.where(mask | mask.T, J, 0.0))),
        "ising1d_open": sn.ising(N, periodic=False),
        "ising2d": sn.ising((4, 6)),
        "ising3d_field": sn.ising((2, 3, 4), field=0.5, periodic=False),
    }


NETS = _networks()


def _pair(net, schedule, rule, T, chains=3, seed=0, **kw):
    """numpy_ref and torch kernels started from the same random spins."""
    a = numpy_ref.make_kernel(net, rule=rule, schedule=schedule, n_temps=len(T), chains=chains)
    b = torch_kernels.make_kernel(
        net, rule=rule, schedule=schedule, n_temps=len(T), chains=chains, **kw
    )
    S0 = _spins(np.random.default_rng(seed), len(T), chains, net.n)
    seq = np.random.SeedSequence(seed)
    return a, a.init(S0, seq), b, b.init(S0, seq)


def _assert_t0_equal(net, schedule, rule, sweeps=3, **kw):
    betas = np.array([np.inf, np.inf])
    a, sa, b, sb = _pair(net, schedule, rule, T=[0.0, 0.0], **kw)
    for _ in range(sweeps):
        sa, fa = a.step(sa, betas, 1)
        sb, fb = b.step(sb, betas, 1)
        np.testing.assert_array_equal(b.spins(sb), a.spins(sa))
        np.testing.assert_array_equal(fb, fa)


@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
@pytest.mark.parametrize("name", list(NETS))
def test_block_sequential_equals_sequential_at_T0(name, rule):
    net = NETS[name]
    if rule == "metropolis" and not net.symmetric:
        pytest.skip("Metropolis needs symmetric couplings")
    for block_size in (1, 5, 64):
        _assert_t0_equal(net, "sequential", rule, block_size=block_size)


@pytest.mark.parametrize("name", ["ising2d", "ising3d_field", "ising1d_open"])
@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
def test_checkerboard_equals_numpy_at_T0(name, rule):
    _assert_t0_equal(NETS[name], "checkerboard", rule)


@pytest.mark.parametrize("name", ["dense64+bias", "hopfield", "sparse", "ising2d"])
def test_synchronous_equals_numpy_at_T0(name):
    _assert_t0_equal(NETS[name], "synchronous", "glauber")


def test_sparse_neighbour_lists_equal_numpy_at_T0(monkeypatch):
    monkeypatch.setattr(torch_fields, "SPARSE_AS_DENSE_MAX_N", 4)
    kernel = torch_kernels.make_kernel(
        NETS["sparse"], rule="glauber", schedule="sequential", n_temps=1, chains=1
    )
    assert isinstance(kernel.fields, torch_fields.EllFields)
    _assert_t0_equal(NETS["sparse"], "sequential", "glauber", block_size=7)
    _assert_t0_equal(NETS["sparse"], "sequential", "metropolis", block_size=64)


def test_pattern_int8_mode_equals_numpy_at_T0():
    # int8 products (torch._int_mm) take the path only with > 16 states and B % 8 == 0.
    _assert_t0_equal(NETS["hopfield"], "sequential", "glauber", pattern_mode="int8", block_size=8)
    a, sa, b, sb = _pair(NETS["hopfield"], "sequential", "glauber", T=[0.0], chains=20)
    b8 = torch_kernels.make_kernel(
        NETS["hopfield"],
        rule="glauber",
        schedule="sequential",
        n_temps=1,
        chains=20,
        pattern_mode="int8",
        block_size=8,
    )
    s8 = b8.init(a.spins(sa), np.random.SeedSequence(0))
    for _ in range(3):
        sa, fa = a.step(sa, np.array([np.inf]), 1)
        s8, f8 = b8.step(s8, np.array([np.inf]), 1)
        np.testing.assert_array_equal(b8.spins(s8), a.spins(sa))
        np.testing.assert_array_equal(f8, fa)


def _trajectory(net, schedule, rule, T, sweeps=6, chains=2, **kw):
    kernel = torch_kernels.make_kernel(
        net, rule=rule, schedule=schedule, n_temps=len(T), chains=chains, **kw
    )
    state = kernel.init(
        _spins(np.random.default_rng(3), len(T), chains, net.n), np.random.SeedSequence(11)
    )
    out = []
    for _ in range(sweeps):
        state, flips = kernel.step(state, 1.0 / np.asarray(T), 1)
        out.append((kernel.spins(state), flips))
    return out


@pytest.mark.parametrize("schedule", ["random", "permuted"])
@pytest.mark.parametrize("name", ["hopfield", "ising2d", "integer_dense"])
def test_block_size_regroups_the_same_updates(name, schedule):
    """Same order, same uniforms: B = 1, 5, 64 give identical trajectories at T > 0.

    The ``random`` schedule draws sites with replacement, so blocks contain repeated sites.
    Fields are exact integers here (pattern form, lattice, ±1 dense couplings).
    """
    if name == "integer_dense":
        rng = np.random.default_rng(1)
        J = np.triu(rng.choice([-1.0, 1.0], size=(N, N)), 1)
        net = sn.Network(J + J.T)
    else:
        net = NETS[name]
    T = [1.0, 3.0]
    runs = [_trajectory(net, schedule, "glauber", T, block_size=B) for B in (1, 5, 64)]
    for other in runs[1:]:
        for (s0, f0), (s1, f1) in zip(runs[0], other, strict=True):
            np.testing.assert_array_equal(s1, s0)
            np.testing.assert_array_equal(f1, f0)
    runs = [_trajectory(net, schedule, "metropolis", T, block_size=B) for B in (1, 64)]
    for (s0, f0), (s1, f1) in zip(*runs, strict=True):
        np.testing.assert_array_equal(s1, s0)
        np.testing.assert_array_equal(f1, f0)


def _exact_mean_energy(net, T):
    n = net.n
    states = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1) * 2 - 1
    E = net.energy(states.astype(np.int8))
    w = np.exp(-(E - E.min()) / T)
    return float((w * E).sum() / w.sum()) / n


@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
@pytest.mark.parametrize("block_size", [1, 4])
def test_mean_energy_matches_exact_enumeration(rule, block_size):
    """A float (Gaussian) dense network of 10 spins: ⟨E⟩/N within 4 standard errors."""
    rng = np.random.default_rng(5)
    net = sn.Network(_symmetric(rng, 10) / np.sqrt(10), bias=0.2 * rng.normal(size=10))
    T = 0.7
    kernel = torch_kernels.make_kernel(
        net, rule=rule, schedule="random", n_temps=1, chains=16, block_size=block_size
    )
    state = kernel.init(_spins(rng, 1, 16, 10), np.random.SeedSequence(block_size))
    state, _ = kernel.step(state, np.array([1 / T]), 50)
    energies = []
    for _ in range(400):
        state, _ = kernel.step(state, np.array([1 / T]), 1)
        energies.append(net.energy(kernel.spins(state)[0]) / net.n)
    per_chain = np.mean(energies, axis=0)
    se = per_chain.std(ddof=1) / np.sqrt(len(per_chain))
    assert abs(per_chain.mean() - _exact_mean_energy(net, T)) < 4 * se + 1e-3


def test_same_seed_same_run_and_seed_matters():
    net = sn.hopfield(np.where(np.random.default_rng(2).random((3, 30)) < 0.5, 1, -1))
    kw = dict(T=[0.5, 1.0], sweeps=20, burn_in=5, chains=3, backend="torch", device="cpu")
    r1 = sn.simulate(net, seed=4, **kw)
    r2 = sn.simulate(net, seed=4, **kw)
    r3 = sn.simulate(net, seed=5, **kw)
    np.testing.assert_array_equal(r1.energy, r2.energy)
    np.testing.assert_array_equal(r1.states, r2.states)
    np.testing.assert_array_equal(r1.overlaps, r2.overlaps)
    assert not np.array_equal(r1.states, r3.states)
    lat = sn.ising((8, 8))
    kw = dict(T=2.2, sweeps=10, chains=2, backend="torch", schedule="checkerboard")
    np.testing.assert_array_equal(
        sn.simulate(lat, seed=1, **kw).energy, sn.simulate(lat, seed=1, **kw).energy
    )


def test_run_shapes_and_tempering_match_numpy_layout():
    net = sn.ising((6, 6))
    kw = dict(T=[1.5, 2.5, 3.5], sweeps=10, burn_in=2, chains=2, seed=0, tempering=True)
    a = sn.simulate(net, backend="numpy", **kw)
    b = sn.simulate(net, backend="torch", **kw)
    for field in ("energy", "magnetization", "states", "acceptance", "swap_acceptance"):
        assert getattr(b, field).shape == getattr(a, field).shape
    assert b.states.dtype == np.int8
    assert b.energy.dtype == np.float64


@pytest.mark.parametrize("name", ["dense64+bias", "hopfield", "ising2d"])
def test_permute_moves_the_cached_fields(name):
    """Replica exchange reorders states; the cached fields must follow (T = 0, exact)."""
    net = NETS[name]
    betas = np.full(3, np.inf)
    a, sa, b, sb = _pair(net, "sequential", "glauber", T=[0.0] * 3, chains=2)
    perm = np.array([[2, 1], [0, 2], [1, 0]])
    sa, sb = a.permute(sa, perm), b.permute(sb, perm)
    sa, _ = a.step(sa, betas, 2)
    sb, _ = b.step(sb, betas, 2)
    np.testing.assert_array_equal(b.spins(sb), a.spins(sa))


def test_step_leaves_the_input_state_unchanged():
    for schedule in ("random", "checkerboard", "synchronous"):
        kernel = torch_kernels.make_kernel(
            NETS["ising2d"], rule="glauber", schedule=schedule, n_temps=1, chains=2
        )
        state = kernel.init(np.ones((1, 2, 24), dtype=np.int8), np.random.SeedSequence(0))
        kernel.step(state, np.array([0.1]), 3)
        assert (kernel.spins(state) == 1).all()


def test_dense_fields_refresh_keeps_T0_equality():
    """More sweeps than FIELD_REFRESH_SWEEPS: the refreshed float cache stays exact enough."""
    _assert_t0_equal(
        NETS["dense64+bias"], "sequential", "glauber", sweeps=torch_kernels.FIELD_REFRESH_SWEEPS + 3
    )


def test_spins_stay_int8_on_device():
    kernel = torch_kernels.make_kernel(
        NETS["hopfield"], rule="glauber", schedule="random", n_temps=1, chains=2
    )
    state = kernel.init(np.ones((1, 2, N), dtype=np.int8), np.random.SeedSequence(0))
    state, flips = kernel.step(state, np.array([1.0]), 2)
    assert isinstance(state.spins, torch.Tensor) and state.spins.dtype == torch.int8
    assert isinstance(state.rng, torch.Generator)
    assert flips.dtype == np.int64 and flips.shape == (1, 2)


# -- devices and errors --------------------------------------------------------------------
@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "cuda:1"])
def test_cuda_without_gpu_is_unavailable(device):
    with pytest.raises(BackendUnavailableError, match="CUDA"):
        sn.simulate(sn.ising((4, 4)), backend="torch", device=device)
    with pytest.raises(BackendUnavailableError):
        sn.sampler(sn.ising((4, 4)), backend="torch", device=device)


@pytest.mark.parametrize("device", ["gpu", "CUDA", "cuda:x", "cuda:", 0, "mps"])
def test_bad_device_names_the_parameter(device):
    with pytest.raises(ValidationError, match="'device'"):
        sn.simulate(sn.ising((4, 4)), backend="torch", device=device)


def test_bad_kernel_options():
    with pytest.raises(ValidationError, match="'block_size'"):
        torch_kernels.make_kernel(
            NETS["ising2d"], rule="glauber", schedule="random", n_temps=1, chains=1, block_size=0
        )
    with pytest.raises(ValidationError, match="'pattern_mode'"):
        torch_kernels.make_kernel(
            NETS["ising2d"],
            rule="glauber",
            schedule="random",
            n_temps=1,
            chains=1,
            pattern_mode="fp8",
        )


def test_cpu_device_spellings():
    for device in (None, "cpu", torch.device("cpu")):
        assert torch_kernels.resolve_device(device).type == "cpu"


def test_import_statnn_does_not_import_torch():
    code = "import sys, statnn; sys.exit(1 if 'torch' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize("schedule", ["checkerboard", "sequential"])
def test_huge_couplings_at_huge_temperature_are_paramagnetic(schedule):
    # β J ≈ 6e-270: every update is a fair coin. In float32 J·h overflows (or β flushes to
    # 0) and the lattice froze; the step must switch to float64 (numpy's answer).
    net = sn.ising((8, 8), J=1e39)
    run = sn.simulate(
        net, T=1.79e308, sweeps=20, chains=4, backend="torch", schedule=schedule, seed=1
    )
    numpy_run = sn.simulate(
        net, T=1.79e308, sweeps=20, chains=4, backend="numpy", schedule=schedule, seed=1
    )
    for r in (run, numpy_run):
        assert abs(float(np.mean(r.acceptance)) - 0.5) < 0.05
        assert abs(float(np.mean(r.magnetization))) < 0.2


def test_decision_dtype_policy():
    from statnn.dynamics.torch.base import decision_dtype

    f32, f64 = torch.float32, torch.float64
    assert decision_dtype(f32, (4.0, 0.5), [0.1, np.inf]) == f32
    assert decision_dtype(f32, (4e39, 0.0), [1.0]) == f64  # the field overflows float32
    assert decision_dtype(f32, (4.0, 0.0), [1 / 1.79e308]) == f64  # β flushes to zero
    assert decision_dtype(f32, (1e-40, 0.0), [1.0]) == f64  # J underflows
    assert decision_dtype(f64, (4e39, 0.0), [1.0]) == f64
