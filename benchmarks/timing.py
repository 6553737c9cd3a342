"""Best-of-repeats timing shared by the benchmark scripts, on a clock chosen per run."""

from __future__ import annotations

import time

import numpy as np

#: ``--clock`` choices: wall time, or the process's CPU time (steadier on a shared machine;
#: with one thread it is the time the work took on its core).
CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}

_clock = time.perf_counter


def use_clock(name: str) -> None:
    """Time the following :func:`best` calls on ``CLOCK[name]``."""
    global _clock
    _clock = CLOCK[name]


def best(fn, repeats):
    """The shortest of ``repeats`` timed calls of ``fn``, after one untimed warm-up call
    (compilation, caches)."""
    fn()
    t = np.inf
    for _ in range(repeats):
        t0 = _clock()
        fn()
        t = min(t, _clock() - t0)
    return t
