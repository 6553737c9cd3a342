"""Onsager / Yang 2D Ising results and the Curie-Weiss magnetization."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

import statnn.theory as th

TC = 2.0 / math.log(1.0 + math.sqrt(2.0))


def onsager_log_partition(K):
    """ln Z / N from Onsager's single-integral form, by adaptive quadrature.

    ln Z/N = ln(2 cosh 2K) + (1/2pi) int_0^pi ln[(1 + sqrt(1 - k^2 sin^2 t)) / 2] dt,
    k = 2 sinh 2K / cosh^2 2K.
    """
    k = 2 * math.sinh(2 * K) / math.cosh(2 * K) ** 2
    integral = quad(
        lambda t: math.log(0.5 * (1 + math.sqrt(1 - (k * math.sin(t)) ** 2))),
        0,
        math.pi,
        epsabs=1e-14,
        epsrel=1e-13,
        limit=200,
    )[0]
    return math.log(2 * math.cosh(2 * K)) + integral / (2 * math.pi)


def test_critical_temperature():
    assert th.ising_critical_temperature() == pytest.approx(2.269185314213022, rel=1e-15)
    assert th.ising_critical_temperature(2.0) == pytest.approx(2 * TC)
    assert math.sinh(2 / th.ising_critical_temperature()) == pytest.approx(1.0, abs=1e-15)


def test_energy_at_tc_and_limits():
    assert th.onsager_energy(TC) == pytest.approx(-math.sqrt(2), abs=1e-9)
    assert th.onsager_energy(TC * (1 + 1e-12)) == pytest.approx(-math.sqrt(2), abs=1e-9)
    assert th.onsager_energy(0.0) == -2.0
    assert th.onsager_energy(0.1) == pytest.approx(-2.0, abs=1e-15)
    # high-temperature series: u = -J [2v + 4v^3 (1 - v^2) + O(v^5)], v = tanh(J/T)
    for T in (50.0, 100.0, 1e4):
        v = math.tanh(1 / T)
        assert th.onsager_energy(T) == pytest.approx(
            -(2 * v + 4 * v**3 * (1 - v * v)), abs=20 * v**5
        )
    assert th.onsager_energy(2.0, J=2.0) == pytest.approx(2 * th.onsager_energy(1.0))


@pytest.mark.parametrize("T", [1.0, 2.0, 2.5, 4.0])
def test_energy_is_derivative_of_onsager_free_energy(T):
    K, h = 1 / T, 1e-5
    u = -(onsager_log_partition(K + h) - onsager_log_partition(K - h)) / (2 * h)
    assert th.onsager_energy(T) == pytest.approx(u, abs=1e-8)


def test_magnetization():
    assert th.onsager_magnetization(0.0) == 1.0
    assert th.onsager_magnetization(TC) == 0.0
    assert np.all(th.onsager_magnetization([TC * 1.0001, 3.0, 100.0]) == 0.0)
    # critical exponent 1/8: M^8 is linear in T_c - T near T_c
    eps = np.array([1e-6, 1e-5, 1e-4])
    m8 = th.onsager_magnetization(TC * (1 - eps)) ** 8
    assert np.allclose(m8 / eps, m8[0] / eps[0], rtol=1e-3)
    # Yang's formula, evaluated directly at moderate T
    T = np.array([1.0, 1.5, 2.0, 2.2])
    assert np.allclose(th.onsager_magnetization(T), (1 - np.sinh(2 / T) ** -4) ** 0.125, rtol=1e-13)
    assert th.onsager_magnetization(2.0) == pytest.approx(0.911319377877496, abs=1e-12)
    assert th.onsager_magnetization(0.01) == 1.0


def test_specific_heat_is_energy_derivative():
    T = np.array([0.8, 1.2, 2.0, 2.2, 2.25, 2.29, 2.4, 3.0, 6.0])
    h = 1e-6
    fd = (th.onsager_energy(T + h) - th.onsager_energy(T - h)) / (2 * h)
    assert np.allclose(th.onsager_specific_heat(T), fd, rtol=1e-6)
    assert th.onsager_specific_heat(TC) == math.inf
    # logarithmic divergence: c ~ -(8/pi) K_c^2 ln|1 - T/T_c|
    eps = 1e-8
    c1, c2 = th.onsager_specific_heat([TC * (1 - eps), TC * (1 - 10 * eps)])
    assert c1 - c2 == pytest.approx(8 / math.pi / TC**2 * math.log(10), rel=1e-4)
    # limits
    assert th.onsager_specific_heat(0.0) == 0.0
    assert 0.0 <= th.onsager_specific_heat(0.1) < 1e-30
    assert th.onsager_specific_heat(1e3) == pytest.approx(2e-6, rel=1e-5)  # 2 K^2


def test_curie_weiss():
    m = th.curie_weiss_magnetization(0.8)
    assert m == pytest.approx(0.710, abs=1e-3)
    assert abs(m - math.tanh(m / 0.8)) < 1e-12
    assert np.all(th.curie_weiss_magnetization([1.0, 1.5, 10.0]) == 0.0)
    assert th.curie_weiss_magnetization(0.0) == 1.0
    assert th.curie_weiss_magnetization(0.0, h=-0.5) == -1.0
    # near T_c: m ~ sqrt(3 (1 - T))
    assert th.curie_weiss_magnetization(1 - 1e-8) == pytest.approx(math.sqrt(3e-8), rel=1e-6)
    # with a field: the stable root takes the sign of h, is the largest one, and solves the
    # equation; compare with a brute-force scan of roots
    for T, J, h in [(0.5, 1.0, 0.1), (0.5, 1.0, -0.1), (1.5, 2.0, 0.3), (3.0, 1.0, 0.05)]:
        m = th.curie_weiss_magnetization(T, J=J, h=h)
        assert abs(m - math.tanh((J * m + h) / T)) < 1e-12
        grid = np.linspace(-1, 1, 200001)
        g = grid - np.tanh((J * grid + h) / T)
        roots = grid[:-1][np.sign(g[:-1]) != np.sign(g[1:])]
        best = roots[np.argmax(np.abs(roots))]
        assert m == pytest.approx(best, abs=2e-5)
        assert np.sign(m) == np.sign(h)
    out = th.curie_weiss_magnetization(np.array([0.5, 0.8]), h=np.array([[0.0], [0.1]]))
    assert out.shape == (2, 2)
