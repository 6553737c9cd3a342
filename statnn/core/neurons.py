"""Transfer functions of neurons, shared by the stochastic circuits and the feedforward layers.

A stochastic two-state neuron fires with a logistic probability of its local field (spin
convention, docs/conventions.md): P(S_i = +1) = 1 / (1 + exp(-2 β h_i)) = (1 + tanh(β h_i)) / 2.

This module is the numpy home of that equation and of the T = 0 rule
(:func:`glauber_probability`, :func:`metropolis_acceptance`, :func:`zero_temperature_tie`);
the numba kernels use :mod:`statnn.dynamics.numba.rules` and the torch kernels
:func:`statnn.dynamics.torch.base.new_spins`, tested against these.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf as _erf_


def inverse_temperature(T) -> np.ndarray:
    """β = 1/T as float64, with β = +∞ at T = 0: the one T → β conversion of the package.

    At β = ∞ the update rules become the T = 0 rule (S_i ← sign h_i, a tie keeps S_i);
    fluctuation formulas with a factor β (specific heat, susceptibility) are undefined there
    and report nan.
    """
    with np.errstate(divide="ignore"):
        return 1.0 / np.asarray(T, dtype=np.float64)


def glauber_probability(h: np.ndarray, beta: float | np.ndarray) -> np.ndarray:
    """Heat-bath probability that a spin is +1 in local field ``h`` at inverse temperature ``beta``.

    P(S = +1 | h) = (1 + tanh(β h)) / 2 = 1 / (1 + exp(-2 β h)).

    ``beta = inf`` (T = 0) gives 1 for h > 0, 0 for h < 0 and 1/2 for h = 0; the dynamics
    keeps the current state when the field is a tie at T = 0 (:func:`zero_temperature_tie`).
    """
    h = np.asarray(h, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        x = beta * h
    x = np.where(np.isnan(x), 0.0, x)  # inf * 0 -> zero field at T = 0
    return 0.5 * (1.0 + np.tanh(x))


def zero_temperature_tie(h: np.ndarray, beta: float | np.ndarray, tol: float) -> np.ndarray:
    """Where the T = 0 rule keeps the spin: β = ∞ and |h| ≤ ``tol`` (the network's tie
    tolerance, :attr:`statnn.core.network.Network.tie_tolerance`)."""
    return np.isinf(beta) & (np.abs(h) <= tol)


def metropolis_acceptance(delta_e: np.ndarray, beta: float | np.ndarray) -> np.ndarray:
    """Metropolis acceptance probability min(1, exp(-β ΔE)); at β = inf only ΔE < 0 is accepted."""
    delta_e = np.asarray(delta_e, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        x = -beta * delta_e
    x = np.where(np.isnan(x), -np.inf, x)  # T = 0, ΔE = 0: rejected (zero field keeps the state)
    return np.exp(np.minimum(x, 0.0))


# ---------------------------------------------------------------------------------------
# Deterministic transfer functions a = f(z) and their derivatives f'(z).
#
# Each activation is an object with ``f(z, *params)`` and ``df(z, *params)`` (elementwise
# derivative) and ``backward(z, a, grad_a, *params)``: the vector-Jacobian product
# ∂C/∂z = f'(z) ∘ ∂C/∂a of back-propagation. For softmax, whose
# Jacobian is not diagonal, ``backward`` applies the full Jacobian along the last axis.
# PReLU has one learnable slope per unit; ``dparams`` gives ∂f/∂slope elementwise.
# ---------------------------------------------------------------------------------------

_SQRT_2 = np.sqrt(2.0)
_SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)
_GELU_TANH_C = 0.044715
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
LEAKY_RELU_SLOPE = 0.01
ELU_ALPHA = 1.0
PRELU_INIT = 0.25


class Activation:
    """A transfer function of a layer of neurons, a = f(z), with its derivative.

    Parameters
    ----------
    name : str
        Registry name.
    f, df : callable
        ``f(z, *params)`` and the elementwise derivative ``df(z, *params)`` = f'(z).
    n_params : int
        Number of learnable per-unit parameters (1 for PReLU's slope, else 0).
    dparams : callable, optional
        ``dparams(z, *params)`` -> tuple of ∂f/∂param arrays (same shape as ``z``).
    elementwise : bool
        False for softmax, whose derivative is a Jacobian along the last axis.
    """

    def __init__(self, name, f, df, *, n_params=0, dparams=None, elementwise=True):
        self.name = name
        self.f = f
        self.df = df
        self.n_params = n_params
        self.dparams = dparams
        self.elementwise = elementwise

    def __call__(self, z, *params):
        return self.f(z, *params)

    def backward(self, z, a, grad_a, *params):
        """∂C/∂z from ∂C/∂a: f'(z) ∘ ∂C/∂a (softmax: a ∘ (g − Σ_k g_k a_k))."""
        if not self.elementwise:
            return a * (grad_a - np.sum(grad_a * a, axis=-1, keepdims=True))
        return self.df(z, *params) * grad_a

    def __repr__(self):
        return f"Activation({self.name!r})"


def _sigmoid(z):
    # exp of a non-positive number only: no overflow for large |z|
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(z):
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _gelu(z):
    return z * 0.5 * (1.0 + _erf_(z / _SQRT_2))


def _dgelu(z):
    return 0.5 * (1.0 + _erf_(z / _SQRT_2)) + z * np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)


