"""The MLP estimators: textbook problems, digits on both back-ends, scikit-learn's checks,
and errors that name the bad argument."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from statnn import datasets
from statnn.errors import BackendUnavailableError, ValidationError
from statnn.nn import MLP, MLPRegressor, count_parameters
from statnn.nn.optimizers import Adam

torch = pytest.importorskip("torch")


def test_import_statnn_does_not_import_torch():
    code = "import sys, statnn; statnn.MLP().get_params(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_one_hidden_layer_solves_xor(backend):
    X, y = datasets.xor()
    clf = MLP(
        hidden_layer_sizes=[8],
        activation="tanh",
        lr=0.05,
        max_iter=300,
        batch_size=4,
        random_state=0,
        backend=backend,
    ).fit(X, y)
    assert clf.score(X, y) == 1.0
    assert len(clf.loss_curve_) == clf.n_iter_ and clf.loss_curve_[-1] < 0.1


def test_xor_with_squared_error_and_plain_gd():
    X, y = datasets.xor()
    clf = MLP(
        hidden_layer_sizes=[4],
        activation="sigmoid",
        loss="squared_error",
        optimizer="gd",
        lr=2.0,
        max_iter=3000,
        tol=0.0,  # through the plateau
        n_iter_no_change=3000,
        random_state=1,
    ).fit(X, y)
    assert clf.score(X, y) == 1.0


def test_simplenet_parameter_count():
    assert count_parameters([10, 64, 32, 1]) == 2817
    rng = np.random.default_rng(0)
    reg = MLPRegressor(hidden_layer_sizes=[64, 32], max_iter=1, random_state=0).fit(
        rng.normal(size=(20, 10)), rng.normal(size=20)
    )
    assert reg.n_params_ == 2817
    assert [layer.W.shape for layer in reg.layers_] == [(64, 10), (32, 64), (1, 32)]


@pytest.fixture(scope="module")
def digits_split():
    X, y = datasets.digits()
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_digits_accuracy(backend, digits_split):
    Xtr, Xte, ytr, yte = digits_split
    clf = MLP(hidden_layer_sizes=[64], lr=3e-3, max_iter=30, random_state=0, backend=backend).fit(
        Xtr, ytr
    )
    assert clf.score(Xte, yte) >= 0.97
    assert clf.history_["accuracy"][-1] > 0.99
    proba = clf.predict_proba(Xte)
    np.testing.assert_allclose(proba.sum(1), 1.0)


def test_backends_fit_the_same_network(digits_split):
    Xtr, _, ytr, _ = digits_split
    kw = dict(
        hidden_layer_sizes=[16],
        max_iter=2,
        random_state=3,
        batch_norm=True,
        weight_decay=1e-3,
        optimizer="momentum",
        lr=0.05,
    )
    a = MLP(backend="numpy", **kw).fit(Xtr[:300], ytr[:300])
    b = MLP(backend="torch", **kw).fit(Xtr[:300], ytr[:300])
    np.testing.assert_allclose(a.history_["loss"], b.history_["loss"], rtol=1e-9)
    for la, lb in zip(a.layers_, b.layers_, strict=True):
        np.testing.assert_allclose(la.W, lb.W, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(a.predict_proba(Xtr[:50]), b.predict_proba(Xtr[:50]), atol=1e-9)


def test_early_stopping_restores_the_best_epoch(digits_split):
    Xtr, Xte, ytr, yte = digits_split
    clf = MLP(
        hidden_layer_sizes=[32],
        lr=0.01,
        max_iter=200,
        early_stopping=True,
        n_iter_no_change=3,
        random_state=0,
        dropout=0.1,
    ).fit(Xtr, ytr)
    h = clf.history_
    assert clf.converged_ and clf.n_iter_ < 200 and len(h["val_loss"]) == clf.n_iter_
    assert clf.best_epoch_ == 1 + int(np.argmin(h["val_loss"]))
    # stopped after more than n_iter_no_change epochs without a tol-sized improvement
    assert 3 < clf.n_iter_ - clf.best_epoch_ + 1 <= 3 + 1 + 1
    assert clf.score(Xte, yte) > 0.9


def test_km_to_miles_regression_learns_the_factor():
    X, y = datasets.km_to_miles(n=50)
    reg = MLPRegressor(
        hidden_layer_sizes=[],
        optimizer="sgd",
        lr=1e-4,
        max_iter=200,
        tol=0.0,
        batch_size=10,
        random_state=0,
    ).fit(X, y)
    assert reg.layers_[0].W[0, 0] == pytest.approx(datasets.KM_TO_MILES, rel=1e-3)
    assert reg.score(X, y) > 0.999 and reg.predict(X).shape == (50,)


def test_optimizer_object_and_pickle(digits_split):
    Xtr, Xte, ytr, yte = digits_split
    clf = MLP(
        hidden_layer_sizes=[32],
        optimizer=Adam(lr=0.01),
        max_iter=5,
        random_state=0,
        clip_norm=1.0,
        init="xavier",
        activation="gelu",
    ).fit(Xtr, ytr)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict(Xte), clf.predict(Xte))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(activation="sigmod"), "activation"),
        (dict(loss="hinge"), "loss"),
        (dict(optimizer="lbfgs"), "optimizer"),
        (dict(hidden_layer_sizes=[0]), "hidden_layer_sizes"),
        (dict(lr=-1.0), "lr"),
        (dict(dropout=1.5), "dropout"),
        (dict(backend="jax"), "backend"),
        (dict(init="zeros"), "init"),
        (dict(batch_size=0), "batch_size"),
    ],
)
def test_bad_settings_name_the_argument(kwargs, name):
    X, y = datasets.xor()
    with pytest.raises(ValidationError, match=f"'{name}' parameter of MLP.fit"):
        MLP(max_iter=1, **kwargs).fit(X, y)


def test_bad_data_names_the_argument():
    X, y = datasets.xor()
    with pytest.raises(ValidationError, match="'X' parameter of MLP.fit.*NaN"):
        MLP(max_iter=1).fit(np.where(X == 1, np.nan, X), y)
    with pytest.raises(ValidationError, match="'y' parameter of MLP.fit"):
        MLP(max_iter=1).fit(X, y[:3])
    with pytest.raises(ValidationError, match="'loss' parameter"):
        MLP(max_iter=1, loss="binary_cross_entropy").fit(X, [0, 1, 2, 0])
    clf = MLP(hidden_layer_sizes=[2], max_iter=1).fit(X, y)
    with pytest.raises(ValidationError, match="'X' parameter of MLP.predict_proba"):
        clf.predict(np.ones((2, 3)))


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_gpu_raises():
    X, y = datasets.xor()
    with pytest.raises(BackendUnavailableError, match="'device'.*CUDA is not available"):
        MLP(backend="torch", device="cuda", max_iter=1).fit(X, y)


def test_device_needs_torch_backend():
    X, y = datasets.xor()
    with pytest.raises(ValidationError, match="'device' parameter"):
        MLP(device="cuda", max_iter=1).fit(X, y)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu(digits_split):
    Xtr, _, ytr, _ = digits_split
    kw = dict(hidden_layer_sizes=[32], max_iter=2, random_state=0, backend="torch")
    cpu = MLP(**kw).fit(Xtr, ytr)
    gpu = MLP(device="cuda", **kw).fit(Xtr, ytr)
    np.testing.assert_allclose(gpu.history_["loss"], cpu.history_["loss"], rtol=1e-6)
