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


def best_interleaved(fns: dict, repeats, inner: int = 1) -> dict:
    """The shortest of ``repeats`` timings of each of ``fns`` (name → function), timed
    in rounds — every function once per round — so that a slow spell of a shared machine
    falls on all of them rather than on whichever was being timed; one untimed warm-up
    call each first. A timing is ``inner`` calls in a row, reported per call (for calls
    shorter than the clock's resolution). Ratios of the results are then steadier than
    those of :func:`best` called function after function."""
    for fn in fns.values():
        fn()
    t = dict.fromkeys(fns, np.inf)
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = _clock()
            for _ in range(inner):
                fn()
            t[name] = min(t[name], (_clock() - t0) / inner)
    return t
