"""One update rule, three twins: the numba rule (which also builds the lattice and multi-spin
tables), the numpy reference and the torch kernels give the same probabilities and the same
new spins for every rule, spin, field, β (T = 0 included) and tie tolerance."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from statnn.core.neurons import (
    glauber_probability,
    inverse_temperature,
    metropolis_acceptance,
)
from statnn.dynamics.numba.lattice import _tables
from statnn.dynamics.numba.multispin import _probability as msc_probability
from statnn.dynamics.numba.rng import seed_states, uniform
from statnn.dynamics.numba.rules import (
    GLAUBER,
    METROPOLIS,
    RULE_CODES,
    ZERO_TEMPERATURE,
    loop_mode,
    mode_spin,
    new_spin,
    probability,
)
from statnn.dynamics.reference import update

BETAS = np.array([0.0, 0.3, 1.0, 7.5, np.inf])
FIELDS = np.array([-3.0, -0.5, -1e-12, 0.0, 1e-12, 0.25, 2.0])
TOL = 1e-9


@njit(cache=True)
def _numba_probability(rule, s, h, beta, tol):
    return probability(rule, s, h, beta, tol)


@njit(cache=True)
def _numba_new_spin(rule, s, h, beta, tol, st):
    return new_spin(rule, s, h, beta, tol, st)


@njit(cache=True)
def _numba_mode_spin(rule, s, h, beta, tol, st):
    """mode_spin with the mode a constant, as the kernels' per-mode loops call it."""
    mode = loop_mode(rule, beta)
    if mode == GLAUBER:
        return mode_spin(GLAUBER, s, h, beta, tol, st)
    if mode == METROPOLIS:
        return mode_spin(METROPOLIS, s, h, beta, tol, st)
    return mode_spin(ZERO_TEMPERATURE, s, h, beta, tol, st)


@njit(cache=True)
def _first_uniform(st):
    return uniform(st)


def test_inverse_temperature_is_infinite_at_zero():
    assert np.array_equal(inverse_temperature([0.0, 2.0, 0.5]), [np.inf, 0.5, 2.0])


@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
def test_numba_probability_matches_numpy_twin(rule):
    for beta in BETAS:
        for h in FIELDS:
            for s in (-1, 1):
                got = _numba_probability(RULE_CODES[rule], s, h, beta, TOL)
                if np.isinf(beta) and abs(h) <= TOL:
                    want = (1.0 if s > 0 else 0.0) if rule == "glauber" else 0.0  # a tie keeps s
                elif rule == "glauber":
                    want = float(glauber_probability(h, beta))
                else:
                    want = float(metropolis_acceptance(2.0 * s * h, beta))
                assert got == pytest.approx(want, rel=1e-12, abs=1e-15), (rule, s, h, beta)


@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
def test_new_spins_agree_numba_numpy_torch(rule):
    """Same (s, h, β, u): numba's new_spin, numpy's update and torch's new_spins agree."""
    torch = pytest.importorskip("torch")
    from statnn.dynamics.torch.base import new_spins

    rng = np.random.default_rng(0)
    rows = []
    for beta in BETAS:
        for h in FIELDS:
            for s in (-1, 1):
                st = rng.integers(0, 2**63, size=4, dtype=np.int64).astype(np.uint64)
                rows.append((s, h, beta, _first_uniform(st.copy()), st))
    s = np.array([r[0] for r in rows], dtype=np.int8)
    h = np.array([r[1] for r in rows])
    beta = np.array([r[2] for r in rows])
    u = np.array([r[3] for r in rows])
    numba_new = np.array(
        [
            _numba_new_spin(RULE_CODES[rule], int(a), b, c, TOL, r[4].copy())
            for a, b, c, r in zip(s, h, beta, rows, strict=True)
        ]
    )
    numpy_new = update(rule, s, h, u, beta, TOL)
    t = torch.as_tensor
    zero_keeps = t(np.isinf(beta))
    torch_new = new_spins(
        rule, t(s.astype(np.float64)), t(h), t(u), t(beta), zero_keeps, TOL
    ).numpy()
    assert np.array_equal(numba_new, numpy_new)
    assert np.array_equal(numpy_new, torch_new.astype(np.int8))


@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
@pytest.mark.parametrize("beta", [0.2, 0.44, 3.0, np.inf])
def test_lattice_and_multispin_tables_are_the_rule(rule, beta):
    code = RULE_CODES[rule]
    J, b0, degree = 0.7, 0.7, 4  # h = J n + b0 is exactly 0 at n = -1: a tie at T = 0
    table = _tables(code, J, b0, beta, degree, TOL)
    for q in range(2 * degree + 1):
        h = J * (q - degree) + b0
        for si, s in enumerate((-1, 1)):
            assert table[si, q] == _numba_probability(code, s, h, beta, TOL)
            # multi-spin: count of +1 neighbours (Glauber) or aligned ones (Metropolis)
            if q % 2:
                continue  # a sum of `degree` spins ±1 has the parity of `degree`
            n_plus = q // 2
            aligned = code != GLAUBER
            count = n_plus if (not aligned or s > 0) else degree - n_plus
            p = msc_probability(code, s, count, degree, J, b0, beta, aligned, TOL)
            assert p == _numba_probability(code, s, J * (2 * n_plus - degree) + b0, beta, TOL)


@pytest.mark.parametrize("rule", sorted(RULE_CODES))
def test_mode_spin_is_new_spin(rule):
    """The per-mode update of the compiled loops returns what new_spin returns and leaves
    the chain's stream in the same state (the same draws) for every spin, field (ties
    included) and β, T = 0 included: the loops' trajectories are new_spin's."""
    code = RULE_CODES[rule]
    streams = seed_states(np.random.SeedSequence(4), 1)
    for beta in BETAS:
        for h in FIELDS:
            for s in (-1, 1):
                for _ in range(20):
                    a, b = streams[0].copy(), streams[0].copy()
                    assert _numba_mode_spin(code, s, h, beta, TOL, a) == _numba_new_spin(
                        code, s, h, beta, TOL, b
                    )
                    np.testing.assert_array_equal(a, b)
                    streams[0] = a
