"""AGS replica-symmetric theory of the Hopfield model, checked against independent truths."""

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import erf, erfc

import statnn.theory as th


def gauss_avg(f):
    """<f(z)> over a standard Gaussian, by adaptive quadrature (independent of the package)."""
    return quad(
        lambda z: f(z) * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi),
        -12,
        12,
        limit=400,
        epsabs=1e-13,
        epsrel=1e-12,
    )[0]


def rs_residuals(m, q, r, alpha, T):
    """Residuals of the three AGS equations at T > 0, with adaptive quadrature."""
    sigma = math.sqrt(alpha * r)
    beta = 1.0 / T
    m_rhs = gauss_avg(lambda z: math.tanh(beta * (m + sigma * z)))
    q_rhs = gauss_avg(lambda z: math.tanh(beta * (m + sigma * z)) ** 2)
    C = beta * (1.0 - q)
    return m - m_rhs, q - q_rhs, r - q / (1.0 - C) ** 2, C


def test_capacity_at_zero_temperature():
    a_c = th.ags_critical_load(0.0)
    assert a_c == pytest.approx(0.1379, abs=5e-4)
    assert th.ags_overlap(a_c, 0.0) == pytest.approx(0.967, abs=2e-3)
    # independent: brute-force maximum of the T = 0 closed form on a fine grid of y
    y = np.linspace(1.0, 2.0, 200001)
    alpha_y = 0.5 * (erf(y) / y - 2 / np.sqrt(np.pi) * np.exp(-y * y)) ** 2
    assert a_c == pytest.approx(alpha_y.max(), abs=1e-9)
    assert th.ags_overlap(a_c, 0.0) == pytest.approx(erf(y[alpha_y.argmax()]), abs=1e-4)
    # beyond capacity: no retrieval
    assert th.ags_overlap(0.14, 0.0) == 0.0


def test_zero_temperature_solution_solves_the_t0_equations():
    for alpha in (0.01, 0.05, 0.1, 0.137):
        m, q, r = th.ags_solution(alpha, 0.0)
        assert q == 1.0
        sigma = math.sqrt(alpha * r)
        assert m == pytest.approx(math.erf(m / (math.sqrt(2) * sigma)), abs=1e-12)
        C = math.sqrt(2 / math.pi) * math.exp(-(m**2) / (2 * sigma**2)) / sigma
        assert r == pytest.approx(1 / (1 - C) ** 2, rel=1e-12)


@pytest.mark.parametrize(("alpha", "T"), [(0.05, 0.2), (0.1, 0.1), (0.02, 0.6), (0.003, 0.85)])
def test_positive_temperature_solution_solves_rs_equations(alpha, T):
    m, q, r = th.ags_solution(alpha, T)
    dm, dq, dr, C = rs_residuals(m, q, r, alpha, T)
    assert m > 0.3
    assert max(abs(dm), abs(dq), abs(dr)) < 1e-9
    assert C < 1.0  # the physical branch


def test_continuity_as_temperature_goes_to_zero():
    alphas = np.array([0.01, 0.05, 0.1, 0.13])
    m0 = th.ags_overlap(alphas, 0.0)
    for T in (1e-3, 1e-2):
        mT = th.ags_overlap(alphas, T)
        assert np.allclose(mT, m0, atol=5 * T)
    assert np.allclose(th.ags_overlap(alphas, 1e-4), m0, atol=1e-5)
    assert th.ags_critical_load(1e-5) == pytest.approx(th.ags_critical_load(0.0), abs=1e-5)
    f0 = th.ags_free_energy(alphas, 0.0)
    f1 = th.ags_free_energy(alphas, 1e-4)
    assert np.allclose(f0[0], f1[0], atol=1e-5)
    assert np.allclose(f0[1], f1[1], atol=1e-5)


@pytest.mark.parametrize("T", [0.0, 0.2, 0.5, 0.9, 0.99])
def test_small_load_reduces_to_curie_weiss(T):
    m_cw = th.curie_weiss_magnetization(T)
    assert th.ags_overlap(0.0, T) == pytest.approx(m_cw, abs=1e-12)
    assert th.ags_overlap(1e-9, T) == pytest.approx(m_cw, abs=1e-3)
    if T > 0:  # free energy of the retrieval state -> Curie-Weiss f = m^2/2 - T ln 2cosh(m/T)
        f_cw = 0.5 * m_cw**2 - T * math.log(2 * math.cosh(m_cw / T))
        assert th.ags_free_energy(1e-9, T)[0] == pytest.approx(f_cw, abs=1e-6)


