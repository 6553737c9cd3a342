"""The exponential dense memory's threshold as the root of its random-energy-model noise
exponent, and the exponent's frozen branch against exact binomial tails."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from statnn.errors import ValidationError
from statnn.theory import exp_critical_load, exp_noise_exponent


@pytest.mark.parametrize("beta", [0.1, 0.3, 1.0, 2.5])
def test_closed_form_threshold_is_the_root_of_the_rem_exponent(beta):
    """α_1 = 2β_F − ln cosh 2β_F solves ψ(α) = 2β_F (noise amplitude = signal), and the
    pattern is stable just below it and not just above."""
    a1 = exp_critical_load(beta)
    assert exp_noise_exponent(a1, beta) == pytest.approx(2 * beta, abs=1e-12)
    assert exp_noise_exponent(a1 - 1e-3, beta) < 2 * beta
    if a1 + 1e-3 <= math.log(2):
        assert exp_noise_exponent(a1 + 1e-3, beta) > 2 * beta


@pytest.mark.parametrize("beta", [0.2, 0.6, 1.5])
def test_rem_exponent_is_smooth_at_the_freezing_load(beta):
    """Both branches meet at α_f = I(tanh 2β_F) with the same value and slope 1 (the frozen
    branch's slope 2β_F / artanh(m_max) is 1 there): a first-order transition of the REM
    would show as a jump."""
    m = math.tanh(2 * beta)
    freeze = 0.5 * ((1 + m) * math.log1p(m) + (1 - m) * math.log1p(-m))
    eps = 1e-4
    lo, hi = exp_noise_exponent(np.array([freeze - eps, freeze + eps]), beta)
    assert abs((hi - lo) - 2 * eps) < 1e-6
    assert lo < 2 * beta * m < hi + 1e-12
    alpha = np.linspace(1e-3, math.log(2), 501)
    assert np.all(np.diff(exp_noise_exponent(alpha, beta)) > 0)


def test_frozen_branch_is_the_largest_overlap_of_e_alpha_n_patterns():
    """Below freezing ψ = 2β_F m_max with e^{αN} · P(ξ·S ≥ m_max N) ≈ 1: checked against the
    exact binomial tail at N = 4000 (to the O(ln N / N) of the large-deviation estimate)."""
    N, beta = 4000, 1.0
    for alpha in (0.05, 0.2, 0.4):
        m_max = exp_noise_exponent(alpha, beta) / (2 * beta)
        k = math.ceil((1 + m_max) * N / 2)  # ξ·S = 2k − N
        log_tail = logsumexp(stats.binom.logpmf(np.arange(k, N + 1), N, 0.5))
        assert abs(alpha + log_tail / N) < 3 * math.log(N) / N


def test_bad_arguments():
    with pytest.raises(ValidationError, match="'alpha' parameter of exp_noise_exponent"):
        exp_noise_exponent(0.8)
    with pytest.raises(ValidationError, match="'beta' parameter of exp_noise_exponent"):
        exp_noise_exponent(0.1, beta=[1.0, 2.0])
