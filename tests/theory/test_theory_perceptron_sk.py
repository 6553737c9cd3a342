"""Cover counting, Gardner capacity and the SK replica-symmetric solution."""

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy.integrate import quad

import statnn.theory as th


def gardner_integral(kappa):
    f = lambda t: (t + kappa) ** 2 * math.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)  # noqa: E731
    return quad(f, -kappa, np.inf, epsabs=1e-14, epsrel=1e-13)[0]


def test_gardner_capacity():
    assert th.gardner_capacity(0.0) == pytest.approx(2.0, rel=1e-15)
    for kappa in (0.5, 1.0, 2.0, -0.5):
        assert th.gardner_capacity(kappa) == pytest.approx(1 / gardner_integral(kappa), rel=1e-10)
    kappas = np.array([0.0, 0.5, 1.0, 3.0])
    alphas = th.gardner_capacity(kappas)
    assert np.all(np.diff(alphas) < 0)
    assert th.gardner_capacity(100.0) == pytest.approx(1e-4, rel=1e-3)  # ~ 1/kappa^2
    assert np.allclose(th.gardner_margin(alphas), kappas, atol=1e-10)
    assert th.gardner_margin(2.0) == pytest.approx(0.0, abs=1e-12)
    assert th.gardner_margin(3.0) < 0


def test_cover_count_recursion_and_small_values():
    assert th.cover_count(1, 1) == 2
    assert th.cover_count(3, 2) == 6  # 3 points in the plane through the origin: 6 of 8
    assert isinstance(th.cover_count(10, 5), int)
    for P in range(1, 40):
        for N in range(1, 45):
            assert th.cover_count(P + 1, N) == th.cover_count(P, N) + th.cover_count(P, N - 1)
            if P <= N:
                assert th.cover_count(P, N) == 2**P
    big = th.cover_count(1001, 300)
    assert big == th.cover_count(1000, 300) + th.cover_count(1000, 299)  # exact big integers
    arr = th.cover_count(np.array([4, 6]), 3)
    assert arr.dtype == object and list(arr) == [14, 32]


def test_cover_probability():
    for N in (1, 2, 5, 10, 50, 500, 5000, 10**6):
        assert th.cover_probability(2 * N, N) == pytest.approx(0.5, abs=1e-12)
    assert np.all(th.cover_probability(np.arange(1, 11), 10) == 1.0)
    # exact rational value for moderate sizes
    for P, N in [(30, 7), (100, 40), (300, 120)]:
        exact = Fraction(th.cover_count(P, N), 2**P)
        assert th.cover_probability(P, N) == float(exact)
    # sharpens into a step at alpha = 2
    N = 2000
    assert th.cover_probability(int(1.8 * N), N) > 0.999
    assert th.cover_probability(int(2.2 * N), N) < 0.001
    p = th.cover_probability(np.arange(N, 4 * N, 50), N)
    assert np.all(np.diff(p) <= 0)
    assert th.cover_probability(5, 0) == 0.0


def sk_rhs(q, T):
    s = math.sqrt(q) / T
    return quad(
        lambda z: math.tanh(s * z) ** 2 * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi),
        -12,
        12,
        epsabs=1e-14,
        epsrel=1e-13,
        limit=200,
    )[0]


def test_sk_overlap():
    assert th.sk_rs_overlap(1.0) == 0.0
    assert np.all(th.sk_rs_overlap([1.5, 3.0]) == 0.0)
    assert th.sk_rs_overlap(0.0) == 1.0
    for T in (0.1, 0.5, 0.9):
        q = th.sk_rs_overlap(T)
        assert q == pytest.approx(sk_rhs(q, T), abs=1e-12)
    # q -> 0 continuously at T_c = 1, as q ~ (1 - T)
    for eps in (1e-3, 1e-5):
        assert th.sk_rs_overlap(1 - eps) == pytest.approx(eps, rel=5 * eps + 1e-3)
    q = th.sk_rs_overlap(np.array([0.2, 0.4, 0.6, 0.8, 0.99]))
    assert np.all(np.diff(q) < 0)


def test_sk_energy():
    T = np.array([1.0, 1.5, 4.0])
    assert np.allclose(th.sk_rs_energy(T), -0.5 / T, rtol=1e-15)
    assert th.sk_rs_energy(0.0) == pytest.approx(-math.sqrt(2 / math.pi))
    assert th.sk_rs_energy(1e-6) == pytest.approx(-math.sqrt(2 / math.pi), abs=1e-6)
    T = 0.5
    q = th.sk_rs_overlap(T)
    assert th.sk_rs_energy(T) == pytest.approx(-(1 - q * q) / (2 * T), rel=1e-12)
    # continuous at T_c, and the exact (Parisi) ground state lies above the RS one
    assert th.sk_rs_energy(1 - 1e-7) == pytest.approx(-0.5, abs=1e-6)
    assert th.SK_GROUND_STATE_ENERGY == -0.7632
    assert th.SK_GROUND_STATE_ENERGY > th.sk_rs_energy(0.0)


def test_cover_probability_large_p_matches_exact_count():
    for P, N in [(1500, 700), (3000, 1600), (2001, 1000), (4000, 1900)]:
        exact = float(Fraction(th.cover_count(P, N), 2**P))
        assert th.cover_probability(P, N) == pytest.approx(exact, rel=1e-10)
