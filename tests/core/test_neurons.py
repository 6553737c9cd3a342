"""Transfer functions: values against torch's implementations, derivatives against
central differences, and the stochastic neuron's probabilities against their formulas."""

from __future__ import annotations

import numpy as np
import pytest

from statnn.core.neurons import (
    ACTIVATIONS,
    get_activation,
    glauber_probability,
    metropolis_acceptance,
)
from statnn.errors import ValidationError

torch = pytest.importorskip("torch")
F = torch.nn.functional

Z = np.linspace(-4.0, 4.0, 41) + 0.013  # avoids the kinks at 0
SLOPE = np.full_like(Z, 0.25)

TORCH_TWINS = {
    "identity": lambda z: z,
    "step": lambda z: (z > 0).double(),
    "sign": torch.sign,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": F.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
    "prelu": lambda z: F.prelu(z, torch.tensor([0.25], dtype=torch.float64)),
    "elu": F.elu,
    "selu": F.selu,
    "gelu": F.gelu,
    "gelu_tanh": lambda z: F.gelu(z, approximate="tanh"),
    "silu": F.silu,
    "swish": F.silu,
    "mish": F.mish,
    "softplus": F.softplus,
    "softmax": lambda z: torch.softmax(z, dim=-1),
    "logistic": torch.sigmoid,
    "linear": lambda z: z,
}


def _params(act):
    return (SLOPE,) * act.n_params


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_values_match_torch(name):
    act = ACTIVATIONS[name]
    expected = TORCH_TWINS[name](torch.tensor(Z)).numpy()
    np.testing.assert_allclose(act.f(Z, *_params(act)), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(n for n, a in ACTIVATIONS.items() if a.elementwise))
def test_derivative_central_difference(name):
    act = ACTIVATIONS[name]
    h = 1e-6
    fd = (act.f(Z + h, *_params(act)) - act.f(Z - h, *_params(act))) / (2 * h)
    np.testing.assert_allclose(act.df(Z, *_params(act)), fd, atol=1e-8)


def test_prelu_slope_derivative():
    act = ACTIVATIONS["prelu"]
    h = 1e-6
    fd = (act.f(Z, SLOPE + h) - act.f(Z, SLOPE - h)) / (2 * h)
    np.testing.assert_allclose(act.dparams(Z, SLOPE)[0], fd, atol=1e-8)


def test_softmax_backward_is_jacobian_product():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 5))
    g = rng.normal(size=(3, 5))
    act = ACTIVATIONS["softmax"]
    got = act.backward(z, act.f(z), g)
    h = 1e-6
    for i in range(5):
        dz = np.zeros_like(z)
        dz[:, i] = h
        col = np.sum(g * (act.f(z + dz) - act.f(z - dz)), axis=1) / (2 * h)
        np.testing.assert_allclose(got[:, i], col, atol=1e-8)


def test_sigmoid_and_softplus_stable_at_large_fields():
    z = np.array([-800.0, 800.0])
    np.testing.assert_array_equal(ACTIVATIONS["sigmoid"].f(z), [0.0, 1.0])
    np.testing.assert_allclose(ACTIVATIONS["softplus"].f(z), [0.0, 800.0])
    assert np.all(np.isfinite(ACTIVATIONS["softmax"].f(np.array([[1000.0, 0.0]]))))


def test_unknown_activation_names_the_argument():
    with pytest.raises(ValidationError, match="'activation' parameter of get_activation"):
        get_activation("sigmod")
    assert get_activation("swish") is get_activation("silu")


def test_glauber_probability_formula():
    h = np.array([-1.0, 0.0, 0.5])
    np.testing.assert_allclose(glauber_probability(h, 2.0), 1 / (1 + np.exp(-4.0 * h)))
    np.testing.assert_array_equal(glauber_probability(h, np.inf), [0.0, 0.5, 1.0])


def test_metropolis_acceptance_formula():
    de = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(metropolis_acceptance(de, 0.5), [1.0, 1.0, np.exp(-1.0)])
    np.testing.assert_array_equal(metropolis_acceptance(de, np.inf), [1.0, 0.0, 0.0])
