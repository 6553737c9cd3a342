"""Where a sweep's points run: in this process, or on a Dask cluster.

Locally the points run one after the other (the numba backend then uses every core inside
each point). On Dask every task sets numba's thread count to cores // (Dask threads on its
host), so the workers do not oversubscribe the cores. Results travel back to the calling
process, which writes the records: the workers need no shared file system.
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from collections import Counter
from collections.abc import Mapping
from typing import Any

from statnn._validation import check_int, param_error
from statnn.errors import BackendUnavailableError
from statnn.results import point_record
from statnn.sweep.registry import SweepTask, resolve_task
from statnn.sweep.spec import Point
from statnn.sweep.store import failure_record


@contextlib.contextmanager
def numba_threads_scope(threads: int | None):
    """Run the block with ``threads`` numba threads (None: unchanged), then restore."""
    if threads is None:
        yield
        return
    import numba

    from statnn.dynamics.numba.threads import get_num_threads, set_num_threads

    before = get_num_threads()
    # A Dask worker's host may have fewer cores than the plan assumed: use what it has.
    set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        set_num_threads(before)


def _dask_threads(plan: Mapping[str, int] | None) -> int | None:
    """Numba threads for the Dask worker running this task (from the client's plan)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None
    if plan and worker.address in plan:
        return plan[worker.address]
    return max(1, (os.cpu_count() or 1) // max(1, worker.state.nthreads))


def execute_point(
    task: Any, name: str, point: Point, threads: int | None, plan: Mapping[str, int] | None
) -> dict:
    """Run one point (here or on a Dask worker) and return its record (not yet written).

    A task that raises gives a failure record (:func:`~statnn.sweep.store.failure_record`)
    instead: the sweep goes on with the other points.
    """
    if plan is not None:
        threads = _dask_threads(plan) if threads is None else threads
    start = time.perf_counter()
    try:
        if callable(task):
            resolved = SweepTask(name, task)
        else:
            _, resolved = resolve_task(task, "run_sweep")
        with numba_threads_scope(threads):
            start = time.perf_counter()
            result = resolved.func(**point.params)
            wall = time.perf_counter() - start
        attrs = getattr(result, "attrs", {}) or {}
        backend = attrs.get("backend", point.params.get("backend"))
        device = attrs.get("device", point.params.get("device"))
        return point_record(
            key=point.key,
            task=name,
            params=point.params,
            grid_point=point.grid,
            result=result,
            seed=point.params.get("seed"),
            backend=None if backend is None else str(backend),
            device=None if device is None else str(device),
            wall_time=wall,
        )
    except Exception as exc:  # a failed point: recorded, the others go on
        return failure_record(point, name, exc, time.perf_counter() - start, traceback.format_exc())


def dask_client(client: Any, scheduler: Any, workers: int | None):
    """``(client, closers)``: the client to use and what to close afterwards."""
    if client is not None:
        return client, []
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        option = "scheduler" if scheduler is not None else "workers"
        raise BackendUnavailableError(
            f"The '{option}' option of run_sweep needs Dask, which is not installed: "
            "pip install 'statnn[dist]' (or run without --scheduler/--workers)."
        ) from None
    if scheduler is not None:
        try:
            c = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise BackendUnavailableError(
                f"Could not connect to the Dask scheduler at {scheduler!r}: {exc}."
            ) from None
        return c, [c]
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=40,
    )
    c = Client(cluster)
    return c, [c, cluster]


def _threads_plan(client) -> dict[str, int]:
    """Numba threads per Dask worker: the host's cores // the Dask threads on that host."""
    try:
        workers = client.scheduler_info(n_workers=-1)["workers"]
    except TypeError:  # older distributed
        workers = client.scheduler_info()["workers"]
    cores = client.run(os.cpu_count)
    per_host: Counter = Counter()
    for info in workers.values():
        per_host[info.get("host")] += int(info.get("nthreads", 1))
    return {
        addr: max(1, int(cores.get(addr) or 1) // max(1, per_host[info.get("host")]))
        for addr, info in workers.items()
    }


def run_local(pending, task_ref, name, threads, write, bar):
    """Run the pending points one after another in this process, writing each record."""
    for point in pending:
        write(execute_point(task_ref, name, point, threads, None))
        bar.update(1)


def run_dask(client, pending, task_ref, name, threads, write, bar):
    """Run the pending points on a Dask cluster, writing each record as it completes."""
    from distributed import as_completed

    plan = _threads_plan(client) if threads is None else None
    futures = {
        client.submit(execute_point, task_ref, name, point, threads, plan or {}, pure=False): point
        for point in pending
    }
    try:
        for future in as_completed(list(futures)):
            try:
                record = future.result()
            except Exception as exc:  # the worker died (or the task could not travel)
                record = failure_record(futures[future], name, exc, 0.0, traceback.format_exc())
            write(record)
            bar.update(1)
    finally:
        client.cancel(list(futures))


def check_executor(
    client: Any, scheduler: Any, workers: Any, numba_threads: Any, caller: str
) -> tuple[int | None, int | None]:
    """Validate where the points are to run; return ``(workers, numba_threads)``."""
    executors = {"client": client, "scheduler": scheduler, "workers": workers}
    chosen = [n for n, v in executors.items() if v is not None]
    if len(chosen) > 1:
        raise param_error(
            chosen[1],
            caller,
            f"None when '{chosen[0]}' is given (choose one)",
            executors[chosen[1]],
        )
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler):
        raise param_error(
            "scheduler", caller, "a Dask scheduler address such as 'tcp://host:8786'", scheduler
        )
    if workers is not None:
        workers = check_int(workers, "workers", caller, minimum=1)
    if numba_threads is not None:
        numba_threads = check_int(numba_threads, "numba_threads", caller, minimum=1)
    if (scheduler is not None or workers is not None) and client is None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            option = "scheduler" if scheduler is not None else "workers"
            raise BackendUnavailableError(
                f"The '{option}' option of {caller} needs Dask, which is not installed: "
                "pip install 'statnn[dist]' (or run without it: points then run locally)."
            ) from None
    return workers, numba_threads


def run_points(pending, task_ref, name, threads, write, bar, client, scheduler, workers) -> None:
    """Run the ``pending`` points here (no Dask option given) or on Dask; ``write`` each
    record as it comes back and advance ``bar``."""
    if not pending:
        return
    if client is None and scheduler is None and workers is None:
        run_local(pending, task_ref, name, threads, write, bar)
        return
    c, closers = dask_client(client, scheduler, workers)
    try:
        run_dask(c, pending, task_ref, name, threads, write, bar)
    finally:
        for obj in closers:
            with contextlib.suppress(Exception):
                obj.close()
