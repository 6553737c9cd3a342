"""Exact enumeration: every backend × rule × schedule samples exp(−β E(S)) / Z.

For N ≤ 8 all 2^N states are enumerated; many independent chains are run from random
states past their mixing time and their final states are compared with the Boltzmann
distribution of ``net.energy`` by a chi-square test. The same samples must *fail* the test
against the distribution at 1.1 β: a kernel with β off by 10 % fails loudly.

The synchronous schedule is excepted: Little dynamics updates all spins at once, its
stationary distribution is Peretto's ∝ Π_i 2cosh(β h_i(S)) e^{β b·S}, not the Boltzmann
distribution of E (it is tested against that below).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats

import statnn as sn

CHAINS = 4_000
BURN_IN = 60
P_PASS = 1e-4  # the kernel agrees with Boltzmann at β
P_FAIL = 1e-6  # ... and the test has the power to reject 1.1 β


def all_states(n: int) -> np.ndarray:
    return np.array(list(itertools.product([-1, 1], repeat=n)), dtype=np.int8)


def state_index(spins: np.ndarray) -> np.ndarray:
    """Index of each ±1 state in the ordering of :func:`all_states`."""
    bits = (spins > 0).astype(np.int64)
    return bits @ (1 << np.arange(spins.shape[-1])[::-1])


def chi_square_pvalue(counts: np.ndarray, probabilities: np.ndarray) -> float:
    """Chi-square goodness of fit, pooling the states whose expected count is below 5."""
    expected = probabilities * counts.sum()
    small = expected < 5
    obs = np.append(counts[~small], counts[small].sum())
    exp = np.append(expected[~small], expected[small].sum())
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    return float(stats.chisquare(obs, exp).pvalue)


def boltzmann(net: sn.Network, beta: float) -> np.ndarray:
    energies = net.energy(all_states(net.n))
    w = np.exp(-beta * (energies - energies.min()))
    return w / w.sum()


def random_symmetric(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    J = rng.normal(0.0, 0.45, size=(n, n))
    J = np.triu(J, 1)
    return J + J.T, rng.normal(0.0, 0.4, size=n)


def networks() -> dict[str, sn.Network]:
    J, b = random_symmetric(6, seed=3)
    rng = np.random.default_rng(5)
    xi = np.where(rng.random((2, 6)) < 0.5, 1, -1)
    hebbian = sn.Network(sn.PatternCouplings(xi, scale=0.15), bias=rng.normal(0, 0.3, 6))
    return {
        "dense64": sn.Network(J, bias=b),
        "dense32": sn.Network(J.astype(np.float32), bias=b),
        "sparse": sn.Network(sp.csr_array(np.where(np.abs(J) > 0.3, J, 0.0)), bias=b),
        "patterns": hebbian,
        "lattice": sn.ising((2, 3), J=0.5, field=0.2, periodic=False),
    }


NETWORKS = networks()
SINGLE_SITE = ("random", "sequential", "permuted")


def final_states(net, T, backend, rule, schedule, seed):
    s = sn.sampler(net, T=T, chains=CHAINS, dynamics=rule, schedule=schedule, backend=backend)
    state = s.init("random", seed=seed)
    state, _ = s.step(state, BURN_IN)
    return s.spins(state)[0]


def assert_boltzmann(net, T, spins):
    counts = np.bincount(state_index(spins), minlength=2**net.n)
    p_right = chi_square_pvalue(counts, boltzmann(net, 1.0 / T))
    p_wrong = chi_square_pvalue(counts, boltzmann(net, 1.1 / T))
    assert p_right > P_PASS, f"samples disagree with Boltzmann at beta (p = {p_right:.2e})"
    assert p_wrong < P_FAIL, f"test cannot tell beta from 1.1 beta (p = {p_wrong:.2e})"


@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
@pytest.mark.parametrize("schedule", SINGLE_SITE)
def test_dense_couplings_sample_boltzmann(backend, rule, schedule):
    net = NETWORKS["dense64"]
    assert_boltzmann(net, 1.0, final_states(net, 1.0, backend, rule, schedule, seed=11))


@pytest.mark.parametrize("name", ["dense32", "sparse", "patterns"])
@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
def test_other_representations_sample_boltzmann(backend, name, rule):
    net = NETWORKS[name]
    assert_boltzmann(net, 0.8, final_states(net, 0.8, backend, rule, "random", seed=12))


@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
@pytest.mark.parametrize("schedule", ["checkerboard", "random"])
def test_lattice_samples_boltzmann(backend, rule, schedule):
    net = NETWORKS["lattice"]
    assert_boltzmann(net, 0.7, final_states(net, 0.7, backend, rule, schedule, seed=13))


def test_synchronous_samples_peretto_not_boltzmann(backend):
    """Little dynamics: stationary P(S) ∝ Π_i 2cosh(β h_i(S)) · exp(β Σ_i b_i S_i) (Peretto 1984)."""
    net = NETWORKS["dense64"]
    beta = 1.0
    spins = final_states(net, 1.0 / beta, backend, "glauber", "synchronous", seed=14)
    counts = np.bincount(state_index(spins), minlength=2**net.n)
    states = all_states(net.n)
    coupling_field = net.couplings.field(states)
    log_w = np.log(2 * np.cosh(beta * (coupling_field + net.bias))).sum(axis=1)
    log_w += beta * states @ net.bias
    peretto = np.exp(log_w - log_w.max())
    peretto /= peretto.sum()
    assert chi_square_pvalue(counts, peretto) > P_PASS
    assert chi_square_pvalue(counts, boltzmann(net, beta)) < P_FAIL


def test_temperature_vector_samples_each_temperature(backend):
    net = NETWORKS["dense64"]
    T = [0.7, 1.5]
    s = sn.sampler(net, T=T, chains=CHAINS, backend=backend)
    state, _ = s.step(s.init("random", seed=21), BURN_IN)
    spins = s.spins(state)
    for t, temperature in enumerate(T):
        assert_boltzmann(net, temperature, spins[t])
