"""The torch back-end: the same network, losses and optimizers, gradients by autograd.

Imported only when ``backend="torch"`` is asked for, so ``import statnn`` does not import
torch. Weights come from and go back to :class:`~statnn.nn.layers.Dense` numpy layers, so
both back-ends start from the same initial weights and produce the same fitted state.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from statnn.errors import BackendUnavailableError
from statnn.nn.layers import BN_EPS, BN_MOMENTUM, Dense

try:
    import torch
    import torch.nn.functional as F
except ImportError as err:  # pragma: no cover - torch is a dependency
    raise BackendUnavailableError(
        "The 'backend' parameter of MLP asks for torch, which is not installed. "
        "Install torch or use backend='numpy'."
    ) from err

from statnn._device import resolve_device as _resolve_device  # noqa: E402 (after torch)


def _step(z):
    return (z > 0).to(z.dtype) + 0.0 * z


ACTIVATIONS_TORCH = {
    "identity": lambda z: z,
    "step": _step,
    "sign": torch.sign,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": F.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
    "prelu": lambda z, s: torch.where(z > 0, z, s * z),
    "elu": F.elu,
    "selu": F.selu,
    "gelu": F.gelu,
    "gelu_tanh": lambda z: F.gelu(z, approximate="tanh"),
    "silu": F.silu,
    "mish": F.mish,
    "softplus": F.softplus,
    "softmax": lambda z: torch.softmax(z, dim=1),
}


def _loss(name, z, a, y):
    """The losses of :mod:`statnn.nn.losses`, averaged over rows."""
    if name == "squared_error":
        return 0.5 * ((a - y) ** 2).sum(dim=1).mean()
    if name == "binary_cross_entropy":
        return F.binary_cross_entropy_with_logits(z, y, reduction="sum") / z.shape[0]
    return F.cross_entropy(z, y)  # y: probabilities (one-hot) -> mean[logsumexp(z) - y·z]


def resolve_device(device):
    """The torch device of an MLP (:func:`statnn._device.resolve_device` for ``MLP``)."""
    return _resolve_device(device, "MLP")


def forward(tensors, activations, X, *, train=False, dropout=0.0, generator=None, output=True):
    """(z^L, a^L): the forward pass of :func:`statnn.nn.mlp_numpy.forward` in torch.

    ``output=False`` skips the output activation (a^L is None): a loss fused with it
    needs only z^L.
    """
    a = X
    last = len(tensors) - 1
    z = None
    for i, (t, act) in enumerate(zip(tensors, activations, strict=True)):
        z = F.linear(a, t["W"], t["b"])
        if "gamma" in t:
            z = F.batch_norm(
                z,
                t["running_mean"],
                t["running_var"],
                t["gamma"],
                t["beta"],
                training=train,
                momentum=BN_MOMENTUM,
                eps=BN_EPS,
            )
        if i == last and not output:
            return z, None
        f = ACTIVATIONS_TORCH[act]
        a = f(z, t["slope"]) if "slope" in t else f(z)
        if train and dropout > 0.0 and i < last:
            keep = (
                torch.rand(a.shape, generator=generator, device=a.device, dtype=a.dtype) >= dropout
            )
            a = a * keep / (1.0 - dropout)
    return z, a


def to_tensors(layers, dtype, device):
    """Each layer's arrays as torch tensors (the learnable ones with requires_grad)."""
    out = []
    for layer in layers:
        t = {}
        for k, v in layer._arrays().items():
            if v is not None:
                t[k] = torch.tensor(np.asarray(v), dtype=dtype, device=device)
                t[k].requires_grad_(k in layer.param_names)
        out.append(t)
    return out


def predict(layers, X, device=None):
    """Output activations a^L of fitted layers in prediction mode, as a numpy array."""
    device = resolve_device(device)
    dtype = torch.float64 if layers[0].W.dtype == np.float64 else torch.float32
    tensors = to_tensors(layers, dtype, device)
    with torch.no_grad():
        Xt = torch.as_tensor(np.ascontiguousarray(X), dtype=dtype, device=device)
        return forward(tensors, [layer.activation for layer in layers], Xt)[1].cpu().numpy()


class TorchTrainer:
    """Trains the layers with torch autograd and the ``torch.optim`` twin of the optimizer."""

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
        self.device = resolve_device(device)
        self.tdtype = torch.float64 if np.dtype(dtype) == np.float64 else torch.float32
        self.loss_name = loss.name
        self.dropout = dropout
        self.clip_norm = clip_norm
        self.activations = [layer.activation for layer in layers]
        self.names = [layer.param_names for layer in layers]
        self.tensors = to_tensors(layers, self.tdtype, self.device)
        decay = [t["W"] for t in self.tensors]
        no_decay = [
            t[n]
            for t, names in zip(self.tensors, self.names, strict=True)
            for n in names
            if n != "W"
        ]
        self.params = [
            t[n] for t, names in zip(self.tensors, self.names, strict=True) for n in names
        ]
        groups = [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
        if not weight_decay:  # one group: one fused optimizer call per step
            groups = [{"params": self.params}]
        self.optimizer = optimizer.to_torch(groups)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(0 if seed is None else int(seed))

    def set_lr(self, lr):
        """Change the learning rate, keeping the optimizer's state."""
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def to_data(self, A):
        """A dense tensor of the training dtype on the device."""
        if sp.issparse(A):
            A = A.toarray()
        return torch.tensor(np.asarray(A), dtype=self.tdtype, device=self.device)

    def to_source(self, X):
        """The training samples; a sparse X stays a SciPy CSR matrix on the host and is
        densified and moved to the device one mini-batch at a time."""
        if sp.issparse(X):
            return sp.csr_matrix(
                X, dtype=np.float64 if self.tdtype == torch.float64 else np.float32
            )
        return self.to_data(X)

    def forward(self, X, train, output=True):
        return forward(
            self.tensors,
            self.activations,
            X,
            train=train,
            dropout=self.dropout,
            generator=self.generator,
            output=output,
        )

    def step(self, X, Y):
        z, a = self.forward(X, True, output=self.loss_name == "squared_error")
        loss = _loss(self.loss_name, z, a, Y)
        self.optimizer.zero_grad()
        loss.backward()
        if self.clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(self.params, self.clip_norm)
        self.optimizer.step()
        return loss.detach(), (z.detach(), None if a is None else a.detach())

    def train_epoch(self, X, Y, order, batch_size, metric):
        n = len(order)
        sparse = sp.issparse(X)
        order_t = torch.as_tensor(order, device=self.device)
        total = torch.zeros((), dtype=self.tdtype, device=self.device)
        score = torch.zeros((), dtype=self.tdtype, device=self.device)
        for start in range(0, n, batch_size):
            idx = order_t[start : start + batch_size]
            if sparse:
                xb = self.to_data(X[order[start : start + batch_size]])
            else:
                xb = X[idx]
            yb = Y[idx]
            value, (z, a) = self.step(xb, yb)
            total += value * len(idx)
            if metric is not None:
                score += metric(z, a, yb) * len(idx)
        return float(total) / n, float(score) / n

    def evaluate(self, X, Y):
        with torch.no_grad():
            z, a = self.forward(X, False)
            return float(_loss(self.loss_name, z, a, Y)), (z, a)

    def state(self) -> list[Dense]:
        out = []
        for t, act in zip(self.tensors, self.activations, strict=True):
            arrays = {k: v.detach().cpu().numpy().copy() for k, v in t.items()}
            out.append(Dense(activation=act, **arrays))
        return out
