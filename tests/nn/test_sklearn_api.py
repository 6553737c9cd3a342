"""The scikit-learn face of Perceptron, MLP and MLPRegressor: scikit-learn's own estimator
checks on default-constructed estimators, renamed parameters, random_state, partial_fit,
warm_start, stopping and ConvergenceWarning, sparse input and diverged training.

The independent truths: scikit-learn's check suite; a fit of k epochs against k
partial_fit calls (or a warm-started fit); the dense against the sparse kernel;
scikit-learn's MLPClassifier for the number of epochs its stopping rule runs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from statnn import datasets
from statnn.errors import TrainingDivergedError, ValidationError
from statnn.nn import MLP, MLPRegressor, Perceptron, perceptron_capacity, train_perceptrons

torch = pytest.importorskip("torch")


# -- scikit-learn's checks, default constructors, both back-ends, no exemption ----------
@parametrize_with_checks(
    [
        Perceptron(),
        MLP(),
        MLPRegressor(),
        MLP(backend="torch"),
        MLPRegressor(backend="torch"),
    ],
)
def test_sklearn_check_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def _separable(n=60, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) + 0.1 > 0).astype(int)
    return X, y


# -- renamed parameters ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "value"),
    [
        ("max_epochs", "max_iter", 3),
        ("fit_bias", "fit_intercept", False),
        ("seed", "random_state", 1),
    ],
)
def test_perceptron_old_names_warn_and_mean_the_same(old, new, value):
    X, y = _separable(seed=3)
    base = dict(shuffle=True, random_state=0, max_iter=2)
    base.pop(new, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = Perceptron(**base, **{new: value}).fit(X, y)
        with pytest.warns(FutureWarning, match=f"'{old}' parameter of Perceptron was renamed"):
            clf = Perceptron(**base, **{old: value}).fit(X, y)
    np.testing.assert_array_equal(clf.coef_, ref.coef_)
    np.testing.assert_array_equal(clf.intercept_, ref.intercept_)
    with pytest.raises(ValidationError, match=f"'{old}' parameter of Perceptron.fit"):
        Perceptron(**base, **{old: value, new: value}).fit(X, y)


@pytest.mark.parametrize(
    ("old", "new", "value"),
    [
        ("hidden", "hidden_layer_sizes", [3]),
        ("epochs", "max_iter", 3),
        ("patience", "n_iter_no_change", 1),
        ("seed", "random_state", 1),
    ],
)
@pytest.mark.parametrize("cls", [MLP, MLPRegressor])
def test_mlp_old_names_warn_and_mean_the_same(cls, old, new, value):
    X, y = _separable()
    base = dict(hidden_layer_sizes=[4], max_iter=5, random_state=0, tol=1.0)
    base.pop(new, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = cls(**base, **{new: value}).fit(X, y)
        with pytest.warns(FutureWarning, match=f"'{old}' parameter of {cls.__name__} was renamed"):
            est = cls(**base, **{old: value}).fit(X, y)
    assert est.loss_curve_ == ref.loss_curve_
    for a, b in zip(est.layers_, ref.layers_, strict=True):
        np.testing.assert_array_equal(a.W, b.W)
    other = {"hidden_layer_sizes": (), "max_iter": 7, "n_iter_no_change": 4, "random_state": 2}
    with pytest.raises(ValidationError, match=f"'{old}' parameter of {cls.__name__}.fit"):
        cls(**base, **{old: value, new: other[new]}).fit(X, y)


def test_functions_old_names_warn():
    X, y = _separable()
    Y = np.where(y == 1, 1.0, -1.0)
    ref = train_perceptrons(X, Y, max_iter=2, fit_intercept=False)
    with pytest.warns(FutureWarning, match="'max_epochs' parameter of train_perceptrons"):
        old = train_perceptrons(X, Y, max_epochs=2, fit_intercept=False)
    np.testing.assert_array_equal(old.W, ref.W)
    with pytest.warns(FutureWarning, match="'fit_bias' parameter of train_perceptrons"):
        old = train_perceptrons(X, Y, max_iter=2, fit_bias=False)
    np.testing.assert_array_equal(old.W, ref.W)
    with pytest.warns(FutureWarning, match="'max_epochs' parameter of perceptron_capacity"):
        perceptron_capacity([1.0], [5], trials=3, seed=0, max_epochs=10)


def test_the_package_itself_uses_the_new_names():
    from statnn.experiments import run_experiment
    from statnn.memory import hopfield, random_patterns

    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        for name in ("xor-digits", "first-neurons", "perceptron-capacity"):
            run_experiment(name, "tiny", seed=0)
        hopfield(random_patterns(3, 20, seed=0), rule="perceptron")


# -- random_state ------------------------------------------------------------------------
def _fit_weights(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    return est.layers_[0].W.copy() if hasattr(est, "layers_") else est.coef_.copy()


@pytest.mark.parametrize(
    "make",
    [
        lambda rs: Perceptron(shuffle=True, max_iter=3, random_state=rs),
        lambda rs: MLP(hidden_layer_sizes=[3], max_iter=2, random_state=rs),
    ],
    ids=["Perceptron", "MLP"],
)
def test_random_state_kinds(make):
    X, y = _separable()
    by_int = _fit_weights(make(7), X, y)
    est = make(7)
    np.testing.assert_array_equal(_fit_weights(est, X, y), _fit_weights(est, X, y))
    ss = np.random.SeedSequence(7)
    est = make(ss)
    np.testing.assert_array_equal(_fit_weights(est, X, y), _fit_weights(est, X, y))
    # a Generator is used as given (and advanced): same seed, same first fit
    a = _fit_weights(make(np.random.default_rng(3)), X, y)
    b = _fit_weights(make(np.random.default_rng(3)), X, y)
    np.testing.assert_array_equal(a, b)
    gen = np.random.default_rng(3)
    est = make(gen)
    first, second = _fit_weights(est, X, y), _fit_weights(est, X, y)
    assert not np.array_equal(first, second)
    # None draws from numpy's global state, as in scikit-learn
    np.random.seed(11)  # noqa: NPY002 (the global state is what None means)
    a = _fit_weights(make(None), X, y)
    np.random.seed(11)  # noqa: NPY002 (the global state is what None means)
    np.testing.assert_array_equal(a, _fit_weights(make(None), X, y))
    assert by_int.shape == a.shape
    for bad in (-1, 1.5, "0", True):
        with pytest.raises(ValidationError, match="'random_state' parameter"):
            make(bad).fit(X, y)


# -- partial_fit and warm_start ----------------------------------------------------------
def test_perceptron_partial_fit_is_fit_epoch_by_epoch():
    X, y = datasets.digits()
    X, y = X[:300], y[:300]
    k = 4
    with pytest.warns(ConvergenceWarning):
        ref = Perceptron(max_iter=k).fit(X, y)
    inc = Perceptron()
    for _ in range(k):
        inc.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_array_equal(inc.coef_, ref.coef_)
    np.testing.assert_array_equal(inc.intercept_, ref.intercept_)
    assert inc.n_iter_ == k
    # warm start: 2 + 2 epochs are the same 4 epochs
    warm = Perceptron(max_iter=2, warm_start=True)
    with pytest.warns(ConvergenceWarning):
        warm.fit(X, y)
        warm.fit(X, y)
    np.testing.assert_array_equal(warm.coef_, ref.coef_)


def test_perceptron_partial_fit_arguments():
    X, y = _separable()
    with pytest.raises(ValidationError, match="'classes' parameter of Perceptron.partial_fit"):
        Perceptron().partial_fit(X, y)
    clf = Perceptron().partial_fit(X[y == 0], y[y == 0], classes=[0, 1])  # one class seen
    assert clf.classes_.tolist() == [0, 1]
    with pytest.raises(ValidationError, match="'y' parameter.*the label 2"):
        clf.partial_fit(X[:3], [0, 1, 2])
    with pytest.raises(ValidationError, match="'classes' parameter"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValidationError, match="'X' parameter"):
        clf.partial_fit(X[:, :2], y)
    with pytest.raises(ValidationError, match="'shuffle' parameter"):
        Perceptron(shuffle="false").fit(X, y)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("cls", [MLP, MLPRegressor])
def test_mlp_partial_fit_is_fit_epoch_by_epoch(cls, backend):
    X, y = _separable(n=50)
    k = 3
    kw = dict(hidden_layer_sizes=[5], batch_size=8, random_state=0, backend=backend)
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        ref = cls(max_iter=k, **kw).fit(X, y)
    inc = cls(**kw)
    extra = dict(classes=[0, 1]) if cls is MLP else {}
    for _ in range(k):
        inc.partial_fit(X, y, **extra)  # Adam's moments carry over between calls
    np.testing.assert_allclose(inc.loss_curve_, ref.loss_curve_, rtol=1e-12)
    for a, b in zip(inc.layers_, ref.layers_, strict=True):
        np.testing.assert_allclose(a.W, b.W, rtol=1e-12)
    assert inc.n_iter_ == k and not inc.converged_


def test_pickling_keeps_partial_fit_state_of_the_live_estimator():
    import pickle

    X, y = _separable(n=50)
    kw = dict(hidden_layer_sizes=[5], batch_size=8, random_state=0)
    a, b = MLP(**kw), MLP(**kw)
    for est in (a, b):
        est.partial_fit(X, y, classes=[0, 1])
    pickle.dumps(a)  # must not drop a's optimizer state
    a.partial_fit(X, y)
    b.partial_fit(X, y)
    assert a.loss_curve_ == b.loss_curve_
    again = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(again.predict_proba(X), a.predict_proba(X))
    again.partial_fit(X, y)  # continues (with a fresh optimizer state)
    assert again.n_iter_ == 3


def test_mlp_warm_start_continues():
    X, y = _separable(n=50)
    kw = dict(hidden_layer_sizes=[5], optimizer="sgd", lr=0.05, shuffle=False, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = MLP(max_iter=5, **kw).fit(X, y)
        warm = MLP(max_iter=3, warm_start=True, **kw).fit(X, y)
        warm.set_params(max_iter=2).fit(X, y)
    assert warm.n_iter_ == 5 and len(warm.loss_curve_) == 5
    np.testing.assert_allclose(warm.loss_curve_, ref.loss_curve_, rtol=1e-12)
    with pytest.raises(ValidationError, match="'warm_start' parameter"):
        warm.fit(X, 2 * y)
    with pytest.raises(ValidationError, match="'warm_start' parameter"):
        warm.set_params(hidden_layer_sizes=[6]).fit(X, y)


# -- stopping, ConvergenceWarning, verbose ------------------------------------------------
def test_stopping_rule_matches_scikit_learn():
    from sklearn.neural_network import MLPClassifier

    X, y = _separable()
    for n in (1, 3):
        kw = dict(tol=1e9, n_iter_no_change=n, max_iter=50)
        ours = MLP(hidden_layer_sizes=[3], random_state=0, **kw).fit(X, y)
        theirs = MLPClassifier(hidden_layer_sizes=(3,), random_state=0, **kw).fit(X, y)
        assert ours.n_iter_ == theirs.n_iter_ == n + 2
        assert ours.converged_


def test_convergence_warning_at_max_iter_and_verbose(capsys):
    X, y = _separable()
    with pytest.warns(ConvergenceWarning, match="MLP stopped at max_iter=2"):
        clf = MLP(hidden_layer_sizes=[3], max_iter=2, random_state=0, verbose=1).fit(X, y)
    assert not clf.converged_ and clf.n_iter_ == 2
    assert clf.loss_curve_ == clf.history_["loss"]
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out and "Iteration 2, loss = " in out
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = Perceptron(verbose=1).fit(X, y)  # separable: converges, no warning
    assert clf.converged_ and "-- Epoch 1:" in capsys.readouterr().out


# -- sparse input ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw",
    [dict(), dict(kappa=0.3), dict(pocket=True, max_iter=20), dict(shuffle=True, random_state=0)],
)
def test_perceptron_sparse_equals_dense(kw):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 30)) * (rng.random((80, 30)) < 0.2)
    y = rng.integers(0, 3, 80)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = Perceptron(**kw).fit(X, y)
        sparse = Perceptron(**kw).fit(sp.csr_matrix(X), y)
        csc = Perceptron(**kw).fit(sp.csc_array(X), y)
    np.testing.assert_array_equal(sparse.coef_, dense.coef_)
    np.testing.assert_array_equal(csc.coef_, dense.coef_)
    np.testing.assert_array_equal(sparse.intercept_, dense.intercept_)
    assert sparse.n_iter_ == dense.n_iter_
    np.testing.assert_array_equal(sparse.predict(sp.csr_matrix(X)), dense.predict(X))


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("cls", [MLP, MLPRegressor])
def test_mlp_sparse_equals_dense(cls, backend):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 12)) * (rng.random((60, 12)) < 0.3)
    y = (X.sum(1) > 0).astype(int)
    kw = dict(hidden_layer_sizes=[4], max_iter=3, random_state=0, backend=backend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = cls(**kw).fit(X, y)
        sparse = cls(**kw).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-12)
    np.testing.assert_allclose(
        sparse.predict(sp.csr_matrix(X)) * 1.0, dense.predict(X) * 1.0, rtol=1e-12
    )


# -- diverged training -------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_diverged_training_raises_and_leaves_no_nan_model(backend):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3)) * 10
    y = X @ [1.0, -2.0, 3.0] * 10
    reg = MLPRegressor(hidden_layer_sizes=[8], lr=10, optimizer="sgd", max_iter=30, backend=backend)
    with pytest.raises(TrainingDivergedError, match="diverged at epoch .*Lower lr"):
        reg.fit(X, y)
    with pytest.raises(NotFittedError):
        reg.predict(X)
    # partial_fit keeps the weights of the last call that succeeded
    reg = MLPRegressor(hidden_layer_sizes=(), optimizer="sgd", lr=1e-6, backend=backend)
    reg.partial_fit(X, y)
    reg.set_params(lr=1e6)
    with pytest.raises(TrainingDivergedError):
        for _ in range(50):
            good = reg.predict(X)
            reg.partial_fit(X, y)
    assert np.all(np.isfinite(good))
    np.testing.assert_array_equal(reg.predict(X), good)


def test_perceptron_overflow_raises():
    X = np.array([[1e308, 1e308], [-1e308, 1e308]])
    with pytest.raises(TrainingDivergedError, match="Perceptron diverged"):
        Perceptron(lr=1e10).fit(X, [0, 1])


def test_sparse_refused_where_not_supported_names_the_argument():
    from statnn.nn._sk import check_X

    with pytest.raises(ValidationError, match="'X' parameter of f must be a dense array"):
        check_X(MLP(), sp.csr_matrix(np.eye(3)), "f", reset=True)
