"""Biased patterns with the covariance rule and a threshold: the network, its fixed points
and its capacity, against the signal-to-noise and replica-symmetric theory."""

import math

import numpy as np
import pytest
from scipy.special import ndtr

import statnn as sn
import statnn.theory as th
from statnn.errors import ValidationError
from statnn.experiments.sparse import covariance_overlap, fixed_activity_patterns
from statnn.memory import random_patterns, relax


def test_field_is_the_centred_covariance_field_minus_the_threshold():
    a, theta = -0.6, 0.7
    xi = random_patterns(12, 60, activity=a, seed=0)
    net = sn.hopfield(xi, activity=a, threshold=theta)
    u = xi.astype(float) - a  # J from the formula, independently of the package
    J = u.T @ u / (60 * (1 - a * a))
    np.fill_diagonal(J, 0.0)
    S = random_patterns(5, 60, seed=1).astype(float)
    np.testing.assert_allclose(net.local_field(S), (S - a) @ J.T - theta, atol=1e-12)
    E = -0.5 * np.einsum("ki,ij,kj->k", S - a, J, S - a) + theta * S.sum(axis=1)
    shift = -0.5 * a * a * J.sum()  # the constant of E, independent of S
    np.testing.assert_allclose(net.energy(S), E - shift, atol=1e-10)
    assert net.info["threshold"] == theta


def test_auto_threshold_is_the_theory_optimum_and_zero_when_unbiased():
    xi = random_patterns(5, 50, activity=-0.8, seed=0)
    assert sn.hopfield(xi, activity=-0.8, threshold="auto").info["threshold"] == pytest.approx(
        th.sparse_threshold(-0.8)
    )
    unbiased = sn.hopfield(random_patterns(5, 50, seed=0), threshold="auto")
    assert unbiased.info["threshold"] == 0.0
    assert np.all(unbiased.bias == 0.0)


def test_unstable_bits_at_a_pattern_follow_signal_to_noise():
    """One step from a stored pattern: the wrong bits among its +1 and −1 sites are
    Φ(−((1 − a) − θ)/s) and Φ(−((1 + a) + θ)/s), s² = α(1 − a²) (Gaussian crosstalk)."""
    a, N, alpha = -0.8, 2000, 0.3
    theta = th.sparse_threshold(a)
    xi = fixed_activity_patterns(int(alpha * N), N, a, seed=1)
    cued = xi[:150]
    wrong = cued * sn.hopfield(xi, activity=a, threshold=theta).local_field(cued.astype(float)) < 0
    s = math.sqrt(alpha * (1 - a * a))
    active = cued == 1
    for sites, p in (
        (active, ndtr(-((1 - a) - theta) / s)),
        (~active, ndtr(-((1 + a) + theta) / s)),
    ):
        n = sites.sum()
        assert abs(wrong[sites].mean() - p) < 5 * math.sqrt(p * (1 - p) / n) + 2e-5


@pytest.mark.parametrize("a", [-0.8, 0.8])
def test_threshold_makes_biased_patterns_fixed_points(a):
    """At α = 0.1 (a fifth of α_c(±0.8) = 0.48) the optimal threshold makes the stored
    patterns fixed points; without it (θ = 0, or the plain covariance field) the rare
    state's weak signal 2f = 0.2 drowns in the crosstalk (std 0.19) and none are."""
    N = 1000
    xi = fixed_activity_patterns(100, N, a, seed=2)
    cued = xi[:40]

    def fixed(net):
        return float(np.mean(np.all(cued * net.local_field(cued.astype(float)) > 0, axis=1)))

    assert fixed(sn.hopfield(xi, activity=a, threshold="auto")) >= 0.9
    assert fixed(sn.hopfield(xi, activity=a, threshold=0.0)) == 0.0
    assert fixed(sn.hopfield(xi, activity=a)) == 0.0


def test_simulated_capacity_brackets_the_theory(fast_backend):
    """T = 0 relaxation from the patterns at N = 1000, a = −0.6: every pattern is kept at
    0.6 α_c(a); at 2.5 α_c(a) (finite-size margin: the measured capacity at this N is
    ≈ 1.5 α_c) none is."""
    a, N = -0.6, 1000
    c = th.sparse_capacity(a, full=True)
    kept = []
    for load, seed in ((0.6, 3), (2.5, 4)):
        xi = fixed_activity_patterns(int(round(load * c.alpha_c * N)), N, a, seed=seed)
        net = sn.hopfield(xi, activity=a, threshold=c.threshold)
        out = relax(net, xi[:20], T=0.0, sweeps=40, seed=seed, backend=fast_backend)
        m = covariance_overlap(np.asarray(out.states, float).reshape(20, N), xi[:20], a)
        kept.append(float(np.mean(m >= 0.9)))
    assert kept[0] == 1.0
    assert kept[1] <= 0.1


def test_backends_agree_on_the_thresholded_network(fast_backend):
    """The threshold is an ordinary bias: numba's T = 0 trajectories equal the numpy
    reference's (sequential schedule), beyond capacity where many neurons flip."""
    a, N = -0.8, 200
    xi = fixed_activity_patterns(200, N, a, seed=5)
    net = sn.hopfield(xi, activity=a, threshold="auto")
    outs = [
        relax(net, xi[:6], T=0.0, sweeps=10, seed=6, backend=b, schedule="sequential")
        for b in ("numpy", fast_backend)
    ]
    np.testing.assert_array_equal(outs[0].states, outs[1].states)
    assert np.any(outs[0].states != xi[:6])


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(threshold="best"),
        dict(threshold=float("nan")),
        dict(threshold=True),
        dict(threshold=[0.1, 0.2]),
        dict(rule="storkey", threshold=0.5),
        dict(rule="pseudo_inverse", threshold="auto"),
    ],
)
def test_bad_threshold_is_refused(kwargs):
    xi = random_patterns(3, 20, activity=0.5, seed=0)
    with pytest.raises(ValidationError, match="threshold"):
        sn.hopfield(xi, activity=0.5 if "rule" not in kwargs else 0.0, **kwargs)