def _gelu_tanh(z):
    return 0.5 * z * (1.0 + np.tanh(_SQRT_2_OVER_PI * (z + _GELU_TANH_C * z**3)))


def _dgelu_tanh(z):
    t = np.tanh(_SQRT_2_OVER_PI * (z + _GELU_TANH_C * z**3))
    dt = (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_TANH_C * z * z)
    return 0.5 * (1.0 + t) + 0.5 * z * dt


def _elu(z, alpha=ELU_ALPHA):
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def _delu(z, alpha=ELU_ALPHA):
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))


def _mish(z):
    return z * np.tanh(_softplus(z))


def _dmish(z):
    t = np.tanh(_softplus(z))
    return t + z * (1.0 - t * t) * _sigmoid(z)


def _one(z):
    return np.ones_like(z)


def _zero(z):
    return np.zeros_like(z)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("identity", lambda z: z, _one),
        Activation("step", lambda z: (z > 0).astype(z.dtype), _zero),
        Activation("sign", np.sign, _zero),
        Activation("sigmoid", _sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z))),
        Activation("tanh", np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
        Activation("relu", lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(z.dtype)),
        Activation(
            "leaky_relu",
            lambda z: np.where(z > 0, z, LEAKY_RELU_SLOPE * z),
            lambda z: np.where(z > 0, 1.0, LEAKY_RELU_SLOPE).astype(z.dtype),
        ),
        Activation(
            "prelu",
            lambda z, s: np.where(z > 0, z, s * z),
            lambda z, s: np.where(z > 0, 1.0, s).astype(z.dtype),
            n_params=1,
            dparams=lambda z, s: (np.where(z > 0, 0.0, z).astype(z.dtype),),
        ),
        Activation("elu", _elu, _delu),
        Activation(
            "selu",
            lambda z: SELU_SCALE * _elu(z, SELU_ALPHA),
            lambda z: SELU_SCALE * _delu(z, SELU_ALPHA),
        ),
        Activation("gelu", _gelu, _dgelu),
        Activation("gelu_tanh", _gelu_tanh, _dgelu_tanh),
        Activation(
            "silu", lambda z: z * _sigmoid(z), lambda z: _sigmoid(z) * (1 + z * _sigmoid(-z))
        ),
        Activation("mish", _mish, _dmish),
        Activation("softplus", _softplus, _sigmoid),
        Activation("softmax", _softmax, None, elementwise=False),
    ]
}
for _act in ACTIVATIONS.values():
    _act.__doc__ = f"Transfer function {_act.name!r}."

#: Other names of the same functions (the objects are shared, so each keeps its own name).
ALIASES = {"swish": "silu", "logistic": "sigmoid", "linear": "identity"}
for _alias, _target in ALIASES.items():
    ACTIVATIONS[_alias] = ACTIVATIONS[_target]


def get_activation(name, caller: str = "get_activation", param: str = "activation") -> Activation:
    """The activation registered under ``name`` (or ``name`` itself if it is an Activation).

    Raises :class:`~statnn.errors.ValidationError` naming ``param`` for an unknown name.
    """
    if isinstance(name, Activation):
        return name
    from statnn._validation import check_choice

    return ACTIVATIONS[check_choice(name, param, caller, sorted(ACTIVATIONS))]
