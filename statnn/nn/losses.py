"""Cost functions C of the network output, averaged over the mini-batch.

With n samples, outputs a^L = f(z^L) and targets y (rows)::

    squared_error              C = (1/n) Σ_samples ½ ‖a^L − y‖²
    binary_cross_entropy       C = (1/n) Σ_samples Σ_k −y_k log σ(z_k) − (1−y_k) log(1−σ(z_k))
    categorical_cross_entropy  C = (1/n) Σ_samples −Σ_k y_k log softmax(z)_k

Each loss returns the output error δ^L = ∂C/∂z^L. For squared error this is the textbook
δ^L = f′(z^L) ∘ ∂C/∂a^L with ∂C/∂a^L = (a^L − y)/n. The cross-entropies are fused with
their output activation (sigmoid, softmax): written in z^L they read
C = (1/n) Σ [softplus(z) − y z] and C = (1/n) Σ [logsumexp(z) − y·z], finite for any z,
and δ^L = (a^L − y)/n.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from statnn.core.neurons import ACTIVATIONS, Activation


class Loss:
    """A cost function; ``fused`` names the output activation it is fused with (or None)."""

    name = ""
    fused: str | None = None

    def value(self, z: np.ndarray, a: np.ndarray, y: np.ndarray) -> float:
        """C averaged over the rows (samples)."""
        raise NotImplementedError

    def delta(self, z: np.ndarray, a: np.ndarray, y: np.ndarray, act: Activation) -> np.ndarray:
        """δ^L = ∂C/∂z^L for a batch (already divided by the number of samples)."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class SquaredError(Loss):
    """C = (1/n) Σ ½ ‖a − y‖²;  δ^L = f′(z^L) ∘ (a^L − y)/n."""

    name = "squared_error"

    def value(self, z, a, y):
        return 0.5 * float(np.sum((a - y) ** 2)) / len(y)

    def delta(self, z, a, y, act):
        return act.backward(z, a, (a - y) / len(y))


class BinaryCrossEntropy(Loss):
    """Sigmoid outputs: C = (1/n) Σ [softplus(z) − y z];  δ^L = (σ(z) − y)/n."""

    name = "binary_cross_entropy"
    fused = "sigmoid"

    def value(self, z, a, y):
        return float(np.sum(ACTIVATIONS["softplus"].f(z) - y * z)) / len(y)

    def delta(self, z, a, y, act):
        return (a - y) / len(y)


class CategoricalCrossEntropy(Loss):
    """Softmax outputs: C = (1/n) Σ [logsumexp(z) − y·z];  δ^L = (softmax(z) − y)/n."""

    name = "categorical_cross_entropy"
    fused = "softmax"

    def value(self, z, a, y):
        return float(np.sum(logsumexp(z, axis=1) - np.sum(y * z, axis=1))) / len(y)

    def delta(self, z, a, y, act):
        return (a - y) / len(y)


LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (SquaredError, BinaryCrossEntropy, CategoricalCrossEntropy)
}
