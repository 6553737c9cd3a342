"""``statnn simulate``: one run from the command line, its table and its netCDF file."""

from __future__ import annotations

import numpy as np
import pytest

import statnn as sn
from statnn.cli import main
from statnn.results import load_results


def test_ising_table_and_file_match_the_library(tmp_path, capsys):
    out = tmp_path / "ising.nc"
    rc = main(
        [
            "simulate", "ising", "--size", "6x6", "--T", "1.5,3.0", "--sweeps", "50",
            "--burn-in", "10", "--chains", "2", "--seed", "4", "--out", str(out),
        ]
    )  # fmt: skip
    assert rc == 0
    printed = capsys.readouterr().out
    ds = load_results(out)
    # the same run through the library (independent of the command's plumbing)
    run = sn.simulate(
        sn.ising((6, 6)), T=[1.5, 3.0], sweeps=50, burn_in=10, chains=2,
        schedule="checkerboard", seed=4,
    )  # fmt: skip
    np.testing.assert_array_equal(ds.energy.values, run.energy)
    np.testing.assert_array_equal(ds.magnetization.values, run.magnetization)
    summary = run.summary()
    np.testing.assert_allclose(ds.summary_binder.values, summary["binder"])
    assert str(summary) in printed
    assert ds.attrs["seed"] == 4 and ds.energy.attrs["units"] == "J"  # per spin, units of J
    assert "units" in ds.summary_binder.attrs and "long_name" in ds.summary_energy.attrs


def test_size_forms_and_models(tmp_path, capsys):
    for argv in (
        ["ising", "--size", "4x4x4", "--T", "4.0:5.0:2"],
        ["ising", "--size", "6", "--T", "2", "--open", "--schedule", "random"],
        ["curie-weiss", "--size", "50", "--T", "0.8", "1.2", "--dynamics", "metropolis"],
        ["sk", "--size", "12", "--T", "0.5", "1.0", "--chains", "2", "--tempering"],
        ["hopfield", "--size", "100", "--alpha", "0.05", "--rule", "storkey", "--init", "pattern",
         "--T", "0"],
    ):  # fmt: skip
        out = tmp_path / f"{argv[0]}.nc"
        assert main(["simulate", *argv, "--sweeps", "5", "--out", str(out)]) == 0, argv
        ds = load_results(out)
        assert ds.attrs["model"] == argv[0]
    assert load_results(tmp_path / "ising.nc").sizes["T"] == 1


def test_seed_none_is_printed_and_reproduces(tmp_path, capsys):
    a, b = tmp_path / "a.nc", tmp_path / "b.nc"
    assert (
        main(["simulate", "sk", "--size", "10", "--T", "1", "--sweeps", "5", "--out", str(a)]) == 0
    )
    seed = load_results(a).attrs["seed"]
    assert f"seed {seed}" in capsys.readouterr().out
    argv = ["simulate", "sk", "--size", "10", "--T", "1", "--sweeps", "5", "--seed", str(seed)]
    assert main([*argv, "--out", str(b)]) == 0
    np.testing.assert_array_equal(load_results(a).energy.values, load_results(b).energy.values)


BAD = {
    "bad size": (["ising", "--size", "8y8", "--T", "1"], "--size"),
    "side 1": (["ising", "--size", "1x4", "--T", "1"], "--size"),
    "negative T": (["ising", "--size", "8", "--T", "-1"], "--T"),
    "bad range": (["ising", "--size", "8", "--T", "1:2:0"], "--T"),
    "no T": (["ising", "--size", "8"], "--T"),
    "no model": (["potts", "--size", "8", "--T", "1"], "invalid choice"),
    "alpha for ising": (["ising", "--size", "8", "--T", "1", "--alpha", "0.1"], "--alpha"),
    "lattice size for sk": (["sk", "--size", "8x8", "--T", "1"], "number of neurons"),
    "not netcdf": (["ising", "--size", "8", "--T", "1", "--out", "x.txt"], ".nc"),
    "device with numba": (
        ["ising", "--size", "8", "--T", "1", "--backend", "numba", "--device", "cpu"],
        "--device",
    ),
    "zero sweeps": (["ising", "--size", "8", "--T", "1", "--sweeps", "0"], "--sweeps"),
    "odd periodic checkerboard": (["ising", "--size", "5", "--T", "1"], "checkerboard"),
    "no pattern for ising": (["ising", "--size", "4", "--T", "1", "--init", "pattern"], "pattern"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_arguments_one_line_exit_2(name, tmp_path, capsys):
    argv, expected = BAD[name]
    out = [] if "--out" in argv else ["--out", str(tmp_path / "o.nc")]
    with _maybe_exit() as status:
        status.rc = main(["simulate", *argv, *out])
    err = capsys.readouterr().err
    assert status.rc == 2, (name, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert expected in err, err
    assert not (tmp_path / "o.nc").exists()


class _maybe_exit:
    """Catch argparse's SystemExit(2) and record the status either way."""

    rc = None

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if kind is SystemExit:
            self.rc = exc.code
            return True
        return False


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    text = capsys.readouterr().out
    assert "examples:" in text and "statnn simulate hopfield" in text


def test_device_implies_torch(tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "t.nc"
    argv = ["simulate", "ising", "--size", "4", "--T", "2", "--sweeps", "3", "--seed", "1"]
    assert main([*argv, "--device", "cpu", "--out", str(out)]) == 0
    ds = load_results(out)
    assert ds.attrs["backend"] == "torch"
    run = sn.simulate(
        sn.ising((4, 4)), T=2.0, sweeps=3, schedule="checkerboard", seed=1, backend="torch"
    )
    np.testing.assert_array_equal(ds.energy.values, run.energy)
