"""Perceptron capacity: the fraction of random dichotomies learned, beside Cover's curve."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from statnn._validation import check_int, check_seed, param_error, renamed
from statnn.nn.perceptron import train_perceptrons
from statnn.theory import cover_probability


class CapacityResult(NamedTuple):
    """Result of :func:`perceptron_capacity`; arrays have shape (len(n_values), len(alphas)).

    fraction : share of the ``trials`` dichotomies the perceptron learned;
    stderr : its binomial standard error √(f(1−f)/trials);
    cover : Cover's probability C(P, N)/2^P that a dichotomy is separable;
    P : the number of patterns P = round(α N) actually used.
    """

    alphas: np.ndarray
    n_values: np.ndarray
    P: np.ndarray
    fraction: np.ndarray
    stderr: np.ndarray
    cover: np.ndarray
    trials: int


def perceptron_capacity(alphas, n_values, trials=100, seed=None, *, max_iter=1000, max_epochs=None):
    """Fraction of random dichotomies of P = αN random ±1 patterns a perceptron learns.

    For each N and α, P random ±1 patterns ξ^μ ∈ {−1, +1}^N are drawn once and
    ``trials`` random label vectors y ∈ {−1, +1}^P are trained at once (one output per
    labelling, :func:`~statnn.nn.perceptron.train_perceptrons` without bias, κ = 0). A
    dichotomy counts as learned when the rule converges within ``max_iter`` epochs.
    For points in general position the share of separable dichotomies is Cover's
    p(P, N) = 2^{1−P} Σ_{k<N} binom(P−1, k), whatever the points, so the trials of one
    (N, α) are independent Bernoulli draws of that probability; the rule converges on
    every separable one, though near α = 2 it may need more than ``max_iter`` epochs.

    Parameters
    ----------
    alphas : sequence of float > 0
        Loads α = P/N.
    n_values : sequence of int >= 1
        Input dimensions N.
    trials : int
        Random dichotomies per (N, α).
    seed : int, optional
        Seed of the patterns and labels.
    max_iter : int >= 1
        Most epochs of the perceptron rule per dichotomy.
    max_epochs : int, optional
        Old name of ``max_iter`` (FutureWarning; removed in statnn 0.2).

    Returns
    -------
    CapacityResult
    """
    caller = "perceptron_capacity"
    alphas = np.atleast_1d(np.asarray(alphas, dtype=np.float64))
    if alphas.ndim != 1 or not np.all(np.isfinite(alphas)) or np.any(alphas <= 0):
        raise param_error("alphas", caller, "a sequence of floats > 0", alphas)
    n_values = np.atleast_1d(np.asarray(n_values))
    if n_values.ndim != 1 or n_values.dtype.kind not in "iu" or np.any(n_values < 1):
        raise param_error("n_values", caller, "a sequence of ints >= 1", n_values)
    trials = check_int(trials, "trials", caller, minimum=1)
    max_iter = renamed(caller, "max_epochs", max_epochs, "max_iter", max_iter, 1000)
    max_iter = check_int(max_iter, "max_iter", caller, minimum=1)
    rng = np.random.default_rng(check_seed(seed, caller))
    shape = (len(n_values), len(alphas))
    P_used = np.zeros(shape, dtype=np.int64)
    fraction = np.zeros(shape)
    for i, N in enumerate(n_values):
        for j, alpha in enumerate(alphas):
            P = max(1, int(round(alpha * N)))
            X = rng.choice([-1.0, 1.0], size=(P, int(N)))
            Y = rng.choice([-1.0, 1.0], size=(P, trials))
            fit = train_perceptrons(X, Y, fit_intercept=False, max_iter=max_iter)
            P_used[i, j] = P
            fraction[i, j] = fit.converged.mean()
    cover = cover_probability(P_used, n_values[:, None] + 0 * P_used)
    stderr = np.sqrt(fraction * (1.0 - fraction) / trials)
    return CapacityResult(alphas, n_values, P_used, fraction, stderr, np.asarray(cover), trials)
