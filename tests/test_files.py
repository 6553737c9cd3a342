"""What statnn writes to disk: permissions, full disks, stale temporaries, bad output paths,
one JSON converter, and the labelled data face of Run / Summary / RecallResult."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr

import statnn as sn
from statnn import results
from statnn.cli import main
from statnn.errors import ValidationError
from statnn.experiments import EXPERIMENTS, Experiment, run_experiment
from statnn.experiments._common import save_dataset as save_experiment
from statnn.results import (
    atomic_write_bytes,
    atomic_write_json,
    check_output_dir,
    clean_stale_temporaries,
    load_results,
    save_dataset,
    to_jsonable,
    write_point,
)
from statnn.stats import summarize


def _dataset(**attrs):
    return xr.Dataset(
        {"energy": ("T", np.array([-1.5, np.nan]))},
        coords={"T": [1.0, 2.0]},
        attrs={"title": "t", **attrs},
    )


@pytest.fixture
def umask():
    """Set the process umask for one test, then restore it."""
    old = os.umask(0o022)
    os.umask(old)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def _mode(path) -> int:
    return path.stat().st_mode & 0o777


# -- permissions ----------------------------------------------------------------------


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_every_file_honours_the_umask(tmp_path, umask, mask):
    from matplotlib.figure import Figure

    from statnn.plotting import save_figure

    umask(mask)
    expected = 0o666 & ~mask
    out = tmp_path / "new" / "folder"
    written = [
        atomic_write_bytes(tmp_path / "a.bin", b"x"),
        atomic_write_json(tmp_path / "a.json", {"a": 1}),
        save_dataset(_dataset(), out / "d.nc"),
        *save_experiment(_dataset(), tmp_path / "e.nc"),
        save_figure(Figure(), tmp_path / "f.png"),
    ]
    assert {p.name: _mode(p) for p in written} == {p.name: expected for p in written}
    assert _mode(out) == 0o777 & ~mask  # folders made on the way too
    # replacing a file gives the new one the umask's mode as well
    (tmp_path / "a.bin").chmod(0o600)
    assert _mode(atomic_write_bytes(tmp_path / "a.bin", b"y")) == expected


# -- full disk --------------------------------------------------------------------------


def test_full_disk_is_refused_before_writing_and_keeps_the_old_file(tmp_path, monkeypatch):
    path = save_dataset(_dataset(seed=1), tmp_path / "r.nc")
    before = path.read_bytes()
    size = len(results.netcdf_bytes(_dataset(seed=2)))
    # free space enough for the file but not for the margin
    monkeypatch.setattr(results, "_free_bytes", lambda directory: size + 10)
    with pytest.raises(OSError, match="Not enough free space") as info:
        save_dataset(_dataset(seed=2), path)
    assert info.value.errno == errno.ENOSPC
    assert "MiB" in str(info.value) and str(path) in str(info.value)
    assert path.read_bytes() == before  # the old results, intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.nc"]  # no temporary left
    monkeypatch.setattr(results, "_free_bytes", lambda directory: 10 * results.SPACE_MARGIN_BYTES)
    save_dataset(_dataset(seed=2), path)
    assert load_results(path).attrs["seed"] == 2


def test_enospc_during_the_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = atomic_write_bytes(tmp_path / "p.json", b"old")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_bytes(path, b"new" * 1000)
    monkeypatch.undo()
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]


def test_hdf5_never_writes_to_disk(tmp_path, monkeypatch):
    """netCDF files are built in memory: h5py/HDF5 may crash on a full disk."""
    calls = []
    original = xr.Dataset.to_netcdf

    def spy(self, path=None, *args, **kwargs):
        calls.append(path)
        return original(self, path, *args, **kwargs)

    monkeypatch.setattr(xr.Dataset, "to_netcdf", spy)
    save_dataset(_dataset(), tmp_path / "a.nc")
    save_experiment(_dataset(), tmp_path / "b.nc")
    assert calls == [None, None]
    assert load_results(tmp_path / "b.nc").energy.attrs == {}


def test_experiment_on_a_full_disk_stops_before_the_run(tmp_path, monkeypatch):
    ran = []
    fake = Experiment("curie-weiss", lambda *a, **k: ran.append(1), "x.py", "figure")
    monkeypatch.setitem(EXPERIMENTS, "curie-weiss", fake)
    monkeypatch.setattr(results, "_free_bytes", lambda directory: 1000)
    with pytest.raises(OSError, match="Not enough free space"):
        run_experiment("curie-weiss", "tiny", out=tmp_path / "out")
    assert ran == []


# -- stale temporaries -----------------------------------------------------------------


def test_stale_temporaries_are_removed_and_live_ones_kept(tmp_path):
    path = tmp_path / "results.nc"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    host = results._HOST
    old_style = tmp_path / ".results.nc.k2j4h1x.tmp"  # an older crashed write (mkstemp name)
    crashed = tmp_path / f".results.nc.{host}-{dead_pid}.0badc0de.tmp"
    live = tmp_path / f".results.nc.{host}-{os.getpid()}.00000000.tmp"
    recent_other_host = tmp_path / ".results.nc.elsewhere-1.0000abcd.tmp"
    other_file = tmp_path / ".other.nc.k2j4h1x.tmp"
    for p in (old_style, crashed, live, recent_other_host, other_file):
        p.write_bytes(b"partial")
    hours_ago = time.time() - 2 * results.STALE_TEMP_AGE_S
    os.utime(old_style, (hours_ago, hours_ago))
    os.utime(other_file, (hours_ago, hours_ago))
    save_dataset(_dataset(), path)  # every write cleans up first
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {"results.nc", live.name, recent_other_host.name, other_file.name}
    assert clean_stale_temporaries(path) == []


def test_a_crash_leaves_a_temporary_the_next_write_removes(tmp_path, monkeypatch):
    path = tmp_path / "r.nc"

    def killed(src, dst):  # the process dies before the rename: simulate its leftovers
        raise KeyboardInterrupt

    monkeypatch.setattr(results, "_replace", killed)
    monkeypatch.setattr(results.os, "unlink", lambda p: None)  # too dead to clean up
    with pytest.raises(KeyboardInterrupt):
        save_dataset(_dataset(), path)
    monkeypatch.undo()
    (leftover,) = tmp_path.iterdir()
    hours_ago = time.time() - 2 * results.STALE_TEMP_AGE_S
    os.utime(leftover, (hours_ago, hours_ago))
    os.rename(leftover, tmp_path / leftover.name.replace(results._HOST, "gone"))
    save_dataset(_dataset(), path)
    assert [p.name for p in tmp_path.iterdir()] == ["r.nc"]


# -- output paths checked before the work --------------------------------------------


def _never_run(monkeypatch):
    ran = []
    fake = Experiment("curie-weiss", lambda *a, **k: ran.append(1), "x.py", "figure")
    monkeypatch.setitem(EXPERIMENTS, "curie-weiss", fake)
    return ran


def test_output_path_that_is_a_file_fails_before_the_run(tmp_path, monkeypatch, capsys):
    ran = _never_run(monkeypatch)
    a_file = tmp_path / "hostname"
    a_file.write_text("x")
    with pytest.raises(NotADirectoryError, match="exists and is not a folder"):
        run_experiment("curie-weiss", "tiny", out=a_file)
    assert main(["run", "curie-weiss", "--tiny", "--out", str(a_file)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("statnn run: error: Cannot write results in") and str(a_file) in err
    # below a file, and a folder where the figure should go
    assert main(["run", "curie-weiss", "--tiny", "--out", str(a_file / "sub")]) == 1
    (tmp_path / "out" / "curie-weiss.png").mkdir(parents=True)
    assert main(["run", "curie-weiss", "--tiny", "--out", str(tmp_path / "out")]) == 1
    assert "a folder of that name is in the way" in capsys.readouterr().err
    assert ran == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes anywhere")
def test_output_folder_without_write_permission_fails_before_the_run(tmp_path, monkeypatch, capsys):
    ran = _never_run(monkeypatch)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="Cannot write results in"):
            check_output_dir(locked)
        assert main(["run", "curie-weiss", "--tiny", "--out", str(locked / "new")]) == 1
    finally:
        locked.chmod(0o700)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Permission denied" in err
    assert ran == []


def test_read_only_file_system_fails_before_the_run(tmp_path, monkeypatch, capsys):
    """EROFS as the kernel reports it when the probe file is created (no mount needed)."""
    ran = _never_run(monkeypatch)
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(results.os, "open", read_only)
    assert main(["run", "curie-weiss", "--tiny", "--out", str(tmp_path)]) == 1
    assert "Read-only file system" in capsys.readouterr().err
    assert ran == []


def test_huge_seed_is_refused_before_the_run(monkeypatch, capsys):
    ran = _never_run(monkeypatch)
    assert main(["run", "curie-weiss", "--tiny", "--seed", "99999999999999999999999"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'seed'" in err and "2**63 - 1" in err
    with pytest.raises(ValidationError, match="'seed' parameter of run_experiment"):
        run_experiment("curie-weiss", "tiny", seed=2**63)
    assert ran == []


def test_integer_attributes_beyond_int64_are_saved_as_text(tmp_path):
    path = save_dataset(_dataset(seed=2**70, ok=2**62), tmp_path / "big.nc")
    back = load_results(path)
    assert back.attrs["seed"] == str(2**70) and back.attrs["ok"] == 2**62


# -- one JSON converter -------------------------------------------------------------------


def test_to_jsonable_and_strict_json(tmp_path):
    value = {
        1: (np.int64(3), np.float32(0.5), np.bool_(True)),
        "a": np.arange(3),
        "p": tmp_path,
        "x": [float("nan"), float("inf"), -float("inf"), 1.5],
    }
    plain = to_jsonable(value)
    assert plain["1"] == [3, 0.5, True] and type(plain["1"][0]) is int
    assert plain["a"] == [0, 1, 2] and plain["p"] == str(tmp_path)
    assert np.isnan(plain["x"][0]) and plain["x"][1:] == [float("inf"), -float("inf"), 1.5]
    assert to_jsonable(value, strict=True)["x"] == ["nan", "inf", "-inf", 1.5]

    def no_constants(name):
        raise AssertionError(f"non-standard JSON constant {name}")

    path = atomic_write_json(tmp_path / "s.json", value, strict=True)
    assert json.loads(path.read_text(), parse_constant=no_constants)["x"][0] == "nan"
    # the experiment sidecar is standard JSON too
    _, sidecar = save_experiment(_dataset(T_c=float("nan")), tmp_path / "e.nc")
    side = json.loads(sidecar.read_text(), parse_constant=no_constants)
    assert side["T_c"] == "nan"
    # point records keep exact floats, nan included (Python's JSON dialect)
    rec = {"format": "x", "v": np.float64(0.1) + 0.2}
    assert json.loads(write_point(tmp_path / "p.json", rec).read_text())["v"] == 0.1 + 0.2


# -- Run, Summary, RecallResult ----------------------------------------------------------


def _units_everywhere(ds):
    for name, var in ds.variables.items():
        assert var.attrs.get("units"), f"{name} has no units"
        assert var.attrs.get("long_name"), f"{name} has no long_name"
        assert not hasattr(xr.Dataset, name), f"{name} shadows xarray.Dataset.{name}"


@pytest.fixture(scope="module")
def run():
    net = sn.hopfield(sn.random_patterns(3, 40, seed=0))
    return sn.simulate(
        net,
        T=[0.3, 0.6, 0.9],
        sweeps=30,
        burn_in=5,
        chains=4,
        seed=0,
        backend="numpy",
        tempering=True,
    )


def test_run_to_xarray_is_the_run_labelled(run):
    ds = run.to_xarray()
    _units_everywhere(ds)
    assert ds.energy.dims == ("T", "chain", "sweep") and ds.energy.attrs["units"] == "J"
    assert ds["T"].attrs["units"] == "J/k_B"
    np.testing.assert_array_equal(ds.energy, run.energy)
    np.testing.assert_array_equal(ds.magnetization, run.magnetization)
    np.testing.assert_array_equal(ds.overlaps, run.overlaps)
    np.testing.assert_array_equal(ds.replica_overlap, run.replica_overlap)
    np.testing.assert_array_equal(ds.states, run.states)
    np.testing.assert_array_equal(ds.swap_acceptance, run.swap_acceptance)
    np.testing.assert_array_equal(ds.sweep, run.record_sweeps)
    assert json.loads(ds.attrs["params"])["seed"] == 0 and ds.attrs["n"] == run.n


def test_summary_to_xarray_has_every_column_with_units(run):
    s = run.summary()
    ds = s.to_xarray()
    _units_everywhere(ds)
    assert set(ds.data_vars) | {"T"} == set(s)
    for key in s:
        np.testing.assert_array_equal(ds[key].values, s[key])
    assert ds.specific_heat.attrs["units"] == "k_B"
    assert ds.susceptibility_err.attrs["units"] == "1/J"
    assert ds.energy_err.attrs["long_name"].startswith("standard error of")
    assert (ds.attrs["n"], ds.attrs["chains"], ds.attrs["records"]) == (40, 4, 30)


def test_reprs_are_short(run):
    text = repr(run)
    assert len(text) < 300 and "\n" not in text
    assert "n=40" in text and "chains=4" in text and "records=30" in text and "seed=0" in text
    xi = sn.random_patterns(50, 400, seed=1)
    out = sn.recall(sn.hopfield(xi), xi, noise=0.1, T=0.0, sweeps=5, seed=0, backend="numpy")
    text = repr(out)
    assert len(text) < 300 and "shape=(50,)" in text and "[" not in text.split("T=")[0]
    many = sn.simulate(
        sn.curie_weiss(20),
        T=np.linspace(0.5, 2, 25).tolist(),
        sweeps=20,
        burn_in=0,
        chains=2,
        seed=0,
        backend="numpy",
    ).summary()
    assert len(repr(many).splitlines()) < 20 < len(str(many).splitlines())
    assert "(15 more temperatures)" in repr(many)


def test_frozen_chains_print_a_marked_nan_with_its_reason():
    """Ordered phase: two chains near m = +0.9, two near -0.9, none tunnels.

    The chains disagree, so the chain-pooled autocorrelation of m never decays, τ_int has
    no window and the error of <m> is nan; <|m|> has a finite error.
    """
    rng = np.random.default_rng(0)
    signs = np.array([1.0, 1.0, -1.0, -1.0])[None, :, None]
    m = signs * (0.9 + 0.01 * rng.standard_normal((1, 4, 500)))
    e = -1.8 + 0.01 * rng.standard_normal((1, 4, 500))
    s = summarize(e, m, [1.5], 64)
    assert np.isnan(s["magnetization_err"][0]) and np.isfinite(s["abs_magnetization_err"][0])
    text = str(s)
    row = text.splitlines()[3]
    assert row.count("nan*") == 1 and "± nan*" in row
    assert "no error estimate" in text and "chains disagree" in text and "|m|" in text


def test_no_room_for_the_figure_keeps_the_data_and_says_how_to_draw_it(tmp_path, monkeypatch):
    out = tmp_path / "out"
    real = results._free_bytes

    def no_room_for_png(directory):
        crowded = any(p.suffix == ".json" for p in out.iterdir()) if out.is_dir() else False
        return 0 if crowded else real(directory)

    monkeypatch.setattr(results, "_free_bytes", no_room_for_png)
    with pytest.raises(OSError, match="The data are saved in") as info:
        run_experiment("curie-weiss", "tiny", out=out, seed=0, backend="numpy")
    assert f"statnn plot {out / 'curie-weiss.nc'}" in str(info.value)
    assert {p.name for p in out.iterdir()} == {"curie-weiss.nc", "curie-weiss.json"}
    assert load_results(out / "curie-weiss.nc").attrs["experiment"] == "curie-weiss"


def test_write_errors_name_the_file(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as info:
        save_dataset(_dataset(), tmp_path / "r.nc")
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC
    assert (
        results.os_error_text(info.value)
        == f"Cannot write {tmp_path / 'r.nc'}: No space left on device"
    )
