"""The sampler's contract on every backend: ``step`` is pure, foreign states are refused
before compiled code runs, devices a backend cannot use are refused, ``backend_options``
are checked, T = 0 ties are broken identically, and the run records what actually ran."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import statnn as sn
from statnn.errors import ValidationError

BACKENDS = ["numpy", "numba", "torch"]


def _xi(p=6, n=60, seed=0):
    return np.where(np.random.default_rng(seed).random((p, n)) < 0.5, -1, 1).astype(np.int8)


NETS = {
    "dense": lambda: sn.sk(24, seed=1),
    "sparse": lambda: sn.hopfield(_xi(), dilution=0.5, seed=2),
    "patterns": lambda: sn.hopfield(_xi()),
    "lattice": lambda: sn.ising((6, 6)),
}
SCHEDULES = {"lattice": ["random", "checkerboard", "synchronous"]}


def _spins_equal(s, a, b):
    return np.array_equal(s.spins(a), s.spins(b))


def _backend(backend):
    if backend == "torch":
        pytest.importorskip("torch")
    return backend


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(NETS))
def test_step_is_pure(backend, name):
    """Stepping the same state twice gives the same result; the input state is unchanged."""
    _backend(backend)
    net = NETS[name]()
    for schedule in SCHEDULES.get(name, ["random", "sequential"]):
        for dynamics in ("glauber", "metropolis"):
            if schedule == "synchronous" and dynamics == "metropolis":
                continue
            s = sn.sampler(
                net, T=[0.5, 2.0], chains=2, schedule=schedule, dynamics=dynamics, backend=backend
            )
            state, _ = s.step(s.init(seed=3), 2)
            before = s.spins(state)
            a, info_a = s.step(state, 3)
            b, info_b = s.step(state, 3)
            assert np.array_equal(s.spins(state), before)
            assert _spins_equal(s, a, b), (name, schedule, dynamics)
            assert np.array_equal(info_a.flips, info_b.flips)
            # and the continuation from either is the same too (the stream was copied)
            assert _spins_equal(s, s.step(a, 2)[0], s.step(b, 2)[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_foreign_state_is_refused(backend):
    """The 4×4 sampler given a 6×6 state (and the reverse) raises, naming the mismatch."""
    _backend(backend)
    small = sn.sampler(sn.ising((4, 4)), T=1.0, backend=backend)
    large = sn.sampler(sn.ising((6, 6)), T=1.0, backend=backend)
    with pytest.raises(ValidationError, match="'state' parameter of Sampler.step.*shape"):
        small.step(large.init(seed=0), sweeps=20)
    with pytest.raises(ValidationError, match="'state' parameter of Sampler.step.*shape"):
        large.step(small.init(seed=0), sweeps=20)
    with pytest.raises(ValidationError, match="'state'"):
        small.step("not a state")


@pytest.mark.parametrize("a, b", [("numpy", "numba"), ("numba", "numpy")])
def test_state_of_another_backend_or_representation_is_refused(a, b):
    net = sn.ising((4, 4))
    with pytest.raises(ValidationError, match="'state'"):
        sn.sampler(net, T=1.0, backend=a).step(sn.sampler(net, T=1.0, backend=b).init(seed=0))
    # same size, other representation: dense fields vs none
    dense = sn.Network(net.couplings.to_dense())
    with pytest.raises(ValidationError, match="cache"):
        sn.sampler(net, T=1.0, backend="numba").step(
            sn.sampler(dense, T=1.0, backend="numba").init(seed=0)
        )


def test_state_of_the_wrong_dtype_is_refused():
    s = sn.sampler(sn.ising((4, 4)), T=1.0, backend="numba")
    state = s.init(seed=0)
    with pytest.raises(ValidationError, match="int8"):
        s.step(state._replace(spins=state.spins.astype(np.int64)))
    with pytest.raises(ValidationError, match="random state"):
        s.step(state._replace(rng=state.rng[:, :2].copy()))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_device_refused_by_cpu_backends(backend):
    net = sn.ising((4, 4))
    with pytest.raises(ValidationError, match="'device' parameter of simulate"):
        sn.simulate(net, T=1.0, sweeps=2, backend=backend, device="cuda:7")
    with pytest.raises(ValidationError, match="'device' parameter of sampler"):
        sn.sampler(net, backend=backend, device="cpu")


def test_resolved_backend_is_recorded():
    run = sn.simulate(sn.ising((4, 4)), T=1.0, sweeps=2, burn_in=0, seed=0)
    assert run.params["backend"] == "numba"
    assert run.params["dynamics"] == "glauber"
    out = sn.recall(sn.hopfield(_xi()), noise=0.1, sweeps=3, seed=0)
    assert out.params["backend"] == run.params["backend"]


def test_backend_options_are_checked_and_used():
    net = sn.ising((8, 8))
    with pytest.raises(ValidationError, match="backend_options.*unknown key 'block_size'"):
        sn.simulate(net, T=1.0, sweeps=2, backend="numba", backend_options={"block_size": 8})
    with pytest.raises(ValidationError, match="backend_options"):
        sn.sampler(net, backend="numba", backend_options=["multispin"])
    with pytest.raises(ValidationError, match=r"backend_options\['multispin'\]"):
        sn.sampler(net, backend="numba", backend_options={"multispin": "no"})
    with pytest.raises(ValidationError, match="keys: none"):
        sn.sampler(net, backend="numpy", backend_options={"multispin": False})
    on = sn.sampler(net, schedule="checkerboard", backend="numba")
    off = sn.sampler(
        net, schedule="checkerboard", backend="numba", backend_options={"multispin": False}
    )
    assert on.kernel.multispin and not off.kernel.multispin
    dense = sn.sk(10, seed=0)
    s = sn.sampler(dense, backend="numba", backend_options={"field_refresh": 3})
    assert s.kernel.rep.refresh == 3  # the dense adapter holds it
    run = sn.simulate(
        net, T=1.0, sweeps=2, burn_in=0, backend="numba", backend_options={"multispin": False}
    )
    assert run.params["backend_options"] == {"multispin": False}


def test_torch_backend_options():
    pytest.importorskip("torch")
    net = sn.sk(10, seed=0)
    s = sn.sampler(net, backend="torch", backend_options={"block_size": 3, "pattern_mode": "int8"})
    assert s.kernel.B == 3
    with pytest.raises(ValidationError, match=r"backend_options\['block_size'\]"):
        sn.sampler(net, backend="torch", backend_options={"block_size": 0})
    with pytest.raises(ValidationError, match="unknown key 'field_refresh'"):
        sn.sampler(net, backend="torch", backend_options={"field_refresh": 5})  # numba's
    with pytest.raises(ValidationError, match=r"backend_options\['multispin'\]"):
        sn.sampler(net, backend="torch", backend_options={"multispin": 1})


def test_rule_is_the_old_name_of_dynamics():
    net = sn.ising((4, 4))
    with pytest.warns(FutureWarning, match="'rule' parameter of simulate is now called"):
        run = sn.simulate(net, T=1.0, sweeps=2, burn_in=0, rule="metropolis", backend="numpy")
    assert run.params["dynamics"] == "metropolis"
    with pytest.warns(FutureWarning, match="sampler"):
        s = sn.sampler(net, rule="metropolis", backend="numpy")
    assert s.dynamics == "metropolis"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sn.sampler(net, dynamics="metropolis", backend="numpy")
    with pytest.raises(ValidationError, match="'rule'"), pytest.warns(FutureWarning):
        sn.sampler(net, rule="glauber", dynamics="metropolis", backend="numpy")


# -- T = 0 ties ----------------------------------------------------------------------------


def _t0_trajectory(net, backend, sweeps=6):
    xi = _xi(6, 60, seed=5)
    s = sn.sampler(net, T=0.0, chains=len(xi), schedule="sequential", backend=backend)
    state = s.init(init=xi[None] * np.where(np.arange(60) % 7 == 0, -1, 1), seed=0)
    out = []
    for _ in range(sweeps):
        state, _ = s.step(state, 1)
        out.append(s.spins(state))
    return np.array(out)


@pytest.mark.parametrize("backend", BACKENDS)
def test_zero_temperature_ties_agree_on_diluted_hopfield(backend):
    """Diluted Hebbian couplings (values k/(cN)) give exactly-zero fields; every backend and
    both representations (sparse as built, and the same J dense) break the ties alike."""
    _backend(backend)
    net = sn.hopfield(_xi(6, 60, seed=5), dilution=0.5, seed=1)
    ref = _t0_trajectory(net, "numpy")
    # the network does produce fields that are zero up to rounding (the case being tested)
    fields = net.local_field(ref.reshape(-1, 60))
    assert np.any(np.abs(fields) <= net.tie_tolerance)
    dense = sn.Network(net.couplings.to_dense())
    assert dense.tie_tolerance == pytest.approx(net.tie_tolerance)
    assert np.array_equal(_t0_trajectory(net, backend), ref)
    assert np.array_equal(_t0_trajectory(dense, backend), ref)


def test_tie_tolerance_is_below_every_genuine_field():
    """Lattice, pattern-form and integer-valued fields sit on a grid (smallest non-zero |h|
    known by construction) far above the tolerance, so there a zero is detected exactly."""
    cases = [
        (sn.ising((4, 4), field=0.5), 0.5),  # h = n + 0.5
        (sn.hopfield(_xi()), 1 / 60),  # h = (integer) / N
        (sn.Network(np.ones((3, 3)) - np.eye(3)), 1.0),  # integer h
    ]
    for net, spacing in cases:
        assert 0 < net.tie_tolerance < 1e-4 * spacing


def test_sparse_ties_exactly_zero_with_integer_couplings():
    J = sp.csr_array(np.array([[0, 1, -1], [1, 0, 0], [-1, 0, 0]], dtype=float))
    net = sn.Network(J)
    s = sn.sampler(net, T=0.0, schedule="sequential", backend="numba")
    state = s.init(init=np.array([-1, 1, 1], dtype=np.int8), seed=0)
    state, info = s.step(state, 1)
    assert s.spins(state)[0, 0, 0] == -1  # h_0 = 1 - 1 = 0: a tie keeps the spin


def test_printed_summary_shows_the_replica_overlap():
    run = sn.simulate(sn.sk(16, seed=0), T=[0.5, 2.0], sweeps=40, chains=4, backend="numpy", seed=1)
    summary = run.summary()
    q = run.replica_overlap
    np.testing.assert_allclose(summary["q_abs"], np.abs(q).mean(axis=(1, 2)))
    np.testing.assert_allclose(summary["q2"], (q**2).mean(axis=(1, 2)))
    header = str(summary).splitlines()[1]
    assert "|q|" in header and "q^2" in header
    assert "|q|" not in str(sn.simulate(sn.sk(16, seed=0), sweeps=5, backend="numpy").summary())


def test_activation_aliases_keep_their_own_docstrings():
    from statnn.core.neurons import ACTIVATIONS, ALIASES

    assert "'silu'" in ACTIVATIONS["silu"].__doc__
    for alias, target in ALIASES.items():
        assert ACTIVATIONS[alias] is ACTIVATIONS[target]
        assert f"{target!r}" in ACTIVATIONS[alias].__doc__
