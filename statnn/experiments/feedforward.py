"""Feedforward studies: perceptron capacity against Cover's theorem, XOR and digits
training curves, and two first neurons (km → miles by a linear neuron, apples vs oranges by a
perceptron).

The ``backend`` argument of these experiments picks the MLP's trainer: ``"torch"`` trains
with torch, anything else (None, ``"numpy"``, ``"numba"``) with the numpy reference.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import xarray as xr
from sklearn.exceptions import ConvergenceWarning

import statnn.datasets as datasets
import statnn.theory as theory
from statnn._validation import param_error
from statnn.experiments._common import ExperimentCall, child_seeds, start_experiment
from statnn.nn.capacity import perceptron_capacity as capacity_run
from statnn.nn.mlp import MLP, MLPRegressor
from statnn.nn.perceptron import Perceptron


def _with_mlp_backend(call: ExperimentCall) -> ExperimentCall:
    """``call`` with its backend replaced by the MLP trainer's: torch stays, others numpy."""
    return replace(call, backend="torch" if call.backend == "torch" else "numpy")


CAPACITY_SIZES = {
    "tiny": dict(N=[10], alphas=[0.5, 1.0, 3.0], trials=20, max_epochs=200),
    "quick": dict(
        N=[10, 20, 40],
        alphas=np.round(np.linspace(0.25, 4.0, 16), 3).tolist(),
        trials=50,
        max_epochs=1000,
    ),
    "full": dict(
        N=[10, 20, 50, 100],
        alphas=np.round(np.linspace(0.1, 4.0, 40), 3).tolist(),
        trials=200,
        max_epochs=5000,
    ),
}


def perceptron_capacity(
    size: str = "quick",
    *,
    seed: int = 0,
    backend: str | None = None,
    device: str | None = None,
    progress: bool = False,
    **overrides,
) -> xr.Dataset:
    """Fraction of random dichotomies a perceptron learns vs α = P/N, beside Cover.

    :func:`statnn.nn.perceptron_capacity`: P = αN random ±1 patterns, ``trials`` random
    labellings, the perceptron rule without bias for at most ``max_epochs`` epochs. Cover's
    counting theorem gives the probability that a dichotomy is linearly separable,
    C(P, N)/2^P, which falls from 1 to 0 around α = 2 ever more sharply as N grows. The
    rule converges on every separable dichotomy, but near α = 2 it may need more epochs
    than allowed, so the measured fraction there lies a little below Cover's curve.

    Parameters
    ----------
    size, seed, backend, device, progress
        As in :func:`statnn.experiments.hopfield_recall` (``backend`` and ``progress``
        are recorded but unused: the rule runs in numpy, so ``device`` may only be None
        or ``'cpu'``).
    **overrides
        ``N``, ``alphas``, ``trials``, ``max_epochs``.

    Returns
    -------
    xarray.Dataset
        ``fraction``, ``fraction_err``, ``cover``, ``P`` (N, alpha) and ``cover_curve``
        (N, alpha_theory).
    """
    call = start_experiment(
        "perceptron_capacity",
        CAPACITY_SIZES,
        size,
        seed,
        backend,
        overrides,
        device=device,
        progress=progress,
    )
    if call.device not in (None, "cpu"):
        raise param_error(
            "device",
            "perceptron_capacity",
            "None or 'cpu' (the perceptron rule of this experiment runs in numpy)",
            device,
        )
    p = call.params
    res = capacity_run(
        p["alphas"], p["N"], trials=p["trials"], seed=call.seed, max_iter=p["max_epochs"]
    )
    alpha_theory = np.linspace(0.05, max(4.0, float(np.max(p["alphas"]))), 300)
    n_values = np.asarray(res.n_values)
    curve = np.empty((len(n_values), len(alpha_theory)))
    for i, n in enumerate(n_values):
        P = np.maximum(1, np.rint(alpha_theory * n).astype(int))
        curve[i] = theory.cover_probability(P, np.full_like(P, n))
    ds = xr.Dataset(
        {
            "fraction": (("N", "alpha"), res.fraction, {"long_name": "fraction learned"}),
            "fraction_err": (("N", "alpha"), res.stderr, {"long_name": "binomial error"}),
            "cover": (("N", "alpha"), res.cover, {"long_name": "Cover probability C(P,N)/2^P"}),
            "P": (("N", "alpha"), res.P, {"long_name": "number of patterns"}),
            "cover_curve": (
                ("N", "alpha_theory"),
                curve,
                {"long_name": "Cover probability at P = round(alpha N)"},
            ),
        },
        coords={
            "N": ("N", n_values, {"long_name": "input dimension"}),
            "alpha": ("alpha", np.asarray(res.alphas), {"long_name": "load P/N"}),
            "alpha_theory": alpha_theory,
        },
    )
    return call.finish(
        ds,
        experiment="perceptron-capacity",
        title="Perceptron capacity vs Cover's counting theorem",
    )


