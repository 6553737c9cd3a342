"""Optimizers: objects with ``update(params, grads)`` and ``reset()``.

``update`` subtracts the change from every parameter array in place; ``reset`` forgets the
accumulated state (moments, step count). With learning rate η, gradient g and step t::

    GD / SGD   θ ← θ − η g                      (full batch or mini-batches: the trainer)
    Momentum   v ← μ v + g;              θ ← θ − η v
    Adagrad    G ← G + g²;               θ ← θ − η g / (√G + ε)
    RMSprop    s ← ρ s + (1−ρ) g²;       θ ← θ − η g / (√s + ε)
    Adam       m ← β₁ m + (1−β₁) g;  v ← β₂ v + (1−β₂) g²;
               θ ← θ − η m̂ / (√v̂ + ε),  m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ)

These are the update rules of ``torch.optim`` (SGD, Adagrad, RMSprop, Adam) with the same
defaults; ``to_torch`` builds that twin for the torch backend.
"""

from __future__ import annotations

import numpy as np


class Optimizer:
    """Base class: ``update(params, grads)`` steps in place, ``reset()`` clears the state."""

    name = ""

    def __init__(self, lr: float = 0.01):
        self.lr = lr
        self.reset()

    def reset(self) -> None:
        """Forget the accumulated state."""
        self._state: list | None = None

    def update(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """θ ← θ − change(g) for every parameter array."""
        if self._state is None:
            self._state = [self._init_state(p) for p in params]
        self._begin_step()
        for p, g, s in zip(params, grads, self._state, strict=True):
            p -= self._change(g, s)

    def _init_state(self, p):
        return None

    def _begin_step(self):
        pass

    def _change(self, g, state):
        raise NotImplementedError

    def _torch_kwargs(self) -> dict:
        return {}

    def to_torch(self, param_groups):
        """The equivalent ``torch.optim`` optimizer over ``param_groups``."""
        import torch

        return getattr(torch.optim, self._torch_class)(
            param_groups, lr=self.lr, **self._torch_kwargs()
        )

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class GD(Optimizer):
    """Plain gradient descent θ ← θ − η g (stochastic when the trainer uses mini-batches)."""

    name = "gd"
    _torch_class = "SGD"

    def _change(self, g, state):
        return self.lr * g


class SGD(GD):
    """Mini-batch stochastic gradient descent: the GD step on each mini-batch."""

    name = "sgd"


class Momentum(Optimizer):
    """v ← μ v + g;  θ ← θ − η v."""

    name = "momentum"
    _torch_class = "SGD"

    def __init__(self, lr: float = 0.01, momentum: float = 0.9):
        self.momentum = momentum
        super().__init__(lr)

    def _init_state(self, p):
        return np.zeros_like(p)

    def _change(self, g, v):
        v *= self.momentum
        v += g
        return self.lr * v

    def _torch_kwargs(self):
        return {"momentum": self.momentum}


class Adagrad(Optimizer):
    """G ← G + g²;  θ ← θ − η g / (√G + ε)."""

    name = "adagrad"
    _torch_class = "Adagrad"

    def __init__(self, lr: float = 0.01, eps: float = 1e-10):
        self.eps = eps
        super().__init__(lr)

    def _init_state(self, p):
        return np.zeros_like(p)

    def _change(self, g, G):
        G += g * g
        return self.lr * g / (np.sqrt(G) + self.eps)

    def _torch_kwargs(self):
        return {"eps": self.eps}


class RMSprop(Optimizer):
    """s ← ρ s + (1−ρ) g²;  θ ← θ − η g / (√s + ε)."""

    name = "rmsprop"
    _torch_class = "RMSprop"

    def __init__(self, lr: float = 0.01, rho: float = 0.99, eps: float = 1e-8):
        self.rho = rho
        self.eps = eps
        super().__init__(lr)

    def _init_state(self, p):
        return np.zeros_like(p)

    def _change(self, g, s):
        s *= self.rho
        s += (1.0 - self.rho) * g * g
        return self.lr * g / (np.sqrt(s) + self.eps)

    def _torch_kwargs(self):
        return {"alpha": self.rho, "eps": self.eps}


class Adam(Optimizer):
    """Adam with bias-corrected moments m̂, v̂:  θ ← θ − η m̂ / (√v̂ + ε)."""

    name = "adam"
    _torch_class = "Adam"

    def __init__(
        self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ):
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        super().__init__(lr)

    def reset(self):
        super().reset()
        self._t = 0

    def _init_state(self, p):
        return (np.zeros_like(p), np.zeros_like(p))

    def _begin_step(self):
        self._t += 1
        self._c1 = 1.0 - self.beta1**self._t
        self._c2 = np.sqrt(1.0 - self.beta2**self._t)

    def _change(self, g, state):
        m, v = state
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += (1.0 - self.beta2) * g * g
        return (self.lr / self._c1) * m / (np.sqrt(v) / self._c2 + self.eps)

    def _torch_kwargs(self):
        return {"betas": (self.beta1, self.beta2), "eps": self.eps}


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (GD, SGD, Momentum, Adagrad, RMSprop, Adam)
}
