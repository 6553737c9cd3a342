"""Monte Carlo dynamics: the sampler, simulate, backends, tempering and observables."""

from .backends import BACKENDS, SamplerState, StepInfo
from .sampler import Run, Sampler, sampler, simulate

__all__ = ["BACKENDS", "Run", "Sampler", "SamplerState", "StepInfo", "sampler", "simulate"]
