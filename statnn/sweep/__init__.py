"""Parameter sweeps: grids, resumable runs, local or Dask execution (``statnn sweep``).

The subpackage by concern: :mod:`~statnn.sweep.registry` (tasks by name),
:mod:`~statnn.sweep.spec` (grids, point keys, sweep files), :mod:`~statnn.sweep.store`
(manifest, records, lock, resume), :mod:`~statnn.sweep.execution` (local and Dask),
:mod:`~statnn.sweep.gather` (the gathered Dataset), :mod:`~statnn.sweep.tasks` (the
built-in ``simulate`` and ``recall`` tasks) and :mod:`~statnn.sweep.runner`
(:func:`run_sweep`). See docs/sweeps.md.
"""

from statnn.sweep import tasks as _tasks  # noqa: F401  (registers the built-in tasks)
from statnn.sweep.registry import TASKS, SweepTask, register_task
from statnn.sweep.runner import run_sweep, run_sweep_file
from statnn.sweep.spec import Grid, SweepSpec, expand_grid, load_sweep_file, make_spec, point_key

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
