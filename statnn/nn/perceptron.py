"""Rosenblatt's perceptron rule, batched over outputs, and the ``Perceptron`` estimator.

One learning step serves two callers: :class:`Perceptron` (one output per class,
one-vs-rest) and the associative-memory module (one output per neuron, the stored
patterns as both inputs and targets, self-couplings masked out).

Output k learns pattern μ when its stability — the distance of x^μ from the decision
hyperplane, on the right side — clears the margin κ::

    y_k^μ (w_k · x^μ + b_k) / ‖w_k‖ ≥ κ          (κ = 0: y_k^μ (w_k · x^μ + b_k) > 0)

For ±1 inputs this is Gardner's stability Δ = ξ_i h_i / ‖J_i‖, so Gardner's capacity
α_c(κ) applies to κ as given (α_c(0) = 2).

and on a violated pattern it takes Rosenblatt's step::

    w_k ← w_k + η y_k^μ x^μ   (masked entries stay 0),     b_k ← b_k + η y_k^μ.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from statnn._validation import check_array, check_int, check_real, check_seed, param_error
from statnn.nn._sk import check_fitted, check_X, check_y_labels


class PerceptronFit(NamedTuple):
    """Result of :func:`train_perceptrons`.

    W : (K, D) weights; b : (K,) biases (zeros when ``fit_bias=False``);
    n_iter : epochs run (the most any output needed);
    converged : (K,) bool, True where every pattern clears the margin;
    errors : (K,) number of patterns that violate the margin with the returned weights.
    """

    W: np.ndarray
    b: np.ndarray
    n_iter: int
    converged: np.ndarray
    errors: np.ndarray


@numba.njit(parallel=True, cache=True)
def _epoch(
    X,
    Y,
    W,
    b,
    order,
    active,
    mask,
    use_mask,
    kappa,
    lr,
    fit_bias,
    pocket,
    best_W,
    best_b,
    best_err,
):
    """One pass of the perceptron rule over the patterns in ``order`` for every active output.

    Outputs are independent, so they run in parallel; each visits the same pattern order.
    With ``pocket``, after every update the output's violations over all patterns are
    counted and the weights kept in ``best_*`` when they beat the best so far (Gallant's
    pocket algorithm with ratchet). Returns the number of updates of each output.
    """
    K, D = W.shape
    updates = np.zeros(K, dtype=np.int64)
    for k in numba.prange(K):
        if not active[k]:
            continue
        norm2 = 0.0
        for d in range(D):
            norm2 += W[k, d] * W[k, d]
        for mu in order:
            h = b[k]
            for d in range(D):
                h += W[k, d] * X[mu, d]
            stability = Y[mu, k] * h
            if stability > 0.0 and stability >= kappa * np.sqrt(norm2):
                continue
            step = lr * Y[mu, k]
            norm2 = 0.0
            for d in range(D):
                if use_mask and not mask[k, d]:
                    continue
                W[k, d] += step * X[mu, d]
                norm2 += W[k, d] * W[k, d]
            if fit_bias:
                b[k] += step
            updates[k] += 1
            if pocket:
                err = _violations(X, Y, W, b, k, kappa, np.sqrt(norm2))
                if err < best_err[k]:
                    best_err[k] = err
                    best_b[k] = b[k]
                    for d in range(D):
                        best_W[k, d] = W[k, d]
    return updates


@numba.njit(cache=True)
def _violations(X, Y, W, b, k, kappa, norm):
    count = 0
    for mu in range(X.shape[0]):
        h = b[k]
        for d in range(X.shape[1]):
            h += W[k, d] * X[mu, d]
        s = Y[mu, k] * h
        if not (s > 0.0 and s >= kappa * norm):
            count += 1
    return count


def count_violations(X, Y, W, b, kappa=0.0):
    """Per output, the number of patterns whose stability is below the margin κ.

    Violated: y (w·x + b) ≤ 0, or y (w·x + b) < κ ‖w‖.
    """
    stability = Y * (X @ W.T + b)
    norm = np.sqrt(np.sum(W * W, axis=1))
    bad = (stability <= 0) | (stability < kappa * norm)
    return bad.sum(axis=0)


def train_perceptrons(
    X,
    Y,
    *,
    kappa=0.0,
    lr=1.0,
    max_epochs=1000,
    mask=None,
    fit_bias=True,
    pocket=False,
    shuffle=False,
    seed=None,
) -> PerceptronFit:
    """Train K perceptrons on the same inputs with Rosenblatt's rule and a stability margin.

    For every output k and pattern μ in turn, if y_k^μ (w_k·x^μ + b_k) / ‖w_k‖ < κ
    (κ = 0: if y_k^μ (w_k·x^μ + b_k) ≤ 0), then w_k += η y_k^μ x^μ (masked) and
    b_k += η y_k^μ. Weights start at zero. An epoch is one pass over the P patterns; all
    outputs step through the same pattern order and training stops at the first epoch in
    which no output updates (each output stops on its own: an output with no violation
    makes no further change).

    Parameters
    ----------
    X : (P, D) array
        Inputs, one pattern per row (±1 patterns or real features).
    Y : (P, K) or (P,) array of ±1
        Targets of the K outputs.
    kappa : float >= 0
        Stability margin κ: the least distance y(w·x + b)/‖w‖ of a pattern from the
        hyperplane (Gardner's Δ for ±1 inputs; capacity α_c(κ=0) = 2).
    lr : float > 0
        Learning rate η. With κ = 0 and zero initial weights the learned dichotomy does
        not depend on η.
    max_epochs : int >= 1
        Upper bound on the number of passes.
    mask : (K, D) bool array, optional
        False where a weight is forced to 0 (e.g. ``~np.eye(N, dtype=bool)`` removes
        self-couplings when a network learns its own patterns).
    fit_bias : bool
        Learn the biases b (else b = 0).
    pocket : bool
        Pocket algorithm with ratchet, for data that are not separable: after every
        update, count the output's violated patterns and keep ("pocket") the weights that
        violate the fewest so far; those are returned. Costs O(P D) per update.
    shuffle : bool
        Present the patterns in a fresh random order each epoch (drawn from ``seed``);
        by default they are presented in the given order.
    seed : int, optional
        Seed of the shuffling.

    Returns
    -------
    PerceptronFit
        ``(W, b, n_iter, converged, errors)``.
    """
    caller = "train_perceptrons"
    X = np.ascontiguousarray(check_array(X, "X", caller, ndim=2))
    Y = check_array(Y, "Y", caller, ndim=(1, 2))
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.shape[0] != X.shape[0]:
        raise param_error(
            "Y", caller, f"an array with {X.shape[0]} rows, one per row of X", f"<shape {Y.shape}>"
        )
    if not np.all(np.abs(Y) == 1):
        raise param_error("Y", caller, "an array of ±1 targets", "<other values>")
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    kappa = check_real(kappa, "kappa", caller, minimum=0.0)
    lr = check_real(lr, "lr", caller, minimum=0.0, strict_minimum=True)
    max_epochs = check_int(max_epochs, "max_epochs", caller, minimum=1)
    seed = check_seed(seed, caller)
    P, D = X.shape
    K = Y.shape[1]
    if mask is None:
        mask_arr = np.ones((1, 1), dtype=np.bool_)
    else:
        mask_arr = np.asarray(mask)
        if mask_arr.dtype != np.bool_ or mask_arr.shape != (K, D):
            raise param_error("mask", caller, f"a boolean array of shape ({K}, {D})", mask_arr)
    use_mask = mask is not None

    W = np.zeros((K, D))
    b = np.zeros(K)
    rng = np.random.default_rng(seed)
    order = np.arange(P)
    active = np.ones(K, dtype=np.bool_)
    best_W, best_b = W.copy(), b.copy()
    best_err = count_violations(X, Y, W, b, kappa).astype(np.int64)
    n_iter = 0
    for n_iter in range(1, max_epochs + 1):  # noqa: B007
        if shuffle:
            order = rng.permutation(P)
        updates = _epoch(
            X,
            Y,
            W,
            b,
            order,
            active,
            mask_arr,
            use_mask,
            kappa,
            lr,
            bool(fit_bias),
            bool(pocket),
            best_W,
            best_b,
            best_err,
        )
        active &= updates > 0
        if not active.any():
            break
    if pocket:
        done = count_violations(X, Y, W, b, kappa) == 0
        W = np.where(done[:, None], W, best_W)
        b = np.where(done, b, best_b)
    errors = count_violations(X, Y, W, b, kappa)
    return PerceptronFit(W, b, n_iter, errors == 0, errors)


class Perceptron(ClassifierMixin, BaseEstimator):
    """Rosenblatt's perceptron classifier (one-vs-rest for more than two classes).

    Output k computes sign(w_k · x + b_k); training runs :func:`train_perceptrons` with
    targets y_k = +1 for class k and −1 otherwise (a single output for two classes).
    Prediction: the sign for two classes, else argmax_k (w_k · x + b_k).

    Parameters
    ----------
    lr : float
        Learning rate η.
    max_epochs : int
        Maximum number of passes over the data.
    kappa : float
        Stability margin κ (0: plain Rosenblatt rule).
    fit_bias : bool
        Learn the bias b.
    pocket : bool
        Keep the weights with the fewest training errors (for non-separable data).
    shuffle : bool
        Visit the samples in a random order each epoch.
    seed : int or None
        Seed of the shuffling.

    Attributes
    ----------
    classes_ : (K,) array
    coef_ : (1, D) or (K, D) array
    intercept_ : (1,) or (K,) array
    n_iter_ : int, epochs run
    converged_ : bool, every training sample is learned at margin κ
    n_features_in_ : int
    """

    def __init__(
        self,
        lr=1.0,
        max_epochs=1000,
        kappa=0.0,
        fit_bias=True,
        pocket=False,
        shuffle=False,
        seed=None,
    ):
        self.lr = lr
        self.max_epochs = max_epochs
        self.kappa = kappa
        self.fit_bias = fit_bias
        self.pocket = pocket
        self.shuffle = shuffle
        self.seed = seed

    def fit(self, X, y):
        """Learn the weights with the perceptron rule; returns ``self``."""
        caller = "Perceptron.fit"
        X = check_X(self, X, caller, reset=True)
        y, classes = check_y_labels(y, X.shape[0], caller)
        self.classes_ = classes
        if len(classes) == 2:
            Y = np.where(y == 1, 1.0, -1.0)[:, None]
        else:
            Y = np.where(y[:, None] == np.arange(len(classes)), 1.0, -1.0)
        fit = train_perceptrons(
            X,
            Y,
            kappa=self.kappa,
            lr=self.lr,
            max_epochs=self.max_epochs,
            fit_bias=self.fit_bias,
            pocket=self.pocket,
            shuffle=self.shuffle,
            seed=self.seed,
        )
        self.coef_, self.intercept_ = fit.W, fit.b
        self.n_iter_ = fit.n_iter
        self.converged_ = bool(fit.converged.all())
        return self

    def decision_function(self, X):
        """w_k · x + b_k: shape (n,) for two classes, (n, K) otherwise."""
        check_fitted(self, "coef_")
        X = check_X(self, X, "Perceptron.decision_function", reset=False)
        h = X @ self.coef_.T + self.intercept_
        return h[:, 0] if h.shape[1] == 1 else h

    def predict(self, X):
        """Class labels: sign of the field for two classes, largest field otherwise."""
        h = self.decision_function(X)
        idx = (h > 0).astype(int) if h.ndim == 1 else np.argmax(h, axis=1)
        return self.classes_[idx]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
