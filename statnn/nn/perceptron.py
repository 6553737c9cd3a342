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

Inputs may be dense arrays or SciPy CSR matrices; the sparse kernel visits the stored
entries only and, for κ = 0, learns exactly the weights the dense kernel learns.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numba
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning

from statnn._validation import check_array, check_int, check_real, param_error
from statnn._validation import renamed as renamed_argument
from statnn.errors import TrainingDivergedError
from statnn.nn._sk import (
    DEPRECATED,
    check_bool,
    check_fitted,
    check_random_state,
    check_X,
    check_y_labels,
    encode_labels,
    renamed,
)


class PerceptronFit(NamedTuple):
    """Result of :func:`train_perceptrons`.

    W : (K, D) weights; b : (K,) biases (zeros when ``fit_intercept=False``);
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


@numba.njit(parallel=True, cache=True)
def _epoch_csr(
    indptr,
    indices,
    data,
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
    """:func:`_epoch` on a CSR matrix (sorted indices): fields and steps touch the stored
    entries only. ‖w_k‖ is needed only for κ > 0 and is then recomputed as in the dense
    kernel, so both kernels compare the same numbers."""
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
            for j in range(indptr[mu], indptr[mu + 1]):
                h += W[k, indices[j]] * data[j]
            stability = Y[mu, k] * h
            if stability > 0.0 and stability >= kappa * np.sqrt(norm2):
                continue
            step = lr * Y[mu, k]
            for j in range(indptr[mu], indptr[mu + 1]):
                d = indices[j]
                if use_mask and not mask[k, d]:
                    continue
                W[k, d] += step * data[j]
            if kappa > 0.0 or pocket:
                norm2 = 0.0
                for d in range(D):
                    norm2 += W[k, d] * W[k, d]
            if fit_bias:
                b[k] += step
            updates[k] += 1
            if pocket:
                err = _violations_csr(indptr, indices, data, Y, W, b, k, kappa, np.sqrt(norm2))
                if err < best_err[k]:
                    best_err[k] = err
                    best_b[k] = b[k]
                    for d in range(D):
                        best_W[k, d] = W[k, d]
    return updates


@numba.njit(cache=True)
def _violations_csr(indptr, indices, data, Y, W, b, k, kappa, norm):
    count = 0
    for mu in range(len(indptr) - 1):
        h = b[k]
        for j in range(indptr[mu], indptr[mu + 1]):
            h += W[k, indices[j]] * data[j]
        s = Y[mu, k] * h
        if not (s > 0.0 and s >= kappa * norm):
            count += 1
    return count


def count_violations(X, Y, W, b, kappa=0.0):
    """Per output, the number of patterns whose stability is below the margin κ.

    Violated: y (w·x + b) ≤ 0, or y (w·x + b) < κ ‖w‖. ``X`` may be a sparse matrix.
    """
    stability = Y * (np.asarray(X @ W.T) + b)
    norm = np.sqrt(np.sum(W * W, axis=1))
    bad = (stability <= 0) | (stability < kappa * norm)
    return bad.sum(axis=0)


def train_perceptrons(
    X,
    Y,
    *,
    kappa=0.0,
    lr=1.0,
    max_iter=1000,
    mask=None,
    fit_intercept=True,
    pocket=False,
    shuffle=False,
    random_state=None,
    coef_init=None,
    intercept_init=None,
    verbose=False,
    max_epochs=None,
    fit_bias=None,
    seed=None,
) -> PerceptronFit:
    """Train K perceptrons on the same inputs with Rosenblatt's rule and a stability margin.

    For every output k and pattern μ in turn, if y_k^μ (w_k·x^μ + b_k) / ‖w_k‖ < κ
    (κ = 0: if y_k^μ (w_k·x^μ + b_k) ≤ 0), then w_k += η y_k^μ x^μ (masked) and
    b_k += η y_k^μ. Weights start at zero (or at ``coef_init``, ``intercept_init``). An
    epoch is one pass over the P patterns; all outputs step through the same pattern
    order and training stops at the first epoch in which no output updates (each output
    stops on its own: an output with no violation makes no further change).

    Parameters
    ----------
    X : (P, D) array or SciPy sparse matrix
        Inputs, one pattern per row (±1 patterns or real features). A sparse matrix is
        trained in CSR form, touching its stored entries only.
    Y : (P, K) or (P,) array of ±1
        Targets of the K outputs.
    kappa : float >= 0
        Stability margin κ: the least distance y(w·x + b)/‖w‖ of a pattern from the
        hyperplane (Gardner's Δ for ±1 inputs; capacity α_c(κ=0) = 2).
    lr : float > 0
        Learning rate η. With κ = 0 and zero initial weights the learned dichotomy does
        not depend on η.
    max_iter : int >= 1
        Upper bound on the number of epochs (passes over the patterns).
    mask : (K, D) bool array, optional
        False where a weight is forced to 0 (e.g. ``~np.eye(N, dtype=bool)`` removes
        self-couplings when a network learns its own patterns).
    fit_intercept : bool
        Learn the biases b (else b stays at its initial value, 0 by default).
    pocket : bool
        Pocket algorithm with ratchet, for data that are not separable: after every
        update, count the output's violated patterns and keep ("pocket") the weights that
        violate the fewest so far; those are returned. Costs O(P D) per update.
    shuffle : bool
        Present the patterns in a fresh random order each epoch (drawn from
        ``random_state``); by default they are presented in the given order.
    random_state : int, numpy Generator, SeedSequence, RandomState or None
        Source of the shuffling (scikit-learn's semantics: None draws from numpy's
        global random state).
    coef_init, intercept_init : (K, D) and (K,) arrays, optional
        Initial weights and biases (masked weights are set to 0).
    verbose : bool
        Print the number of updates after each epoch.
    max_epochs, fit_bias, seed
        Old names of ``max_iter``, ``fit_intercept`` and ``random_state`` (FutureWarning).

    Returns
    -------
    PerceptronFit
        ``(W, b, n_iter, converged, errors)``.
    """
    caller = "train_perceptrons"
    max_iter = renamed_argument(caller, "max_epochs", max_epochs, "max_iter", max_iter, 1000)
    fit_intercept = renamed_argument(
        caller, "fit_bias", fit_bias, "fit_intercept", fit_intercept, True
    )
    random_state = renamed_argument(caller, "seed", seed, "random_state", random_state, None)
    sparse = sp.issparse(X)
    if sparse:
        X = sp.csr_matrix(X, dtype=np.float64)
        X.sort_indices()
        if not np.all(np.isfinite(X.data)):
            raise param_error("X", caller, "an array of finite values (no NaN or inf)", "<NaN>")
    else:
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
    max_iter = check_int(max_iter, "max_iter", caller, minimum=1)
    fit_intercept = check_bool(fit_intercept, "fit_intercept", caller)
    pocket = check_bool(pocket, "pocket", caller)
    shuffle = check_bool(shuffle, "shuffle", caller)
    rng = check_random_state(random_state, caller) if shuffle else None
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
    if coef_init is not None:
        W[...] = check_array(coef_init, "coef_init", caller, shape=(K, D))
        if use_mask:
            W[~mask_arr] = 0.0
    if intercept_init is not None:
        b[...] = check_array(intercept_init, "intercept_init", caller, shape=(K,))
    order = np.arange(P)
    active = np.ones(K, dtype=np.bool_)
    best_W, best_b = W.copy(), b.copy()
    best_err = count_violations(X, Y, W, b, kappa).astype(np.int64)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007
        if shuffle:
            order = rng.permutation(P)
        common = (order, active, mask_arr, use_mask, kappa, lr, fit_intercept, pocket)
        if sparse:
            updates = _epoch_csr(
                X.indptr, X.indices, X.data, Y, W, b, *common, best_W, best_b, best_err
            )
        else:
            updates = _epoch(X, Y, W, b, *common, best_W, best_b, best_err)
        active &= updates > 0
        if verbose:
            print(
                f"-- Epoch {n_iter}: {int(updates.sum())} updates, "
                f"{int(active.sum())} of {K} outputs still learning",
                flush=True,
            )
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

    Training converges when an epoch makes no update (every sample clears the margin κ);
    this is exact, so the estimator has no ``tol``. When ``max_iter`` epochs pass without
    convergence, ``fit`` warns with :class:`sklearn.exceptions.ConvergenceWarning` and
    sets ``converged_ = False`` (expected on data that are not linearly separable; use
    ``pocket=True`` to keep the best weights). Weights that overflow to infinity raise
    :class:`~statnn.errors.TrainingDivergedError`.

    Parameters
    ----------
    lr : float > 0, default=1.0
        Learning rate η (scikit-learn's ``eta0``).
    max_iter : int >= 1, default=1000
        Maximum number of epochs (passes over the data).
    kappa : float >= 0, default=0.0
        Stability margin κ (0: plain Rosenblatt rule).
    fit_intercept : bool, default=True
        Learn the bias b.
    pocket : bool, default=False
        Keep the weights with the fewest training errors (for non-separable data).
    shuffle : bool, default=False
        Visit the samples in a random order each epoch (scikit-learn's default is True;
        here the given order is kept unless asked).
    random_state : int, numpy Generator, SeedSequence, RandomState or None, default=None
        Source of the shuffling (scikit-learn's semantics: None draws from numpy's global
        random state; an int or SeedSequence gives the same result at every ``fit``).
    warm_start : bool, default=False
        ``fit`` starts from the previous ``coef_``/``intercept_`` instead of zero.
    verbose : int, default=0
        Print the number of updates after each epoch.
    max_epochs, fit_bias, seed
        Old names of ``max_iter``, ``fit_intercept`` and ``random_state``; they still
        work (with a FutureWarning) until statnn 0.2.

    Attributes
    ----------
    classes_ : (K,) array
    coef_ : (1, D) or (K, D) array
    intercept_ : (1,) or (K,) array
    n_iter_ : int
        Epochs run by the last ``fit`` (``partial_fit`` adds one per call).
    converged_ : bool
        Every training sample is learned at margin κ.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np, statnn as sn
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> clf = sn.Perceptron().fit(X, [0, 0, 0, 1])      # AND is linearly separable
    >>> clf.predict(X).tolist(), clf.converged_
    ([0, 0, 0, 1], True)
    """

    def __init__(
        self,
        lr=1.0,
        max_iter=1000,
        kappa=0.0,
        fit_intercept=True,
        pocket=False,
        shuffle=False,
        random_state=None,
        warm_start=False,
        verbose=0,
        *,
        max_epochs=DEPRECATED,
        fit_bias=DEPRECATED,
        seed=DEPRECATED,
    ):
        self.lr = lr
        self.max_iter = max_iter
        self.kappa = kappa
        self.fit_intercept = fit_intercept
        self.pocket = pocket
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.max_epochs = max_epochs
        self.fit_bias = fit_bias
        self.seed = seed

    _RENAMED = {"max_epochs": "max_iter", "fit_bias": "fit_intercept", "seed": "random_state"}

    def _settings(self, caller):
        s = renamed(self, caller, self._RENAMED)
        s["lr"] = check_real(self.lr, "lr", caller, minimum=0.0, strict_minimum=True)
        name = "max_epochs" if self.max_epochs is not DEPRECATED else "max_iter"
        s["max_iter"] = check_int(s["max_iter"], name, caller, minimum=1)
        s["kappa"] = check_real(self.kappa, "kappa", caller, minimum=0.0)
        name = "fit_bias" if self.fit_bias is not DEPRECATED else "fit_intercept"
        s["fit_intercept"] = check_bool(s["fit_intercept"], name, caller)
        s["pocket"] = check_bool(self.pocket, "pocket", caller)
        s["shuffle"] = check_bool(self.shuffle, "shuffle", caller)
        check_bool(self.warm_start, "warm_start", caller)
        if not isinstance(self.verbose, bool | int | np.integer) or self.verbose < 0:
            raise param_error("verbose", caller, "an int >= 0 or a bool", self.verbose)
        return s

    @staticmethod
    def _targets(y, n_classes):
        if n_classes == 2:
            return np.where(y == 1, 1.0, -1.0)[:, None]
        return np.where(y[:, None] == np.arange(n_classes), 1.0, -1.0)

    def _train(self, X, y, s, rng, max_iter, start):
        Y = self._targets(y, len(self.classes_))
        W0, b0 = start if start is not None else (None, None)
        fit = train_perceptrons(
            X,
            Y,
            kappa=s["kappa"],
            lr=s["lr"],
            max_iter=max_iter,
            fit_intercept=s["fit_intercept"],
            pocket=s["pocket"],
            shuffle=s["shuffle"],
            random_state=rng,
            coef_init=W0,
            intercept_init=b0,
            verbose=bool(self.verbose),
        )
        if not (np.all(np.isfinite(fit.W)) and np.all(np.isfinite(fit.b))):
            raise TrainingDivergedError(
                f"{type(self).__name__} diverged: the weights overflowed to infinity. "
                "Scale the inputs (e.g. with sklearn.preprocessing.StandardScaler) or lower lr."
            )
        self.coef_, self.intercept_ = fit.W, fit.b
        self.converged_ = bool(fit.converged.all())
        return fit

    def fit(self, X, y):
        """Learn the weights with the perceptron rule.

        Parameters
        ----------
        X : (n, D) array or SciPy sparse matrix
            Training samples.
        y : (n,) array
            Class labels (at least two classes).

        Returns
        -------
        Perceptron
            ``self``, fitted.
        """
        caller = "Perceptron.fit"
        s = self._settings(caller)
        warm = self.warm_start and hasattr(self, "coef_")
        X = check_X(self, X, caller, reset=True, sparse=True)
        y, classes = check_y_labels(y, X.shape[0], caller)
        start = None
        if warm:
            if not np.array_equal(classes, self.classes_) or self.coef_.shape[1] != X.shape[1]:
                raise param_error(
                    "warm_start",
                    caller,
                    "used only with the classes and number of features of the previous fit",
                    True,
                    hint="Set warm_start=False to start afresh.",
                )
            start = (self.coef_, self.intercept_)
        self.classes_ = classes
        rng = check_random_state(s["random_state"], caller)
        fit = self._train(X, y, s, rng, s["max_iter"], start)
        self.n_iter_ = fit.n_iter
        if not self.converged_:
            bad = int(fit.errors.max())
            warnings.warn(
                f"Perceptron did not converge: {bad} of {X.shape[0]} training samples still "
                f"violate the margin kappa={s['kappa']:g} after max_iter={s['max_iter']} "
                "epochs. The classes may not be linearly separable (pocket=True keeps the "
                "best weights), or training needs more epochs (raise max_iter).",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def partial_fit(self, X, y, classes=None):
        """One epoch of the perceptron rule on (X, y), continuing from the current weights.

        Parameters
        ----------
        X : (n, D) array or SciPy sparse matrix
            A batch of samples.
        y : (n,) array
            Their labels, all in ``classes``.
        classes : array, optional
            Every class label; required on the first call (as in scikit-learn), checked
            against ``classes_`` afterwards.

        Returns
        -------
        Perceptron
            ``self``. ``n_iter_`` grows by one; ``converged_`` tells whether this batch
            is learned. No ConvergenceWarning is issued.
        """
        caller = "Perceptron.partial_fit"
        s = self._settings(caller)
        first = not hasattr(self, "classes_")
        if first:
            if classes is None:
                raise param_error(
                    "classes",
                    caller,
                    "the array of every class label on the first call",
                    None,
                )
            X = check_X(self, X, caller, reset=True, sparse=True)
            _, all_classes = check_y_labels(classes, len(classes), caller)
            self.classes_ = all_classes
            self._rng = check_random_state(s["random_state"], caller)
            start, self.n_iter_ = None, 0
        else:
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise param_error(
                    "classes",
                    caller,
                    f"None or the classes of the first call {self.classes_.tolist()}",
                    classes,
                )
            X = check_X(self, X, caller, reset=False, sparse=True)
            start = (self.coef_, self.intercept_)
        y = encode_labels(y, self.classes_, X.shape[0], caller)
        if not hasattr(self, "_rng"):
            self._rng = check_random_state(s["random_state"], caller)
        self._train(X, y, s, self._rng, 1, start)
        self.n_iter_ += 1
        return self

    def decision_function(self, X):
        """Fields w_k · x + b_k.

        Parameters
        ----------
        X : (n, D) array or SciPy sparse matrix

        Returns
        -------
        ndarray
            Shape (n,) for two classes, (n, K) otherwise.
        """
        check_fitted(self, "coef_")
        X = check_X(self, X, "Perceptron.decision_function", reset=False, sparse=True)
        h = np.asarray(X @ self.coef_.T) + self.intercept_
        return h[:, 0] if h.shape[1] == 1 else h

    def predict(self, X):
        """Class labels: sign of the field for two classes, largest field otherwise.

        Parameters
        ----------
        X : (n, D) array or SciPy sparse matrix

        Returns
        -------
        ndarray
            (n,) labels from ``classes_``.
        """
        h = self.decision_function(X)
        idx = (h > 0).astype(int) if h.ndim == 1 else np.argmax(h, axis=1)
        return self.classes_[idx]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        return tags
