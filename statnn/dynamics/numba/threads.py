"""Threads of the numba backend: how many, and how they wait.

* :func:`set_num_threads` / :func:`get_num_threads` — the threads the kernels use (default:
  numba's, one per core). The environment variable ``STATNN_NUM_THREADS`` sets it when the
  backend is first imported. Results never depend on it (one RNG stream per chain).
* A call never uses more threads than it has independent pieces of work
  (:func:`threads_for`: chains, or the row blocks of a chain on a multi-spin lattice), so
  a single long chain does not leave a second thread waiting. Nested blocks are limited by
  the setting outside all of them (:func:`available_threads`), not by each other.
* ``OMP_WAIT_POLICY=PASSIVE`` is set unless the user chose a policy: idle OpenMP threads
  (numba's ``omp`` threading layer, torch's intra-op pool) then sleep instead of spinning
  on the cores the kernels need. It only takes effect if no OpenMP runtime is loaded yet,
  i.e. when the numba backend is imported before torch runs anything in parallel.
"""

from __future__ import annotations

import contextlib
import os
import threading

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402

from statnn._validation import check_int, param_error  # noqa: E402
from statnn.errors import ValidationError  # noqa: E402


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in the numba kernels (1 <= n <= the cores numba found)."""
    n = check_int(n, "n", "set_num_threads", minimum=1)
    limit = numba.config.NUMBA_NUM_THREADS
    if n > limit:
        raise param_error("n", "set_num_threads", f"an int in [1, {limit}]", n)
    numba.set_num_threads(n)


def get_num_threads() -> int:
    """The number of threads the numba kernels use."""
    return numba.get_num_threads()


_outer = threading.local()  # the setting outside every threads_for block, per thread


def available_threads() -> int:
    """The threads a call may use: the setting outside any :func:`threads_for` block."""
    outer = getattr(_outer, "threads", None)
    return numba.get_num_threads() if outer is None else outer


@contextlib.contextmanager
def threads_for(pieces: int):
    """Run the block with at most ``pieces`` threads (of :func:`available_threads`), then
    restore the setting."""
    before = numba.get_num_threads()
    outer = getattr(_outer, "threads", None)
    _outer.threads = before if outer is None else outer
    wanted = max(1, min(_outer.threads, pieces))
    if wanted != before:  # each set costs a few µs: a one-chain call makes several
        numba.set_num_threads(wanted)
    try:
        yield
    finally:
        if wanted != before:
            numba.set_num_threads(before)
        _outer.threads = outer


def threads_from_environment() -> int | None:
    """Apply the environment variable ``STATNN_NUM_THREADS`` (unset or empty: no change).

    A value that is not an int in [1, cores numba found] raises a
    :class:`~statnn.errors.ValidationError` naming the variable.
    """
    text = os.environ.get("STATNN_NUM_THREADS", "").strip()
    if not text:
        return None
    limit = numba.config.NUMBA_NUM_THREADS
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= limit:
        raise ValidationError(
            f"The environment variable STATNN_NUM_THREADS must be an int in [1, {limit}] "
            f"(the cores numba found). Got {text!r} instead."
        )
    numba.set_num_threads(n)
    return n


threads_from_environment()
