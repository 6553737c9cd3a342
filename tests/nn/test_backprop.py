"""Back-propagation of the numpy reference against central finite differences, and the
torch back-end against the numpy reference step by step from the same initial weights."""

from __future__ import annotations

import numpy as np
import pytest

from statnn.core.neurons import ACTIVATIONS
from statnn.nn.layers import build_layers
from statnn.nn.losses import LOSSES
from statnn.nn.mlp_numpy import NumpyTrainer, loss_and_grads
from statnn.nn.optimizers import OPTIMIZERS

HIDDEN = sorted({a.name for a in ACTIVATIONS.values() if a.elementwise})
OUTPUT_OF = {
    "squared_error": "identity",
    "binary_cross_entropy": "sigmoid",
    "categorical_cross_entropy": "softmax",
}


def _problem(hidden_act, out_act, loss_name, batch_norm=False, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(7, 3))
    if loss_name == "categorical_cross_entropy":
        Y = np.eye(3)[rng.integers(0, 3, 7)]
    elif loss_name == "binary_cross_entropy":
        Y = rng.integers(0, 2, (7, 3)).astype(float)
    else:
        Y = rng.normal(size=(7, 3))
    layers = build_layers(
        [3, 5, 4, 3], [hidden_act, hidden_act, out_act], batch_norm=batch_norm, rng=rng
    )
    for layer in layers:  # non-trivial biases, slopes and BN parameters
        layer.b += rng.normal(scale=0.3, size=layer.b.shape)
        if layer.slope is not None:
            layer.slope += rng.normal(scale=0.1, size=layer.slope.shape)
        if layer.gamma is not None:
            layer.gamma += rng.normal(scale=0.2, size=layer.gamma.shape)
            layer.beta += rng.normal(scale=0.2, size=layer.beta.shape)
    return layers, X, Y


def _check_gradients(layers, X, Y, loss, h=1e-6):
    _, _, grads = loss_and_grads(layers, X, Y, loss)
    for layer, layer_grads in zip(layers, grads, strict=True):
        for p, g in zip(layer.params(), layer_grads, strict=True):
            fd = np.zeros_like(p)
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + h
                up = loss_and_grads(layers, X, Y, loss)[0]
                p[i] = old - h
                down = loss_and_grads(layers, X, Y, loss)[0]
                p[i] = old
                fd[i] = (up - down) / (2 * h)
            np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("loss_name", sorted(LOSSES))
@pytest.mark.parametrize("act", HIDDEN)
def test_gradient_check_every_activation_and_loss(act, loss_name):
    layers, X, Y = _problem(act, OUTPUT_OF[loss_name], loss_name)
    _check_gradients(layers, X, Y, LOSSES[loss_name]())


@pytest.mark.parametrize("out_act", sorted({a.name for a in ACTIVATIONS.values()} - {"prelu"}))
def test_gradient_check_squared_error_through_every_output_activation(out_act):
    layers, X, Y = _problem("tanh", out_act, "squared_error")
    _check_gradients(layers, X, Y, LOSSES["squared_error"]())


@pytest.mark.parametrize("act", ["prelu", "gelu"])
def test_gradient_check_with_batch_norm(act):
    layers, X, Y = _problem(act, "softmax", "categorical_cross_entropy", batch_norm=True)
    _check_gradients(layers, X, Y, LOSSES["categorical_cross_entropy"]())


def test_fused_cross_entropy_is_finite_for_saturated_outputs():
    z = np.array([[800.0, -800.0, 0.0]])
    y = np.array([[0.0, 1.0, 0.0]])
    sm = ACTIVATIONS["softmax"].f(z)
    assert np.isfinite(LOSSES["categorical_cross_entropy"]().value(z, sm, y))
    sg = ACTIVATIONS["sigmoid"].f(z)
    assert np.isfinite(LOSSES["binary_cross_entropy"]().value(z, sg, y))


CONFIGS = [
    dict(opt="gd"),
    dict(opt="sgd"),
    dict(opt="momentum"),
    dict(opt="adagrad"),
    dict(opt="rmsprop"),
    dict(opt="adam"),
    dict(opt="adam", act="prelu", batch_norm=True, weight_decay=0.01, clip_norm=0.5),
    dict(opt="momentum", act="gelu_tanh", loss="squared_error", weight_decay=0.1),
    dict(opt="rmsprop", act="mish", loss="binary_cross_entropy", clip_norm=0.1),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_torch_backend_agrees_with_numpy(cfg):
    from statnn.nn.mlp_torch import TorchTrainer

    loss_name = cfg.get("loss", "categorical_cross_entropy")
    act = cfg.get("act", "relu")
    layers, X, Y = _problem(act, OUTPUT_OF[loss_name], loss_name, cfg.get("batch_norm", False))
    kwargs = dict(weight_decay=cfg.get("weight_decay", 0.0), clip_norm=cfg.get("clip_norm"))
    ref = NumpyTrainer(
        [la.copy() for la in layers], LOSSES[loss_name](), OPTIMIZERS[cfg["opt"]](lr=0.05), **kwargs
    )
    tt = TorchTrainer(
        [la.copy() for la in layers], LOSSES[loss_name](), OPTIMIZERS[cfg["opt"]](lr=0.05), **kwargs
    )
    Xt, Yt = tt.to_data(X), tt.to_data(Y)
    for rows in ([0, 1, 2, 3], [4, 5, 6], [0, 2, 4, 6]):
        value_np, _ = ref.step(X[rows], Y[rows])
        value_t, _ = tt.step(Xt[rows], Yt[rows])
        assert float(value_t) == pytest.approx(value_np, rel=1e-10)
    # atol: a bias followed by batch normalisation has a zero gradient up to rounding,
    # which Adam's g/√v turns into steps of order lr; those differ at the 1e-10 level.
    for a, b in zip(ref.state(), tt.state(), strict=True):
        for name in ("W", "b", "gamma", "beta", "running_mean", "running_var", "slope"):
            if getattr(a, name) is not None:
                np.testing.assert_allclose(
                    getattr(b, name), getattr(a, name), rtol=1e-9, atol=1e-8, err_msg=name
                )

    np.testing.assert_allclose(tt.evaluate(Xt, Yt)[0], ref.evaluate(X, Y)[0], rtol=1e-10)
