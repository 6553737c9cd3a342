"""Resumable sweeps: grids, sweep files, kill-and-resume, corrupt records, Dask, CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import filelock
import numpy as np
import pytest
import xarray as xr

import statnn.results as results_mod
import statnn.sweep as sw
from statnn.cli import main
from statnn.errors import BackendUnavailableError, ValidationError
from statnn.results import load_results, read_point
from statnn.sweep.gather import TIMING_VARS
from statnn.sweep.spec import seed_from_key

ROOT = Path(__file__).resolve().parents[1]

# A deterministic test task, importable by name in subprocesses and on Dask workers: it
# logs "pid key" for every computation so a test can count how often each point ran.
TASK_MODULE = """
import os, time
import numpy as np

def slow(x, y, seed, log, delay=0.0):
    with open(log, "a") as fh:
        fh.write(f"{os.getpid()} {x} {y}\\n")
    time.sleep(delay)
    rng = np.random.default_rng(seed)
    return {"value": x * 10 + y + rng.random(), "vec": rng.random(3)}

def sim_threads(**p):
    import numba
    from statnn.sweep.tasks import simulate_task
    ds = simulate_task(**p)
    ds["numba_threads"] = numba.get_num_threads()
    return ds
"""


@pytest.fixture
def task_module(tmp_path, monkeypatch):
    """Write the test task module, importable here, in subprocesses and on Dask workers."""
    moddir = tmp_path / "mods"
    moddir.mkdir()
    (moddir / "sweeptask_mod.py").write_text(TASK_MODULE)
    monkeypatch.syspath_prepend(str(moddir))
    path = os.pathsep.join([str(moddir), str(ROOT), os.environ.get("PYTHONPATH", "")])
    monkeypatch.setenv("PYTHONPATH", path)
    return moddir


def _log_counts(log: Path) -> dict[tuple[str, str], list[str]]:
    runs: dict[tuple[str, str], list[str]] = {}
    for line in log.read_text().splitlines():
        pid, x, y = line.split()
        runs.setdefault((x, y), []).append(pid)
    return runs


def _data(ds: xr.Dataset) -> xr.Dataset:
    """The dataset without what legitimately differs between runs (wall time, host)."""
    return ds.drop_vars([v for v in TIMING_VARS if v in ds])


def _stat(points_dir: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in points_dir.glob("*.json")}


TINY_ISING = {
    "model": "ising",
    "L": 4,
    "sweeps": 20,
    "burn_in": 5,
    "chains": 2,
    "backend": "numpy",
}

# ------------------------------------------------------------------------------- grids


def test_expand_grid_order_and_shape():
    pts = sw.expand_grid({"T": [1.0, 2.0], "rule": ["a", "b", "c"]})
    assert pts[:4] == [
        {"T": 1.0, "rule": "a"},
        {"T": 1.0, "rule": "b"},
        {"T": 1.0, "rule": "c"},
        {"T": 2.0, "rule": "a"},
    ]
    g = sw.Grid({"T": [1.0, 2.0], "rule": ["a", "b", "c"]})
    assert (g.dims, g.shape, g.size, len(g.points())) == (("T", "rule"), (2, 3), 6, 6)


def test_point_key_is_stable():
    a = sw.point_key("simulate", {"T": 2.0, "seed": 1, "L": 8})
    b = sw.point_key("simulate", {"L": 8, "seed": np.int64(1), "T": np.float64(2.0)})
    assert a == b and len(a) == 16
    assert a != sw.point_key("simulate", {"T": 2.5, "seed": 1, "L": 8})
    assert a != sw.point_key("recall", {"T": 2.0, "seed": 1, "L": 8})


# ------------------------------------------------------------------------- sweep files

GOOD = """
task = "simulate"
out = "x"
[fixed]
model = "ising"
L = 4
[grid]
T = [1.5, 2.0]
seed = [0, 1]
"""


def test_load_sweep_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(GOOD)
    spec = sw.load_sweep_file(path)
    assert spec.task == "simulate" and spec.out == "x"
    assert list(spec.grid) == ["T", "seed"] and spec.fixed == {"model": "ising", "L": 4}


@pytest.mark.parametrize(
    "text, key",
    [
        (GOOD.replace('task = "simulate"', 'task = "simulat"'), "'task'"),
        (GOOD.replace('task = "simulate"', 'task = "nosuchmod:f"'), "'task'"),
        (GOOD.replace('task = "simulate"', ""), "'task'"),
        (GOOD.replace("T = [1.5, 2.0]\nseed = [0, 1]", ""), "'grid'"),
        (GOOD.replace("[1.5, 2.0]", "2.0"), "'grid.T'"),
        (GOOD.replace("[1.5, 2.0]", "[]"), "'grid.T'"),
        (GOOD.replace("[1.5, 2.0]", "[1.5, 1.5]"), "'grid.T'"),
        (GOOD.replace("[1.5, 2.0]", '[1.5, "hot"]'), "'grid.T'"),
        (GOOD.replace("[1.5, 2.0]", "[[1.5], [2.0]]"), "'grid.T'"),
        (GOOD.replace("L = 4", "L = 4\nT = 3.0"), "'fixed.T'"),
        (GOOD.replace("L = 4", "L = 4\ntempreature = 3.0"), "'fixed.tempreature'"),
        (GOOD.replace("seed = [0, 1]", "sede = [0, 1]"), "'grid.sede'"),
        (GOOD.replace('model = "ising"', 'model = "potts"'), "'fixed.model'"),
        (GOOD.replace('model = "ising"', ""), "'model'"),
        (GOOD.replace("L = 4", ""), "'L'"),
        (GOOD.replace('out = "x"', 'outdir = "x"'), "'outdir'"),
        (GOOD.replace("[grid]", "[grid"), "not valid TOML"),
    ],
)
def test_bad_sweep_file(tmp_path, text, key):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValidationError, match=key) as info:
        sw.load_sweep_file(path)
    assert "\n" not in str(info.value)


def test_missing_sweep_file(tmp_path):
    with pytest.raises(ValidationError, match="'path'"):
        sw.load_sweep_file(tmp_path / "none.toml")


# ---------------------------------------------------------------------- local sweeps


def test_simulate_sweep_resumes_identically(tmp_path):
    grid = {"T": [1.5, 3.0], "seed": [0, 1]}
    full = sw.run_sweep("simulate", grid, fixed=TINY_ISING, out_dir=tmp_path / "a")
    assert full.energy.dims == ("T", "seed") and full.sizes == {"T": 2, "seed": 2}
    assert set(full.backend.values.ravel()) == {"numpy"}
    assert full.attrs["task"] == "simulate" and json.loads(full.attrs["sweep"])["grid"] == grid
    xr.testing.assert_identical(load_results(tmp_path / "a"), full)

    # Second directory: run, delete two records, run again -> same data, others untouched.
    b = tmp_path / "b"
    sw.run_sweep("simulate", grid, fixed=TINY_ISING, out_dir=b)
    files = sorted((b / "points").glob("*.json"))
    for f in files[:2]:
        f.unlink()
    before = _stat(b / "points")
    again = sw.run_sweep("simulate", grid, fixed=TINY_ISING, out_dir=b)
    after = _stat(b / "points")
    assert {k: after[k] for k in before} == before  # finished records not rewritten
    assert len(after) == 4
    xr.testing.assert_identical(_data(again), _data(full))


def test_temperature_list_gives_T_axis_and_recall_task(tmp_path):
    ds = sw.run_sweep(
        "simulate",
        {"seed": [0]},
        fixed={**TINY_ISING, "T": [1.0, 2.0, 3.0]},
        out_dir=tmp_path / "s",
    )
    assert ds.abs_magnetization.dims == ("seed", "T")
    np.testing.assert_array_equal(ds["T"].values, [1.0, 2.0, 3.0])
    rc = sw.run_sweep(
        "recall",
        {"rule": ["hebbian", "pseudo_inverse"], "alpha": [0.05]},
        fixed={"N": 40, "noise": 0.1, "sweeps": 5, "T": 0.0, "backend": "numpy"},
        out_dir=tmp_path / "r",
    )
    assert rc.overlap.dims == ("rule", "alpha")
    assert list(rc["rule"].values) == ["hebbian", "pseudo_inverse"]
    assert np.all(rc.overlap.values > 0.9) and np.all(rc.n_patterns.values == 2)
    assert int(rc.seed.values[0, 0]) == seed_from_key(
        sw.point_key(
            "recall",
            {
                "N": 40,
                "noise": 0.1,
                "sweeps": 5,
                "T": 0.0,
                "backend": "numpy",
                "rule": "hebbian",
                "alpha": 0.05,
            },
        )
    )


def test_corrupt_records_are_recomputed(tmp_path, task_module):
    import sweeptask_mod

    log = tmp_path / "log.txt"
    fixed = {"log": str(log), "seed": 7}
    grid = {"x": [0, 1], "y": [0, 1, 2]}
    out = tmp_path / "out"
    first = sw.run_sweep(sweeptask_mod.slow, grid, fixed=fixed, out_dir=out)
    files = sorted((out / "points").glob("*.json"))
    files[0].write_text(files[0].read_text()[:40])  # truncated
    files[1].write_text(files[1].read_text().replace('"wall_time": ', '"wall_time": 1'))
    (out / "points" / f".{files[2].name}.dead.tmp").write_text('{"partial')  # killed writer
    log.write_text("")
    with pytest.warns(RuntimeWarning, match="recomputed"):
        second = sw.run_sweep(sweeptask_mod.slow, grid, fixed=fixed, out_dir=out)
    assert sum(len(v) for v in _log_counts(log).values()) == 2  # only the two bad points
    assert len(list((out / "points").glob("*.corrupt"))) == 2
    assert not list((out / "points").glob(".*.tmp"))
    xr.testing.assert_identical(_data(second), _data(first))
    assert second.value.dims == ("x", "y") and second.vec.dims == ("x", "y", "vec_dim_0")


def test_crash_between_write_and_rename(tmp_path, task_module, monkeypatch):
    import sweeptask_mod

    log = tmp_path / "log.txt"
    fixed, grid, out = {"log": str(log)}, {"x": [0, 1, 2], "y": [0]}, tmp_path / "out"
    calls = {"n": 0}
    real = results_mod._replace

    def crash_on_third(src, dst):
        calls["n"] += 1
        if Path(dst).parent.name == "points" and calls["n"] >= 4:  # manifest, 2 points, crash
            raise OSError("power cut")
        real(src, dst)

    monkeypatch.setattr(results_mod, "_replace", crash_on_third)
    with pytest.raises(OSError, match="power cut"):
        sw.run_sweep(sweeptask_mod.slow, grid, fixed=fixed, out_dir=out)
    names = sorted(p.name for p in (out / "points").iterdir())
    assert len(names) == 2 and all(read_point(out / "points" / n)[0] for n in names)
    monkeypatch.undo()
    ds = sw.run_sweep(sweeptask_mod.slow, grid, fixed=fixed, out_dir=out)
    assert sorted(len(v) for v in _log_counts(log).values()) == [1, 1, 2]
    assert ds.value.shape == (3, 1)


def test_different_spec_in_same_dir(tmp_path, task_module):
    import sweeptask_mod

    fixed = {"log": str(tmp_path / "log.txt")}
    out = tmp_path / "out"
    sw.run_sweep(sweeptask_mod.slow, {"x": [0, 1], "y": [0]}, fixed=fixed, out_dir=out)
    with pytest.raises(ValidationError, match=r"different spec \(grid.x"):
        sw.run_sweep(sweeptask_mod.slow, {"x": [0, 1, 2], "y": [0]}, fixed=fixed, out_dir=out)
    with pytest.raises(ValidationError, match="fixed.delay"):
        sw.run_sweep(
            sweeptask_mod.slow, {"x": [0, 1], "y": [0]}, fixed={**fixed, "delay": 0.0}, out_dir=out
        )
    ds = sw.run_sweep(
        sweeptask_mod.slow, {"x": [0, 1, 2], "y": [0]}, fixed=fixed, out_dir=out, extend=True
    )
    assert ds.sizes["x"] == 3
    assert sorted(len(v) for v in _log_counts(tmp_path / "log.txt").values()) == [1, 1, 1]


def test_lock_and_argument_errors(tmp_path, task_module):
    import sweeptask_mod

    out = tmp_path / "out"
    out.mkdir()
    args = (sweeptask_mod.slow, {"x": [0], "y": [0]})
    with filelock.FileLock(out / ".lock"):  # another sweep holds the directory
        with pytest.raises(ValidationError, match="Another sweep is running"):
            sw.run_sweep(*args, fixed={"log": "/dev/null"}, out_dir=out)
    with pytest.raises(ValidationError, match="'workers'"):
        sw.run_sweep(*args, out_dir=out, scheduler="tcp://x:1", workers=2)
    with pytest.raises(ValidationError, match="'workers'"):
        sw.run_sweep(*args, out_dir=out, workers=0)
    with pytest.raises(ValidationError, match="'progress'"):
        sw.run_sweep(*args, out_dir=out, progress="yes")


def test_result_names_that_cannot_be_stored_are_renamed(tmp_path):
    """A result named like a grid parameter, or with '/' in its name (HDF5's separator),
    is renamed with a warning; nothing computed is lost and results.nc is written."""

    def task(value, seed):
        return {"value": 2.0 * value, "a/b": value + 1.0}

    with pytest.warns(RuntimeWarning, match=r"'value' -> 'value_result'.*'a/b' -> 'a_b'"):
        ds = sw.run_sweep(task, {"value": [0, 1]}, out_dir=tmp_path / "o")
    np.testing.assert_array_equal(ds.value_result.values, [0.0, 2.0])
    np.testing.assert_array_equal(ds.a_b.values, [1.0, 2.0])
    xr.testing.assert_identical(load_results(tmp_path / "o"), ds)


def test_results_missing_at_some_points_are_filled(tmp_path):
    def task(x, seed):
        out = {"a": float(x)}
        if x > 0:
            out.update(b=7, s="yes", v=np.arange(2.0))
        return out

    ds = sw.run_sweep(task, {"x": [0, 1]}, out_dir=tmp_path / "o")
    assert ds.b.values[0] != ds.b.values[0] and ds.b.values[1] == 7  # nan where missing
    assert list(ds.s.values) == ["", "yes"] and ds.v.dims == ("x", "v_dim_0")
    xr.testing.assert_identical(load_results(tmp_path / "o"), ds)


def test_progress_bar_only_when_asked_or_on_a_terminal(tmp_path, task_module, capsys):
    import sweeptask_mod

    args = (sweeptask_mod.slow, {"x": [0, 1], "y": [0]})
    sw.run_sweep(*args, fixed={"log": "/dev/null"}, out_dir=tmp_path / "a")
    assert capsys.readouterr().err == ""  # pytest's stderr is not a terminal
    sw.run_sweep(*args, fixed={"log": "/dev/null"}, out_dir=tmp_path / "b", progress=True)
    assert "2/2" in capsys.readouterr().err


# ------------------------------------------------------------------- kill and resume


def test_killed_sweep_resumes_without_recomputing(tmp_path, task_module):
    log = tmp_path / "log.txt"
    sweep_file = tmp_path / "slow.toml"
    sweep_file.write_text(
        textwrap.dedent(
            f"""
            task = "sweeptask_mod:slow"
            [fixed]
            log = "{log}"
            delay = 0.3
            [grid]
            x = [0, 1, 2]
            y = [0, 1, 2]
            seed = [5]
            """
        )
    )
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "statnn", "sweep", str(sweep_file), "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    points = out / "points"
    deadline = time.monotonic() + 30
    while len(list(points.glob("*.json"))) < 3:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the sweep did not start"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = _stat(points)
    assert 3 <= len(finished) < 9 and not (out / "results.nc").exists()
    killed_pid = str(proc.pid)

    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"({len(finished)} reused, {9 - len(finished)} computed)" in done.stdout
    assert done.stderr == ""  # no progress bar when stderr is not a terminal
    after = _stat(points)
    assert len(after) == 9
    assert {k: after[k] for k in finished} == finished  # not rewritten

    runs = _log_counts(log)
    finished_xy = set()
    for name in finished:
        rec, _ = read_point(points / name)
        finished_xy.add((str(rec["params"]["x"]), str(rec["params"]["y"])))
    for xy, pids in runs.items():
        if xy in finished_xy:
            assert pids == [killed_pid]  # computed exactly once, before the kill
        else:
            assert pids[-1] != killed_pid and pids.count(pids[-1]) == 1
    assert len(runs) == 9

    # An uninterrupted run (here, in-process) gives the same Dataset.
    resumed = load_results(out)
    whole = sw.run_sweep_file(sweep_file, out_dir=tmp_path / "whole")
    xr.testing.assert_identical(_data(resumed), _data(whole))


def test_numba_threads_option_is_scoped(tmp_path, task_module):
    import numba

    before = numba.get_num_threads()
    ds = sw.run_sweep(
        "sweeptask_mod:sim_threads",
        {"T": [2.0]},
        fixed=TINY_ISING,
        out_dir=tmp_path / "o",
        numba_threads=1,
    )
    assert ds.numba_threads.values.tolist() == [1] and numba.get_num_threads() == before


# ------------------------------------------------------------------------- Dask


def test_dask_local_cluster_matches_local_run(tmp_path, task_module):
    pytest.importorskip("distributed", reason="dask[distributed] is not installed")
    grid = {"T": [1.5, 3.0], "seed": [0, 1]}
    local = sw.run_sweep(
        "sweeptask_mod:sim_threads", grid, fixed=TINY_ISING, out_dir=tmp_path / "l"
    )
    dask = sw.run_sweep(
        "sweeptask_mod:sim_threads", grid, fixed=TINY_ISING, out_dir=tmp_path / "d", workers=2
    )
    skip = ["numba_threads"]
    xr.testing.assert_identical(_data(local).drop_vars(skip), _data(dask).drop_vars(skip))
    expected = max(1, (os.cpu_count() or 1) // 2)  # 2 single-threaded workers on this host
    assert set(dask.numba_threads.values.ravel()) == {expected}


# ------------------------------------------------------------------------- CLI


def test_cli_without_dask_is_one_line(tmp_path, monkeypatch, capsys):
    path = tmp_path / "s.toml"
    path.write_text(GOOD)
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    for option in (["--scheduler", "tcp://127.0.0.1:8786"], ["--workers", "2"]):
        assert main(["sweep", str(path), "--out", str(tmp_path / "o"), *option]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "statnn[dist]" in err and option[0][2:] in err
    with pytest.raises(BackendUnavailableError, match="'scheduler'"):
        sw.run_sweep(
            "simulate", {"T": [1.0]}, fixed=TINY_ISING, out_dir=tmp_path / "p", scheduler="x"
        )


def test_cli_bad_file_and_options(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(GOOD.replace("[1.5, 2.0]", "2.0"))
    assert main(["sweep", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'grid.T'" in err
    with pytest.raises(SystemExit) as info:
        main(["sweep", str(path), "--workers", "0"])
    assert info.value.code == 2
    with pytest.raises(SystemExit):
        main(["sweep", str(path), "--workers", "2", "--scheduler", "x"])
    capsys.readouterr()
    path.write_text(GOOD.replace('out = "x"', ""))
    assert main(["sweep", str(path)]) == 2
    assert "--out" in capsys.readouterr().err


# ----------------------------------------------------------------- hardening: values


def _write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "old, new, key",
    [
        # TOML booleans only: a string "false" is truthy and must not mean True
        ("L = 4", 'L = 4\ntempering = "false"', "'fixed.tempering'"),
        ("L = 4", 'L = 4\nperiodic = "no"', "'fixed.periodic'"),
        # no silent casts: a float size, a string temperature, a negative temperature
        ("L = 4", "L = 4.5", "'fixed.L'"),
        ("[1.5, 2.0]", '["1.0", "2.0"]', "'grid.T'"),
        ("[1.5, 2.0]", "[1.0, 2.0, -1.0, 3.0]", "'grid.T'"),
        # seeds must fit int64 (results.nc stores them so)
        ("seed = [0, 1]", "seed = [0, 9223372036854775808]", "'grid.seed'"),
        ("L = 4", "L = 4\nrecord_every = 50\nsweeps = 10", "'fixed.record_every'"),
        ("L = 4", 'L = 4\nbackend = "numbba"', "'fixed.backend'"),
    ],
)
def test_every_point_is_validated_before_any_runs(tmp_path, old, new, key):
    """A bad value anywhere in the grid is refused before the first point runs: nothing
    is written, so the sweep is never stranded half-way."""
    path = _write(tmp_path, GOOD.replace(old, new).replace('out = "x"', ""))
    with pytest.raises(ValidationError, match=key) as info:
        sw.run_sweep_file(path, out_dir=tmp_path / "o")
    assert "\n" not in str(info.value)
    assert not (tmp_path / "o").exists()


def test_real_toml_boolean_is_accepted(tmp_path):
    text = GOOD.replace("L = 4", "L = 4\nperiodic = false\nsweeps = 10\nburn_in = 2")
    ds = sw.run_sweep_file(_write(tmp_path, text), out_dir=tmp_path / "o")
    assert ds.attrs["fixed_periodic"] == 0 and not ds.failed.any()


@pytest.mark.parametrize(
    "grid, fixed, key",
    [
        ({"alpha": [-0.5, 0.0]}, {"N": 40}, "'grid.alpha'"),  # ran as P = 1 before
        ({"alpha": [0.01, 0.1]}, {"N": 40}, "'grid.alpha'"),  # round(0.4) = 0 patterns
        ({"N": [50.7]}, {"alpha": 0.1}, "'grid.N'"),  # ran as N = 50 before
        ({"alpha": [0.1]}, {"N": 40, "T": ["1.0"]}, "'fixed.T'"),
        ({"alpha": [0.1]}, {"N": 40, "seed": 2**63}, "'fixed.seed'"),
        ({"alpha": [0.1]}, {"N": 40, "disorder_seed": -1}, "'fixed.disorder_seed'"),
        ({"alpha": [0.1]}, {"N": 40, "noise": 0.6, "mask": 0.5}, "'fixed.mask'"),
        ({"alpha": [0.1]}, {"N": 40, "average": 150}, "'fixed.average'"),  # sweeps: 100
        ({"a/b": [0.1]}, {"N": 40}, "'grid'"),
        ({"failed": [0.1]}, {"N": 40}, "'grid'"),
    ],
)
def test_recall_values_are_checked_like_the_library(tmp_path, grid, fixed, key):
    with pytest.raises(ValidationError, match=key):
        sw.run_sweep("recall", grid, fixed=fixed, out_dir=tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_the_library_refuses_what_the_sweep_refuses():
    """The sweep's checks are the library's: the same values fail in statnn itself."""
    import statnn as sn

    with pytest.raises(ValidationError, match="'T'"):
        sn.simulate(sn.ising((4, 4)), T=-1.0, sweeps=2, burn_in=0, backend="numpy")
    with pytest.raises(ValidationError, match="'shape'"):
        sn.ising((4, 4.5))
    with pytest.raises(ValidationError, match="'record_every'"):
        sn.simulate(sn.ising((4, 4)), T=1.0, sweeps=10, record_every=50, backend="numpy")


def test_grid_size_limit_without_enumerating(tmp_path):
    import tracemalloc

    huge = {f"p{i}": list(range(100)) for i in range(6)}  # 10^12 points
    tracemalloc.start()
    with pytest.raises(ValidationError, match=r"1,000,000,000,000 points.*max_points"):
        sw.run_sweep(lambda seed, **p: {"x": 1.0}, huge, out_dir=tmp_path / "h")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000  # the grid was counted, not built
    small = {"x": [0, 1, 2, 3]}
    with pytest.raises(ValidationError, match="at most 3 points"):
        sw.run_sweep(lambda x, seed: {"y": x}, small, out_dir=tmp_path / "s", max_points=3)
    ds = sw.run_sweep(lambda x, seed: {"y": x}, small, out_dir=tmp_path / "s", max_points=4)
    assert ds.y.values.tolist() == [0, 1, 2, 3]


def test_output_path_in_the_way_is_one_line_before_any_point(tmp_path, capsys):
    """An OUT that is a file is refused before any point runs (exit 1, one line)."""
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder")
    path = _write(tmp_path, GOOD.replace('out = "x"', f'out = "{blocker}"'))
    assert main(["sweep", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "taken" in err
    assert blocker.read_text() == "not a folder"


def test_cli_max_points_and_non_utf8_file(tmp_path, capsys):
    path = _write(tmp_path, GOOD)
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--max-points", "3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "max_points" in err
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(GOOD.replace("x", "r\xe9sultats").encode("latin-1"))
    assert main(["sweep", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not UTF-8" in err


# ------------------------------------------------------------ hardening: failed points

FLAKY_MODULE = """
import numpy as np

def flaky(x, seed, log):
    with open(log, "a") as fh:
        fh.write(f"{x}\\n")
    if x == 2:
        raise RuntimeError(f"no convergence at x = {x}")
    return {"value": float(x) ** 2, "vec": np.arange(3.0) + x, "label": f"x{x}"}

def ragged(x, seed):
    return {"value": float(x), "vec": np.arange(3 if x != 1 else 4, dtype=float)}
"""


@pytest.fixture
def flaky_module(tmp_path, monkeypatch):
    moddir = tmp_path / "flakymods"
    moddir.mkdir()
    (moddir / "flaky_mod.py").write_text(FLAKY_MODULE)
    monkeypatch.syspath_prepend(str(moddir))
    path = os.pathsep.join([str(moddir), str(ROOT), os.environ.get("PYTHONPATH", "")])
    monkeypatch.setenv("PYTHONPATH", path)
    return moddir


def test_a_point_that_raises_is_marked_and_the_others_go_on(tmp_path, flaky_module):
    import flaky_mod

    log = tmp_path / "log.txt"
    out = tmp_path / "o"
    grid = {"x": [0, 1, 2, 3]}
    with pytest.warns(RuntimeWarning, match=r"1 of 4 sweep points failed.*no convergence"):
        ds = sw.run_sweep(flaky_mod.flaky, grid, fixed={"log": str(log)}, out_dir=out)
    assert log.read_text().split() == ["0", "1", "2", "3"]  # x = 3 ran after the failure
    assert ds.failed.values.tolist() == [False, False, True, False]
    assert ds.error.values[2] == "RuntimeError: no convergence at x = 2"
    assert list(ds.error.values[[0, 1, 3]]) == ["", "", ""]
    # the others' results are those of the task itself; the failed point's are NaN / ""
    np.testing.assert_array_equal(ds.value.values, [0.0, 1.0, np.nan, 9.0])
    np.testing.assert_array_equal(ds.vec.values[3], np.arange(3.0) + 3)
    assert np.isnan(ds.vec.values[2]).all() and ds.label.values[2] == ""
    xr.testing.assert_identical(load_results(out), ds)
    failed_file = out / "points" / f"{sw.point_key(ds.task, {'x': 2, 'log': str(log)})}"
    record = json.loads(Path(str(failed_file) + ".failed.json").read_text())
    assert record["error"] == ds.error.values[2] and "Traceback" in record["traceback"]

    # a rerun retries only the failed point (it fails again: same dataset)
    log.write_text("")
    with pytest.warns(RuntimeWarning, match="1 of 4"):
        again = sw.run_sweep(flaky_mod.flaky, grid, fixed={"log": str(log)}, out_dir=out)
    assert log.read_text().split() == ["2"]
    xr.testing.assert_identical(_data(again), _data(ds))


def test_cli_exit_status_says_points_failed(tmp_path, flaky_module):
    path = _write(
        tmp_path,
        f'task = "flaky_mod:flaky"\n[fixed]\nlog = "{tmp_path / "log.txt"}"\n'
        "[grid]\nx = [1, 2, 3]\n",
    )
    out = tmp_path / "o"
    cmd = [sys.executable, "-m", "statnn", "sweep", str(path), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "1 failed" in done.stdout
    assert done.stderr.count("\n") == 1 and "no convergence at x = 2" in done.stderr
    ds = load_results(out)
    assert ds.failed.values.tolist() == [False, True, False]


def test_failed_points_on_dask_match_a_local_run(tmp_path, flaky_module):
    pytest.importorskip("distributed", reason="dask[distributed] is not installed")
    fixed, grid = {"log": str(tmp_path / "log.txt")}, {"x": [1, 2, 3]}
    with pytest.warns(RuntimeWarning, match="1 of 3"):
        local = sw.run_sweep("flaky_mod:flaky", grid, fixed=fixed, out_dir=tmp_path / "l")
    with pytest.warns(RuntimeWarning, match="1 of 3"):
        dask = sw.run_sweep("flaky_mod:flaky", grid, fixed=fixed, out_dir=tmp_path / "d", workers=2)
    xr.testing.assert_identical(_data(local), _data(dask))


def test_result_shapes_that_differ_are_marked_not_lost(tmp_path, flaky_module):
    import flaky_mod

    out = tmp_path / "o"
    with pytest.warns(RuntimeWarning, match="1 of 3 sweep points failed"):
        ds = sw.run_sweep(flaky_mod.ragged, {"x": [0, 1, 2]}, out_dir=out)
    assert ds.failed.values.tolist() == [False, True, False]
    assert "'vec'" in ds.error.values[1] and "(4,)" in ds.error.values[1]
    np.testing.assert_array_equal(ds.vec.values[2], np.arange(3.0))
    assert (out / "results.nc").is_file()
    assert len(list((out / "points").glob("*.json"))) == 3  # the odd point's data is kept


# --------------------------------------------------------------- the Dataset's labels


def test_every_variable_has_units_and_long_name(tmp_path):
    rc = sw.run_sweep(
        "recall",
        {"alpha": [0.05, 0.1]},
        fixed={"N": 40, "noise": 0.1, "sweeps": 5, "T": [0.0, 0.5], "backend": "numpy"},
        out_dir=tmp_path / "r",
    )
    sim = sw.run_sweep("simulate", {"T": [1.5, 3.0]}, fixed=TINY_ISING, out_dir=tmp_path / "s")
    for ds in (load_results(tmp_path / "r"), load_results(tmp_path / "s")):
        for name, var in ds.variables.items():
            assert var.attrs.get("units") and var.attrs.get("long_name"), name
            assert not hasattr(xr.Dataset, str(name)), f"{name} shadows a Dataset attribute"
        assert "Conventions" not in ds.attrs
    # reduced units: temperatures in J/k_B, energies in J, C in k_B, chi in 1/J
    assert sim["T"].attrs["units"] == "J/k_B" and rc["T"].attrs["units"] == "J/k_B"
    assert sim.energy.attrs["units"] == sim.energy_err.attrs["units"] == "J"
    assert sim.specific_heat.attrs["units"] == "k_B"
    assert sim.susceptibility.attrs["units"] == "1/J"
    assert sim.wall_time.attrs["units"] == "s"
    # the realised load is P/N with P = round(alpha N): 2/40 and 4/40
    np.testing.assert_allclose(rc.pattern_load.sel(T=0.0).values, [2 / 40, 4 / 40])


def test_simulate_task_equals_the_library_call(tmp_path):
    """A point of the simulate task is sn.simulate on sn.ising with the same arguments
    (the sweep's 'dynamics' is simulate's update rule)."""
    import inspect

    import statnn as sn

    ds = sw.run_sweep(
        "simulate",
        {"dynamics": ["glauber", "metropolis"]},
        fixed={**TINY_ISING, "T": 2.0, "seed": 3},
        out_dir=tmp_path / "o",
    )
    name = "dynamics" if "dynamics" in inspect.signature(sn.simulate).parameters else "rule"
    for d in ("glauber", "metropolis"):
        run = sn.simulate(
            sn.ising((4, 4)),
            T=2.0,
            sweeps=20,
            burn_in=5,
            chains=2,
            backend="numpy",
            seed=3,
            **{name: d},
        )
        summary = run.summary()
        assert ds.energy.sel(dynamics=d).item() == summary["energy"][0]
        assert ds.abs_magnetization.sel(dynamics=d).item() == summary["abs_magnetization"][0]
    assert ds.energy.sel(dynamics="glauber").item() != ds.energy.sel(dynamics="metropolis").item()
