"""Monte Carlo dynamics: the sampler, simulate, backends, tempering and observables."""

from statnn.dynamics.backends import BACKENDS, SamplerState, StepInfo
from statnn.dynamics.sampling import Run, Sampler, sampler, simulate

__all__ = ["BACKENDS", "Run", "Sampler", "SamplerState", "StepInfo", "sampler", "simulate"]
