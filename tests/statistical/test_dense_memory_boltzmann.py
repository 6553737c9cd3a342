"""Exact enumeration: the dense-memory kernels sample exp(−β E(S)) / Z.

E(S) = −Σ_μ F(ξ^μ · S) − b · S for F(x) ∝ x^3, x^4 and e^{β_F x}, N = 6 neurons, all 64
states enumerated. Final states of many chains pass a chi-square test against the
Boltzmann distribution at β and fail it at 1.1 β (the method of test_boltzmann.py).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import statnn as sn
from tests.statistical.test_boltzmann import chi_square_pvalue

CHAINS = 10_000
BURN_IN = 60
P_PASS = 1e-4  # the kernel agrees with Boltzmann at β
P_FAIL = 1e-6  # ... and the test has the power to reject 1.1 β


def boltzmann(net: sn.Network, beta: float) -> np.ndarray:
    states = np.array(list(itertools.product([-1, 1], repeat=net.n)), dtype=np.int8)
    energies = net.energy(states)
    w = np.exp(-beta * (energies - energies.min()))
    return w / w.sum()


def assert_boltzmann(net, T, spins):
    index = (spins > 0).astype(np.int64) @ (1 << np.arange(net.n)[::-1])
    counts = np.bincount(index, minlength=2**net.n)
    p_right = chi_square_pvalue(counts, boltzmann(net, 1.0 / T))
    p_wrong = chi_square_pvalue(counts, boltzmann(net, 1.1 / T))
    assert p_right > P_PASS, f"samples disagree with Boltzmann at beta (p = {p_right:.2e})"
    assert p_wrong < P_FAIL, f"test cannot tell beta from 1.1 beta (p = {p_wrong:.2e})"


BACKENDS = ("numpy", "numba", "torch")


def needs(backend):
    if backend == "torch":
        pytest.importorskip("torch")


def dense_networks() -> dict[str, tuple[sn.Network, float]]:
    rng = np.random.default_rng(7)
    xi = np.where(rng.random((3, 6)) < 0.5, 1, -1)
    bias = rng.normal(0.0, 0.3, 6)
    return {
        # temperatures near the maximum of β² Var(E), where 1.1 β is easiest to reject
        "poly3": (sn.dense_memory(xi, "poly", degree=3, bias=bias), 0.45),
        "poly4": (sn.dense_memory(xi, "poly", degree=4, bias=bias), 0.3),
        "exp": (sn.dense_memory(xi, "exp", beta=0.5, bias=bias), 0.45),
    }


NETWORKS = dense_networks()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(NETWORKS))
@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
def test_dense_memory_samples_boltzmann(backend, name, rule):
    needs(backend)
    net, T = NETWORKS[name]
    s = sn.sampler(net, T=T, chains=CHAINS, dynamics=rule, backend=backend)
    state, _ = s.step(s.init("random", seed=31), BURN_IN)
    assert_boltzmann(net, T, s.spins(state)[0])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("schedule", ["sequential", "permuted"])
def test_dense_memory_schedules_sample_boltzmann(backend, schedule):
    needs(backend)
    net, T = NETWORKS["poly3"]
    s = sn.sampler(net, T=T, chains=CHAINS, schedule=schedule, backend=backend)
    state, _ = s.step(s.init("random", seed=32), BURN_IN)
    assert_boltzmann(net, T, s.spins(state)[0])


@pytest.mark.filterwarnings("ignore::statnn.stats.diagnostics.ConvergenceWarning")  # 1 record
@pytest.mark.parametrize("name", ["poly4", "exp"])
def test_simulate_records_sample_the_boltzmann_energy_distribution(name):
    """Through ``simulate`` (numba: the compiled record loop), the energy recorded last in
    each chain is distributed as E under exp(−βE)/Z, enumerated; and not at 1.1 β."""
    net, T = NETWORKS[name]
    run = sn.simulate(
        net, T=T, sweeps=5, burn_in=BURN_IN, record_every=5, chains=CHAINS, seed=33,
        backend="numba",
    )  # fmt: skip
    recorded = run.energy[0, :, -1] * net.n  # (chains,) total energies, one per chain
    states = np.array(list(itertools.product([-1, 1], repeat=net.n)), dtype=np.int8)
    levels, level_of = np.unique(np.round(net.energy(states), 9), return_inverse=True)
    where = np.searchsorted(levels, np.round(recorded, 9))
    assert np.allclose(levels[where], recorded, atol=1e-9)  # every record is an energy level
    counts = np.bincount(where, minlength=len(levels))
    p = {b: np.bincount(level_of, weights=boltzmann(net, b), minlength=len(levels))
         for b in (1.0 / T, 1.1 / T)}  # fmt: skip
    assert chi_square_pvalue(counts, p[1.0 / T]) > P_PASS
    assert chi_square_pvalue(counts, p[1.1 / T]) < P_FAIL


def test_torch_has_no_triton_dense_memory_kernel():
    pytest.importorskip("torch")
    net, T = NETWORKS["poly3"]
    with pytest.raises(sn.errors.ValidationError, match="no Triton kernel"):
        sn.sampler(net, T=T, backend="torch", backend_options={"kernel": "triton"})
