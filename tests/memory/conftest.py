"""Shared fixtures of the associative-memory tests."""

import importlib.util

import pytest


@pytest.fixture(scope="session")
def fast_backend() -> str:
    """The fast CPU backend; the large-N tests skip only if its module is missing."""
    if importlib.util.find_spec("statnn.dynamics.numba.kernel") is None:
        pytest.skip("the numba backend (statnn.dynamics.numba.kernel) is not available")
    return "numba"
