"""Learning rules: each against its defining equation, plus bad input."""

import numpy as np
import pytest
import scipy.sparse as sp

from statnn import theory
from statnn.core.couplings import DenseCouplings, PatternCouplings, SparseCouplings
from statnn.errors import ValidationError
from statnn.memory import (
    hebbian_couplings,
    hopfield,
    perceptron_couplings,
    pseudo_inverse_couplings,
    random_patterns,
    storkey_couplings,
)
from statnn.memory.rules import _storkey_dense

RULE_FUNCTIONS = [
    hebbian_couplings,
    pseudo_inverse_couplings,
    storkey_couplings,
    perceptron_couplings,
]


def gardner_stabilities(J, xi, bias=None):
    """Δ_i^μ = ξ_i^μ h_i(ξ^μ) / ‖J_i‖ (Gardner's normalisation)."""
    J = J.toarray() if sp.issparse(J) else np.asarray(J)
    h = xi @ J.T + (0 if bias is None else bias)
    return xi * h / np.linalg.norm(J, axis=1)


def storkey_naive(xi):
    """Storkey (1997) transcribed literally: h_ij = Σ_{k≠i,j} J_ik ξ_k, all pairs in loops."""
    p, n = xi.shape
    J = np.zeros((n, n))
    for x in xi.astype(float):
        new = J.copy()
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                keep = np.ones(n, dtype=bool)
                keep[[i, j]] = False
                h_ij = J[i, keep] @ x[keep]
                h_ji = J[j, keep] @ x[keep]
                new[i, j] = J[i, j] + (x[i] * x[j] - x[i] * h_ji - h_ij * x[j]) / n
        J = new
    return J


# -- random patterns ----------------------------------------------------------------------


def test_random_patterns_mean_activity():
    xi = random_patterns(50, 2000, activity=0.4, seed=0)
    assert xi.dtype == np.int8 and xi.shape == (50, 2000)
    assert set(np.unique(xi)) == {-1, 1}
    assert xi.mean() == pytest.approx(0.4, abs=4 / np.sqrt(xi.size))
    np.testing.assert_array_equal(xi, random_patterns(50, 2000, activity=0.4, seed=0))
    assert abs(random_patterns(20, 1000, seed=1).mean()) < 4 / np.sqrt(20_000)


@pytest.mark.parametrize("activity", [1.0, -1.0, 1.5, float("nan")])
def test_random_patterns_rejects_bad_activity(activity):
    with pytest.raises(ValidationError, match="'activity' parameter of random_patterns"):
        random_patterns(3, 10, activity=activity)


def test_random_patterns_bias_is_the_old_name_of_activity():
    with pytest.warns(FutureWarning, match="'bias' parameter of random_patterns"):
        old = random_patterns(5, 100, bias=0.3, seed=2)
    np.testing.assert_array_equal(old, random_patterns(5, 100, activity=0.3, seed=2))


# -- Hebbian --------------------------------------------------------------------------------


def test_hebbian_pattern_form_and_matrix():
    xi = random_patterns(5, 40, seed=0)
    c = hebbian_couplings(xi)
    assert isinstance(c, PatternCouplings)
    J = xi.T.astype(float) @ xi / 40
    np.fill_diagonal(J, 0)
    np.testing.assert_allclose(c.to_dense(), J)
    net = hopfield(xi)
    assert net.patterns is not None and net.info["alpha"] == 5 / 40


def test_hebbian_biased_patterns_covariance_rule():
    a = 0.3
    xi = random_patterns(6, 50, activity=a, seed=1)
    c = hebbian_couplings(xi, activity=a)
    assert isinstance(c, DenseCouplings) and c.symmetric
    centred = xi - a
    J = centred.T @ centred / (50 * (1 - a * a))
    np.fill_diagonal(J, 0)
    np.testing.assert_allclose(c.J, J)
    auto = hebbian_couplings(xi, activity="auto")
    np.testing.assert_allclose(auto.J, hebbian_couplings(xi, activity=float(xi.mean())).J)


