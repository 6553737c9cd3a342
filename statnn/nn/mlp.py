"""Multilayer perceptrons trained by back-propagation: ``MLP`` (classifier), ``MLPRegressor``.

Both follow scikit-learn's conventions (settings in ``__init__`` with scikit-learn's
names — ``hidden_layer_sizes``, ``max_iter``, ``tol``, ``n_iter_no_change``,
``random_state``, ``warm_start``, ``verbose`` —, learned state with a trailing underscore,
``fit``/``partial_fit``/``predict``/``score``) and train on one of two back-ends:
``"numpy"``, the reference written from the back-propagation equations
(:mod:`statnn.nn.mlp_numpy`), and ``"torch"``, autograd on CPU or CUDA
(:mod:`statnn.nn.mlp_torch`, imported only when asked for). For the same
``random_state`` both start from the same weights and visit the same mini-batches.

Stopping follows scikit-learn's MLP: after each epoch, an epoch whose loss (the
training loss, or with ``early_stopping`` the validation loss) is not below the best so
far minus ``tol`` counts as no improvement; training stops, converged, when more than
``n_iter_no_change`` consecutive epochs brought no improvement, and otherwise stops at
``max_iter`` epochs with a :class:`sklearn.exceptions.ConvergenceWarning`. A loss or
weight that becomes infinite or NaN stops training with
:class:`~statnn.errors.TrainingDivergedError` (scikit-learn raises a ValueError there too),
so a diverged network never returns predictions.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from statnn._validation import (
    check_choice,
    check_int,
    check_probability,
    check_real,
    param_error,
)
from statnn.core.neurons import ACTIVATIONS, Activation, get_activation
from statnn.errors import BackendUnavailableError, TrainingDivergedError
from statnn.nn._sk import (
    DEPRECATED,
    check_bool,
    check_fitted,
    check_random_state,
    check_X,
    check_y_labels,
    check_y_values,
    encode_labels,
    renamed,
)
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
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        optimizer="adam",
        lr=1e-3,
        max_iter=200,
        batch_size=32,
        weight_decay=0.0,
        dropout=0.0,
        batch_norm=False,
        clip_norm=None,
        init="auto",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        shuffle=True,
        warm_start=False,
        verbose=0,
        backend="numpy",
        device=None,
        dtype="float64",
        random_state=None,
        hidden=DEPRECATED,
        epochs=DEPRECATED,
        patience=DEPRECATED,
        seed=DEPRECATED,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.lr = lr
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.clip_norm = clip_norm
        self.init = init
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.verbose = verbose
        self.backend = backend
        self.device = device
        self.dtype = dtype
        self.random_state = random_state
        self.hidden = hidden
        self.epochs = epochs
        self.patience = patience
        self.seed = seed

    _RENAMED = {
        "hidden": "hidden_layer_sizes",
        "epochs": "max_iter",
        "patience": "n_iter_no_change",
        "seed": "random_state",
    }

    # -- settings ---------------------------------------------------------------------
    def _check_settings(self, caller):
        s = renamed(self, caller, self._RENAMED, stacklevel=5)

        def name(new):  # the name the user gave, for error messages
            old = next(o for o, n in self._RENAMED.items() if n == new)
            return old if getattr(self, old) is not DEPRECATED else new

        hidden = s["hidden_layer_sizes"]
        if isinstance(hidden, numbers.Integral):
            hidden = (hidden,)
        try:
            hidden = tuple(
                check_int(h, name("hidden_layer_sizes"), caller, minimum=1) for h in hidden
            )
        except TypeError:
            raise param_error(
                name("hidden_layer_sizes"), caller, "a sequence of layer widths >= 1", hidden
            ) from None
        act = self.activation
        if not isinstance(act, Activation):
            check_choice(act, "activation", caller, _hidden_activations())
        if isinstance(self.optimizer, Optimizer):
            optimizer = self.optimizer
        else:
            opt = check_choice(self.optimizer, "optimizer", caller, OPTIMIZERS)
            lr = check_real(self.lr, "lr", caller, minimum=0.0, strict_minimum=True)
            optimizer = OPTIMIZERS[opt](lr=lr)
        max_iter = check_int(s["max_iter"], name("max_iter"), caller, minimum=1)
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
        check_bool(self.batch_norm, "batch_norm", caller)
        check_bool(self.early_stopping, "early_stopping", caller)
        check_bool(self.shuffle, "shuffle", caller)
        warm_start = check_bool(self.warm_start, "warm_start", caller)
        if not isinstance(self.verbose, bool | int | np.integer) or self.verbose < 0:
            raise param_error("verbose", caller, "an int >= 0 or a bool", self.verbose)
        check_probability(self.validation_fraction, "validation_fraction", caller)
        n_iter_no_change = check_int(
            s["n_iter_no_change"], name("n_iter_no_change"), caller, minimum=1
        )
        tol = check_real(self.tol, "tol", caller, minimum=0.0)
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
        return dict(
            hidden=hidden,
            optimizer=optimizer,
            max_iter=max_iter,
            batch_size=batch_size,
            weight_decay=weight_decay,
            dropout=dropout,
            clip_norm=clip_norm,
            backend=backend,
            dtype=dtype,
            random_state=s["random_state"],
            random_state_name=name("random_state"),
            warm_start=warm_start,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
        )

    def _trainer(self, layers, loss, s, seed):
        kwargs = dict(
            weight_decay=s["weight_decay"],
            dropout=s["dropout"],
            clip_norm=s["clip_norm"],
            seed=seed,
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
    def _fit(self, X, Y, loss, out_activation, caller, *, s, reuse, incremental, stratify=None):
        """Train from scratch, or (``reuse``) continue from ``layers_``.

        ``incremental`` (partial_fit): one epoch, the optimizer state kept between calls,
        no early stopping and no ConvergenceWarning.
        """
        cls = type(self).__name__
        if reuse and hasattr(self, "_rng"):
            rng = self._rng
        else:
            rng = check_random_state(s["random_state"], caller, s["random_state_name"])
        X = X.astype(s["dtype"], copy=False)
        Y = Y.astype(s["dtype"], copy=False)
        X_val = Y_val = None
        early = self.early_stopping and not incremental
        if early:
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
        if reuse:
            old = [(layer.W.shape[1], layer.W.shape[0], layer.activation) for layer in self.layers_]
            new = [(a, b, f) for a, b, f in zip(sizes[:-1], sizes[1:], acts, strict=True)]
            if old != new or any(
                (layer.gamma is not None) != (self.batch_norm and i < len(old) - 1)
                for i, layer in enumerate(self.layers_)
            ):
                raise param_error(
                    "warm_start" if not incremental else "hidden_layer_sizes",
                    caller,
                    "used with the network architecture of the previous fit",
                    f"<layers {sizes} ({', '.join(acts)})>",
                    hint="Set warm_start=False (or call fit) to start afresh.",
                )
        trainer = getattr(self, "_trainer_state", None) if (reuse and incremental) else None
        if trainer is not None and not isinstance(self.optimizer, Optimizer):
            trainer.set_lr(s["optimizer"].lr)  # a changed lr applies; the moments are kept
        if trainer is None:
            if reuse:
                layers = [layer.copy() for layer in self.layers_]
                for layer in layers:
                    for k, v in layer._arrays().items():
                        if v is not None:
                            setattr(layer, k, v.astype(s["dtype"], copy=False))
            else:
                layers = build_layers(
                    sizes,
                    acts,
                    init=self.init,
                    batch_norm=self.batch_norm,
                    rng=rng,
                    dtype=s["dtype"],
                )
            optimizer = s["optimizer"]
            optimizer.reset()
            trainer = self._trainer(layers, loss, s, int(rng.integers(2**63)))
        self._trainer_state = None  # set again below once training succeeded
        Xt = trainer.to_source(X)
        Yt = trainer.to_data(Y)
        if X_val is not None:
            Xv, Yv = trainer.to_data(X_val), trainer.to_data(Y_val)
        n = X.shape[0]
        batch_size = n if s["batch_size"] is None else min(s["batch_size"], n)
        metric = self._metric
        mname = self._metric_name
        if reuse:
            history = {k: list(v) for k, v in self.history_.items()}
            n_iter = self.n_iter_
        else:
            history, n_iter = {"loss": [], mname: []}, 0
        if early:
            history.setdefault("val_loss", [])
            history.setdefault("val_" + mname, [])
        best_loss = self.best_loss_ if (reuse and self.best_loss_ is not None) else np.inf
        best_val, best_epoch, best_state = np.inf, n_iter, None
        no_improvement = 0
        converged = False
        tol, patience = s["tol"], s["n_iter_no_change"]
        for _ in range(1 if incremental else s["max_iter"]):
            order = rng.permutation(n) if self.shuffle else np.arange(n)
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is raised below
                value, score = trainer.train_epoch(Xt, Yt, order, batch_size, metric)
            n_iter += 1
            if not np.isfinite(value):
                self._diverged(caller, n_iter, "training loss", value, s)
            history["loss"].append(value)
            history[mname].append(score)
            if self.verbose:
                print(f"Iteration {n_iter}, loss = {value:.8f}", flush=True)
            if early:
                with np.errstate(over="ignore", invalid="ignore"):
                    val_loss, (z_val, a_val) = trainer.evaluate(Xv, Yv)
                if not np.isfinite(val_loss):
                    self._diverged(caller, n_iter, "validation loss", val_loss, s)
                history["val_loss"].append(val_loss)
                history["val_" + mname].append(float(metric(z_val, a_val, Yv)))
                if self.verbose:
                    print(f"Validation loss: {val_loss:.8f}", flush=True)
                no_improvement = no_improvement + 1 if val_loss > best_val - tol else 0
                if val_loss < best_val:
                    best_val, best_epoch, best_state = val_loss, n_iter, trainer.state()
            else:
                no_improvement = no_improvement + 1 if value > best_loss - tol else 0
                best_loss = min(best_loss, value)
            if not incremental and no_improvement > patience:
                converged = True
                if self.verbose:
                    print(
                        f"{'Validation' if early else 'Training'} loss did not improve more "
                        f"than tol={tol:g} for {patience} consecutive epochs. Stopping.",
                        flush=True,
                    )
                break
        layers = best_state if best_state is not None else trainer.state()
        if not all(np.all(np.isfinite(p)) for layer in layers for p in layer.params()):
            self._diverged(caller, n_iter, "weights", np.nan, s)
        self.layers_ = layers
        self.best_epoch_ = best_epoch if best_state is not None else n_iter
        self.n_iter_ = n_iter
        self.history_ = history
        self.loss_curve_ = list(history["loss"])
        self.loss_ = history["loss"][-1]
        self.best_loss_ = None if early else best_loss
        self.converged_ = converged
        self.n_params_ = count_parameters(self.layers_)
        self._rng = rng
        if best_state is None:
            self._trainer_state = trainer
        if not incremental and not converged:
            warnings.warn(
                f"{cls} stopped at max_iter={s['max_iter']} epochs without converging: the "
                f"{'validation' if early else 'training'} loss was still improving by more "
                f"than tol={tol:g} within the last n_iter_no_change={patience} epochs. "
                "Raise max_iter, or raise tol to stop earlier.",
                ConvergenceWarning,
                stacklevel=4,
            )
        return self

    def _diverged(self, caller, epoch, what, value, s):
        self._trainer_state = None
        lr = getattr(s["optimizer"], "lr", self.lr)
        raise TrainingDivergedError(
            f"{caller} diverged at epoch {epoch}: the {what} became {value} "
            f"(optimizer {getattr(s['optimizer'], 'name', s['optimizer'])!r}, lr={lr:g}). "
            "Lower lr, scale the inputs (e.g. with sklearn.preprocessing.StandardScaler), "
            "or set clip_norm."
        )

    def _forward(self, X, caller):
        check_fitted(self, "layers_")
        X = check_X(self, X, caller, reset=False, sparse=True)
        from statnn.nn.mlp_numpy import forward

        dtype = self.layers_[0].W.dtype
        if sp.issparse(X):  # densified a block of rows at a time
            blocks = [X[i : i + 1024].toarray() for i in range(0, X.shape[0], 1024)]
        else:
            blocks = [X]
        out = []
        for block in blocks:
            if self.backend == "torch":
                from statnn.nn.mlp_torch import predict

                out.append(predict(self.layers_, block.astype(dtype), self.device))
            else:
                out.append(forward(self.layers_, block.astype(dtype), train=False)[0])
        return np.concatenate(out).astype(np.float64)

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: the live estimator keeps its trainer
        state.pop("_trainer_state", None)  # optimizer moments: partial_fit restarts them
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
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


_COMMON_PARAMS = """
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Widths of the hidden layers, e.g. ``(64, 32)``; ``()`` for none. (scikit-learn's
        name; ``hidden`` is the old name.)
    activation : str, default='relu'
        Transfer function of the hidden layers: one of ``statnn.core.neurons.ACTIVATIONS``
        (identity, step, sign, sigmoid, tanh, relu, leaky_relu, prelu, elu, selu, gelu,
        gelu_tanh, silu/swish, mish, softplus). scikit-learn's 'logistic' is 'sigmoid'.
    optimizer : str or Optimizer, default='adam'
        'gd' (full batch), 'sgd' (mini-batches), 'momentum', 'adagrad', 'rmsprop', 'adam',
        or an :class:`~statnn.nn.optimizers.Optimizer` object (its own ``lr`` then applies).
        scikit-learn calls it ``solver``.
    lr : float > 0, default=1e-3
        Learning rate η (scikit-learn's ``learning_rate_init``).
    max_iter : int >= 1, default=200
        Maximum number of epochs (passes over the training data).
    batch_size : int or 'full', default=32
        Mini-batch size, clipped to the number of samples ('gd' always uses the full
        batch). scikit-learn's default is min(200, n).
    weight_decay : float >= 0, default=0.0
        L2 penalty λ: the loss gains (λ/2) Σ_l ‖W^l‖² (couplings only, not biases).
        scikit-learn's ``alpha``.
    dropout : float in [0, 0.99], default=0.0
        Probability of dropping each hidden unit during training (inverted dropout).
    batch_norm : bool, default=False
        Batch normalisation of every hidden layer's z before its activation.
    clip_norm : float or None, default=None
        Rescale the gradients when their global norm exceeds this value.
    init : {'auto', 'xavier', 'glorot_uniform', 'glorot_normal', 'he', 'he_normal', \
'he_uniform'}, default='auto'
        Weight initialisation; 'auto' is He for the ReLU family, Xavier/Glorot otherwise.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for the
        classifier), judge the stopping rule on the validation loss, and keep the weights
        of the best validation epoch. (scikit-learn judges its validation score.)
    validation_fraction : float, default=0.1
        Share of the training data held out with ``early_stopping``.
    n_iter_no_change : int >= 1, default=10
        Stop (converged) when more than this many consecutive epochs did not lower the
        loss below its best minus ``tol``. (``patience`` is the old name.)
    tol : float >= 0, default=1e-4
        Improvement that counts, in loss units.
    shuffle : bool, default=True
        Shuffle the samples every epoch.
    warm_start : bool, default=False
        ``fit`` continues from the previous ``layers_`` (a fresh optimizer state; the
        architecture and classes must match) and appends to ``loss_curve_``.
    verbose : int, default=0
        Print the loss after each epoch.
    backend : {'numpy', 'torch'}, default='numpy'
        The numpy reference or torch autograd.
    device : str or None, default=None
        Torch device ('cpu', 'cuda', 'cuda:1'); 'cuda' without CUDA raises
        :class:`~statnn.errors.BackendUnavailableError`.
    dtype : {'float64', 'float32'}, default='float64'
        Floating-point precision of the training.
    random_state : int, numpy Generator, SeedSequence, RandomState or None, default=None
        Source of the initial weights, shuffling, validation split and dropout
        (scikit-learn's semantics: None draws from numpy's global random state, so
        ``np.random.seed`` makes it reproducible; an int or SeedSequence gives the same
        network at every ``fit``; a Generator is advanced).
    hidden, epochs, patience, seed
        Old names of ``hidden_layer_sizes``, ``max_iter``, ``n_iter_no_change`` and
        ``random_state``: still accepted, with a FutureWarning, until statnn 0.2."""

_COMMON_ATTRIBUTES = """
    layers_ : list of :class:`~statnn.nn.layers.Dense`
        The fitted layers (numpy arrays, whatever the backend).
    n_params_ : int
        Number of learnable parameters.
    loss_curve_ : list of float
        Training loss after each epoch (scikit-learn's name; also ``history_['loss']``).
    history_ : dict of per-epoch lists
        'loss', the metric (running mean over the epoch's mini-batches) and, with early
        stopping, 'val_loss' and the validation metric.
    n_iter_ : int
        Epochs run (counted on across ``partial_fit`` calls and warm starts).
    converged_ : bool
        The stopping rule ended training before ``max_iter`` (False after
        ``partial_fit``).
    best_loss_ : float or None
        Lowest training loss (None with early stopping).
    best_epoch_ : int
        Epoch whose weights were kept.
    loss_ : float
        Last training loss.
    n_features_in_ : int"""


class MLP(ClassifierMixin, _BaseMLP):  # noqa: D101  (docstring assembled below)
    __doc__ = (
        """Multilayer perceptron classifier trained by back-propagation.

    Hidden layers compute a^l = f(W^l a^{l−1} + b^l) with the transfer function
    ``activation``; the output layer is a sigmoid unit for two classes and a softmax over
    K units otherwise, so ``predict_proba`` returns probabilities. Gradients of the mean
    loss over a mini-batch: δ^L = f′(z^L) ∘ ∂C/∂a^L, δ^l = (W^{l+1})ᵀ δ^{l+1} ∘ f′(z^l),
    ∂C/∂W^l = δ^l (a^{l−1})ᵀ, ∂C/∂b^l = δ^l. Stopping, ConvergenceWarning and divergence
    as described in :mod:`statnn.nn.mlp`.

    Parameters
    ----------
    loss : {'cross_entropy', 'binary_cross_entropy', 'categorical_cross_entropy', \
'squared_error'}, default='cross_entropy'
        ``cross_entropy`` picks the binary form (one sigmoid output) for two classes and
        the categorical form (softmax outputs) otherwise; the cross-entropies are fused
        with their output activation. ``squared_error`` is ½‖a − y‖² on the same outputs
        with one-hot targets."""
        + _COMMON_PARAMS
        + """

    Attributes
    ----------
    classes_ : (K,) array of labels"""
        + _COMMON_ATTRIBUTES
        + """

    Examples
    --------
    >>> import numpy as np, statnn as sn
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> clf = sn.MLP((4,), activation="tanh", lr=0.05, max_iter=300, batch_size=4,
    ...              random_state=0).fit(X, [0, 1, 1, 0])
    >>> clf.predict(X).tolist()
    [0, 1, 1, 0]
    """
    )

    _metric_name = "accuracy"
    _metric = staticmethod(_accuracy)

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="cross_entropy",
        optimizer="adam",
        lr=1e-3,
        max_iter=200,
        batch_size=32,
        weight_decay=0.0,
        dropout=0.0,
        batch_norm=False,
        clip_norm=None,
        init="auto",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        shuffle=True,
        warm_start=False,
        verbose=0,
        backend="numpy",
        device=None,
        dtype="float64",
        random_state=None,
        hidden=DEPRECATED,
        epochs=DEPRECATED,
        patience=DEPRECATED,
        seed=DEPRECATED,
    ):
        self.loss = loss
        super().__init__(
            hidden_layer_sizes,
            activation,
            optimizer=optimizer,
            lr=lr,
            max_iter=max_iter,
            batch_size=batch_size,
            weight_decay=weight_decay,
            dropout=dropout,
            batch_norm=batch_norm,
            clip_norm=clip_norm,
            init=init,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            shuffle=shuffle,
            warm_start=warm_start,
            verbose=verbose,
            backend=backend,
            device=device,
            dtype=dtype,
            random_state=random_state,
            hidden=hidden,
            epochs=epochs,
            patience=patience,
            seed=seed,
        )

    def _fit_classifier(self, X, y, caller, *, incremental, classes=None):
        s = self._check_settings(caller)
        reuse = hasattr(self, "layers_") and (incremental or s["warm_start"])
        X = check_X(self, X, caller, reset=not reuse, sparse=True)
        loss_name = check_choice(self.loss, "loss", caller, ("cross_entropy", *LOSSES))
        if incremental:
            if not reuse:
                if classes is None:
                    raise param_error(
                        "classes", caller, "the array of every class label on the first call", None
                    )
                _, all_classes = check_y_labels(classes, len(classes), caller)
            else:
                all_classes = self.classes_
                if classes is not None and not np.array_equal(np.unique(classes), all_classes):
                    raise param_error(
                        "classes",
                        caller,
                        f"None or the classes of the first call {all_classes.tolist()}",
                        classes,
                    )
            y = encode_labels(y, all_classes, X.shape[0], caller)
        else:
            y, all_classes = check_y_labels(y, X.shape[0], caller)
            if reuse and not np.array_equal(all_classes, self.classes_):
                raise param_error(
                    "warm_start",
                    caller,
                    f"used only with the classes of the previous fit {self.classes_.tolist()}",
                    True,
                    hint="Set warm_start=False to start afresh.",
                )
        K = len(all_classes)
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
        self.classes_ = all_classes
        return self._fit(
            X,
            Y,
            LOSSES[loss_name](),
            out,
            caller,
            s=s,
            reuse=reuse,
            incremental=incremental,
            stratify=y,
        )

    def fit(self, X, y):
        """Train on samples X with class labels y.

        Parameters
        ----------
        X : (n, D) array or SciPy sparse matrix
            Training samples (a sparse X is densified one mini-batch at a time).
        y : (n,) array
            Class labels (at least two classes).

        Returns
        -------
        MLP
            ``self``, fitted.
        """
        return self._fit_classifier(X, y, "MLP.fit", incremental=False)

    def partial_fit(self, X, y, classes=None):
        """One epoch of mini-batch training on (X, y), continuing from the current state.

        Parameters
        ----------
        X : (n, D) array or SciPy sparse matrix
            A batch of samples.
        y : (n,) array
            Their labels, all in ``classes``.
        classes : array, optional
            Every class label: required on the first call (as in scikit-learn), checked
            against ``classes_`` afterwards.

        Returns
        -------
        MLP
            ``self``. The optimizer state (Adam's moments) carries over between calls;
            ``n_iter_`` grows by one; no early stopping, no ConvergenceWarning.
        """
        return self._fit_classifier(X, y, "MLP.partial_fit", incremental=True, classes=classes)

    def predict_proba(self, X):
        """Class probabilities: the sigmoid or softmax outputs.

        Parameters
        ----------
        X : (n, D) array or SciPy sparse matrix

        Returns
        -------
        ndarray
            (n, K), rows summing to 1, columns in the order of ``classes_``.
        """
        a = self._forward(X, "MLP.predict_proba")
        if a.shape[1] == 1:
            a = np.hstack([1.0 - a, a])
        return a

    def predict(self, X):
        """The most probable class of each sample.

        Parameters
        ----------
        X : (n, D) array or SciPy sparse matrix

        Returns
        -------
        ndarray
            (n,) labels from ``classes_``.
        """
        check_fitted(self, "layers_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class MLPRegressor(RegressorMixin, _BaseMLP):  # noqa: D101  (docstring assembled below)
    __doc__ = (
        """Multilayer perceptron for regression: squared-error loss C = (1/n) Σ ½‖a^L − y‖².

    Same network and training as :class:`MLP`, with ``output_activation`` (default
    'identity') for the output layer instead of the classifier's sigmoid/softmax.
    ``predict`` returns the outputs a^L (1-D for a 1-D y); ``history_`` holds 'loss',
    'r2' and, with early stopping, 'val_loss', 'val_r2'.

    Parameters
    ----------
    output_activation : str, default='identity'
        Transfer function of the output layer (any of ``ACTIVATIONS`` but 'prelu')."""
        + _COMMON_PARAMS
        + """

    Attributes
    ----------"""
        + _COMMON_ATTRIBUTES
        + """

    Examples
    --------
    >>> import numpy as np, statnn as sn
    >>> x = np.linspace(0, 1, 50)[:, None]
    >>> reg = sn.MLPRegressor((), activation="identity", optimizer="sgd", lr=0.5,
    ...                       batch_size=50, max_iter=2000, random_state=0).fit(x, 3 * x[:, 0] + 1)
    >>> np.round([reg.layers_[0].W[0, 0], reg.layers_[0].b[0]], 3).tolist()
    [3.0, 1.0]
    """
    )

    _metric_name = "r2"
    _metric = staticmethod(_r2)

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        output_activation="identity",
        optimizer="adam",
        lr=1e-3,
        max_iter=200,
        batch_size=32,
        weight_decay=0.0,
        dropout=0.0,
        batch_norm=False,
        clip_norm=None,
        init="auto",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        shuffle=True,
        warm_start=False,
        verbose=0,
        backend="numpy",
        device=None,
        dtype="float64",
        random_state=None,
        hidden=DEPRECATED,
        epochs=DEPRECATED,
        patience=DEPRECATED,
        seed=DEPRECATED,
    ):
        super().__init__(
            hidden_layer_sizes,
            activation,
            optimizer=optimizer,
            lr=lr,
            max_iter=max_iter,
            batch_size=batch_size,
            weight_decay=weight_decay,
            dropout=dropout,
            batch_norm=batch_norm,
            clip_norm=clip_norm,
            init=init,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            shuffle=shuffle,
            warm_start=warm_start,
            verbose=verbose,
            backend=backend,
            device=device,
            dtype=dtype,
            random_state=random_state,
            hidden=hidden,
            epochs=epochs,
            patience=patience,
            seed=seed,
        )
        self.output_activation = output_activation

    def _fit_regressor(self, X, y, caller, *, incremental):
        s = self._check_settings(caller)
        reuse = hasattr(self, "layers_") and (incremental or s["warm_start"])
        X = check_X(self, X, caller, reset=not reuse, sparse=True)
        Y, one_d = check_y_values(y, X.shape[0], caller)
        choices = [n for n in ACTIVATIONS if n != "prelu"]
        out = check_choice(self.output_activation, "output_activation", caller, sorted(choices))
        if reuse and Y.shape[1] != self.layers_[-1].W.shape[0]:
            raise param_error(
                "y",
                caller,
                f"targets with {self.layers_[-1].W.shape[0]} columns, as in the previous fit",
                f"<{Y.shape[1]} columns>",
            )
        self._one_d = one_d
        return self._fit(
            X,
            Y,
            LOSSES["squared_error"](),
            get_activation(out).name,
            caller,
            s=s,
            reuse=reuse,
            incremental=incremental,
        )

    def fit(self, X, y):
        """Train on samples X with real targets y.

        Parameters
        ----------
        X : (n, D) array or SciPy sparse matrix
            Training samples (a sparse X is densified one mini-batch at a time).
        y : (n,) or (n, m) array
            Real targets.

        Returns
        -------
        MLPRegressor
            ``self``, fitted.
        """
        return self._fit_regressor(X, y, "MLPRegressor.fit", incremental=False)

    def partial_fit(self, X, y):
        """One epoch of mini-batch training on (X, y), continuing from the current state.

        Parameters
        ----------
        X : (n, D) array or SciPy sparse matrix
        y : (n,) or (n, m) array

        Returns
        -------
        MLPRegressor
            ``self``; the optimizer state carries over between calls.
        """
        return self._fit_regressor(X, y, "MLPRegressor.partial_fit", incremental=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X):
        """The network outputs a^L.

        Parameters
        ----------
        X : (n, D) array or SciPy sparse matrix

        Returns
        -------
        ndarray
            (n,) for a 1-D training y, else (n, m).
        """
        a = self._forward(X, "MLPRegressor.predict")
        return a[:, 0] if self._one_d else a
