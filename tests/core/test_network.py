"""The network abstraction: representations agree, the seed-004 convention, energy laws."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import statnn as sn
from statnn.errors import AsymmetricCouplingsError, ValidationError


def random_spins(shape, seed):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, 1, -1).astype(np.int8)


def dense_reference_energy(J, b, S):
    """E = −½ Σ_{i≠j} J_ij S_i S_j − Σ_i b_i S_i, written as the double sum."""
    n = len(b)
    e = 0.0
    for i in range(n):
        for j in range(n):
            if i != j:
                e -= 0.5 * J[i, j] * S[i] * S[j]
    return e - float(b @ S)


@pytest.mark.parametrize(
    "couplings",
    [
        sn.LatticeCouplings((5,), J=0.7, periodic=True),
        sn.LatticeCouplings((4, 3), J=1.3, periodic=False),
        sn.LatticeCouplings((2, 4), J=1.0, periodic=True),
        sn.LatticeCouplings((3, 2, 4), J=-0.5, periodic=True),
        sn.LatticeCouplings((2, 3, 2), J=0.9, periodic=False),
        sn.PatternCouplings(random_spins((3, 11), 0)),
        sn.PatternCouplings(random_spins((4, 9), 1), scale=0.37),
    ],
    ids=repr,
)
def test_representations_agree_with_their_dense_matrix(couplings):
    """Stencil and pattern form give the fields and energies of their n × n matrix."""
    J = couplings.to_dense()
    assert np.all(np.diag(J) == 0)
    np.testing.assert_allclose(J, J.T)
    b = np.random.default_rng(2).normal(size=couplings.n)
    S = random_spins((3, 2, couplings.n), 3)
    nets = [
        sn.Network(couplings, bias=b),
        sn.Network(J, bias=b),
        sn.Network(J.astype(np.float32), bias=b),
        sn.Network(sp.csr_array(J), bias=b),
    ]
    fields = [net.local_field(S) for net in nets]
    energies = [net.energy(S) for net in nets]
    for f, e in zip(fields[1:], energies[1:], strict=True):
        np.testing.assert_allclose(f, fields[0], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(e, energies[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(fields[0], S @ J.T + b, atol=1e-12)
    flat = S.reshape(-1, couplings.n)
    sites = np.random.default_rng(4).integers(0, couplings.n, len(flat))
    for net in nets:
        at = net.couplings.field_at(flat, sites)
        np.testing.assert_allclose(at, (flat @ J.T)[np.arange(len(flat)), sites], atol=1e-5)
    assert nets[0].energy(S[0, 0]) == pytest.approx(dense_reference_energy(J, b, S[0, 0]))


def test_periodic_lattice_neighbours():
    lat = sn.LatticeCouplings((4, 4), periodic=True)
    J = lat.to_dense()
    assert np.all(J.sum(axis=1) == 4)
    assert J[0, 3] == 1 and J[0, 12] == 1 and J[0, 5] == 0
    open_lat = sn.LatticeCouplings((4, 4), periodic=False)
    assert open_lat.to_dense().sum(axis=1)[0] == 2  # a corner has two neighbours
    assert not sn.LatticeCouplings((3, 4)).bipartite and open_lat.bipartite


def test_ising_energy_of_ordered_states():
    net = sn.ising((6, 6), J=1.0, field=0.25)
    up = np.ones(36, dtype=np.int8)
    assert net.energy(up) == pytest.approx(-2 * 36 - 0.25 * 36)  # 2 bonds per site
    assert net.energy(-up) == pytest.approx(-2 * 36 + 0.25 * 36)


def test_hebbian_pattern_form_matches_outer_product_rule():
    xi = random_spins((5, 40), 7)
    net = sn.hopfield(xi)
    J = xi.T.astype(float) @ xi / 40
    np.fill_diagonal(J, 0)
    np.testing.assert_allclose(net.couplings.to_dense(), J)
    assert net.patterns is not None and net.patterns.dtype == np.int8
    np.testing.assert_allclose(net.couplings.overlaps(xi), xi @ xi.T / 40)


def test_sk_and_curie_weiss_couplings():
    net = sn.sk(400, seed=1)
    J = net.couplings.to_dense()
    upper = J[np.triu_indices(400, 1)]
    assert net.symmetric and np.all(np.diag(J) == 0)
    assert np.var(upper) * 400 == pytest.approx(1.0, rel=0.02)
    assert stats.normaltest(upper).pvalue > 1e-3
    pm = sn.sk(50, seed=2, distribution="pm1").couplings.to_dense()
    assert set(np.round(np.abs(pm[np.triu_indices(50, 1)]) * np.sqrt(50), 12)) == {1.0}
    np.testing.assert_array_equal(sn.sk(30, seed=5).couplings.J, sn.sk(30, seed=5).couplings.J)
    cw = sn.curie_weiss(20, J=1.5)
    expected = np.full((20, 20), 1.5 / 20)
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(cw.couplings.to_dense(), expected)


def test_from_neural_reproduces_seed_004_equation_2():
    """P(S_i = +1 | rest) = 1/(1 + exp(−4β h_i)), h_i = Σ_j J_ij n_j − θ_i, n_j = (S_j+1)/2."""
    rng = np.random.default_rng(8)
    n, beta = 7, 0.6
    J = rng.normal(size=(n, n))
    np.fill_diagonal(J, 0)  # asymmetric on purpose: eq. (2) does not need symmetry
    theta = rng.normal(size=n)
    net = sn.Network.from_neural(J, theta)
    S = random_spins((50, n), 9)
    membrane = ((S + 1) / 2) @ J.T - theta
    seed_probability = 1 / (1 + np.exp(-4 * beta * membrane))
    spin_probability = sn.core.neurons.glauber_probability(net.local_field(S), beta)
    np.testing.assert_allclose(spin_probability, seed_probability, rtol=1e-13, atol=1e-15)
    # and the dynamics uses it: neuron 0 is the first update of a sequential sweep
    state0 = S[0]
    s = sn.sampler(
        net,
        T=1 / beta,
        chains=40_000,
        schedule="sequential",
        allow_asymmetric=True,
        backend="numpy",
    )
    state, _ = s.step(s.init(init=state0, seed=1), 1)
    first = s.spins(state)[0, :, 0]  # neuron 0 is updated first, from state0
    p_hat = np.mean(first == 1)
    p = seed_probability[0, 0]
    assert abs(p_hat - p) < 5 * np.sqrt(p * (1 - p) / 40_000)
    # the seed's energy: E(S_i = −1) − E(S_i = +1) = 4 h_i(membrane) for symmetric J
    Jsym = J + J.T
    net_sym = sn.Network.from_neural(Jsym, theta)
    membrane_sym = ((S + 1) / 2) @ Jsym.T - theta
    for i in range(n):
        up, down = S.copy(), S.copy()
        up[:, i], down[:, i] = 1, -1
        np.testing.assert_allclose(
            net_sym.energy(down) - net_sym.energy(up), 4 * membrane_sym[:, i]
        )


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(3, 12),
    seed=st.integers(0, 2**31 - 1),
    schedule=st.sampled_from(["random", "sequential", "permuted"]),
    rule=st.sampled_from(["glauber", "metropolis"]),
)
def test_zero_temperature_energy_never_increases(n, seed, schedule, rule):
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(size=(n, n)), 1)
    net = sn.Network(J + J.T, bias=rng.normal(size=n))
    s = sn.sampler(net, T=0.0, chains=8, schedule=schedule, dynamics=rule, backend="numpy")
    state = s.init("random", seed=seed)
    energy = net.energy(s.spins(state))
    for _ in range(6):
        state, _ = s.step(state, 1)
        new = net.energy(s.spins(state))
        assert np.all(new <= energy + 1e-9)
        energy = new


def test_stored_patterns_are_fixed_points_at_small_load(backend):
    xi = random_spins((3, 300), 10)
    net = sn.hopfield(xi)
    for mu in range(3):
        run = sn.simulate(
            net, T=0.0, sweeps=3, burn_in=0, chains=2, init=mu, seed=mu, backend=backend
        )
        np.testing.assert_array_equal(run.states[0, 0], xi[mu])
        assert run.overlaps[0, 0, -1, mu] == 1.0


def test_zero_field_keeps_state_at_zero_temperature(backend):
    net = sn.Network(np.zeros((4, 4)))
    for rule in ("glauber", "metropolis"):
        s = sn.sampler(net, T=0.0, chains=3, dynamics=rule, backend=backend)
        state = s.init("random", seed=4)
        start = s.spins(state)
        state, info = s.step(state, 5)
        np.testing.assert_array_equal(s.spins(state), start)
        assert np.all(info.flips == 0)


def test_same_seed_same_result_and_chains_differ(backend):
    net = sn.sk(30, seed=1)
    runs = [
        sn.simulate(net, T=[0.5, 1.0], sweeps=20, burn_in=5, chains=3, seed=9, backend=backend)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0].states, runs[1].states)
    np.testing.assert_array_equal(runs[0].energy, runs[1].energy)
    assert not np.array_equal(runs[0].states[0, 0], runs[0].states[0, 1])


def test_asymmetric_couplings_refused_where_energy_is_needed():
    J = np.array([[0.0, 1.0], [0.2, 0.0]])
    net = sn.Network(J)
    assert not net.symmetric
    with pytest.raises(AsymmetricCouplingsError, match="symmetric"):
        net.energy(np.array([1, 1]))
    with pytest.raises(AsymmetricCouplingsError, match="allow_asymmetric"):
        sn.simulate(net, T=1.0, sweeps=2)
    with pytest.raises(AsymmetricCouplingsError):
        sn.sampler(net, T=1.0, dynamics="metropolis")
    sn.sampler(net, T=1.0)  # Glauber dynamics itself needs no energy
    assert net.energy(np.array([1, 1]), allow_asymmetric=True) == pytest.approx(-0.6)
    with pytest.warns(RuntimeWarning, match="symmetric part"):
        sn.simulate(net, T=1.0, sweeps=2, allow_asymmetric=True)


BAD_INPUTS = [
    (lambda: sn.Network(np.ones((3, 4))), "'J'.*square"),
    (lambda: sn.Network(np.ones((3, 3))), "'J'.*zero diagonal"),
    (lambda: sn.Network(np.array([[0, np.nan], [1, 0]])), "'J'.*finite"),
    (lambda: sn.Network(np.zeros((3, 3)), bias=[1, 2]), "'bias'.*shape"),
    (lambda: sn.hopfield(np.array([[1, 0, -1]])), "'patterns'.*±1"),
    (lambda: sn.hopfield([[1, -1], [1, -1, 1]]), "'patterns'"),
    (lambda: sn.ising((1, 4)), "'shape'"),
    (lambda: sn.ising((4, 4, 4, 4)), "'shape'"),
    (lambda: sn.sk(-3), "'n'.*int >= 2"),
    (lambda: sn.sk(10, distribution="cauchy"), "'distribution'"),
    (
        lambda: sn.simulate(sn.ising(8), T=-1),
        "'T' parameter of simulate must be a float or array of floats >= 0. Got -1",
    ),
    (lambda: sn.simulate(sn.ising(8), T=[1.0, np.nan]), "'T'"),
    (lambda: sn.simulate(sn.ising(8), T=1.0, sweeps=0), "'sweeps'"),
    (lambda: sn.simulate(sn.ising(8), T=1.0, chains=2.5), "'chains'"),
    (lambda: sn.simulate(sn.ising(8), T=1.0, dynamics="wolff"), "'dynamics'"),
    (lambda: sn.simulate(sn.ising(8), T=1.0, schedule="zigzag"), "'schedule'"),
    (lambda: sn.simulate(sn.sk(8, seed=0), T=1.0, schedule="checkerboard"), "'schedule'.*lattice"),
    (lambda: sn.simulate(sn.ising((3, 3)), T=1.0, schedule="checkerboard"), "bipartite"),
    (
        lambda: sn.simulate(sn.ising(8), T=1.0, schedule="synchronous", dynamics="metropolis"),
        "'dynamics'",
    ),
    (lambda: sn.simulate(sn.ising(8), T=1.0, backend="jax"), "'backend'"),
    (lambda: sn.simulate(sn.ising(8), T=1.0, init=np.zeros(8)), "'init'.*±1"),
    (lambda: sn.simulate(sn.ising(8), T=1.0, init=np.ones(5)), "'init'"),
    (lambda: sn.simulate(sn.ising(8), T=1.0, init=0), "'init'.*pattern"),
    (lambda: sn.simulate(sn.ising(8), T=1.0, seed=-1), "'seed'"),
    (lambda: sn.simulate("not a network", T=1.0), "'net'"),
    (lambda: sn.simulate(sn.ising(8), T=[1.0, 1.0], tempering=True), "'T'.*strictly"),
    (lambda: sn.ising(8).energy(np.ones(7)), "'S'.*length 8"),
]


@pytest.mark.parametrize("call, message", BAD_INPUTS)
def test_bad_input_raises_clear_error(call, message):
    with pytest.raises(ValidationError, match=message):
        call()


def test_pattern_couplings_in_blocks_equal_one_block():
    """Large pattern sets are converted to float in blocks; the results must not change."""
    xi = random_spins((37, 300), 11)
    whole, blocked = sn.PatternCouplings(xi), sn.PatternCouplings(xi)
    blocked.block_entries = 1000  # 3 patterns per block
    S = random_spins((2, 5, 300), 12)
    np.testing.assert_array_equal(blocked.field(S), whole.field(S))
    np.testing.assert_array_equal(blocked.overlaps(S), whole.overlaps(S))
    sites = np.arange(10) * 7
    flat = S.reshape(-1, 300)
    np.testing.assert_array_equal(blocked.field_at(flat, sites), whole.field_at(flat, sites))
    np.testing.assert_allclose(whole.field(S), S @ whole.to_dense(), atol=1e-12)
