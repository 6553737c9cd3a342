"""Associative memory: learning rules, the Hopfield constructor, recall experiments."""

from .hopfield import hopfield

__all__ = ["hopfield"]
