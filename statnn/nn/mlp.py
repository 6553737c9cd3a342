"""Multilayer perceptrons trained by back-propagation: ``MLP`` (classifier), ``MLPRegressor``.

Both follow scikit-learn's conventions (settings in ``__init__``, learned state with a
trailing underscore, ``fit``/``predict``/``score``) and train on one of two back-ends:
``"numpy"``, the reference written from the back-propagation equations
(:mod:`statnn.nn.mlp_numpy`), and ``"torch"``, autograd on CPU or CUDA
(:mod:`statnn.nn.mlp_torch`, imported only when asked for). For the same seed both start
from the same weights and visit the same mini-batches.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split

from statnn._validation import (
    check_choice,
    check_int,
    check_probability,
    check_real,
    param_error,
    seed_value,
)
from statnn.core.neurons import ACTIVATIONS, Activation, get_activation
from statnn.errors import BackendUnavailableError
from statnn.nn._sk import check_fitted, check_X, check_y_labels, check_y_values
from statnn.nn.layers import INITS, build_layers, count_parameters
from statnn.nn.losses import LOSSES
from statnn.nn.optimizers import OPTIMIZERS, Optimizer

BACKENDS = ("numpy", "torch")
DTYPES = ("float64", "float32")


def _hidden_activations():
    return sorted(n for n, a in ACTIVATIONS.items() if a.elementwise)


class _BaseMLP(BaseEstimator):
    """Shared settings and training loop of :class:`MLP` and :class:`MLPRegressor`."""

    def __init__(
        self,
        hidden=(100,),
        activation="relu",
        *,
        optimizer="adam",
        lr=1e-3,
        epochs=200,
        batch_size=32,
        weight_decay=0.0,
        dropout=0.0,
        batch_norm=False,
        clip_norm=None,
        init="auto",
        early_stopping=False,
        validation_fraction=0.1,
        patience=10,
        tol=1e-4,
        shuffle=True,
        backend="numpy",
        device=None,
        dtype="float64",
        seed=None,
    ):
        self.hidden = hidden
        self.activation = activation
        self.optimizer = optimizer
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.clip_norm = clip_norm
        self.init = init
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.shuffle = shuffle
        self.backend = backend
        self.device = device
        self.dtype = dtype
        self.seed = seed

    # -- settings ---------------------------------------------------------------------
    def _check_settings(self, caller):
        hidden = self.hidden
        if isinstance(hidden, numbers.Integral):
            hidden = (hidden,)
        try:
            hidden = tuple(check_int(h, "hidden", caller, minimum=1) for h in hidden)
        except TypeError:
            raise param_error("hidden", caller, "a sequence of layer widths >= 1", hidden) from None
        act = self.activation
        if not isinstance(act, Activation):
            check_choice(act, "activation", caller, _hidden_activations())
        if isinstance(self.optimizer, Optimizer):
            optimizer = self.optimizer
        else:
            name = check_choice(self.optimizer, "optimizer", caller, OPTIMIZERS)
            lr = check_real(self.lr, "lr", caller, minimum=0.0, strict_minimum=True)
            optimizer = OPTIMIZERS[name](lr=lr)
        epochs = check_int(self.epochs, "epochs", caller, minimum=1)
        if self.batch_size == "full":
            batch_size = None
        else:
            batch_size = check_int(self.batch_size, "batch_size", caller, minimum=1)
        if getattr(optimizer, "name", "") == "gd":
            batch_size = None
        weight_decay = check_real(self.weight_decay, "weight_decay", caller, minimum=0.0)
        dropout = check_real(self.dropout, "dropout", caller, minimum=0.0, maximum=0.99)
        clip_norm = None
        if self.clip_norm is not None:
            clip_norm = check_real(
                self.clip_norm, "clip_norm", caller, minimum=0.0, strict_minimum=True
            )
        check_choice(self.init, "init", caller, INITS)
        check_probability(self.validation_fraction, "validation_fraction", caller)
        check_int(self.patience, "patience", caller, minimum=1)
        check_real(self.tol, "tol", caller, minimum=0.0)
        backend = check_choice(self.backend, "backend", caller, BACKENDS)
        if backend == "numpy" and self.device not in (None, "cpu"):
            raise param_error(
                "device",
                caller,
                "None or 'cpu' with backend='numpy'",
                self.device,
                hint="Use backend='torch' for a GPU.",
            )
        dtype = np.dtype(check_choice(self.dtype, "dtype", caller, DTYPES))
        seed = seed_value(self.seed, caller)
        return dict(
            hidden=hidden,
            optimizer=optimizer,
            epochs=epochs,
            batch_size=batch_size,
            weight_decay=weight_decay,
            dropout=dropout,
            clip_norm=clip_norm,
            backend=backend,
            dtype=dtype,
            seed=seed,
        )

    def _trainer(self, layers, loss, s):
        kwargs = dict(
            weight_decay=s["weight_decay"],
            dropout=s["dropout"],
            clip_norm=s["clip_norm"],
            seed=s["seed"],
            dtype=s["dtype"],
            device=self.device,
        )
        if s["backend"] == "numpy":
            from statnn.nn.mlp_numpy import NumpyTrainer

            return NumpyTrainer(layers, loss, s["optimizer"], **kwargs)
        try:
            from statnn.nn.mlp_torch import TorchTrainer
        except ImportError as err:  # pragma: no cover
            raise BackendUnavailableError(str(err)) from err
        return TorchTrainer(layers, loss, s["optimizer"], **kwargs)

    # -- training ---------------------------------------------------------------------
    def _fit(self, X, Y, loss, out_activation, caller, stratify=None):
        s = self._check_settings(caller)
        rng = np.random.default_rng(s["seed"])
        X = X.astype(s["dtype"], copy=False)
        Y = Y.astype(s["dtype"], copy=False)
        X_val = Y_val = None
        if self.early_stopping:
            try:
                X, X_val, Y, Y_val = train_test_split(
                    X,
                    Y,
                    test_size=self.validation_fraction,
                    stratify=stratify,
                    random_state=int(rng.integers(2**31)),
                )
            except ValueError as err:
                raise param_error(
                    "validation_fraction",
                    caller,
                    "a fraction leaving samples on both sides of the split",
                    self.validation_fraction,
                    hint=str(err),
                ) from err
        sizes = [X.shape[1], *s["hidden"], Y.shape[1]]
        acts = [get_activation(self.activation).name] * len(s["hidden"]) + [out_activation]
        layers = build_layers(
            sizes, acts, init=self.init, batch_norm=self.batch_norm, rng=rng, dtype=s["dtype"]
        )
        optimizer = s["optimizer"]
        optimizer.reset()
        trainer = self._trainer(layers, loss, s)
        Xt, Yt = trainer.to_data(X), trainer.to_data(Y)
        if X_val is not None:
            Xv, Yv = trainer.to_data(X_val), trainer.to_data(Y_val)
        n = X.shape[0]
        batch_size = n if s["batch_size"] is None else min(s["batch_size"], n)
        metric = self._metric
        history = {"loss": [], self._metric_name: []}
        if X_val is not None:
            history.update({"val_loss": [], "val_" + self._metric_name: []})
        best, best_epoch, wait = np.inf, 0, 0
        best_state = None
        epoch = 0
        for epoch in range(1, s["epochs"] + 1):  # noqa: B007
            order = rng.permutation(n) if self.shuffle else np.arange(n)
            value, score = trainer.train_epoch(Xt, Yt, order, batch_size, metric)
            history["loss"].append(value)
            history[self._metric_name].append(score)
            if not np.isfinite(value):
                break
            if X_val is not None:
                val_loss, (z_val, a_val) = trainer.evaluate(Xv, Yv)
                history["val_loss"].append(val_loss)
                history["val_" + self._metric_name].append(float(metric(z_val, a_val, Yv)))
                if val_loss < best - self.tol:
                    best, best_epoch, wait = val_loss, epoch, 0
                    best_state = trainer.state()
                else:
                    wait += 1
                    if wait >= self.patience:
                        break
        self.layers_ = best_state if best_state is not None else trainer.state()
        self.best_epoch_ = best_epoch if best_state is not None else epoch
        self.n_iter_ = epoch
        self.history_ = history
        self.loss_ = history["loss"][-1]
        self.n_params_ = count_parameters(self.layers_)
        return self

    def _forward(self, X, caller):
        check_fitted(self, "layers_")
        X = check_X(self, X, caller, reset=False)
        from statnn.nn.mlp_numpy import forward

        dtype = self.layers_[0].W.dtype
        if self.backend == "torch":
            from statnn.nn.mlp_torch import predict

            return predict(self.layers_, X.astype(dtype), self.device).astype(np.float64)
        return forward(self.layers_, X.astype(dtype), train=False)[0].astype(np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.seed is None
        return tags


def _accuracy(z, a, y):
    """Share of correct classes, read from the output fields z^L (sigmoid/softmax are
    monotone: z > 0 for one output, argmax z for several)."""
    if z.shape[1] == 1:
        return (((z[:, 0] > 0) == (y[:, 0] > 0.5)) * 1.0).mean()
    return ((z.argmax(1) == y.argmax(1)) * 1.0).mean()


def _r2(z, a, y):
    resid = ((y - a) ** 2).sum()
    total = ((y - y.mean(0)) ** 2).sum()
    return 1.0 - resid / total if float(total) > 0 else 0.0 * resid


class MLP(ClassifierMixin, _BaseMLP):
    """Multilayer perceptron classifier trained by back-propagation.

    Hidden layers compute a^l = f(W^l a^{l−1} + b^l) with the transfer function
    ``activation``; the output layer is a sigmoid unit for two classes and a softmax over
    K units otherwise, so ``predict_proba`` returns probabilities. Gradients of the mean
    loss over a mini-batch follow back-propagation: δ^L = f′(z^L) ∘ ∂C/∂a^L,
    δ^l = (W^{l+1})ᵀ δ^{l+1} ∘ f′(z^l), ∂C/∂W^l = δ^l (a^{l−1})ᵀ, ∂C/∂b^l = δ^l.

    Parameters
    ----------
    hidden : sequence of int
        Widths of the hidden layers, e.g. ``[64, 32]``.
    activation : str
        Transfer function of the hidden layers: one of ``statnn.core.neurons.ACTIVATIONS``
        (identity, step, sign, sigmoid, tanh, relu, leaky_relu, prelu, elu, selu, gelu,
        gelu_tanh, silu/swish, mish, softplus).
    loss : {'cross_entropy', 'binary_cross_entropy', 'categorical_cross_entropy', 'squared_error'}
        ``cross_entropy`` picks the binary form (one sigmoid output) for two classes and
        the categorical form (softmax outputs) otherwise; the cross-entropies are fused
        with their output activation. ``squared_error`` is ½‖a − y‖² on the same outputs
        with one-hot targets.
    optimizer : str or Optimizer
        'gd' (full batch), 'sgd' (mini-batches), 'momentum', 'adagrad', 'rmsprop', 'adam',
        or an :class:`~statnn.nn.optimizers.Optimizer` object (its own ``lr`` then applies).
    lr : float
        Learning rate η.
    epochs : int
        Number of passes over the training data (fewer with early stopping).
    batch_size : int or 'full'
        Mini-batch size (``'gd'`` always uses the full batch).
    weight_decay : float
        L2 penalty λ: the loss gains (λ/2) Σ_l ‖W^l‖² (couplings only, not biases).
    dropout : float
        Probability of dropping each hidden unit during training (inverted dropout).
    batch_norm : bool
        Batch normalisation of every hidden layer's z before its activation.
    clip_norm : float or None
        Rescale the gradients when their global norm exceeds this value.
    init : {'auto', 'xavier', 'glorot_uniform', 'glorot_normal', 'he', 'he_normal', 'he_uniform'}
        Weight initialisation; 'auto' is He for the ReLU family, Xavier/Glorot otherwise.
    early_stopping : bool
        Hold out ``validation_fraction`` of the training data (stratified), stop after
        ``patience`` epochs without a validation-loss improvement larger than ``tol``, and
        keep the weights of the best epoch.
    shuffle : bool
        Shuffle the samples every epoch.
    backend : {'numpy', 'torch'}
        The numpy reference or torch autograd.
    device : str or None
        Torch device ('cpu', 'cuda', 'cuda:1'); 'cuda' without CUDA raises
        :class:`~statnn.errors.BackendUnavailableError`.
    dtype : {'float64', 'float32'}
        Floating-point precision of the training.
    seed : int or None
        Seed of the initial weights, shuffling, validation split and dropout.

    Attributes
    ----------
    classes_ : (K,) array of labels
    layers_ : list of :class:`~statnn.nn.layers.Dense` (numpy arrays, whatever the backend)
    n_params_ : int, number of learnable parameters
    history_ : dict of per-epoch lists: 'loss', 'accuracy' (running mean over the epoch's
        mini-batches) and, with early stopping, 'val_loss', 'val_accuracy'
    n_iter_ : int, epochs run;  best_epoch_ : int;  loss_ : float, last training loss
    n_features_in_ : int
    """

    _metric_name = "accuracy"
    _metric = staticmethod(_accuracy)

    def __init__(
        self,
        hidden=(100,),
        activation="relu",
        *,
        loss="cross_entropy",
        optimizer="adam",
        lr=1e-3,
        epochs=200,
        batch_size=32,
        weight_decay=0.0,
        dropout=0.0,
        batch_norm=False,
        clip_norm=None,
        init="auto",
        early_stopping=False,
        validation_fraction=0.1,
        patience=10,
        tol=1e-4,
        shuffle=True,
        backend="numpy",
        device=None,
        dtype="float64",
        seed=None,
    ):
        self.loss = loss
        super().__init__(
            hidden,
            activation,
            optimizer=optimizer,
            lr=lr,
            epochs=epochs,
            batch_size=batch_size,
            weight_decay=weight_decay,
            dropout=dropout,
            batch_norm=batch_norm,
            clip_norm=clip_norm,
            init=init,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            patience=patience,
            tol=tol,
            shuffle=shuffle,
            backend=backend,
            device=device,
            dtype=dtype,
            seed=seed,
        )

    def fit(self, X, y):
        """Train on samples X (n, D) with class labels y (n,); returns ``self``."""
        caller = "MLP.fit"
        X = check_X(self, X, caller, reset=True)
        y, classes = check_y_labels(y, X.shape[0], caller)
        loss_name = check_choice(self.loss, "loss", caller, ("cross_entropy", *LOSSES))
        K = len(classes)
        if loss_name == "binary_cross_entropy" and K != 2:
            raise param_error(
                "loss",
                caller,
                "'binary_cross_entropy' only for two classes",
                self.loss,
                hint="Use 'cross_entropy' for several classes.",
            )
        if loss_name == "cross_entropy":
            loss_name = "binary_cross_entropy" if K == 2 else "categorical_cross_entropy"
        single = K == 2 and loss_name != "categorical_cross_entropy"
        Y = y[:, None].astype(np.float64) if single else np.eye(K)[y]
        out = "sigmoid" if single else "softmax"
        self._check_settings(caller)
        self.classes_ = classes
        return self._fit(X, Y, LOSSES[loss_name](), out, caller, stratify=y)

    def predict_proba(self, X):
        """Class probabilities (n, K): the sigmoid or softmax outputs."""
        a = self._forward(X, "MLP.predict_proba")
        if a.shape[1] == 1:
            a = np.hstack([1.0 - a, a])
        return a

    def predict(self, X):
        """The most probable class of each sample."""
        check_fitted(self, "layers_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multilayer perceptron for regression: squared-error loss C = (1/n) Σ ½‖a^L − y‖².

    Same settings as :class:`MLP` (see there), with ``output_activation`` (default
    'identity', the usual choice for regression) for the output layer instead of the
    classifier's sigmoid/softmax. ``predict`` returns the outputs a^L (1-D for a 1-D y);
    ``history_`` holds 'loss', 'r2' and, with early stopping, 'val_loss', 'val_r2'.
    """

    _metric_name = "r2"
    _metric = staticmethod(_r2)

    def __init__(
        self,
        hidden=(100,),
        activation="relu",
        *,
        output_activation="identity",
        optimizer="adam",
        lr=1e-3,
        epochs=200,
        batch_size=32,
        weight_decay=0.0,
        dropout=0.0,
        batch_norm=False,
        clip_norm=None,
        init="auto",
        early_stopping=False,
        validation_fraction=0.1,
        patience=10,
        tol=1e-4,
        shuffle=True,
        backend="numpy",
        device=None,
        dtype="float64",
        seed=None,
    ):
        super().__init__(
            hidden,
            activation,
            optimizer=optimizer,
            lr=lr,
            epochs=epochs,
            batch_size=batch_size,
            weight_decay=weight_decay,
            dropout=dropout,
            batch_norm=batch_norm,
            clip_norm=clip_norm,
            init=init,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            patience=patience,
            tol=tol,
            shuffle=shuffle,
            backend=backend,
            device=device,
            dtype=dtype,
            seed=seed,
        )
        self.output_activation = output_activation

    def fit(self, X, y):
        """Train on samples X (n, D) with real targets y (n,) or (n, m); returns ``self``."""
        caller = "MLPRegressor.fit"
        X = check_X(self, X, caller, reset=True)
        Y, one_d = check_y_values(y, X.shape[0], caller)
        choices = [n for n in ACTIVATIONS if n != "prelu"]
        out = check_choice(self.output_activation, "output_activation", caller, sorted(choices))
        self._one_d = one_d
        return self._fit(X, Y, LOSSES["squared_error"](), get_activation(out).name, caller)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X):
        """The network outputs a^L."""
        a = self._forward(X, "MLPRegressor.predict")
        return a[:, 0] if self._one_d else a