@pytest.mark.parametrize("symmetric", [True, False])
def test_hebbian_dilution(symmetric):
    xi = random_patterns(7, 300, seed=2)
    c = 0.3
    diluted = hebbian_couplings(xi, dilution=c, symmetric_dilution=symmetric, seed=3)
    assert isinstance(diluted, SparseCouplings)
    assert diluted.symmetric == symmetric
    full = hebbian_couplings(xi).to_dense()
    D = diluted.to_dense()
    kept = D != 0
    assert not np.any(np.diagonal(kept))
    np.testing.assert_allclose(D[kept], full[kept] / c)  # J_ij = c_ij/(cN) Σ ξξ
    # kept fraction: c, less the pairs whose Hebbian sum is exactly zero (P odd: none)
    frac = kept.sum() / (300 * 299)
    assert frac == pytest.approx(c, abs=0.01)
    again = hebbian_couplings(xi, dilution=c, symmetric_dilution=symmetric, seed=3).to_dense()
    np.testing.assert_array_equal(D, again)


# -- pseudo-inverse -------------------------------------------------------------------------


def test_pseudo_inverse_is_zero_diagonal_projector():
    xi = random_patterns(20, 60, seed=4)
    c = pseudo_inverse_couplings(xi)
    assert isinstance(c, DenseCouplings) and c.symmetric
    X = xi.astype(float)
    C = X @ X.T / 60
    J = X.T @ np.linalg.inv(C) @ X / 60  # (1/N) ξᵀ C⁻¹ ξ
    np.fill_diagonal(J, 0)
    np.testing.assert_allclose(c.J, J, atol=1e-12)
    # the projector maps each pattern to itself; without the diagonal ξ_i h_i = 1 − J_ii
    full = X.T @ np.linalg.inv(C) @ X / 60
    np.testing.assert_allclose(X @ full, X, atol=1e-10)
    stability = xi * (X @ c.J)
    np.testing.assert_allclose(
        stability, np.broadcast_to(1 - np.diagonal(full), xi.shape), atol=1e-10
    )


def test_pseudo_inverse_dependent_patterns_use_moore_penrose():
    xi = random_patterns(4, 30, seed=5)
    xi = np.vstack([xi, xi[:1]])  # a repeated pattern: C is singular
    c = pseudo_inverse_couplings(xi)
    ref = pseudo_inverse_couplings(xi[:4])
    np.testing.assert_allclose(c.J, ref.J, atol=1e-12)


def test_pseudo_inverse_full_rank_stores_nothing():
    xi = random_patterns(30, 20, seed=6)  # P > N: the patterns span everything
    with pytest.warns(RuntimeWarning, match="J = 0"):
        c = pseudo_inverse_couplings(xi)
    assert np.all(c.J == 0)


# -- Storkey --------------------------------------------------------------------------------


def test_storkey_matches_literal_rule():
    xi = random_patterns(6, 24, seed=6)
    c = storkey_couplings(xi)
    assert isinstance(c, DenseCouplings) and c.symmetric
    np.testing.assert_allclose(c.J, storkey_naive(xi), atol=1e-13)


