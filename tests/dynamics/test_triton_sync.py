"""The synchronous Triton kernel (one product + one fused decision kernel per sweep), run by
Triton's CPU interpreter.

Independent truths: the numpy reference (T = 0 trajectories, ties at zero field
included), Peretto's exact stationary law of Little dynamics by enumeration (chi-square,
which must fail at 1.1 β and against the Boltzmann law), and Triton's specialisation key.
"""

from __future__ import annotations

import importlib
import os
import sys

import numpy as np
import pytest

_INTERPRETING = os.environ.get("TRITON_INTERPRET") == "1"
os.environ["TRITON_INTERPRET"] = "1"  # read when Triton and the kernels are imported
pytest.importorskip("triton")
torch = pytest.importorskip("torch")
if not _INTERPRETING:  # kernels decorated before, for a GPU: again (else they are right)
    for _name in ("triton_common", "triton_sync"):
        _mod = sys.modules.get(f"statnn.dynamics.torch.{_name}")
        if _mod is not None:
            importlib.reload(_mod)

import statnn as sn  # noqa: E402
import statnn.dynamics.reference as reference  # noqa: E402
import statnn.dynamics.torch.kernels as torch_kernels  # noqa: E402
from statnn.dynamics.torch import triton_common, triton_sync  # noqa: E402
from statnn.dynamics.torch.triton_sync import TritonSynchronousKernel  # noqa: E402
from tests.dynamics.test_torch_records import host_reads  # noqa: E402, F401 (a fixture)
from tests.dynamics.triton_keys import specialisation_keys  # noqa: E402
from tests.statistical.test_boltzmann import (  # noqa: E402
    CHAINS,
    P_FAIL,
    P_PASS,
    all_states,
    boltzmann,
    chi_square_pvalue,
    state_index,
)


def sync_kernel(net, n_temps, chains, rule="glauber", **kw):
    k = torch_kernels.make_kernel(
        net, rule=rule, schedule="synchronous", n_temps=n_temps, chains=chains, kernel="triton",
        **kw,
    )  # fmt: skip
    assert isinstance(k, TritonSynchronousKernel)
    return k


def _integer_dense(n, seed):
    J = np.random.default_rng(seed).integers(-2, 3, (n, n)).astype(np.float64)
    J = np.triu(J, 1)
    return J + J.T  # integer fields: exact zeros occur


ZERO_T = {
    "dense-integer": (sn.Network(_integer_dense(20, 3)), {}),
    "patterns-float": (
        sn.Network(sn.PatternCouplings(np.where(np.arange(60).reshape(3, 20) % 7 < 3, 1, -1), 0.05)),
        {},
    ),
    "patterns-int8": (
        sn.Network(sn.PatternCouplings(np.where(np.arange(60).reshape(3, 20) % 5 < 2, 1, -1), 0.05)),
        {"pattern_mode": "int8"},
    ),
    "lattice-ties": (sn.ising((4, 4), J=1.0, field=2.0), {}),  # generic field read
}


@pytest.mark.parametrize("case", list(ZERO_T))
def test_zero_temperature_equals_reference(case):
    net, kw = ZERO_T[case]
    chains = 3
    spins = np.where(np.random.default_rng(0).random((2, chains, net.n)) < 0.5, 1, -1)
    spins = spins.astype(np.int8)
    out = []
    for k in (
        reference.make_kernel(net, rule="glauber", schedule="synchronous", n_temps=2, chains=chains),
        sync_kernel(net, 2, chains, **kw),
    ):
        state, flips = k.step(k.init(spins, np.random.SeedSequence(7)), [np.inf, np.inf], 4)
        out.append((np.asarray(k.spins(state)), np.asarray(flips)))
    (ref_s, ref_f), (tri_s, tri_f) = out
    np.testing.assert_array_equal(tri_s, ref_s)
    np.testing.assert_array_equal(tri_f, ref_f)
    assert ref_f.sum() > 0


def peretto(net, beta):
    """Little dynamics' stationary law ∝ Π_i 2cosh(β h_i(S)) · exp(β b·S) (Peretto 1984)."""
    states = all_states(net.n)
    h = net.couplings.field(states) + net.bias
    log_w = np.log(2 * np.cosh(beta * h)).sum(axis=1) + beta * states @ net.bias
    w = np.exp(log_w - log_w.max())
    return w / w.sum()


def _networks():
    rng = np.random.default_rng(5)
    J = rng.normal(0.0, 0.45, size=(6, 6))
    J = np.triu(J, 1)
    xi = np.where(rng.random((2, 6)) < 0.5, 1, -1)
    b = rng.normal(0.0, 0.4, size=6)
    return {
        "dense64": sn.Network(J + J.T, bias=b),
        "patterns": sn.Network(sn.PatternCouplings(xi, scale=0.15), bias=b),
    }


NETS = _networks()


@pytest.fixture
def many_states(monkeypatch):
    """One interpreter program for all states (the interpreter's cost is per operation)."""
    monkeypatch.setattr(triton_sync, "STATE_TILE", 1 << 14)
    monkeypatch.setattr(triton_sync, "TILE", 8)


@pytest.mark.parametrize("case", ["patterns"])  # the dense read is held to T = 0 above
def test_stationary_law_is_peretto(case, many_states):
    net = NETS[case]
    chains = 4 * CHAINS  # Peretto's law moves less with β than Boltzmann's: more samples
    k = sync_kernel(net, 1, chains)
    spins = np.where(np.random.default_rng(1).random((1, chains, net.n)) < 0.5, 1, -1)
    state, _ = k.step(k.init(spins.astype(np.int8), np.random.SeedSequence(11)), [1.0], 40)
    counts = np.bincount(state_index(k.spins(state)[0]), minlength=2**net.n)
    assert chi_square_pvalue(counts, peretto(net, 1.0)) > P_PASS
    assert chi_square_pvalue(counts, peretto(net, 1.1)) < P_FAIL
    assert chi_square_pvalue(counts, boltzmann(net, 1.0)) < P_FAIL


