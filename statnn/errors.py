"""Exceptions raised by statnn.

Every error the package raises on bad input derives from :class:`StatnnError`, so a
caller (and the command line) can catch them all in one place.
"""

from __future__ import annotations


class StatnnError(Exception):
    """Base class of every statnn error."""


class ValidationError(StatnnError, ValueError):
    """An argument has the wrong type, shape, range or value."""


class AsymmetricCouplingsError(ValidationError):
    """Couplings are asymmetric where an energy function (detailed balance) is needed."""


class BackendUnavailableError(StatnnError, RuntimeError):
    """The requested backend or device cannot be used on this machine."""


class InsufficientMemoryError(StatnnError, MemoryError):
    """A requested array would not fit in the memory available on this machine."""


class TrainingDivergedError(StatnnError, ValueError):
    """Training diverged: the loss or the learned weights became infinite or NaN."""
