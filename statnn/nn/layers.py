"""Dense layers: couplings W (n_out, n_in) and biases b (n_out,) with a transfer function.

Layer l computes z^l = W^l a^{l−1} + b^l and a^l = f(z^l), optionally with batch
normalisation of z^l before f (learnable scale γ and shift β, running mean and variance for
prediction) and, for PReLU, one learnable negative slope per unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from statnn.core.neurons import PRELU_INIT, get_activation

BN_EPS = 1e-5
BN_MOMENTUM = 0.1
_RELU_FAMILY = {
    "relu",
    "leaky_relu",
    "prelu",
    "elu",
    "selu",
    "gelu",
    "gelu_tanh",
    "silu",
    "swish",
    "mish",
    "softplus",
}
INITS = ("auto", "xavier", "glorot_uniform", "glorot_normal", "he", "he_normal", "he_uniform")


@dataclass
class Dense:
    """One fully connected layer.

    Attributes
    ----------
    W : (n_out, n_in) couplings;  b : (n_out,) biases;  activation : registry name.
    gamma, beta : (n_out,) batch-normalisation scale and shift (None without it).
    running_mean, running_var : (n_out,) batch-normalisation statistics for prediction.
    slope : (n_out,) PReLU negative slopes (None for other activations).
    """

    W: np.ndarray
    b: np.ndarray
    activation: str
    gamma: np.ndarray | None = None
    beta: np.ndarray | None = None
    running_mean: np.ndarray | None = None
    running_var: np.ndarray | None = None
    slope: np.ndarray | None = None
    param_names: tuple = field(default=(), repr=False)

    def __post_init__(self):
        names = ["W", "b"]
        if self.gamma is not None:
            names += ["gamma", "beta"]
        if self.slope is not None:
            names.append("slope")
        self.param_names = tuple(names)

    @property
    def batch_norm(self) -> bool:
        return self.gamma is not None

    def params(self) -> list[np.ndarray]:
        """The learnable arrays, in ``param_names`` order."""
        return [getattr(self, n) for n in self.param_names]

    @property
    def n_params(self) -> int:
        return sum(p.size for p in self.params())

    def copy(self) -> Dense:
        return Dense(
            **{
                k: (None if v is None else np.array(v, copy=True))
                for k, v in self._arrays().items()
            },
            activation=self.activation,
        )

    def _arrays(self):
        return {
            k: getattr(self, k)
            for k in ("W", "b", "gamma", "beta", "running_mean", "running_var", "slope")
        }


def init_weights(n_in: int, n_out: int, init: str, activation: str, rng, dtype) -> np.ndarray:
    """Initial couplings (n_out, n_in).

    Xavier/Glorot: uniform on ±√(6/(n_in+n_out)) (``glorot_normal``: std √(2/(n_in+n_out)));
    He: normal with std √(2/n_in) (``he_uniform``: uniform on ±√(6/n_in)).
    ``auto`` uses He for the ReLU family and Glorot otherwise.
    """
    if init == "auto":
        init = "he_normal" if activation in _RELU_FAMILY else "glorot_uniform"
    init = {"xavier": "glorot_uniform", "he": "he_normal"}.get(init, init)
    shape = (n_out, n_in)
    if init == "glorot_uniform":
        limit = np.sqrt(6.0 / (n_in + n_out))
        w = rng.uniform(-limit, limit, shape)
    elif init == "glorot_normal":
        w = rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), shape)
    elif init == "he_uniform":
        limit = np.sqrt(6.0 / n_in)
        w = rng.uniform(-limit, limit, shape)
    else:
        w = rng.normal(0.0, np.sqrt(2.0 / n_in), shape)
    return w.astype(dtype)


def build_layers(
    sizes, activations, *, init="auto", batch_norm=False, rng=None, dtype=np.float64
) -> list[Dense]:
    """Layers for widths ``sizes`` = [n_in, h_1, ..., n_out] and one activation per layer.

    Biases start at 0, γ at 1, β at 0, PReLU slopes at 0.25. Batch normalisation (if asked)
    is applied in every hidden layer, never in the output layer.
    """
    rng = np.random.default_rng(rng)
    layers = []
    n_layers = len(sizes) - 1
    for i in range(n_layers):
        n_in, n_out = sizes[i], sizes[i + 1]
        act = get_activation(activations[i]).name
        hidden = i < n_layers - 1
        bn = batch_norm and hidden
        layers.append(
            Dense(
                W=init_weights(n_in, n_out, init, act, rng, dtype),
                b=np.zeros(n_out, dtype),
                activation=act,
                gamma=np.ones(n_out, dtype) if bn else None,
                beta=np.zeros(n_out, dtype) if bn else None,
                running_mean=np.zeros(n_out, dtype) if bn else None,
                running_var=np.ones(n_out, dtype) if bn else None,
                slope=np.full(n_out, PRELU_INIT, dtype) if get_activation(act).n_params else None,
            )
        )
    return layers


def count_parameters(layers_or_sizes) -> int:
    """Number of learnable parameters: of a list of :class:`Dense`, or of the plain dense
    network with widths [n_in, h_1, ..., n_out]: Σ_l (n_{l−1} + 1) n_l.

    A 10 → 64 → 32 → 1 network has 704 + 2 080 + 33 = 2 817.
    """
    items = list(layers_or_sizes)
    if items and isinstance(items[0], Dense):
        return sum(layer.n_params for layer in items)
    return sum((a + 1) * b for a, b in zip(items[:-1], items[1:], strict=False))
