"""The perceptron rule against a plain numpy twin, linear programming and Cover's theorem."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog
from sklearn.exceptions import ConvergenceWarning

from statnn import datasets
from statnn.errors import ValidationError
from statnn.nn.capacity import perceptron_capacity
from statnn.nn.perceptron import Perceptron, train_perceptrons
from statnn.theory import cover_probability


def twin(X, Y, kappa=0.0, lr=1.0, max_epochs=100, mask=None, fit_bias=True):
    """Rosenblatt's rule written out: one output, one pattern at a time."""
    P, D = X.shape
    W = np.zeros((Y.shape[1], D))
    b = np.zeros(Y.shape[1])
    m = np.ones_like(W) if mask is None else mask.astype(float)
    epochs = 0
    for k in range(Y.shape[1]):
        for epoch in range(1, max_epochs + 1):  # noqa: B007 (read after the loop)
            changed = False
            for mu in range(P):
                s = Y[mu, k] * (W[k] @ X[mu] + b[k])
                if s <= 0 or s < kappa * np.linalg.norm(W[k]):
                    W[k] += lr * Y[mu, k] * X[mu] * m[k]
                    b[k] += lr * Y[mu, k] * fit_bias
                    changed = True
            if not changed:
                break
        epochs = max(epochs, epoch)
    return W, b, epochs


def separable_lp(X, y, bias=False):
    """Linear programming judge: is there w with y_μ (w·x_μ [+ b]) ≥ 1 for every μ?"""
    A = X if not bias else np.hstack([X, np.ones((len(X), 1))])
    res = linprog(
        np.zeros(A.shape[1]),
        A_ub=-(y[:, None] * A),
        b_ub=-np.ones(len(y)),
        bounds=(None, None),
        method="highs",
    )
    return res.status == 0


@pytest.mark.parametrize("kappa", [0.0, 0.06])
def test_matches_plain_numpy_twin(kappa):
    rng = np.random.default_rng(1)
    X = rng.choice([-1.0, 1.0], size=(30, 25))
    Y = rng.choice([-1.0, 1.0], size=(30, 4))
    mask = rng.random((4, 25)) > 0.2
    fit = train_perceptrons(X, Y, kappa=kappa, lr=0.5, max_iter=200, mask=mask)
    W, b, n_iter = twin(X, Y, kappa=kappa, lr=0.5, max_epochs=200, mask=mask)
    np.testing.assert_allclose(fit.W, W)
    np.testing.assert_allclose(fit.b, b)
    assert fit.n_iter == n_iter
    assert fit.converged.all()


def test_margin_and_mask_hold_at_convergence():
    rng = np.random.default_rng(2)
    N, P, kappa = 60, 40, 0.4  # alpha = 0.67 < Gardner alpha_c(0.4) = 1.1
    xi = rng.choice([-1.0, 1.0], size=(P, N))
    mask = ~np.eye(N, dtype=bool)
    fit = train_perceptrons(xi, xi, kappa=kappa, mask=mask, fit_intercept=False, max_iter=2000)
    assert fit.converged.all() and np.all(fit.errors == 0)
    assert np.all(np.diag(fit.W) == 0.0)
    assert np.all(fit.b == 0.0)
    stability = xi * (xi @ fit.W.T) / np.linalg.norm(fit.W, axis=1)  # Gardner's Δ
    assert stability.min() >= kappa


def test_fruits_converge_and_xor_fails():
    X, y = datasets.fruits(n=100, seed=3)
    Xs = (X - X.mean(0)) / X.std(0)
    clf = Perceptron(max_iter=1000).fit(Xs, y)
    assert clf.converged_ and clf.n_iter_ >= 1 and clf.score(Xs, y) == 1.0
    X, y = datasets.xor()
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        clf = Perceptron(max_iter=100).fit(X, y)
    assert not clf.converged_ and clf.n_iter_ == 100
    assert clf.score(X, y) <= 0.75
    with pytest.warns(ConvergenceWarning):
        pocket = Perceptron(max_iter=100, pocket=True, shuffle=True, random_state=0).fit(X, y)
    assert clf.score(X, y) <= pocket.score(X, y) <= 0.75


