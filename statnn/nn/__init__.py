"""Feedforward networks: the perceptron rule, multilayer perceptrons, capacity experiments.

torch is imported only when an MLP is trained or used with ``backend="torch"``.
"""

from __future__ import annotations

from statnn.nn.capacity import CapacityResult, perceptron_capacity
from statnn.nn.layers import Dense, count_parameters
from statnn.nn.losses import LOSSES
from statnn.nn.mlp import MLP, MLPRegressor
from statnn.nn.optimizers import GD, OPTIMIZERS, SGD, Adagrad, Adam, Momentum, Optimizer, RMSprop
from statnn.nn.perceptron import Perceptron, PerceptronFit, train_perceptrons

__all__ = [
    "GD",
    "LOSSES",
    "MLP",
    "OPTIMIZERS",
    "SGD",
    "Adagrad",
    "Adam",
    "CapacityResult",
    "Dense",
    "MLPRegressor",
    "Momentum",
    "Optimizer",
    "Perceptron",
    "PerceptronFit",
    "RMSprop",
    "count_parameters",
    "perceptron_capacity",
    "train_perceptrons",
]