def test_retrieval_temperature_line():
    assert th.ags_retrieval_temperature(0.0) == 1.0
    for a in (1e-6, 1e-4):  # T_M -> 1, as 1 - 1.95 sqrt(alpha)
        assert th.ags_retrieval_temperature(a) == pytest.approx(
            1 - 1.95 * math.sqrt(a), abs=3 * a**0.75 + 1e-4
        )
    alphas = np.array([0.001, 0.01, 0.05, 0.1, 0.13])
    T_M = th.ags_retrieval_temperature(alphas)
    assert np.all(np.diff(T_M) < 0)
    assert np.allclose(th.ags_critical_load(T_M), alphas, rtol=1e-8)  # inverse functions
    # retrieval just below T_M, none just above
    for a, t in zip(alphas, T_M, strict=True):
        assert th.ags_overlap(a, t * 0.99) > 0
        assert th.ags_overlap(a, t * 1.01 + 1e-3) == 0
    assert math.isnan(th.ags_retrieval_temperature(0.15))
    assert th.ags_critical_load(1.0) == 0.0


def test_global_minimum_line():
    a0 = th.ags_global_minimum_load(0.0)
    assert a0 == pytest.approx(0.051, abs=2e-3)
    # at that load, the T = 0 energies of retrieval and spin-glass states are equal, with the
    # spin-glass energy in closed form: E_sg = -1/pi - sqrt(2 alpha / pi)
    e_r, e_sg = th.ags_free_energy(a0, 0.0)
    assert e_sg == pytest.approx(-1 / math.pi - math.sqrt(2 * a0 / math.pi), abs=1e-12)
    assert e_r == pytest.approx(e_sg, abs=1e-10)
    e_r, e_sg = th.ags_free_energy(0.03, 0.0)
    assert e_r < e_sg
    e_r, e_sg = th.ags_free_energy(0.1, 0.0)
    assert e_r > e_sg
    # the line T_c(alpha) lies below T_M(alpha) and reaches T = 1 as alpha -> 0
    T = np.array([0.0, 0.2, 0.5, 0.8, 0.95, 0.99])
    a_gm = th.ags_global_minimum_load(T)
    assert np.all(a_gm < th.ags_critical_load(T))
    assert np.all(np.diff(a_gm[1:]) < 0)
    assert a_gm[-1] < 1e-4
    assert th.ags_global_minimum_load(1e-4) == pytest.approx(a0, abs=1e-5)


def test_spin_glass_temperature_and_state():
    assert th.spin_glass_temperature(0.04) == pytest.approx(1.2)
    assert np.allclose(th.spin_glass_temperature([0.0, 0.25]), [1.0, 1.5])
    # the m = 0 state: q = 0 above T_g, q > 0 below, solving q = <tanh^2(beta sqrt(alpha r) z)>
    m, q, r = th.ags_solution(0.04, 1.21)
    assert (m, q, r) == (0.0, 0.0, 0.0)
    m, q, r = th.ags_solution(0.04, 1.15)
    assert m == 0.0 and q > 0
    dm, dq, dr, _ = rs_residuals(m, q, r, 0.04, 1.15)
    assert max(abs(dq), abs(dr)) < 1e-9


def test_one_step_error():
    alpha = np.array([0.0, 0.05, 0.138, 1.0])
    expected = np.where(alpha > 0, 0.5 * erfc(1 / np.sqrt(2 * np.maximum(alpha, 1e-300))), 0.0)
    assert np.allclose(th.one_step_error(alpha), expected, rtol=1e-14)
    assert th.one_step_error(0.138) == pytest.approx(0.00362, abs=1e-4)


def test_shapes():
    sol = th.ags_solution(np.array([0.01, 0.05, 0.2]), 0.0)
    assert isinstance(sol, th.AGSSolution)
    assert sol.m.shape == (3,) and sol.m[2] == 0.0
    grid = th.ags_overlap(np.array([[0.01], [0.05]]), np.array([0.0, 0.3]))
    assert grid.shape == (2, 2)
    assert isinstance(th.ags_overlap(0.05, 0.1), float)


def test_ags_overlap_is_the_m_of_the_full_solution():
    """ags_overlap skips the (q, r) of the state; its m is ags_solution's, bit for bit, on
    the retrieval branch, at its edge, beyond it (m = 0), at alpha = 0 and at T >= 1."""
    alpha = np.concatenate([[0.0], np.linspace(0.002, 0.3, 40), [0.5]])
    T = np.array([0.0, 0.2, 0.4, 0.9, 1.0, 1.3])
    m = th.ags_overlap(alpha[None, :], T[:, None])
    full = th.ags_solution(alpha[None, :], T[:, None]).m
    np.testing.assert_array_equal(m, full)
    assert (m[:2, 1] > 0.9).all() and (m[:, -1] == 0.0).all()
