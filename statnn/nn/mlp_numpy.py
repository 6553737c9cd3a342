"""The reference back-end: forward and backward passes written from the back-propagation equations.

Rows are samples, so for a mini-batch A^{l−1} (n, n_{l−1}) the forward pass is
Z^l = A^{l−1} (W^l)ᵀ + b^l, A^l = f(Z^l), and back-propagation reads, row by row::

    δ^L = f′(z^L) ∘ ∂C/∂a^L                (from the loss; fused for cross-entropies)
    δ^l = (W^{l+1})ᵀ δ^{l+1} ∘ f′(z^l)      i.e.  Δ^l = (Δ^{l+1} W^{l+1}) ∘ f′(Z^l)
    ∂C/∂W^l = δ^l (a^{l−1})ᵀ summed over the batch  = (Δ^l)ᵀ A^{l−1};   ∂C/∂b^l = Σ_rows Δ^l

With batch normalisation, z is replaced by γ ẑ + β, ẑ = (z − μ_B)/√(σ²_B + ε), and
δ is carried back through it; inverted dropout multiplies hidden activations by
m/(1−p), m ~ Bernoulli(1−p), in training only.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from statnn.core.neurons import get_activation
from statnn.nn.layers import BN_EPS, BN_MOMENTUM, Dense
from statnn.nn.losses import Loss


def forward(layers: list[Dense], X, *, train=False, dropout=0.0, rng=None):
    """Output activations a^L and the cache the backward pass needs.

    In training mode batch normalisation uses the batch statistics (and updates the
    running ones) and dropout is applied to hidden activations.
    """
    cache = []
    a = X
    last = len(layers) - 1
    for i, layer in enumerate(layers):
        act = get_activation(layer.activation)
        z = a @ layer.W.T + layer.b
        bn = None
        u = z
        if layer.batch_norm:
            if train:
                mu = z.mean(axis=0)
                var = z.var(axis=0)
                n = z.shape[0]
                unbiased = var * n / (n - 1) if n > 1 else var
                layer.running_mean *= 1.0 - BN_MOMENTUM
                layer.running_mean += BN_MOMENTUM * mu
                layer.running_var *= 1.0 - BN_MOMENTUM
                layer.running_var += BN_MOMENTUM * unbiased
            else:
                mu, var = layer.running_mean, layer.running_var
            inv_std = 1.0 / np.sqrt(var + BN_EPS)
            z_hat = (z - mu) * inv_std
            u = layer.gamma * z_hat + layer.beta
            bn = (z_hat, inv_std)
        params = (layer.slope,) if layer.slope is not None else ()
        f_u = act.f(u, *params)
        mask = None
        a_new = f_u
        if train and dropout > 0.0 and i < last:
            mask = (rng.random(f_u.shape) >= dropout).astype(f_u.dtype) / (1.0 - dropout)
            a_new = f_u * mask
        cache.append((a, u, f_u, mask, bn))
        a = a_new
    return a, cache


def backward(layers: list[Dense], cache, delta_out) -> list[list[np.ndarray]]:
    """Gradients ∂C/∂θ for every layer (lists in each layer's ``param_names`` order).

    ``delta_out`` is δ^L = ∂C/∂z^L from the loss.
    """
    grads = [None] * len(layers)
    delta = delta_out
    for i in range(len(layers) - 1, -1, -1):
        layer = layers[i]
        a_prev = cache[i][0]
        bn = cache[i][4]
        g = grads[i] if grads[i] is not None else {}
        if bn is not None:
            z_hat, inv_std = bn
            g["gamma"] = np.sum(delta * z_hat, axis=0)
            g["beta"] = np.sum(delta, axis=0)
            d_hat = delta * layer.gamma
            n = delta.shape[0]
            delta = (
                inv_std
                / n
                * (n * d_hat - d_hat.sum(axis=0) - z_hat * np.sum(d_hat * z_hat, axis=0))
            )
        g["W"] = delta.T @ a_prev
        g["b"] = delta.sum(axis=0)
        if i > 0:
            prev = layers[i - 1]
            grad_a = delta @ layer.W
            _, u_prev, f_prev, mask_prev, _ = cache[i - 1]
            if mask_prev is not None:
                grad_a = grad_a * mask_prev
            act = get_activation(prev.activation)
            params = (prev.slope,) if prev.slope is not None else ()
            if prev.slope is not None:
                grads[i - 1] = {"slope": np.sum(grad_a * act.dparams(u_prev, *params)[0], axis=0)}
            delta = act.backward(u_prev, f_prev, grad_a, *params)
        grads[i] = g
    out = []
    for layer, g in zip(layers, grads, strict=True):
        out.append([g[n] for n in layer.param_names])
    return out


def loss_and_grads(layers, X, Y, loss: Loss, *, dropout=0.0, rng=None):
    """C on the batch and its gradients (training mode)."""
    a, cache = forward(layers, X, train=True, dropout=dropout, rng=rng)
    z = cache[-1][1]
    act = get_activation(layers[-1].activation)
    delta = loss.delta(z, a, Y, act)
    return loss.value(z, a, Y), (z, a), backward(layers, cache, delta)


def clip_by_global_norm(grads: list[np.ndarray], max_norm: float) -> None:
    """Scale all gradients by max_norm / (‖g‖ + 1e-6) when the global norm ‖g‖ exceeds it."""
    total = np.sqrt(sum(float(np.sum(g * g)) for g in grads))
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for g in grads:
            g *= scale


class NumpyTrainer:
    """Trains a list of :class:`Dense` layers in place with the reference passes."""

    def __init__(
        self,
        layers,
        loss,
        optimizer,
        *,
        weight_decay=0.0,
        dropout=0.0,
        clip_norm=None,
        seed=None,
        dtype=np.float64,
        device=None,
    ):
        self.layers = layers
        self.loss = loss
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.clip_norm = clip_norm
        self.dtype = dtype
        self.rng = np.random.default_rng(seed)
        self._params = [p for layer in layers for p in layer.params()]
        self._decay = [n == "W" for layer in layers for n in layer.param_names]

    def set_lr(self, lr):
        """Change the learning rate, keeping the optimizer's state."""
        self.optimizer.lr = lr

    def to_data(self, A):
        """A dense array of the training dtype."""
        if sp.issparse(A):
            A = A.toarray()
        return np.ascontiguousarray(A, dtype=self.dtype)

    def to_source(self, X):
        """The training samples; a sparse X stays sparse (CSR) and is densified per batch."""
        if sp.issparse(X):
            return sp.csr_matrix(X, dtype=self.dtype)
        return self.to_data(X)

    def step(self, X, Y):
        """One optimizer step on a mini-batch; returns (loss, (z^L, a^L))."""
        value, out, grads = loss_and_grads(
            self.layers, X, Y, self.loss, dropout=self.dropout, rng=self.rng
        )
        flat = [g for gl in grads for g in gl]
        if self.clip_norm is not None:
            clip_by_global_norm(flat, self.clip_norm)
        if self.weight_decay:
            flat = [
                g + self.weight_decay * p if d else g
                for g, p, d in zip(flat, self._params, self._decay, strict=True)
            ]
        self.optimizer.update(self._params, flat)
        return value, out

    def train_epoch(self, X, Y, order, batch_size, metric):
        """One pass over the mini-batches of ``order``; returns (mean loss, mean metric)."""
        total, score, n = 0.0, 0.0, len(order)
        sparse = sp.issparse(X)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            xb, yb = X[idx], Y[idx]
            if sparse:
                xb = self.to_data(xb)
            value, (z, a) = self.step(xb, yb)
            total += value * len(idx)
            if metric is not None:
                score += metric(z, a, yb) * len(idx)
        return total / n, score / n

    def predict(self, X):
        """Output activations a^L in prediction mode (numpy array)."""
        return forward(self.layers, X, train=False)[0]

    def evaluate(self, X, Y):
        """C on (X, Y) in prediction mode, and the outputs (z^L, a^L)."""
        a, cache = forward(self.layers, X, train=False)
        z = cache[-1][1]
        return self.loss.value(z, a, Y), (z, a)

    def state(self) -> list[Dense]:
        return [layer.copy() for layer in self.layers]
