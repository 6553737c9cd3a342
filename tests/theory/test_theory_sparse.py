"""Replica-symmetric capacity of the centred covariance rule, checked against independent truths."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

import statnn.theory as th
from statnn.errors import ValidationError


def gauss_step(x0):
    """<sign(z - x0)> over a standard Gaussian by adaptive quadrature (independent of the
    package's closed forms): the integrand jumps at z = x0."""

    def density(z):
        return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

    lo, hi = min(x0, -14.0), max(x0, 14.0)
    below = quad(density, lo, x0, epsabs=1e-14)[0] if x0 > lo else 0.0
    above = quad(density, x0, hi, epsabs=1e-14)[0] if x0 < hi else 0.0
    return above - below


def iterate(alpha, a, t, steps=4000):
    """The saddle point by damped fixed-point iteration at a fixed effective threshold t,
    from the pattern (m = 1): m and q as Gaussian integrals of the single-neuron response
    S = sign((ξ − a)m + s z − t), U as the Gaussian density at the jumps; returns m."""
    f = 0.5 * (1 + a)
    m, q, U = 1.0, 1 - a * a, 0.0
    for _ in range(steps):
        s = math.sqrt(alpha * q) / (1 - U)
        x_plus, x_minus = (t - (1 - a) * m) / s, (t + (1 + a) * m) / s  # S = +1 iff z > x
        S_plus, S_minus = gauss_step(x_plus), gauss_step(x_minus)  # <S> on +1 and −1 sites
        m_new = (f * (1 - a) * S_plus - (1 - f) * (1 + a) * S_minus) / (1 - a * a)
        mean_S = f * S_plus + (1 - f) * S_minus
        q_new = 1 + a * a - 2 * a * mean_S  # <(S − a)²> with S² = 1
        density = f * math.exp(-0.5 * x_plus**2) + (1 - f) * math.exp(-0.5 * x_minus**2)
        U_new = 2 * density / (s * math.sqrt(2 * math.pi))
        done = abs(m_new - m) < 1e-10
        m, q, U = 0.5 * (m + m_new), 0.5 * (q + q_new), 0.5 * (U + U_new)
        if m < 0.3 or U >= 0.99 or done:
            break
    return m


def test_unbiased_patterns_give_the_hopfield_capacity():
    c = th.sparse_capacity(0.0, full=True)
    assert c.alpha_c == pytest.approx(0.138, abs=5e-4)  # AGS
    assert c.alpha_c == pytest.approx(th.ags_critical_load(0.0), rel=1e-6)
    assert c.overlap == pytest.approx(0.967, abs=1e-3)  # AGS's m at alpha_c
    assert c.threshold == 0.0
    alphas = np.array([0.05, 0.1, 0.13])
    np.testing.assert_allclose(th.sparse_overlap(alphas, 0.0), th.ags_overlap(alphas, 0.0),
                               atol=1e-9)  # fmt: skip


def test_flip_symmetry():
    for a in (0.3, 0.8):
        plus, minus = th.sparse_capacity(a, full=True), th.sparse_capacity(-a, full=True)
        assert plus.alpha_c == pytest.approx(minus.alpha_c, rel=1e-9)
        assert plus.threshold == pytest.approx(-minus.threshold, rel=1e-9)


def test_capacity_grows_towards_the_tsodyks_feigelman_asymptote():
    f = np.array([0.1, 0.02, 0.004, 1e-3, 1e-4])
    a = 2 * f - 1  # the rare state +1 has fraction f
    ratio = th.sparse_capacity(a) / th.sparse_capacity_asymptote(f)
    assert np.all(np.diff(ratio) > 0)  # ratio rises monotonically towards 1 ...
    assert np.all(ratio < 1) and ratio[-1] > 0.45  # ... slowly (logarithmic corrections)
    assert np.all(np.diff(th.sparse_capacity(a)) > 0)


@pytest.mark.parametrize("a", [-0.6, -0.9])
def test_capacity_matches_direct_iteration_of_the_saddle_point(a):
    c = th.sparse_capacity(a, full=True)
    t = c.effective_threshold
    assert iterate(0.97 * c.alpha_c, a, t) > 0.6  # retrieval branch still there
    assert iterate(1.03 * c.alpha_c, a, t) < 0.3  # gone


def test_threshold_is_between_the_two_signals():
    for a in (-0.5, -0.8, -0.95):
        theta = th.sparse_threshold(a)
        assert -(1 + a) < theta < 1 - a


@pytest.mark.parametrize(
    "call",
    [
        lambda: th.sparse_capacity(1.0),
        lambda: th.sparse_capacity("x"),
        lambda: th.sparse_capacity(0.2, full=1),
        lambda: th.sparse_threshold(np.nan),
        lambda: th.sparse_overlap(-0.1, 0.0),
        lambda: th.sparse_overlap(0.1, -1.0),
        lambda: th.sparse_overlap(0.1, 0.0, threshold="auto"),
    ],
)
def test_bad_arguments_are_refused(call):
    with pytest.raises(ValidationError):
        call()