@pytest.mark.parametrize("block", [1, 3, 4, 64])
def test_storkey_blocks_match_literal_rule(block):
    """Patterns learned in blocks of 1, 3 (a short last block), 4 (blocks that divide P)
    and 64 (one block) give the literal rule's couplings."""
    xi = random_patterns(12, 20, seed=8)
    J = _storkey_dense(xi, block=block)
    np.testing.assert_allclose(J, storkey_naive(xi), atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_storkey_blocks_match_pattern_by_pattern_at_scale(dtype):
    """At N = 300, P = 150 (three blocks of 64, the last short) the blocked recursion
    equals the pattern-by-pattern one (blocks of 1: a matrix-vector product per pattern,
    no sums within a block) to rounding."""
    xi = random_patterns(150, 300, seed=9)
    one = _storkey_dense(xi, np.dtype(dtype), block=1)
    blocked = _storkey_dense(xi, np.dtype(dtype), block=64)
    scale = np.abs(one).max()
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(blocked, one, atol=tol * scale, rtol=0)
    assert np.all(np.diag(blocked) == 0) and np.array_equal(blocked, blocked.T)


def test_storkey_diluted_is_masked_full_rule():
    xi = random_patterns(6, 80, seed=7)
    full = storkey_couplings(xi).J
    D = storkey_couplings(xi, dilution=0.5, symmetric_dilution=False, seed=1).to_dense()
    kept = D != 0
    np.testing.assert_allclose(D[kept], full[kept] / 0.5)


# -- perceptron-learned ---------------------------------------------------------------------


def test_perceptron_couplings_reach_margin_beyond_hebbian_capacity():
    """α = 1 (Hebbian α_c ≈ 0.138) with κ = 0.3 < Gardner's limit (α_c(0.3) ≈ 1.27)."""
    n, kappa = 120, 0.3
    xi = random_patterns(n, n, seed=8)
    net = hopfield(xi, rule="perceptron", kappa=kappa, max_epochs=3000)
    J = net.couplings.J
    assert not net.symmetric  # learned row by row
    assert np.all(np.diagonal(J) == 0)
    np.testing.assert_allclose(np.linalg.norm(J, axis=1), 1.0)
    # every pattern is a fixed point with margin κ in Gardner's normalisation
    assert gardner_stabilities(J, xi).min() >= kappa - 1e-9
    assert np.all(np.sign(xi @ J.T) == xi)
    assert net.info["n_converged"] == n
    assert theory.gardner_capacity(kappa) > 1.0


def test_perceptron_couplings_diluted_symmetrized_and_thresholds():
    n = 100
    xi = random_patterns(30, n, activity=0.4, seed=9)
    c = perceptron_couplings(xi, kappa=0.2, dilution=0.6, symmetric_dilution=False, seed=1)
    assert isinstance(c, SparseCouplings)
    D = c.to_dense()
    assert gardner_stabilities(D, xi).min() >= 0.2 - 1e-9  # only kept couplings learned
    sym = perceptron_couplings(xi, kappa=0.2, symmetrize=True)
    assert sym.symmetric
    couplings, bias, fit = perceptron_couplings(xi, kappa=0.5, thresholds=True, return_fit=True)
    assert np.all(fit.converged)
    assert gardner_stabilities(couplings.J, xi, bias).min() >= 0.5 - 1e-9
    net = hopfield(xi, rule="perceptron", kappa=0.5, thresholds=True)
    np.testing.assert_allclose(net.bias, bias)


def test_perceptron_warns_beyond_capacity():
    xi = random_patterns(60, 20, seed=10)  # α = 3 > α_c(0) = 2
    with pytest.warns(RuntimeWarning, match="did not reach the margin"):
        perceptron_couplings(xi, max_epochs=20)


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("func", RULE_FUNCTIONS)
@pytest.mark.parametrize(
    "patterns",
    [
        np.array([[1, 0, -1, 1], [1, 1, -1, -1]]),  # a zero: not ±1
        np.array([[0.5, 1, -1, 1]]),
        np.array([[1, -1, 2, 1]]),
    ],
)
def test_rules_reject_non_pm1_patterns(func, patterns):
    with pytest.raises(ValidationError, match="'patterns' parameter of .* ±1"):
        func(patterns)


@pytest.mark.parametrize("func", RULE_FUNCTIONS)
def test_rules_reject_bad_shapes(func):
    with pytest.raises(ValidationError, match="'patterns' parameter"):
        func(np.ones((2, 3, 4), dtype=np.int8))  # three axes
    with pytest.raises(ValidationError, match="'patterns' parameter .* N >= 2"):
        func(np.ones((3, 1), dtype=np.int8))  # one neuron
    with pytest.raises(ValidationError, match="'patterns' parameter"):
        func([[1, -1, 1], [1, -1]])  # ragged rows


@pytest.mark.parametrize("rule", ["hebbian", "pseudo_inverse", "storkey", "perceptron"])
def test_hopfield_rejects_non_pm1_and_bad_dilution(rule):
    with pytest.raises(ValidationError, match="'patterns' parameter of hopfield"):
        hopfield(np.array([[1, 0, -1]]), rule=rule)
    xi = random_patterns(2, 10, seed=0)
    for c in (0.0, 1.5, -0.1):
        with pytest.raises(ValidationError, match="'dilution' parameter"):
            hopfield(xi, rule=rule, dilution=c)


def test_hopfield_rejects_unknown_rule_and_misplaced_options():
    xi = random_patterns(2, 10, seed=0)
    with pytest.raises(ValidationError, match="'rule' parameter of hopfield"):
        hopfield(xi, rule="oja")
    with pytest.raises(ValidationError, match="'kappa' parameter of hopfield .*'perceptron'"):
        hopfield(xi, rule="hebbian", kappa=0.5)
    with pytest.raises(ValidationError, match="'activity' parameter of hopfield"):
        hopfield(xi, rule="storkey", activity=0.2)
    with pytest.raises(ValidationError, match="'activity' parameter of hebbian_couplings"):
        hebbian_couplings(xi, activity=1.0)
    with pytest.raises(ValidationError, match="'kappa' parameter of perceptron_couplings"):
        perceptron_couplings(xi, kappa=-1.0)
    hopfield(xi, rule="hebbian", kappa=0)  # defaults, in any numeric type, are fine
