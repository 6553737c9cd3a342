"""What the ``statnn`` command and ``import statnn`` load, and the lazy parts staying right.

The command starts in a fraction of a second because the heavy libraries are imported
only by the code that uses them: listing the experiments (``statnn --help``) imports none
of their modules, the theory's root finders load scipy.optimize on first use, and saving a
result never loads dask.distributed in a process that does not use it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

HEAVY = ("sklearn", "torch", "scipy.optimize", "scipy.stats", "matplotlib", "xarray", "dask")


def _modules_after(code: str) -> set[str]:
    """The names of HEAVY in sys.modules after running ``code`` in a fresh interpreter."""
    probe = f"""
import json, sys
{code}
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
"""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "code",
    [
        "import statnn",
        "import statnn.experiments",
        "from statnn.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass",
        "from statnn.cli import main\ntry:\n    main(['run', '--help'])\nexcept SystemExit:\n    pass",
    ],
    ids=["import statnn", "import statnn.experiments", "statnn --help", "statnn run --help"],
)
def test_startup_imports_no_heavy_library(code):
    assert _modules_after(code) == set()


def test_public_names_still_load_on_demand():
    import statnn
    import statnn.theory as theory
    from statnn.experiments import EXPERIMENTS, hopfield_recall, ising_2d, seed_examples
    from statnn.experiments.feedforward import seed_examples as direct
    from statnn.experiments.hopfield import hopfield_recall as recall_direct
    from statnn.experiments.magnets import ising_2d as ising_direct

    assert hopfield_recall is recall_direct and ising_2d is ising_direct
    assert seed_examples is direct
    assert EXPERIMENTS["ising-2d"].function is ising_direct
    for e in EXPERIMENTS.values():  # every registered path names a function of that module
        assert callable(e.function) and e.summary
    # the lazily imported solver gives the closed form: m = tanh(m / T) at T = 0.5
    m = float(theory.curie_weiss_magnetization(0.5))
    assert m == pytest.approx(np.tanh(m / 0.5), abs=1e-12)
    assert statnn.Perceptron.__name__ == "Perceptron"


def test_netcdf_bytes_loads_no_distributed_and_writes_what_xarray_writes_with_it():
    code = """
import io
import numpy as np, xarray as xr
from statnn.results import netcdf_bytes
ds = xr.Dataset(
    {"m": (("T", "x"), np.arange(6.0).reshape(2, 3), {"units": "1"})},
    coords={"T": [1.0, 2.0]},
    attrs={"seed": 2**63 - 1},
)
quick = netcdf_bytes(ds)
assert "distributed" not in sys.modules and "dask.distributed" not in sys.modules
from dask.distributed import Client  # importable afterwards: nothing was left behind
import distributed
assert netcdf_bytes(ds) == quick  # with distributed loaded xarray takes its usual path
chunked = netcdf_bytes(ds.chunk({"x": 1}))  # dask arrays: written by dask, same data
back = [xr.load_dataset(io.BytesIO(b), engine="h5netcdf") for b in (quick, chunked)]
xr.testing.assert_identical(back[0], back[1])
xr.testing.assert_identical(back[0].drop_attrs(), ds.drop_attrs())
"""
    assert "xarray" in _modules_after(code)


def test_statnn_run_process_writes_what_run_experiment_writes(tmp_path):
    """``python -m statnn run`` (imports preloaded, objects frozen) gives the data of an
    in-process run_experiment with the same arguments."""
    import xarray as xr

    from statnn.experiments import run_experiment

    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore"}
    cmd = [sys.executable, "-m", "statnn", "run", "curie-weiss", "--tiny", "--seed", "3"]
    cmd += ["--backend", "numpy", "--out", str(tmp_path / "cli"), "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "done in" in done.stdout and (tmp_path / "cli" / "curie-weiss.png").stat().st_size
    res = run_experiment("curie-weiss", "tiny", seed=3, backend="numpy", plot=False)
    cli = xr.load_dataset(tmp_path / "cli" / "curie-weiss.nc", engine="h5netcdf")
    for ds in (cli, res.dataset):
        ds.attrs = {k: v for k, v in ds.attrs.items() if k not in ("wall_time_s", "created")}
    xr.testing.assert_identical(cli, res.dataset)


def test_statnn_run_needs_no_dask():
    """'statnn run' marks dask absent (xarray would import dask.array only to check for
    dask arrays): every experiment module, the plotting and the netCDF writer must work
    without it."""
    code = """
sys.modules["dask"] = None
import numpy as np, xarray as xr
from statnn.experiments import EXPERIMENTS
import statnn.plotting
from statnn.results import netcdf_bytes
for e in EXPERIMENTS.values():
    assert callable(e.function)
ds = xr.Dataset({"m": ("T", np.arange(3.0), {"units": "1"})}, coords={"T": [1.0, 2.0, 3.0]})
back = xr.load_dataset(__import__("io").BytesIO(netcdf_bytes(ds)), engine="h5netcdf")
xr.testing.assert_identical(back, ds)
assert sys.modules["dask"] is None and not [m for m in sys.modules if m.startswith("dask.")]
"""
    assert "xarray" in _modules_after(code)  # ran to the end
