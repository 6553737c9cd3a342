"""A one-line notice on stderr when the numba kernels are about to be compiled.

The kernels are compiled on first use (only those a run needs) and cached on disk
(``cache=True``): numba keeps an index file (``*.nbi``) per function in the first usable
cache directory of its locators — ``NUMBA_CACHE_DIR`` if set, else ``__pycache__`` beside
the sources, else a per-user folder. :func:`kernels_cached` asks numba's own locators
which directory that is and looks for the index files of this package's kernel modules;
when there are none, importing this module (which :mod:`statnn.dynamics.numba.kernel`
does before any kernel runs) prints :data:`MESSAGE` once, so a first run does not sit
silent. Later runs find the cache and stay quiet (kernels a later run uses for the first
time compile silently, a few seconds each).
"""

from __future__ import annotations

import sys
from pathlib import Path

import statnn.dynamics.numba.threads  # noqa: F401  (sets the OpenMP wait policy first)

#: The kernel modules compiled when the backend is first used.
KERNEL_MODULES = ("dense", "lattice", "multispin", "patterns", "rng", "sparse")

#: Measured with an empty cache: the first 2D Ising run compiles its kernels in 8 s of CPU
#: time (33 s of wall time on 2 busy cores); each other model adds a few seconds.
MESSAGE = (
    "statnn: compiling numba kernels (first run only: ~10 s of CPU time, longer on a "
    "busy machine; cached for later runs)…"
)


def cache_directory(source: Path | None = None) -> Path | None:
    """The directory numba caches the kernels of ``source`` in (None if none is usable)."""
    from numba.core import caching

    source = Path(source or Path(__file__).with_name("lattice.py"))

    def probe():  # numba's locators read the first line number of a function
        pass

    for locator in caching.CacheImpl._locator_classes:
        try:
            found = locator.from_function(probe, str(source))
        except Exception:  # a locator that does not apply here (zip, IPython)
            continue
        if found is not None:
            return Path(found.get_cache_path())
    return None


def kernels_cached() -> bool:
    """Whether compiled kernels of this package are in numba's cache (else: first run)."""
    try:
        directory = cache_directory()
    except Exception:  # numba's cache layout changed: assume cached, stay quiet
        return True
    if directory is None or not directory.is_dir():
        return False
    return any(any(directory.glob(f"{module}.*.nbi")) for module in KERNEL_MODULES)


def announce_first_compilation(stream=None) -> bool:
    """Print :data:`MESSAGE` on ``stream`` (stderr) if the kernels are not cached yet."""
    if kernels_cached():
        return False
    print(MESSAGE, file=stream or sys.stderr, flush=True)
    return True


announce_first_compilation()
