"""Saving figures and ``statnn plot --out``: formats, atomic writes, the user's umask."""

from __future__ import annotations

import os

import pytest
from matplotlib.figure import Figure

from statnn.cli import main
from statnn.errors import ValidationError
from statnn.experiments import run_experiment
from statnn.plotting import plot_curie_weiss, plot_result, save_figure, supported_formats

MAGIC = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml", "eps": b"%!PS"}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cw")
    res = run_experiment("curie-weiss", "tiny", seed=0, out=folder, plot=False)
    return res


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg", "eps"])
def test_save_figure_formats_atomic_and_umask(saved, tmp_path, fmt):
    fig = plot_result(saved.dataset)
    old = os.umask(0o027)
    try:
        path = save_figure(fig, tmp_path / "sub" / f"fig.{fmt}")
    finally:
        os.umask(old)
    assert path.read_bytes()[: len(MAGIC[fmt])] == MAGIC[fmt]
    assert (path.stat().st_mode & 0o777) == 0o666 & ~0o027  # not 0600
    assert sorted(p.name for p in path.parent.iterdir()) == [f"fig.{fmt}"]  # no temp files


def test_save_figure_refuses_unknown_formats_before_writing(saved, tmp_path):
    fig = plot_result(saved.dataset)
    with pytest.raises(ValidationError, match="'path' parameter of save_figure.*\\.pdf"):
        save_figure(fig, tmp_path / "fig.docx")
    assert not list(tmp_path.iterdir())
    assert {"png", "pdf", "svg"} <= set(supported_formats())


def test_plot_result_takes_a_path_and_old_path_argument_warns(saved, tmp_path):
    fig = plot_result(saved.data)  # the .nc file
    assert isinstance(fig, Figure)
    assert isinstance(plot_result(saved.sidecar), Figure)  # or its .json sidecar
    with pytest.warns(FutureWarning, match="save_figure"):
        back = plot_curie_weiss(saved.dataset, tmp_path / "old.png")
    assert isinstance(back, Figure) and (tmp_path / "old.png").is_file()


@pytest.mark.parametrize("fmt", ["pdf", "svg", "png"])
def test_cli_plot_out_any_format(saved, tmp_path, fmt):
    out = tmp_path / f"x.{fmt}"
    assert main(["plot", str(saved.data), "--out", str(out)]) == 0
    assert out.read_bytes()[: len(MAGIC[fmt])] == MAGIC[fmt]


def test_cli_plot_bad_out_one_line_before_work(saved, tmp_path, capsys):
    # a format matplotlib does not write: a bad argument, exit 2
    assert main(["plot", str(saved.data), "--out", str(tmp_path / "x.docx")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--out" in err and ".pdf" in err
    # a folder in the way: a file problem, exit 1
    (tmp_path / "x.png").mkdir()
    assert main(["plot", str(saved.data), "--out", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "x.png" in err
    assert not list(tmp_path.glob("x.docx"))


def test_dataset_missing_a_variable_is_a_clear_error(saved, tmp_path, capsys):
    ds = saved.dataset.drop_vars("m_theory")
    with pytest.raises(ValidationError, match="lacks 'm_theory'.*'curie-weiss' figure"):
        plot_result(ds)
    bad = tmp_path / "bad.nc"
    ds.to_netcdf(bad)
    assert main(["plot", str(bad), "--out", str(tmp_path / "bad.png")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "m_theory" in err
