"""Parameter sweeps: grids, resumable runs, local or Dask execution (``statnn sweep``)."""

from statnn.sweep.core import (
    TASKS,
    Grid,
    SweepSpec,
    SweepTask,
    expand_grid,
    load_sweep_file,
    make_spec,
    point_key,
    register_task,
    run_sweep,
    run_sweep_file,
)

__all__ = [
    "TASKS",
    "Grid",
    "SweepSpec",
    "SweepTask",
    "expand_grid",
    "load_sweep_file",
    "make_spec",
    "point_key",
    "register_task",
    "run_sweep",
    "run_sweep_file",
]