def test_same_seed_same_result_and_step_is_pure():
    net = NETS["patterns"]
    k = sync_kernel(net, 2, 5)
    spins = np.where(np.random.default_rng(0).random((2, 5, net.n)) < 0.5, 1, -1).astype(np.int8)
    runs = []
    for seed in (3, 3, 4):
        state = k.init(spins, np.random.SeedSequence(seed))
        a, fa = k.step(state, [0.7, 1.3], 6)
        b, fb = k.step(state, [0.7, 1.3], 6)
        np.testing.assert_array_equal(k.spins(a), k.spins(b))
        np.testing.assert_array_equal(fa, fb)
        runs.append(k.spins(a))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_scan_compiles_a_bounded_number_of_kernels(monkeypatch):
    calls = []
    real = triton_common.launch

    def record(kernel, grid, *args, **meta):
        calls.append((kernel, args, meta))
        real(kernel, grid, *args, **meta)

    monkeypatch.setattr(triton_common, "launch", record)
    for n in (16, 24, 40):  # sizes, scales, temperatures, seeds
        xi = np.where(np.random.default_rng(n).random((3, n)) < 0.5, 1, -1)
        net = sn.Network(sn.PatternCouplings(xi, scale=1 / n))
        k = sync_kernel(net, 2, 3)
        k.step(k.init(np.ones((2, 3, n), dtype=np.int8), np.random.SeedSequence(n)), [1 / n, np.inf], 2)
    keys = specialisation_keys(calls, {"synchronous_update": triton_sync.NO_SPECIALIZE})
    assert len(calls) == 6
    assert len(keys) == 1, keys


# -- the device record loop -----------------------------------------------------------------
RECORD_CASES = {
    "dense-integer": (lambda: sn.Network(_integer_dense(12, 3), bias=0.25), {}),
    "dense-sk": (lambda: sn.sk(12, seed=2), {}),
    "patterns-float": (lambda: NETS["patterns"], {}),
    "patterns-int8": (lambda: sn.hopfield(np.where(np.arange(48).reshape(3, 16) % 5 < 2, 1, -1)),
                      {"pattern_mode": "int8"}),  # fmt: skip
    "lattice": (lambda: sn.ising((4, 4), J=0.7, field=0.1), {}),  # generic field read
}


def _sync_sampler(net, T, chains, **kw):
    s = sn.sampler(net, T=T, chains=chains, schedule="synchronous", backend="torch",
                   backend_options={"kernel": "triton", **kw})  # fmt: skip
    assert isinstance(s.kernel, TritonSynchronousKernel) and s.kernel.records_on_device
    return s


@pytest.mark.parametrize("case", list(RECORD_CASES))
def test_records_equal_a_python_loop_over_step(case):
    # T = [0, 2.5]: the cold decision and a finite β in one run (the decision is per state)
    from tests.dynamics.test_torch_records import assert_records_equal_loop

    make, kw = RECORD_CASES[case]
    net = make()
    assert_records_equal_loop(_sync_sampler(net, [0.0, 2.5], 3, **kw), net)


@pytest.mark.filterwarnings("ignore::statnn.stats.diagnostics.ConvergenceWarning")
def test_simulate_reads_back_once_whatever_the_number_of_records(host_reads):  # noqa: F811
    net = NETS["patterns"]
    seen = []
    for sweeps in (2, 12):
        for key in host_reads:
            host_reads[key] = 0
        run = sn.simulate(net, T=[1.5, 2.5], sweeps=sweeps, burn_in=0, chains=4,
                          schedule="synchronous", backend="torch",
                          backend_options={"kernel": "triton"}, seed=3)  # fmt: skip
        seen.append(dict(host_reads))
        assert run.energy.shape[-1] == sweeps
    assert seen[0] == seen[1]
    assert seen[0]["cpu"] == 1 and sum(seen[0].values()) == 2, seen[0]


@pytest.mark.filterwarnings("ignore::statnn.stats.diagnostics.ConvergenceWarning")
def test_simulate_through_the_record_loop_follows_peretto(many_states):
    net = NETS["patterns"]
    run = sn.simulate(net, T=1.0, sweeps=10, burn_in=30, chains=4 * CHAINS,
                      schedule="synchronous", backend="torch",
                      backend_options={"kernel": "triton"}, seed=11, record_every=5)  # fmt: skip
    counts = np.bincount(state_index(run.states[0]), minlength=2**net.n)
    assert chi_square_pvalue(counts, peretto(net, 1.0)) > P_PASS
    assert chi_square_pvalue(counts, peretto(net, 1.1)) < P_FAIL
    np.testing.assert_allclose(run.energy[..., -1], net.energy(run.states) / net.n, atol=1e-12)


@pytest.mark.filterwarnings("ignore::statnn.stats.diagnostics.ConvergenceWarning")
def test_same_seed_same_records():
    net = NETS["dense64"]
    kw = dict(T=[0.7, 1.3], sweeps=6, burn_in=2, chains=4, schedule="synchronous",
              backend="torch", backend_options={"kernel": "triton"}, record_every=2)  # fmt: skip
    runs = [sn.simulate(net, seed=seed, **kw) for seed in (21, 21, 22)]
    for field in ("energy", "magnetization", "replica_overlap", "states", "acceptance"):
        np.testing.assert_array_equal(getattr(runs[0], field), getattr(runs[1], field))
    assert not np.array_equal(runs[0].states, runs[2].states)
