"""Saving and loading self-describing results: atomic writes, point records, netCDF."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

import statnn
from statnn import results
from statnn.errors import ValidationError
from statnn.results import (
    atomic_write_bytes,
    decode_result,
    encode_result,
    load_results,
    point_record,
    read_point,
    save_dataset,
    write_point,
)


def _record(value=1.5, key="0123456789abcdef"):
    rng = np.random.default_rng(0)
    return point_record(
        key=key,
        task="simulate",
        params={"T": 2.0, "seed": 3, "model": "ising"},
        grid_point={"T": 2.0},
        result={"energy": value, "vec": rng.random(4), "ok": True, "name": "x"},
        seed=3,
        backend="numpy",
        device="cpu",
        wall_time=0.25,
    )


def _crash(*args):
    raise OSError("simulated crash before the rename")


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / "f.txt"
    atomic_write_bytes(path, b"old")
    atomic_write_bytes(path, b"new content")
    assert path.read_bytes() == b"new content"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_crash_before_rename_leaves_old_file_and_no_partial(tmp_path, monkeypatch):
    path = tmp_path / "point.json"
    monkeypatch.setattr(results, "_replace", _crash)
    with pytest.raises(OSError, match="simulated crash"):
        write_point(path, _record())
    assert not path.exists()  # no partial file under the final name
    assert list(tmp_path.iterdir()) == []  # and the temporary file is cleaned up
    monkeypatch.undo()
    write_point(path, _record(1.0))
    monkeypatch.setattr(results, "_replace", _crash)
    with pytest.raises(OSError):
        write_point(path, _record(2.0))
    record, _ = read_point(path)
    assert record["result"]["data_vars"]["energy"]["data"] == 1.0  # the old one, intact


def test_point_record_round_trip_is_exact(tmp_path):
    rec = _record(0.1 + 0.2)
    path = write_point(tmp_path / "p.json", rec)
    back, reason = read_point(path)
    assert reason == ""
    assert back == json.loads(json.dumps(rec))
    assert back["version"] == statnn.__version__
    assert {"params", "seed", "backend", "device", "wall_time", "host"} <= set(back)
    ds = decode_result(back["result"])
    assert ds.energy.item() == 0.1 + 0.2  # repr round-trips float64 exactly
    np.testing.assert_array_equal(ds.vec.values, np.random.default_rng(0).random(4))
    assert ds.vec.dims == ("vec_dim_0",)
    assert ds.ok.dtype == bool and ds.name.item() == "x"


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda text: text[: len(text) // 2], "truncated"),
        (lambda text: "", "truncated"),
        (lambda text: text.replace('"data": 1.5', '"data": 1.25'), "checksum"),
        (lambda text: json.dumps({"hello": 1}), "not a statnn"),
    ],
)
def test_damaged_point_is_detected(tmp_path, damage, reason):
    path = write_point(tmp_path / "p.json", _record(1.5))
    path.write_text(damage(path.read_text()))
    record, why = read_point(path)
    assert record is None and reason in why


def test_missing_point():
    assert read_point("/nonexistent/p.json") == (None, "missing")


def test_encode_dataset_keeps_labels_and_nan():
    ds = xr.Dataset(
        {"m": ("T", [0.5, np.nan]), "flag": ("T", [True, False])},
        coords={"T": [1.0, 2.0]},
        attrs={"backend": "numba"},
    )
    back = decode_result(json.loads(results.dumps(encode_result(ds))))
    xr.testing.assert_identical(back, ds)


def test_encode_rejects_complex_and_other_types():
    with pytest.raises(statnn.errors.StatnnError, match="'z'"):
        encode_result({"z": np.array([1j])})
    with pytest.raises(statnn.errors.StatnnError, match="dict"):
        encode_result([1, 2])


def test_save_and_load_dataset(tmp_path):
    ds = xr.Dataset(
        {
            "m": (("T", "rule"), np.arange(6.0).reshape(3, 2)),
            "host": (("T", "rule"), [["a"] * 2] * 3),
        },
        coords={"T": [1.0, 2.0, 3.0], "rule": ["hebbian", "storkey"]},
        attrs={"sweep": json.dumps({"task": "x"}), "statnn_version": statnn.__version__},
    )
    path = save_dataset(ds, tmp_path / "sub" / "results.nc")
    back = load_results(path)
    xr.testing.assert_identical(back, ds)
    xr.testing.assert_identical(load_results(tmp_path / "sub"), ds)  # a sweep directory
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["results.nc"]


def test_save_dataset_crash_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "results.nc"
    save_dataset(xr.Dataset({"a": ("x", [1.0])}), path)
    monkeypatch.setattr(results, "_replace", _crash)
    with pytest.raises(OSError):
        save_dataset(xr.Dataset({"a": ("x", [2.0])}), path)
    assert load_results(path).a.values.tolist() == [1.0]
    assert [p.name for p in tmp_path.iterdir()] == ["results.nc"]


def test_load_results_bad_path(tmp_path):
    with pytest.raises(ValidationError, match="'path' parameter of load_results"):
        load_results(tmp_path / "nothing.nc")
    (tmp_path / "junk.nc").write_text("not netcdf")
    with pytest.raises(ValidationError, match="'path'"):
        load_results(tmp_path / "junk.nc")