TRAINING_SIZES = {
    "tiny": dict(
        xor_hidden=[4],
        xor_epochs=300,
        xor_lr=0.05,
        digits_hidden=[16],
        digits_epochs=3,
        digits_lr=0.003,
        test_fraction=0.25,
        grid=21,
    ),
    "quick": dict(
        xor_hidden=[4],
        xor_epochs=500,
        xor_lr=0.05,
        digits_hidden=[64],
        digits_epochs=30,
        digits_lr=0.001,
        test_fraction=0.25,
        grid=101,
    ),
    "full": dict(
        xor_hidden=[4],
        xor_epochs=2000,
        xor_lr=0.02,
        digits_hidden=[128, 64],
        digits_epochs=200,
        digits_lr=0.001,
        test_fraction=0.25,
        grid=201,
    ),
}


def xor_digits(
    size: str = "quick",
    *,
    seed: int = 0,
    backend: str | None = None,
    device: str | None = None,
    progress: bool = False,
    **overrides,
) -> xr.Dataset:
    """XOR (the perceptron fails, an MLP solves it) and training curves on the 8×8 digits.

    XOR: a perceptron (step neuron) cannot separate it — no line does, so at most 3 of the
    4 points are right — while an MLP with one tanh hidden layer learns it by
    back-propagation. Digits (scikit-learn's bundled 1797 images): an MLP with ReLU hidden
    layers, Adam, mini-batches of 32, a held-out test split and a validation split
    recorded each epoch, beside a one-vs-rest perceptron's test accuracy.

    Parameters
    ----------
    size, seed, backend, device, progress
        As in :func:`statnn.experiments.hopfield_recall`; ``backend="torch"`` trains the
        MLPs with torch, otherwise numpy.
    **overrides
        ``xor_hidden``, ``xor_epochs``, ``xor_lr``, ``digits_hidden``, ``digits_epochs``,
        ``digits_lr``, ``test_fraction``, ``grid``.

    Returns
    -------
    xarray.Dataset
        ``xor_loss``, ``xor_accuracy`` (xor_epoch); ``xor_perceptron_map``,
        ``xor_mlp_map`` (y, x); ``digits_loss``, ``digits_accuracy``, ``digits_val_loss``,
        ``digits_val_accuracy`` (digits_epoch); test accuracies as attributes.
    """
    from sklearn.model_selection import train_test_split

    call = start_experiment(
        "xor_digits",
        TRAINING_SIZES,
        size,
        seed,
        backend,
        overrides,
        device=device,
        progress=progress,
    )
    call = _with_mlp_backend(call)
    p, mlp_backend = call.params, call.backend
    s_xor, s_split, s_digits, s_perc = child_seeds(call.seed, 4)

    X, y = datasets.xor()
    with warnings.catch_warnings():  # XOR is not linearly separable: the point of the panel
        warnings.simplefilter("ignore", ConvergenceWarning)
        perc = Perceptron(max_iter=100).fit(X, y)
    mlp = MLP(
        hidden_layer_sizes=p["xor_hidden"],
        activation="tanh",
        optimizer="adam",
        lr=p["xor_lr"],
        max_iter=p["xor_epochs"],
        tol=0.0,  # train every epoch: the panel shows the whole curve
        n_iter_no_change=p["xor_epochs"],
        batch_size=4,
        backend=mlp_backend,
        device=call.device,
        random_state=s_xor,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)
    grid = np.linspace(-0.5, 1.5, int(p["grid"]))
    gx, gy = np.meshgrid(grid, grid)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    perc_map = perc.predict(points).reshape(gx.shape)
    mlp_map = mlp.predict_proba(points)[:, 1].reshape(gx.shape)

    Xd, yd = datasets.digits()
    X_train, X_test, y_train, y_test = train_test_split(
        Xd, yd, test_size=p["test_fraction"], random_state=s_split % 2**32, stratify=yd
    )
    net = MLP(
        hidden_layer_sizes=p["digits_hidden"],
        activation="relu",
        optimizer="adam",
        lr=p["digits_lr"],
        max_iter=p["digits_epochs"],
        batch_size=32,
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=10**6,  # record every epoch; no stopping
        backend=mlp_backend,
        device=call.device,
        random_state=s_digits,
    )
    digits_perc = Perceptron(max_iter=100, shuffle=True, random_state=s_perc)
    with warnings.catch_warnings():  # a fixed number of epochs, by design
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(X_train, y_train)
        digits_perc.fit(X_train, y_train)
    h = net.history_
    epochs = np.arange(1, len(h["loss"]) + 1)
    ds = xr.Dataset(
        {
            "xor_loss": ("xor_epoch", np.asarray(mlp.history_["loss"]), {"long_name": "loss"}),
            "xor_accuracy": ("xor_epoch", np.asarray(mlp.history_["accuracy"])),
            "xor_perceptron_map": (("y", "x"), perc_map, {"long_name": "perceptron output"}),
            "xor_mlp_map": (("y", "x"), mlp_map, {"long_name": "MLP P(class 1)"}),
            "xor_X": (("sample", "feature"), X),
            "xor_y": ("sample", y),
            "digits_loss": ("digits_epoch", np.asarray(h["loss"]), {"long_name": "train loss"}),
            "digits_accuracy": ("digits_epoch", np.asarray(h["accuracy"])),
            "digits_val_loss": ("digits_epoch", np.asarray(h["val_loss"])),
            "digits_val_accuracy": ("digits_epoch", np.asarray(h["val_accuracy"])),
        },
        coords={
            "xor_epoch": np.arange(1, len(mlp.history_["loss"]) + 1),
            "digits_epoch": epochs,
            "x": grid,
            "y": grid,
        },
    )
    ds.attrs.update(
        xor_perceptron_accuracy=float(perc.score(X, y)),
        xor_mlp_accuracy=float(mlp.score(X, y)),
        digits_test_accuracy=float(net.score(X_test, y_test)),
        digits_perceptron_test_accuracy=float(digits_perc.score(X_test, y_test)),
        digits_train_size=int(len(y_train)),
        digits_test_size=int(len(y_test)),
        mlp_backend=mlp_backend,
    )
    return call.finish(
        ds,
        experiment="xor-digits",
        title="XOR: perceptron vs MLP; MLP training curves on 8x8 digits",
    )