def test_pocket_keeps_the_best_weights():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 2))
    y = np.where(X[:, 0] + 0.3 * rng.normal(size=200) > 0, 1, -1)
    plain = Perceptron(max_iter=50).fit(X, y).score(X, y)
    pocket = Perceptron(max_iter=50, pocket=True).fit(X, y).score(X, y)
    assert pocket >= plain and pocket >= 0.85


def test_one_vs_rest_on_separable_classes():
    rng = np.random.default_rng(5)
    centers = np.array([[0.0, 6.0], [6.0, 0.0], [-6.0, -6.0]])
    y = np.repeat([0, 1, 2], 30)
    X = centers[y] + rng.normal(size=(90, 2))
    clf = Perceptron().fit(X, np.array(["a", "b", "c"])[y])
    assert clf.coef_.shape == (3, 2) and clf.converged_
    assert clf.score(X, np.array(["a", "b", "c"])[y]) == 1.0


def test_learns_exactly_the_lp_separable_dichotomies_and_matches_cover():
    rng = np.random.default_rng(6)
    N, trials = 50, 60
    for alpha in (1.0, 3.0):
        P = int(alpha * N)
        X = rng.choice([-1.0, 1.0], size=(P, N))
        Y = rng.choice([-1.0, 1.0], size=(P, trials))
        fit = train_perceptrons(X, Y, fit_intercept=False, max_iter=500)
        lp = np.array([separable_lp(X, Y[:, t]) for t in range(trials)])
        np.testing.assert_array_equal(fit.converged, lp)
        p = cover_probability(P, N)
        se = np.sqrt(max(p * (1 - p), 1e-4) / trials)
        assert abs(fit.converged.mean() - p) <= 4 * se


def test_near_capacity_learned_subset_of_separable():
    rng = np.random.default_rng(7)
    N, P, trials = 12, 24, 80  # α = 2: Cover's probability is exactly 1/2
    X = rng.choice([-1.0, 1.0], size=(P, N))
    Y = rng.choice([-1.0, 1.0], size=(P, trials))
    fit = train_perceptrons(X, Y, fit_intercept=False, max_iter=3000)
    lp = np.array([separable_lp(X, Y[:, t]) for t in range(trials)])
    assert np.all(lp[fit.converged])  # the rule never claims a non-separable dichotomy
    assert abs(lp.mean() - 0.5) <= 4 * np.sqrt(0.25 / trials)
    assert fit.converged.mean() >= lp.mean() - 0.1


def test_capacity_function_follows_cover():
    res = perceptron_capacity([0.5, 1.0, 3.0], [20, 40], trials=40, seed=0, max_iter=300)
    assert res.fraction.shape == (2, 3) and res.P.tolist() == [[10, 20, 60], [20, 40, 120]]
    np.testing.assert_allclose(res.cover, cover_probability(res.P, np.array([[20], [40]])))
    assert np.all(np.abs(res.fraction - res.cover) <= 4 * np.sqrt(0.25 / 40))


def test_bad_input_names_the_argument():
    X = np.ones((4, 3))
    with pytest.raises(ValidationError, match="'Y' parameter of train_perceptrons"):
        train_perceptrons(X, np.array([1, 0, 1, 1]))
    with pytest.raises(ValidationError, match="'mask' parameter"):
        train_perceptrons(X, np.ones(4), mask=np.ones((2, 3), dtype=bool))
    with pytest.raises(ValidationError, match="'kappa' parameter"):
        train_perceptrons(X, np.ones(4), kappa=-1)
    with pytest.raises(ValidationError, match="'X' parameter of train_perceptrons"):
        train_perceptrons(np.full((4, 3), np.nan), np.ones(4))
    with pytest.raises(ValidationError, match="'X' parameter of Perceptron.fit"):
        Perceptron().fit([[1.0, np.nan], [0.0, 1.0]], [0, 1])
    with pytest.raises(ValidationError, match="'y' parameter of Perceptron.fit"):
        Perceptron().fit(X, [0, 1])
    clf = Perceptron().fit(X[:2] * [[1], [-1]], [0, 1])
    with pytest.raises(ValidationError, match="'X' parameter of Perceptron.decision_function"):
        clf.predict(np.ones((2, 5)))
