"""Shared by the compiled-recall tests of both backends: a switch to the Python step loop
and the comparison of two recall results."""

from __future__ import annotations

import numpy as np
import pytest

FIELDS = ("states", "sweeps", "converged", "overlaps")


class StepLoop:
    """``with StepLoop(KernelClass):`` recall/relax take the Python step loop (the kernel's
    ``relaxes`` reads False), with a patch of its own so a test's other patches stay."""

    def __init__(self, kernel_class):
        self.kernel_class = kernel_class

    def __enter__(self):
        self.patch = pytest.MonkeyPatch()
        self.patch.setattr(self.kernel_class, "relaxes", property(lambda self: False))

    def __exit__(self, *exc):
        self.patch.undo()


def as_dict(out):
    """The compared fields of a recall result."""
    return {k: getattr(out, k) for k in FIELDS}


def compare(a, b, averaged):
    """States, sweeps and flags bit for bit; overlaps bit for bit, or to 1e-12 when they
    are time averages (summed in another order)."""
    for key in ("states", "sweeps", "converged"):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    if a["overlaps"] is None:
        assert b["overlaps"] is None
    elif averaged:
        np.testing.assert_allclose(a["overlaps"], b["overlaps"], rtol=0, atol=1e-12)
    else:
        np.testing.assert_array_equal(a["overlaps"], b["overlaps"])
