"""Shared fixtures: every importable dynamics backend is tested by the same tests."""

from __future__ import annotations

import importlib
import os

import pytest

from statnn.dynamics.backends import BACKENDS

os.environ.setdefault("MPLBACKEND", "Agg")


def _importable(name: str) -> bool:
    try:
        importlib.import_module(BACKENDS[name])
    except ImportError:
        return False
    return True


AVAILABLE_BACKENDS = [name for name in BACKENDS if _importable(name)]


@pytest.fixture(params=AVAILABLE_BACKENDS)
def backend(request) -> str:
    """Each dynamics backend that can be imported here (torch runs on the CPU)."""
    return request.param
