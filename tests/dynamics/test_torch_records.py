"""The torch backend's record loop (``TorchKernel.record``) on the CPU.

Independent truths: a plain Python loop over ``step`` on the same torch state, measured
with numpy (``Network.energy``, means, pattern overlaps) — the records must equal it
(integers exactly, energies to 1e-12 per neuron in float64); exact enumeration of the
Boltzmann distribution (chi-square of the states ``simulate`` ends in, which must fail at
1.1 β); and counted host reads: the loop reads nothing back, ``simulate`` makes one
device → host copy whatever the number of records.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import statnn as sn
from tests.statistical.test_boltzmann import (
    P_FAIL,
    P_PASS,
    boltzmann,
    chi_square_pvalue,
    state_index,
)

torch = pytest.importorskip("torch")
import statnn.dynamics.torch.fields as torch_fields  # noqa: E402

# short runs: the convergence diagnostics of simulate are beside the point here
pytestmark = pytest.mark.filterwarnings("ignore::statnn.stats.diagnostics.ConvergenceWarning")


def _xi(p=3, n=40, seed=0):
    return np.where(np.random.default_rng(seed).random((p, n)) < 0.5, -1, 1)


def _sparse(n=30):
    A = sp.triu(sp.random(n, n, density=0.2, random_state=1), k=1)
    return sn.Network(sp.csr_array(A + A.T), bias=0.1)


def _site_fields():
    lat = sn.ising((4, 6), J=0.7)
    return sn.Network(lat.couplings, bias=np.linspace(-0.5, 0.5, 24))


#: name: (network, schedule, rule, backend options)
CASES = {
    "checkerboard-periodic": (lambda: sn.ising((6, 4), field=0.1), "checkerboard", "glauber", {}),
    "checkerboard-open-3d": (
        lambda: sn.ising((3, 4, 2), J=0.7, periodic=False),
        "checkerboard",
        "metropolis",
        {},
    ),
    "checkerboard-site-fields": (_site_fields, "checkerboard", "glauber", {}),
    "lattice-random": (lambda: sn.ising((6, 6), field=0.3), "random", "metropolis", {}),
    "lattice-synchronous": (lambda: sn.ising(12), "synchronous", "glauber", {}),
    "dense64-permuted": (lambda: sn.sk(30, seed=1), "permuted", "glauber", {"block_size": 7}),
    "dense32-sequential": (
        lambda: sn.sk(30, seed=1, dtype=np.float32),
        "sequential",
        "metropolis",
        {},
    ),
    "dense-synchronous": (lambda: sn.sk(20, seed=2), "synchronous", "glauber", {}),
    "sparse-random": (_sparse, "random", "glauber", {}),
    "patterns-random": (
        lambda: sn.Network(sn.PatternCouplings(_xi()), bias=0.05),
        "random",
        "metropolis",
        {"block_size": 16},
    ),
    "patterns-int8": (
        lambda: sn.hopfield(_xi(5, 48)),
        "sequential",
        "glauber",
        {"pattern_mode": "int8", "block_size": 8},
    ),
    "patterns-synchronous": (lambda: sn.hopfield(_xi()), "synchronous", "glauber", {}),
    "dense-memory-poly3": (
        lambda: sn.dense_memory(_xi(4, 24), interaction="poly", degree=3),
        "sequential",
        "glauber",
        {},
    ),
    "dense-memory-exp": (
        lambda: sn.dense_memory(_xi(4, 24), interaction="exp", beta=0.3),
        "permuted",
        "metropolis",
        {},
    ),
    "dense-memory-synchronous": (
        lambda: sn.dense_memory(_xi(4, 24), interaction="poly", degree=4),
        "synchronous",
        "glauber",
        {},
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
            out["overlaps"].append(net.couplings.overlaps(spins))
        pairs = s.chains // 2
        a, b = spins[:, 0 : 2 * pairs : 2], spins[:, 1 : 2 * pairs : 2]
        out["q"].append((a * b).mean(axis=-1))
    return state, {
        k: np.stack(v, axis=2) if isinstance(v, list) and v else v for k, v in out.items()
    }


def assert_records_equal_loop(s, net, n_records=5, every=2, burn_in=3, dense32=False):
    state = s.init("random", seed=4)
    before = s.spins(state), state.rng.get_state().clone()
    new, rec = s.kernel.record(state, s.betas, n_records=n_records, every=every, burn_in=burn_in)
    ref_state, ref = _python_loop(s, net, state, n_records, every, burn_in)
    # the input state is left alone
    np.testing.assert_array_equal(s.spins(state), before[0])
    assert torch.equal(state.rng.get_state(), before[1])
    # integer-valued records exactly, energies to rounding (float32 fields: their precision)
    np.testing.assert_array_equal(rec.magnetization, ref["magnetization"])
    np.testing.assert_array_equal(rec.flips, ref["flips"])
    if s.chains > 1:
        np.testing.assert_array_equal(rec.replica_overlap, ref["q"])
    else:
        assert rec.replica_overlap is None
    if net.patterns is not None:
        np.testing.assert_array_equal(rec.overlaps, ref["overlaps"])
    else:
        assert rec.overlaps is None
    np.testing.assert_allclose(rec.energy, ref["energy"], rtol=0, atol=1e-6 if dense32 else 1e-12)
    np.testing.assert_array_equal(s.spins(new), s.spins(ref_state))
    assert torch.equal(new.rng.get_state(), ref_state.rng.get_state())
    assert new.sweep == ref_state.sweep
    assert rec.flips.sum() > 0 or not np.isfinite(s.betas).any()
    return rec


@pytest.mark.parametrize("T", [0.0, 1.5], ids=["T0", "T1.5"])
@pytest.mark.parametrize("name", list(CASES))
def test_records_equal_a_python_loop_over_step(name, T):
    make, schedule, rule, options = CASES[name]
    net = make()
    s = sn.sampler(
        net, T=[T, 2.5], chains=3, schedule=schedule, dynamics=rule, backend="torch",
        backend_options=options,
    )  # fmt: skip
    assert_records_equal_loop(s, net, dense32=name.startswith("dense32"))


def test_int8_pattern_case_takes_the_int8_product():
    make, schedule, rule, options = CASES["patterns-int8"]
    s = sn.sampler(make(), T=1.0, chains=18, schedule=schedule, backend="torch",
                   backend_options=options)  # fmt: skip
    f = s.kernel.fields
    assert isinstance(f, torch_fields.PatternFields) and f._int_ok(s.kernel.K, s.kernel.B)
    assert_records_equal_loop(s, s.net)


def test_records_with_one_chain_and_no_burn_in():
    net = sn.ising((4, 4))
    s = sn.sampler(net, T=2.0, chains=1, backend="torch")
    assert_records_equal_loop(s, net, n_records=4, every=1, burn_in=0)


def test_energy_from_dense_float64_fields_does_not_drift():
    """300 sweeps at high T (many flips, a field refresh every 50 sweeps): the energy from
    the cached fields stays within 1e-12 per neuron of the numpy energy of the same states."""
    net = sn.sk(60, seed=3)
    s = sn.sampler(net, T=3.0, chains=2, backend="torch")
    state = s.init("random", seed=1)
    _, rec = s.kernel.record(state, s.betas, n_records=300, every=1)
    _, ref = _python_loop(s, net, state, 300, 1, 0)
    assert rec.flips.sum() > 10_000
    assert np.abs(rec.energy - ref["energy"]).max() < 1e-12


# -- host reads -----------------------------------------------------------------------------
_READS = ("item", "cpu", "numpy", "tolist", "__bool__", "__float__", "__int__", "__index__")


@pytest.fixture
def host_reads(monkeypatch):
    """Counts of the tensor methods that read values back to the host."""
    counts = dict.fromkeys(_READS, 0)
    for name in _READS:
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _name=name, _original=original, **kw):
            counts[_name] += 1
            return _original(self, *args, **kw)

        monkeypatch.setattr(torch.Tensor, name, counted)
    return counts


SYNC_CASES = ["checkerboard-periodic", "lattice-random", "dense64-permuted", "patterns-random",
              "patterns-synchronous", "checkerboard-site-fields",
              "dense-memory-poly3"]  # fmt: skip
# (the dense-memory kernel reads its site order back once per sweep under the random and
# permuted schedules: its fixed order is counted here)


@pytest.mark.parametrize("name", SYNC_CASES)
def test_simulate_reads_back_once_whatever_the_number_of_records(name, host_reads):
    """``simulate`` on the torch backend: the record loop reads nothing back (the counts do
    not grow with the number of records) and the whole call makes one device → host copy
    (one ``cpu()``, whose result ``numpy()`` views); no scalar read at the C++ level either
    (``aten::_local_scalar_dense``, what ``item``/``bool``/``float`` run)."""
    make, schedule, rule, options = CASES[name]
    net = make()
    seen = []
    for sweeps in (2, 40):
        for key in host_reads:
            host_reads[key] = 0
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            run = sn.simulate(
                net, T=[1.5, 2.5], sweeps=sweeps, chains=4, schedule=schedule, dynamics=rule,
                backend="torch", backend_options=options, seed=3, record_every=1,
            )  # fmt: skip
        scalar_reads = sum(  # the raw events: key_averages() costs seconds per 10⁵ ops
            e.name() == "aten::_local_scalar_dense" for e in prof.profiler.kineto_results.events()
        )
        seen.append((dict(host_reads), scalar_reads))
        assert run.energy.shape[-1] == sweeps
    assert seen[0] == seen[1]
    counts, scalar_reads = seen[0]
    assert counts["cpu"] == 1 and counts["numpy"] == 1, counts
    assert sum(counts.values()) == 2, counts
    assert scalar_reads == 0


def test_step_reads_back_only_its_flips(host_reads):
    s = sn.sampler(sn.sk(20, seed=1), T=[0.0, 1.0], chains=2, backend="torch")
    state = s.init(seed=0)
    s.step(state, 5)
    assert host_reads["cpu"] == 1 and sum(host_reads.values()) == 2, host_reads


# -- simulate on the record loop ------------------------------------------------------------
def test_simulate_runs_the_record_loop_and_matches_the_final_states():
    net = sn.hopfield(_xi())
    run = sn.simulate(net, T=[0.5, 1.0], sweeps=12, burn_in=4, chains=4, backend="torch",
                      seed=8, record_every=3)  # fmt: skip
    # the last record is the final state's (the states come back with the records)
    np.testing.assert_allclose(run.energy[..., -1], net.energy(run.states) / net.n, atol=1e-12)
    np.testing.assert_array_equal(run.overlaps[..., -1, :], net.couplings.overlaps(run.states))
    np.testing.assert_array_equal(run.magnetization[..., -1], run.states.mean(-1))
    again = sn.simulate(net, T=[0.5, 1.0], sweeps=12, burn_in=4, chains=4, backend="torch",
                        seed=8, record_every=3)  # fmt: skip
    for field in ("energy", "magnetization", "overlaps", "replica_overlap", "states", "acceptance"):
        np.testing.assert_array_equal(getattr(run, field), getattr(again, field))


def test_kept_host_spins_follow_in_place_changes():
    s = sn.sampler(sn.ising((4, 4)), T=2.0, chains=2, backend="torch")
    new, _ = s.kernel.record(s.init(seed=1), s.betas, n_records=2, every=1)
    first = s.spins(new)
    new.spins.mul_(-1)  # an in-place change bumps the tensor's version: read it again
    np.testing.assert_array_equal(s.spins(new), -first)


BOLTZMANN = {
    "dense-sequential": (lambda: sn.Network(*_dense6()), "sequential"),
    "patterns-random": (
        lambda: sn.Network(sn.PatternCouplings(_xi(2, 6, seed=5), scale=0.15), bias=0.2),
        "random",
    ),
    "lattice-checkerboard": (lambda: sn.ising((2, 4), J=0.5, field=0.2), "checkerboard"),
}


def _dense6():
    rng = np.random.default_rng(3)
    J = np.triu(rng.normal(0.0, 0.45, size=(6, 6)), 1)
    return J + J.T, rng.normal(0.0, 0.4, size=6)


@pytest.mark.parametrize("name", list(BOLTZMANN))
def test_simulate_samples_boltzmann_through_the_record_loop(name):
    """Final states of ``simulate`` (torch backend, record loop) at two temperatures against
    exact enumeration; the test must reject 1.1 β at the lower one. The recorded energies of
    the last record are those of the final states."""
    make, schedule = BOLTZMANN[name]
    net = make()
    T = np.array([1.0, 2.0])
    run = sn.simulate(net, T=T, sweeps=20, burn_in=60, chains=4000, schedule=schedule,
                      backend="torch", seed=11, record_every=5)  # fmt: skip
    for t, temperature in enumerate(T):
        counts = np.bincount(state_index(run.states[t]), minlength=2**net.n)
        assert chi_square_pvalue(counts, boltzmann(net, 1.0 / temperature)) > P_PASS
        if t == 0:
            assert chi_square_pvalue(counts, boltzmann(net, 1.1 / temperature)) < P_FAIL
    np.testing.assert_allclose(run.energy[..., -1], net.energy(run.states) / net.n, atol=1e-12)


def test_tempering_and_auto_burn_in_on_torch():
    """Tempering (exchanges on the device) and auto burn-in run through the record loop:
    both give records of the states they end in (labelled by temperature)."""
    net = sn.ising((4, 4))
    run = sn.simulate(net, T=[1.5, 2.5, 3.5], sweeps=20, chains=2, backend="torch",
                      tempering=True, seed=1)  # fmt: skip
    assert run.swap_acceptance.shape == (2,) and np.all(run.swap_acceptance > 0)
    np.testing.assert_allclose(run.energy[..., -1], net.energy(run.states) / net.n, atol=1e-12)
    run = sn.simulate(net, T=2.0, sweeps=20, chains=4, backend="torch", burn_in="auto", seed=1)
    assert run.params["burn_in_sweeps"] > 0
    np.testing.assert_allclose(run.energy[..., -1], net.energy(run.states) / net.n, atol=1e-12)
