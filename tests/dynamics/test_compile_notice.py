"""The one-line notice on stderr before the numba kernels compile for the first time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numba")

from statnn.dynamics.numba import compile_notice  # noqa: E402

CODE = (
    "import statnn.dynamics.numba.compile_notice as c; "
    "print(c.cache_directory(), c.kernels_cached())"
)


def _import_notice(cache: Path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split(), done.stderr


def test_notice_only_while_the_cache_is_empty(tmp_path):
    (directory, cached), err = _import_notice(tmp_path)
    assert cached == "False"
    assert err.strip() == compile_notice.MESSAGE  # exactly one line
    assert Path(directory).is_relative_to(tmp_path)
    # an index file of a kernel module where numba looks: a later run is quiet
    (Path(directory) / "lattice.lattice_checkerboard-1.py311.nbi").write_bytes(b"")
    (directory2, cached), err = _import_notice(tmp_path)
    assert directory2 == directory and cached == "True" and err == ""


def test_cache_directory_is_where_numba_caches_the_kernels():
    import statnn as sn
    from statnn.dynamics.numba import lattice

    # compile (or load) one kernel in this process
    sn.simulate(sn.ising((4, 4)), T=2.0, sweeps=1, schedule="checkerboard", seed=0)

    # numba's own record of where this dispatcher's cache lives (an independent truth)
    expected = Path(lattice.lattice_checkerboard._cache._cache_path)
    assert compile_notice.cache_directory() == expected
    assert compile_notice.kernels_cached()  # that kernel is in the cache now
