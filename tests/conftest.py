"""Shared fixtures: every importable dynamics backend is tested by the same tests."""

from __future__ import annotations

import importlib
import os

# One BLAS thread (set before numpy loads its BLAS; subprocesses inherit it): the tests' small
# products run faster on one thread, and on a busy machine a second, spinning BLAS thread
# slows them twentyfold. Results do not depend on it.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pytest  # noqa: E402

from statnn.dynamics.backends import BACKENDS  # noqa: E402

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True, scope="session")
def _one_blas_and_torch_thread():
    """The same for BLAS libraries loaded before this file, and for torch's intra-op pool."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        try:
            import torch
        except ImportError:  # pragma: no cover
            yield
            return
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        yield
        torch.set_num_threads(before)


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
