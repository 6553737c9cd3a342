"""The Triton kernels of the torch backend, run by Triton's CPU interpreter on small systems.

Independent truths: the numpy reference (T = 0 trajectories, which use no random number,
site for site and flip for flip, ties at exactly zero field included), exact enumeration of
the Boltzmann distribution (chi-square on the final states of many chains, which must fail
at 1.1 β), and Triton's own specialisation key (the number of compilations a scan costs).
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings

import numpy as np
import pytest

os.environ["TRITON_INTERPRET"] = "1"  # read when Triton and the kernels are imported
pytest.importorskip("triton")
torch = pytest.importorskip("torch")
for _name in ("triton_common", "triton_lattice", "triton_blocks"):  # decorated before? again
    _mod = sys.modules.get(f"statnn.dynamics.torch.{_name}")
    if _mod is not None:
        importlib.reload(_mod)

import statnn as sn  # noqa: E402
import statnn.dynamics.reference as reference  # noqa: E402
import statnn.dynamics.torch.kernels as torch_kernels  # noqa: E402
from statnn.dynamics.torch import (  # noqa: E402
    triton_blocks,
    triton_common,
    triton_lattice,
    triton_support,
)
from statnn.dynamics.torch.triton_blocks import TritonBlockKernel  # noqa: E402
from statnn.dynamics.torch.triton_lattice import TritonCheckerboardKernel  # noqa: E402
from tests.dynamics.triton_keys import specialisation_keys  # noqa: E402
from tests.statistical.test_boltzmann import (  # noqa: E402
    CHAINS,
    P_FAIL,
    P_PASS,
    boltzmann,
    chi_square_pvalue,
    state_index,
)


def triton_kernel(net, schedule, rule, n_temps, chains, **kw):
    kw.setdefault("multispin", False)  # the byte-per-spin lattice kernel (own tests for the other)
    k = torch_kernels.make_kernel(
        net, rule=rule, schedule=schedule, n_temps=n_temps, chains=chains, kernel="triton", **kw
    )
    assert isinstance(k, TritonCheckerboardKernel | TritonBlockKernel)
    return k


#: Sweeps before the Boltzmann tests' final states: these 6-spin systems mix in a few sweeps
#: (every case passes at β from 10 sweeps on); the interpreter's cost is per sweep.
BURN_IN = 30


@pytest.fixture
def one_program(monkeypatch):
    """All the chains of a system of N ≤ 8 sites in one interpreter program (its cost is per
    operation, not per state; the tiling of states and sites is held to the reference at
    T = 0 below)."""
    monkeypatch.setattr(triton_blocks, "STATES_PER_PROGRAM", 4096)
    monkeypatch.setattr(triton_lattice, "STATE_TILE", 4096)
    monkeypatch.setattr(triton_lattice, "TILE", 8)


def zero_temperature_pair(net, schedule, rule, sweeps=4, chains=3, seed=0, **kw):
    rng = np.random.default_rng(seed)
    spins = np.where(rng.random((2, chains, net.n)) < 0.5, 1, -1).astype(np.int8)
    betas = np.array([np.inf, np.inf])
    out = []
    for k in (
        reference.make_kernel(net, rule=rule, schedule=schedule, n_temps=2, chains=chains),
        triton_kernel(net, schedule, rule, 2, chains, **kw),
    ):
        state, flips = k.step(k.init(spins, np.random.SeedSequence(7)), betas, sweeps)
        out.append((np.asarray(k.spins(state)), np.asarray(flips)))
    return out


def _integer_dense(n, seed):
    J = np.random.default_rng(seed).integers(-2, 3, (n, n)).astype(np.float64)
    J = np.triu(J, 1)
    return J + J.T  # integer fields: exact zeros occur and the float cache is exact


ZERO_T_CASES = {
    "square-periodic": (sn.ising((6, 4), J=1.0), "checkerboard", {}),
    "cubic-open": (sn.ising((5, 3, 2), J=0.7, periodic=False), "checkerboard", {}),
    "chain-field": (sn.ising((8,), J=1.0, field=2.0), "checkerboard", {}),  # h = 0 at ±1 ±1
    "patterns-float": (
        sn.Network(sn.PatternCouplings(np.where(np.arange(60).reshape(3, 20) % 7 < 3, 1, -1), 0.05)),
        "sequential",
        {"pattern_mode": "float", "block_size": 8},
    ),
    "dense-integer": (sn.Network(_integer_dense(20, 3)), "sequential", {"block_size": 6}),
    "lattice-sequential": (sn.ising((4, 4), J=1.0), "sequential", {"block_size": 5}),
}


@pytest.mark.parametrize("case", list(ZERO_T_CASES))
def test_zero_temperature_equals_reference(case):
    # the fused reads (dense gather, pattern overlaps), the generic one (lattice neighbour
    # lists) and a last block shorter than B are all covered. One rule: at β = ∞ the
    # decision (triton_common.flip_decision) takes the same cold branch for both rules.
    rule = "glauber"
    net, schedule, kw = ZERO_T_CASES[case]
    (ref_s, ref_f), (tri_s, tri_f) = zero_temperature_pair(net, schedule, rule, **kw)
    np.testing.assert_array_equal(tri_s, ref_s)
    np.testing.assert_array_equal(tri_f, ref_f)
    assert ref_f.sum() > 0  # the trajectories moved


@pytest.mark.parametrize("case", ["square-periodic", "dense-integer"])
def test_zero_temperature_with_states_over_several_programs(case, monkeypatch):
    # 2 × 20 states in programs of 16: three programs, the last one partly masked
    monkeypatch.setattr(triton_blocks, "STATES_PER_PROGRAM", 16)
    monkeypatch.setattr(triton_lattice, "STATE_TILE", 16)
    net, schedule, kw = ZERO_T_CASES[case]
    (ref_s, ref_f), (tri_s, tri_f) = zero_temperature_pair(
        net, schedule, "glauber", sweeps=2, chains=20, **kw
    )
    np.testing.assert_array_equal(tri_s, ref_s)
    np.testing.assert_array_equal(tri_f, ref_f)
    assert (ref_f > 0).all()  # every state moved, in every program


def test_zero_temperature_lattice_with_site_fields():
    lat = sn.ising((4, 4), J=1.0)
    bias = np.where(np.arange(16) % 3 == 0, 2.0, 0.0)  # h = 0 where two neighbours disagree
    net = sn.Network(lat.couplings, bias=bias)
    (ref_s, _), (tri_s, _) = zero_temperature_pair(net, "checkerboard", "glauber")
    np.testing.assert_array_equal(tri_s, ref_s)


def test_int8_patterns_zero_temperature():
    xi = np.where(np.random.default_rng(2).random((5, 24)) < 0.5, 1, -1)
    net = sn.Network(sn.PatternCouplings(xi, scale=1 / 24))
    (ref_s, ref_f), (tri_s, tri_f) = zero_temperature_pair(
        net, "sequential", "glauber", chains=9, pattern_mode="int8", block_size=8
    )  # K = 18 > 16 states, B % 8 == 0: the torch._int_mm path
    np.testing.assert_array_equal(tri_s, ref_s)
    np.testing.assert_array_equal(tri_f, ref_f)


@pytest.mark.parametrize("n, p, B", [(24, 5, 8), (136, 3, 64)])
def test_int8_patterns_fused_read_zero_temperature(n, p, B):
    # the overlaps are read in the kernel as 1 (N < 128) or 2 base-128 int8 digits
    from statnn.dynamics.torch.triton_blocks import RAW_PATTERNS_INT8

    xi = np.where(np.random.default_rng(2).random((p, n)) < 0.5, 1, -1)
    net = sn.Network(sn.PatternCouplings(xi, scale=1 / n))
    k = triton_kernel(net, "sequential", "glauber", 1, 2, pattern_mode="int8", block_size=B)
    assert k.raw_mode == RAW_PATTERNS_INT8 and k.digits == (1 if n < 128 else 2)
    (ref_s, ref_f), (tri_s, tri_f) = zero_temperature_pair(
        net, "sequential", "glauber", sweeps=2, chains=9, pattern_mode="int8", block_size=B
    )
    np.testing.assert_array_equal(tri_s, ref_s)
    np.testing.assert_array_equal(tri_f, ref_f)


def test_boltzmann_int8_patterns(one_program):  # the decision is shared: the int8 read is new
    rule = "glauber"
    net, schedule = BOLTZMANN["patterns-permuted"]
    k = triton_kernel(net, schedule, rule, 1, CHAINS, block_size=8, pattern_mode="int8")
    spins = np.where(np.random.default_rng(1).random((1, CHAINS, net.n)) < 0.5, 1, -1)
    state, _ = k.step(k.init(spins.astype(np.int8), np.random.SeedSequence(12)), [1.0], BURN_IN)
    counts = np.bincount(state_index(k.spins(state)[0]), minlength=2**net.n)
    assert chi_square_pvalue(counts, boltzmann(net, 1.0)) > P_PASS
    assert chi_square_pvalue(counts, boltzmann(net, 1.1)) < P_FAIL


def boltzmann_networks():
    rng = np.random.default_rng(5)
    J = rng.normal(0.0, 0.45, size=(6, 6))
    J = np.triu(J, 1)
    xi = np.where(rng.random((2, 6)) < 0.5, 1, -1)
    b = rng.normal(0.0, 0.4, size=6)
    return {
        "lattice": (sn.ising((2, 3), J=0.5, field=0.2, periodic=False), "checkerboard"),
        "dense64-random": (sn.Network(J + J.T, bias=b), "random"),
        "patterns-permuted": (sn.Network(sn.PatternCouplings(xi, scale=0.15), bias=b), "permuted"),
    }


BOLTZMANN = boltzmann_networks()


# Each rule on each kernel, not every pair: the rule's formula is one function
# (triton_common.flip_decision) that every kernel calls with the same arguments, and the
# lattice kernel's Glauber sampling is held to Boltzmann through simulate below.
@pytest.mark.parametrize(
    "case, rule",
    [("lattice", "metropolis"), ("dense64-random", "metropolis"), ("patterns-permuted", "glauber")],
)
def test_boltzmann(case, rule, one_program):
    net, schedule = BOLTZMANN[case]
    beta = 1.0
    k = triton_kernel(net, schedule, rule, 1, CHAINS, block_size=4)  # 6 sites: 2 blocks
    spins = np.where(np.random.default_rng(1).random((1, CHAINS, net.n)) < 0.5, 1, -1)
    state, _ = k.step(k.init(spins.astype(np.int8), np.random.SeedSequence(11)), [beta], BURN_IN)
    counts = np.bincount(state_index(k.spins(state)[0]), minlength=2**net.n)
    assert chi_square_pvalue(counts, boltzmann(net, beta)) > P_PASS
    assert chi_square_pvalue(counts, boltzmann(net, 1.1 * beta)) < P_FAIL


@pytest.mark.parametrize("case", ["lattice", "patterns-permuted"])
def test_same_seed_same_result_and_step_is_pure(case):
    net, schedule = BOLTZMANN[case]
    k = triton_kernel(net, schedule, "glauber", 2, 5)
    spins = np.where(np.random.default_rng(0).random((2, 5, net.n)) < 0.5, 1, -1).astype(np.int8)
    runs = []
    for seed in (3, 3, 4):
        state = k.init(spins, np.random.SeedSequence(seed))
        a, fa = k.step(state, [0.7, 1.3], 2)
        b, fb = k.step(state, [0.7, 1.3], 2)  # the same input state again
        np.testing.assert_array_equal(k.spins(a), k.spins(b))
        np.testing.assert_array_equal(fa, fb)
        runs.append(k.spins(a))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_huge_couplings_at_huge_temperature_are_paramagnetic():
    # β J = 1e39 / 1.79e308 ≈ 6e-270: every flip has probability 1/2 (float32 would give
    # β = 0 · J = inf → NaN, or freeze); the Triton path decides in float64.
    net = sn.ising((8, 8), J=1e39)
    k = triton_kernel(net, "checkerboard", "glauber", 1, 4)
    spins = np.ones((1, 4, net.n), dtype=np.int8)
    state, flips = k.step(k.init(spins, np.random.SeedSequence(0)), [1 / 1.79e308], 20)
    rate = flips.sum() / (20 * 4 * net.n)
    assert abs(rate - 0.5) < 0.03  # binomial sd ≈ 0.004
    assert abs(k.spins(state).mean()) < 0.2


def kernel_dns():
    from statnn.dynamics.torch import triton_blocks, triton_lattice

    return {
        "checkerboard_half": triton_lattice.NO_SPECIALIZE,
        "block_updates": triton_blocks.NO_SPECIALIZE,
    }


def test_scan_compiles_a_bounded_number_of_kernels(monkeypatch):
    calls = []
    real = triton_common.launch

    def record(kernel, grid, *args, **meta):
        calls.append((kernel, args, meta))
        real(kernel, grid, *args, **meta)

    monkeypatch.setattr(triton_common, "launch", record)
    for L in (4, 6, 10):  # sizes, fields, couplings, temperatures, seeds
        for J, field in ((1.0, 0.0), (0.3, 0.7)):
            net = sn.ising((L, L), J=J, field=field)
            k = triton_kernel(net, "checkerboard", "glauber", 2, 3)
            state = k.init(np.ones((2, 3, net.n), dtype=np.int8), np.random.SeedSequence(L))
            k.step(state, [0.5 * L, np.inf], 2)
    for n in (16, 24, 40):
        xi = np.where(np.random.default_rng(n).random((3, n)) < 0.5, 1, -1)
        net = sn.Network(sn.PatternCouplings(xi, scale=1 / n))
        k = triton_kernel(net, "sequential", "glauber", 1, 3, block_size=8)
        k.step(k.init(np.ones((1, 3, n), dtype=np.int8), np.random.SeedSequence(n)), [1.0 / n], 1)
    keys = specialisation_keys(calls, kernel_dns())
    # one lattice kernel (2-D, periodic, no site fields, Glauber) and one block kernel
    assert len(calls) > 20
    assert len(keys) == 2, keys


def test_missing_triton_falls_back_with_one_warning(monkeypatch):
    monkeypatch.setattr(triton_support, "_warned", set())
    monkeypatch.setattr(triton_support, "triton_missing", lambda dev: "Triton is not importable")
    monkeypatch.setattr(torch_kernels, "triton_missing", triton_support.triton_missing)
    net = sn.ising((4, 4))
    with pytest.warns(triton_support.FastPathWarning, match="Triton is not importable"):
        k = torch_kernels.make_kernel(
            net, rule="glauber", schedule="checkerboard", n_temps=1, chains=2, kernel="triton"
        )
    assert not isinstance(k, TritonCheckerboardKernel)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second time: no warning
        torch_kernels.make_kernel(
            net, rule="glauber", schedule="checkerboard", n_temps=1, chains=2, kernel="triton"
        )


def test_missing_compiler_falls_back_with_one_warning(monkeypatch):
    monkeypatch.setattr(triton_support, "_warned", set())
    monkeypatch.setattr(torch_kernels, "compile_missing", lambda kind: "no C++ compiler found")
    net = sn.Network(_integer_dense(6, 0))
    with pytest.warns(triton_support.FastPathWarning, match="no C\\+\\+ compiler"):
        k = torch_kernels.make_kernel(
            net, rule="glauber", schedule="sequential", n_temps=1, chains=2, compile=True
        )
    assert k.loop.__name__ == "block_loop"  # not compiled


def test_kernel_option_is_checked():
    with pytest.raises(ValueError, match="must be 'triton' or 'torch'"):
        torch_kernels.make_kernel(
            sn.ising((4, 4)), rule="glauber", schedule="checkerboard", n_temps=1, chains=1,
            kernel="cuda",
        )  # fmt: skip


@pytest.mark.parametrize("schedule", ["sequential", "checkerboard"])
def test_simulate_with_the_triton_kernel_at_zero_temperature(schedule):
    net = sn.ising((6, 6), J=1.0, field=0.0)  # zero fields are common: ties keep the state
    kw = dict(T=0.0, sweeps=4, burn_in=1, chains=3, schedule=schedule, seed=5)
    tri = sn.simulate(net, backend="torch", backend_options={"kernel": "triton"}, **kw)
    ref = sn.simulate(net, backend="numpy", **kw)
    np.testing.assert_allclose(tri.energy, ref.energy, rtol=1e-12)
    np.testing.assert_allclose(tri.magnetization, ref.magnetization, rtol=1e-12)
    assert np.ptp(ref.energy) > 0  # the recorded sweeps still move


# -- the record loop (TorchKernel.record) on the Triton kernels ---------------------------------
def _record_cases():
    xi = np.where(np.arange(60).reshape(3, 20) % 7 < 3, 1, -1)
    return {
        "checkerboard": (
            sn.ising((6, 4), field=0.1), "checkerboard", "glauber", {"multispin": False}
        ),
        "dense-gather": (sn.sk(12, seed=1), "permuted", "metropolis", {"block_size": 5}),
        "patterns-float": (
            sn.Network(sn.PatternCouplings(xi, 0.05), bias=0.05),
            "random",
            "glauber",
            {"block_size": 8},
        ),
        "lattice-sequential": (sn.ising((4, 4)), "sequential", "metropolis", {"block_size": 5}),
    }


RECORD_CASES = _record_cases()


@pytest.mark.parametrize("case", list(RECORD_CASES))
def test_records_equal_a_python_loop_over_step(case):
    # T = [0, 2.5]: the cold decision and a finite β in one run (a second finite T adds no
    # path: the decision is per state)
    from tests.dynamics.test_torch_records import assert_records_equal_loop

    net, schedule, rule, kw = RECORD_CASES[case]
    s = sn.sampler(
        net, T=[0.0, 2.5], chains=3, schedule=schedule, dynamics=rule, backend="torch",
        backend_options={"kernel": "triton", **kw},
    )  # fmt: skip
    assert isinstance(s.kernel, TritonCheckerboardKernel | TritonBlockKernel)
    assert_records_equal_loop(s, net, n_records=3, every=2, burn_in=1)


@pytest.mark.filterwarnings("ignore::statnn.stats.diagnostics.ConvergenceWarning")
def test_simulate_through_the_record_loop_samples_boltzmann(one_program):
    # the block kernels' distribution is checked through step above (test_boltzmann) and
    # their records against step here: one simulate run keeps the interpreter's time low
    net, schedule = BOLTZMANN["lattice"]
    run = sn.simulate(
        net, T=1.0, sweeps=4, burn_in=BURN_IN, chains=CHAINS, schedule=schedule,
        backend="torch", backend_options={"kernel": "triton"}, seed=21, record_every=2,
    )  # fmt: skip
    counts = np.bincount(state_index(run.states[0]), minlength=2**net.n)
    assert chi_square_pvalue(counts, boltzmann(net, 1.0)) > P_PASS
    assert chi_square_pvalue(counts, boltzmann(net, 1.1)) < P_FAIL
    np.testing.assert_allclose(run.energy[..., -1], net.energy(run.states) / net.n, atol=1e-12)


@pytest.mark.filterwarnings("ignore::statnn.stats.diagnostics.ConvergenceWarning")
def test_same_seed_same_records():
    # (the interpreter costs about a second per launch: one small lattice case)
    net, schedule = BOLTZMANN["lattice"]
    kw = dict(T=[0.8, 1.6], sweeps=4, burn_in=2, chains=6, schedule=schedule, backend="torch",
              backend_options={"kernel": "triton", "block_size": 4}, record_every=2)  # fmt: skip
    runs = [sn.simulate(net, seed=seed, **kw) for seed in (21, 21, 22)]
    for field in ("energy", "magnetization", "replica_overlap", "states", "acceptance"):
        np.testing.assert_array_equal(getattr(runs[0], field), getattr(runs[1], field))
    assert not np.array_equal(runs[0].energy, runs[2].energy)


@pytest.mark.filterwarnings("ignore::statnn.stats.diagnostics.ConvergenceWarning")
def test_tempering_in_the_record_loop_samples_boltzmann_at_every_temperature(one_program):
    """Replica exchange in the device record loop with the byte-per-spin lattice kernel: it
    reads each state's β, rewritten in place when labels swap (final states of the three
    temperatures against enumeration)."""
    net, schedule = BOLTZMANN["lattice"]
    T = np.array([0.6, 1.0, 1.7])
    run = sn.simulate(
        net, T=T, sweeps=3, burn_in=10, chains=1500, schedule=schedule, backend="torch",
        backend_options={"kernel": "triton", "multispin": False}, seed=21, tempering=True,
        record_every=1,
    )  # fmt: skip
    assert np.all((0.05 < run.swap_acceptance) & (run.swap_acceptance < 0.95))
    for t, temperature in enumerate(T):
        counts = np.bincount(state_index(run.states[t]), minlength=2**net.n)
        assert chi_square_pvalue(counts, boltzmann(net, 1.0 / temperature)) > P_PASS
    np.testing.assert_allclose(run.energy[..., -1], net.energy(run.states) / net.n, atol=1e-12)