FIRST_NEURONS_SIZES = {
    "tiny": dict(km_samples=20, km_noise=0.5, km_epochs=20, fruit_samples=40),
    "quick": dict(km_samples=50, km_noise=0.5, km_epochs=50, fruit_samples=100),
    "full": dict(km_samples=200, km_noise=0.5, km_epochs=200, fruit_samples=400),
}


def first_neurons(
    size: str = "quick",
    *,
    seed: int = 0,
    backend: str | None = None,
    device: str | None = None,
    progress: bool = False,
    **overrides,
) -> xr.Dataset:
    """First neurons: km → miles by one linear neuron, apples vs oranges by a perceptron.

    km → miles: one parameter w, miles ≈ w·km, updated sample by sample by
    gradient descent on the squared error from noisy distances; it learns 0.621371 mi/km.
    The same neuron from the package (:class:`statnn.nn.MLPRegressor` with no hidden
    layer, identity activation, a bias) is trained beside it. Apples vs oranges: a
    perceptron on (weight, sweetness), standardised, converges on this separable data;
    its decision line is drawn in the original units.

    Parameters
    ----------
    size, seed, backend, device, progress
        As in :func:`statnn.experiments.hopfield_recall`; ``backend="torch"`` trains the
        neuron with torch, otherwise numpy.
    **overrides
        ``km_samples``, ``km_noise``, ``km_epochs``, ``fruit_samples``.

    Returns
    -------
    xarray.Dataset
        ``km``, ``miles`` (km_sample); ``km_w``, ``km_mlp_loss`` (km_epoch);
        ``fruit_weight``, ``fruit_sweetness``, ``fruit_y`` (fruit_sample); attributes: the learned w, the package neuron's weight and bias, the exact factor, the perceptron's line
        w·x + b = 0 in original units and its accuracy.
    """
    call = start_experiment(
        "first_neurons",
        FIRST_NEURONS_SIZES,
        size,
        seed,
        backend,
        overrides,
        device=device,
        progress=progress,
    )
    call = _with_mlp_backend(call)
    p, mlp_backend = call.params, call.backend
    s_km, s_fit, s_fruit = child_seeds(call.seed, 3)

    km, miles = datasets.km_to_miles(p["km_samples"], noise=p["km_noise"], seed=s_km)
    # the naive strawman: one parameter w, miles ≈ w·km, updated sample by sample by
    # gradient descent on the squared error, w ← w + η (y − w x) x (x, y in units of 100)
    x, t = km[:, 0] / 100.0, miles / 100.0
    rng = np.random.default_rng(s_fit)
    w_km, w_history = 0.0, []
    for _ in range(int(p["km_epochs"])):
        for i in rng.permutation(len(x)):
            w_km += 0.2 * (t[i] - w_km * x[i]) * x[i]
        w_history.append(w_km)
    # the same neuron from the package: identity activation, no hidden layer, with a bias
    neuron = MLPRegressor(
        hidden_layer_sizes=(),
        activation="identity",
        optimizer="sgd",
        lr=0.2,
        max_iter=int(p["km_epochs"]),
        tol=0.0,  # every epoch, as the hand-written loop above
        n_iter_no_change=int(p["km_epochs"]),
        batch_size=1,
        backend=mlp_backend,
        device=call.device,
        random_state=s_fit,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        neuron.fit(x[:, None], t)
    mlp_weight = float(np.ravel(neuron.layers_[0].W)[0])  # (100 mi)/(100 km) = mi/km
    mlp_bias = 100.0 * float(np.ravel(neuron.layers_[0].b)[0])  # miles

    X, y = datasets.fruits(p["fruit_samples"], seed=s_fruit)
    mean, std = X.mean(axis=0), X.std(axis=0)
    clf = Perceptron(max_iter=1000).fit((X - mean) / std, y)
    w = clf.coef_[0] / std  # w·(x − mean)/std + b = 0  ⇔  (w/std)·x + (b − w·mean/std) = 0
    b = float(clf.intercept_[0] - np.sum(clf.coef_[0] * mean / std))
    ds = xr.Dataset(
        {
            "km": ("km_sample", km[:, 0], {"units": "km"}),
            "miles": ("km_sample", miles, {"units": "mi"}),
            "km_w": ("km_epoch", np.asarray(w_history), {"long_name": "learned w (mi/km)"}),
            "km_mlp_loss": (
                "km_epoch",
                np.asarray(neuron.history_["loss"]),
                {"long_name": "MLPRegressor loss, distances in units of 100"},
            ),
            "fruit_weight": ("fruit_sample", X[:, 0]),
            "fruit_sweetness": ("fruit_sample", X[:, 1]),
            "fruit_y": ("fruit_sample", y, {"long_name": "class: 0 apple, 1 orange"}),
        },
        coords={"km_epoch": np.arange(1, len(w_history) + 1)},
    )
    ds.attrs.update(
        km_weight=float(w_km),
        km_mlp_weight=mlp_weight,
        km_mlp_bias=mlp_bias,
        km_exact=datasets.KM_TO_MILES,
        fruit_w_weight=float(w[0]),
        fruit_w_sweetness=float(w[1]),
        fruit_b=b,
        fruit_accuracy=float(clf.score((X - mean) / std, y)),
        fruit_converged=int(clf.converged_),
        fruit_epochs=int(clf.n_iter_),
        mlp_backend=mlp_backend,
    )
    return call.finish(
        ds,
        experiment="first-neurons",
        title="First neurons: km to miles, apples vs oranges",
    )


def seed_examples(*args, **kwargs) -> xr.Dataset:
    """Deprecated name of :func:`first_neurons` (kept for one release)."""
    import warnings

    warnings.warn(
        "seed_examples is now first_neurons (the 'first-neurons' experiment); "
        "the old name will be removed in the next release",
        FutureWarning,
        stacklevel=2,
    )
    return first_neurons(*args, **kwargs)
