"""The multi-spin coded Triton lattice kernel, run by Triton's CPU interpreter.

Independent truths: the numpy reference (T = 0 trajectories, ties at exactly zero field
included, with rows inside one word, of whole words and of several words), the exact
one-sweep transition law of checkerboard dynamics computed from ``net.local_field`` and
the rules' formulas (chi-square over all 2^N outcomes, which must fail at 1.1 β), the
Boltzmann distribution by enumeration, the rules' probability functions of
:mod:`statnn.core.neurons`, and Triton's specialisation key (compilations over a scan).
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
    for _name in ("triton_common", "triton_lattice", "triton_multispin"):
        _mod = sys.modules.get(f"statnn.dynamics.torch.{_name}")
        if _mod is not None:
            importlib.reload(_mod)

import statnn as sn  # noqa: E402
import statnn.dynamics.reference as reference  # noqa: E402
import statnn.dynamics.torch.kernels as torch_kernels  # noqa: E402
from statnn.core.neurons import glauber_probability, metropolis_acceptance  # noqa: E402
from statnn.dynamics.torch import triton_common, triton_multispin  # noqa: E402
from statnn.dynamics.torch.triton_lattice import TritonCheckerboardKernel  # noqa: E402
from statnn.dynamics.torch.triton_multispin import TritonMultispinKernel  # noqa: E402
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


def multispin_kernel(net, rule, n_temps, chains):
    k = torch_kernels.make_kernel(
        net, rule=rule, schedule="checkerboard", n_temps=n_temps, chains=chains, kernel="triton"
    )
    assert isinstance(k, TritonMultispinKernel)
    return k


ZERO_T_CASES = {
    "square": ((4, 4), 0.0),
    "rect-ties": ((6, 4), 2.0),  # h = 0 where two neighbours disagree: ties keep the state
    "chain": ((8,), 0.0),
    "cubic-field": ((4, 2, 2), 1.0),
    "one-word-rows": ((4, 64), 0.0),  # 32 sites per colour row: whole words
    "two-word-rows": ((2, 128), 2.0),  # carries across words and around the row
}


@pytest.mark.parametrize("case", list(ZERO_T_CASES))
def test_zero_temperature_equals_reference(case):
    # one rule: the kernel has no rule of its own, only flip_tables, whose β = ∞ rows are
    # the same for both rules (and are held to the formulas below)
    rule = "glauber"
    shape, field = ZERO_T_CASES[case]
    net = sn.ising(shape, J=1.0, field=field)
    chains = 3
    spins = np.where(np.random.default_rng(0).random((2, chains, net.n)) < 0.5, 1, -1)
    spins = spins.astype(np.int8)
    betas = np.array([np.inf, np.inf])
    out = []
    for k in (
        reference.make_kernel(net, rule=rule, schedule="checkerboard", n_temps=2, chains=chains),
        multispin_kernel(net, rule, 2, chains),
    ):
        state, flips = k.step(k.init(spins, np.random.SeedSequence(7)), betas, 4)
        out.append((np.asarray(k.spins(state)), np.asarray(flips)))
    (ref_s, ref_f), (ms_s, ms_f) = out
    np.testing.assert_array_equal(ms_s, ref_s)
    np.testing.assert_array_equal(ms_f, ref_f)
    assert ref_f.sum() > 0  # the trajectories moved


def test_words_decode_to_the_spins():
    net = sn.ising((6, 128))
    k = multispin_kernel(net, "glauber", 2, 3)
    spins = np.where(np.random.default_rng(1).random((2, 3, net.n)) < 0.5, 1, -1).astype(np.int8)
    state = k.init(spins, np.random.SeedSequence(0))
    W = state.cache.reshape(6, 2, k.rows, k.nw)
    np.testing.assert_array_equal(k.unpack(W).numpy().reshape(spins.shape), spins)
    # the bit layout of the numba kernel: colour c, row r, spin k of the row → word k // 32
    x = 2 * 37 + (0 + 1 + 1) % 2  # row y = 1, colour 1, k = 37: word 1, bit 5
    bit = (int(W[0, 1, 1, 1]) >> 5) & 1
    assert 2 * bit - 1 == spins[0, 0, 1 * 128 + x]


def sweep_law(net, rule, beta, s0):
    """Exact law of the state after one checkerboard sweep (colour 0, then 1) from s0."""
    colors = net.lattice.colors()
    states = all_states(net.n).astype(np.float64)

    def factor(S, new, sites):  # P(new values at ``sites`` | the fields of S), per row of S
        h = net.local_field(S)[:, sites]
        s = S[:, sites]
        if rule == "glauber":
            p_up = glauber_probability(h, beta)
            p = np.where(new[:, sites] > 0, p_up, 1.0 - p_up)
        else:
            acc = metropolis_acceptance(2.0 * s * h, beta)
            p = np.where(new[:, sites] != s, acc, 1.0 - acc)
        return p.prod(axis=1)

    c0, c1 = np.flatnonzero(colors == 0), np.flatnonzero(colors == 1)
    start = np.broadcast_to(s0.astype(np.float64), states.shape)
    mid = start.copy()
    mid[:, c0] = states[:, c0]
    return factor(start, states, c0) * factor(mid, states, c1)


SWEEP_CASES = {
    "square-glauber": ((2, 4), 0.5, 0.0, "glauber"),
    "square-field-metropolis": ((2, 4), 0.5, 0.3, "metropolis"),
    "square-metropolis": ((2, 4), 0.5, 0.0, "metropolis"),
    "chain-field-glauber": ((8,), 0.5, 0.2, "glauber"),
    "cubic-metropolis": ((2, 2, 2), 0.3, 0.0, "metropolis"),
}


@pytest.fixture
def many_states(monkeypatch):
    """One interpreter program for thousands of states (the interpreter's cost is per op)."""
    monkeypatch.setattr(triton_multispin, "STATE_TILE", 1 << 13)
    monkeypatch.setattr(triton_multispin, "WORD_TILE", 4)
    monkeypatch.setattr(triton_multispin, "CODEC_STATE_TILE", 1 << 13)


@pytest.mark.parametrize("case", list(SWEEP_CASES))
def test_one_sweep_follows_the_exact_transition_law(case, many_states):
    # every (spin, aligned count) class of the lattice's field values is exercised: a
    # wrong threshold, bit order or neighbour word changes the law of some outcome
    shape, J, field, rule = SWEEP_CASES[case]
    net = sn.ising(shape, J=J, field=field)
    K = 1 << 13
    k = multispin_kernel(net, rule, 1, K)
    s0 = np.where(np.random.default_rng(3).random(net.n) < 0.5, 1, -1).astype(np.int8)
    state = k.init(np.broadcast_to(s0, (1, K, net.n)).copy(), np.random.SeedSequence(11))
    state, _ = k.step(state, [1.0], 1)
    counts = np.bincount(state_index(k.spins(state)[0]), minlength=2**net.n)
    law = sweep_law(net, rule, 1.0, s0)
    assert abs(law.sum() - 1.0) < 1e-12
    assert chi_square_pvalue(counts, law) > P_PASS
    assert chi_square_pvalue(counts, sweep_law(net, rule, 1.1, s0)) < P_FAIL


def test_boltzmann_distribution(many_states):
    net = sn.ising((2, 4), J=0.4, field=0.3)
    k = multispin_kernel(net, "glauber", 1, CHAINS)
    spins = np.where(np.random.default_rng(1).random((1, CHAINS, net.n)) < 0.5, 1, -1)
    state, _ = k.step(k.init(spins.astype(np.int8), np.random.SeedSequence(5)), [1.0], 16)
    counts = np.bincount(state_index(k.spins(state)[0]), minlength=2**net.n)
    assert chi_square_pvalue(counts, boltzmann(net, 1.0)) > P_PASS
    assert chi_square_pvalue(counts, boltzmann(net, 1.1)) < P_FAIL


@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_flip_tables_hold_the_rule_probabilities(rule, ndim):
    J, b, tol = 0.7, -0.25, 1e-9
    betas = [0.0, 0.3, 2.0, 40.0, np.inf]
    tab = triton_multispin.flip_tables(rule, ndim, J, b, betas, tol)
    D = 2 * ndim
    bits = tab[:, :64, :].astype(np.int64) & 1  # (n_T, 64, 16): 1 where the bit is set
    weights = 2.0 ** -np.arange(1, 65)
    for t, beta in enumerate(betas):
        for side, s in enumerate((1, -1)):
            for a in range(D + 1):
                col = 8 * side + a
                h = J * s * (2 * a - D) + b
                if np.isinf(beta):
                    want = 1.0 if (s * h < 0 and abs(h) > tol) else 0.0
                elif rule == "glauber":
                    p_up = float(glauber_probability(h, beta))
                    want = 1.0 - p_up if s > 0 else p_up
                else:
                    want = float(metropolis_acceptance(2.0 * s * h, beta))
                always, rand = tab[t, 64, col] == -1, tab[t, 65, col] == -1
                got = 1.0 if always else float(bits[t, :, col] @ weights) if rand else 0.0
                assert not (always and rand)
                assert abs(got - want) <= 1e-15 + 2.0**-64, (beta, side, a, got, want)


def test_same_seed_same_result_and_step_is_pure():
    net = sn.ising((4, 6), J=0.5, field=0.2)
    k = multispin_kernel(net, "glauber", 2, 5)
    spins = np.where(np.random.default_rng(0).random((2, 5, net.n)) < 0.5, 1, -1).astype(np.int8)
    runs = []
    for seed in (3, 3, 4):
        state = k.init(spins, np.random.SeedSequence(seed))
        a, fa = k.step(state, [0.7, 1.3], 2)
        b, fb = k.step(state, [0.7, 1.3], 2)  # the same input state again
        np.testing.assert_array_equal(k.spins(a), k.spins(b))
        np.testing.assert_array_equal(fa, fb)
        assert k.check_state(a) is None
        runs.append(k.spins(a))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_kernel_choice():
    def build(net, **kw):
        return torch_kernels.make_kernel(
            net, rule="glauber", schedule="checkerboard", n_temps=1, chains=2, kernel="triton",
            **kw,
        )  # fmt: skip

    assert isinstance(build(sn.ising((4, 6), field=0.5)), TritonMultispinKernel)
    assert isinstance(build(sn.ising((4, 6)), multispin=False), TritonCheckerboardKernel)
    for net in (
        sn.ising((4, 6), periodic=False),
        sn.ising((4, 5)),  # an odd side: not bipartite with wrap-around
        sn.ising((4, 68)),  # 34 sites per colour row: neither one word nor whole words
        sn.Network(sn.ising((4, 4)).couplings, bias=np.arange(16.0)),
    ):
        if net.lattice.bipartite:
            assert isinstance(build(net), TritonCheckerboardKernel)
    with pytest.raises(ValueError, match="'multispin'.* must be a bool"):
        build(sn.ising((4, 4)), multispin="yes")


def test_scan_compiles_a_bounded_number_of_kernels(monkeypatch):
    calls = []
    real = triton_common.launch

    def record(kernel, grid, *args, **meta):
        calls.append((kernel, args, meta))
        real(kernel, grid, *args, **meta)

    monkeypatch.setattr(triton_common, "launch", record)
    for L in (4, 6, 10):  # sizes, couplings, temperatures, seeds, both rules
        for J, rule in ((1.0, "glauber"), (0.3, "metropolis")):
            net = sn.ising((L, L), J=J)
            k = multispin_kernel(net, rule, 2, 3)
            state = k.init(np.ones((2, 3, net.n), dtype=np.int8), np.random.SeedSequence(L))
            k.step(state, [0.5 * L, np.inf], 2)
    keys = specialisation_keys(calls, KERNEL_DNS)
    # the sweep kernel (2-D, rows in one word, no field), pack and unpack
    assert len(calls) > 30
    assert len(keys) == 3, keys


KERNEL_DNS = {
    "multispin_half": triton_multispin.NO_SPECIALIZE,
    "pack_spins": triton_multispin.NO_SPECIALIZE_CODEC,
    "unpack_spins": triton_multispin.NO_SPECIALIZE_CODEC,
}


# -- the device record loop -----------------------------------------------------------------
RECORD_CASES = {
    "square-field-glauber": ((4, 4), 0.1, "glauber"),
    "rect-metropolis": ((6, 4), 0.0, "metropolis"),
    "chain-field-metropolis": ((8,), -0.2, "metropolis"),
    "cubic-glauber": ((4, 2, 4), 0.0, "glauber"),
    "words-glauber": ((2, 128), 0.3, "glauber"),  # rows of two whole words: carries
}


def _multispin_sampler(net, rule, T, chains):
    s = sn.sampler(net, T=T, chains=chains, schedule="checkerboard", dynamics=rule,
                   backend="torch", backend_options={"kernel": "triton"})  # fmt: skip
    assert isinstance(s.kernel, TritonMultispinKernel) and s.kernel.records_on_device
    return s


@pytest.mark.parametrize("case", list(RECORD_CASES))
def test_records_equal_a_python_loop_over_step(case):
    """Energies, magnetizations and q measured on the packed words equal numpy's measurement
    of the decoded spins of a loop over ``step`` (integers exactly, E to 1e-12). T = [0, 2.5]:
    a β = ∞ and a finite flip table in one run (the tables are per temperature)."""
    from tests.dynamics.test_torch_records import assert_records_equal_loop

    shape, field, rule = RECORD_CASES[case]
    net = sn.ising(shape, J=0.7, field=field)
    assert_records_equal_loop(_multispin_sampler(net, rule, [0.0, 2.5], 3), net)


@pytest.mark.filterwarnings("ignore::statnn.stats.diagnostics.ConvergenceWarning")
def test_simulate_reads_back_once_whatever_the_number_of_records(host_reads):  # noqa: F811
    net = sn.ising((4, 4), field=0.1)
    seen = []
    for sweeps in (2, 12):
        for key in host_reads:
            host_reads[key] = 0
        run = sn.simulate(net, T=[1.5, 2.5], sweeps=sweeps, chains=4, schedule="checkerboard",
                          backend="torch", backend_options={"kernel": "triton"}, seed=3,
                          burn_in=0)  # fmt: skip
        seen.append(dict(host_reads))
        assert run.energy.shape[-1] == sweeps
    assert seen[0] == seen[1]
    assert seen[0]["cpu"] == 1 and sum(seen[0].values()) == 2, seen[0]


@pytest.mark.filterwarnings("ignore::statnn.stats.diagnostics.ConvergenceWarning")
def test_simulate_through_the_record_loop_samples_boltzmann(many_states):
    net = sn.ising((2, 4), J=0.4, field=0.3)
    run = sn.simulate(net, T=1.0, sweeps=4, burn_in=16, chains=CHAINS, schedule="checkerboard",
                      backend="torch", backend_options={"kernel": "triton"}, seed=21,
                      record_every=2)  # fmt: skip
    counts = np.bincount(state_index(run.states[0]), minlength=2**net.n)
    assert chi_square_pvalue(counts, boltzmann(net, 1.0)) > P_PASS
    assert chi_square_pvalue(counts, boltzmann(net, 1.1)) < P_FAIL
    np.testing.assert_allclose(run.energy[..., -1], net.energy(run.states) / net.n, atol=1e-12)
    np.testing.assert_array_equal(run.magnetization[..., -1], run.states.mean(-1))


@pytest.mark.filterwarnings("ignore::statnn.stats.diagnostics.ConvergenceWarning")
def test_same_seed_same_records():
    net = sn.ising((4, 4), field=0.2)
    kw = dict(T=[1.5, 2.5], sweeps=6, burn_in=2, chains=4, schedule="checkerboard",
              backend="torch", backend_options={"kernel": "triton"}, record_every=2)  # fmt: skip
    runs = [sn.simulate(net, seed=seed, **kw) for seed in (21, 21, 22)]
    for field in ("energy", "magnetization", "replica_overlap", "states", "acceptance"):
        np.testing.assert_array_equal(getattr(runs[0], field), getattr(runs[1], field))
    assert not np.array_equal(runs[0].states, runs[2].states)


@pytest.mark.filterwarnings("ignore::statnn.stats.diagnostics.ConvergenceWarning")
def test_tempering_in_the_record_loop_samples_boltzmann_at_every_temperature(many_states):
    """Replica exchange in the device record loop: the kernel reads each state's flip table
    through its temperature index, rewritten when labels swap (final states of the three
    temperatures against enumeration; with the index left unchanged every p-value is
    below 1e-30)."""
    net = sn.ising((2, 4), J=0.4, field=0.3)
    T = np.array([0.6, 1.0, 1.7])
    run = sn.simulate(net, T=T, sweeps=3, burn_in=10, chains=1500, schedule="checkerboard",
                      backend="torch", backend_options={"kernel": "triton"}, seed=21,
                      tempering=True, record_every=1)  # fmt: skip
    assert np.all((0.05 < run.swap_acceptance) & (run.swap_acceptance < 0.95))
    for t, temperature in enumerate(T):
        counts = np.bincount(state_index(run.states[t]), minlength=2**net.n)
        assert chi_square_pvalue(counts, boltzmann(net, 1.0 / temperature)) > P_PASS
    np.testing.assert_allclose(run.energy[..., -1], net.energy(run.states) / net.n, atol=1e-12)
    np.testing.assert_array_equal(
        run.replica_overlap[..., -1], (run.states[:, 0::2] * run.states[:, 1::2]).mean(-1)
    )
