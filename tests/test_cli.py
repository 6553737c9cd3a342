"""The ``statnn`` command: bad command lines (subprocesses), info, run and plot end to end."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from statnn.cli import build_parser, environment_report, main

ENV = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore"}


def statnn(*args, cwd=None, timeout=180):
    """Run ``python -m statnn ARGS`` in a subprocess; return (rc, stdout, stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "statnn", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
        cwd=cwd,
    )
    return done.returncode, done.stdout, done.stderr


# the bad command lines of the brief run as real subprocesses (`python -m statnn`) ...
BAD_COMMAND_LINES = {
    "unknown subcommand": (["frobnicate"], "invalid choice: 'frobnicate'"),
    "unknown experiment": (["run", "no-such-study", "--quick"], "invalid choice: 'no-such-study'"),
    "bad seed": (["run", "curie-weiss", "--seed", "abc"], "--seed: must be an integer >= 0"),
    "bad backend": (["run", "curie-weiss", "--backend", "cuda"], "--backend: invalid choice"),
    "missing plot file": (["plot", "no/such/results.nc"], "No results file"),
    "missing sweep file": (["sweep", "no/such/sweep.toml"], "sweep"),
}
# ... and a few more in process (same parser, same error path, no interpreter start-up)
MORE_BAD_COMMAND_LINES = {
    "no subcommand": ([], "required"),
    "negative seed": (["run", "curie-weiss", "--seed=-3"], "--seed: must be an integer >= 0"),
    "quick and tiny": (["run", "curie-weiss", "--quick", "--tiny"], "not allowed with"),
    "demo bad backend": (["demo", "--backend", "jax"], "--backend: invalid choice"),
    "bench bad case": (["bench", "--case", "xy"], "--case: invalid choice"),
}


def _check_one_line(name, rc, err, expected):
    assert rc == 2, (name, err)
    assert "Traceback" not in err, name
    assert len(err.strip().splitlines()) == 1, (name, err)
    assert err.startswith("statnn"), (name, err)
    assert expected in err, (name, err)


def test_bad_command_lines_exit_2_with_one_line(tmp_path):
    """Each bad command line: exit status 2, one line on stderr, no traceback."""
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "statnn", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
            cwd=tmp_path,
        )
        for name, (args, _) in BAD_COMMAND_LINES.items()
    }
    for name, proc in procs.items():
        _, err = proc.communicate(timeout=180)
        _check_one_line(name, proc.returncode, err, BAD_COMMAND_LINES[name][1])


@pytest.mark.parametrize("name", list(MORE_BAD_COMMAND_LINES))
def test_more_bad_command_lines_in_process(name, capsys):
    args, expected = MORE_BAD_COMMAND_LINES[name]
    try:
        rc = main(args)
    except SystemExit as exc:
        rc = exc.code
    _check_one_line(name, rc, capsys.readouterr().err, expected)


def test_info_subprocess():
    rc, out, err = statnn("info")
    assert rc == 0, err
    for word in ("statnn", "python", "numpy", "numba", "torch", "backends:", "CUDA devices"):
        assert word in out
    assert "numba threads" in out


def test_run_and_plot_end_to_end(tmp_path):
    rc, out, err = statnn("run", "curie-weiss", "--quick", "--out", tmp_path / "res", "--seed", 2)
    assert rc == 0, err
    data = tmp_path / "res" / "curie-weiss.nc"
    figure = tmp_path / "res" / "curie-weiss.png"
    assert data.is_file() and figure.is_file()
    assert (tmp_path / "res" / "curie-weiss.json").is_file()
    assert str(figure) in out
    # plot the saved result again, to another file (in process: same code path as the CLI)
    png = tmp_path / "again.png"
    assert main(["plot", str(data), "--out", str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_plot_rejects_foreign_files(tmp_path, capsys):
    not_nc = tmp_path / "x.nc"
    not_nc.write_text("not netCDF")
    assert main(["plot", str(not_nc)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "statnn plot: error" in err
    assert main(["plot", str(not_nc), "--out", str(tmp_path / "f.docx")]) == 2


@pytest.mark.parametrize("command", ["run", "plot", "sweep", "bench", "info", "demo"])
def test_help_everywhere_with_examples(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "example" in text
    assert f"statnn {command}" in text


def test_top_level_help_lists_commands(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    text = capsys.readouterr().out
    for command in ("run", "plot", "sweep", "bench", "info", "demo"):
        assert command in text
    assert "statnn run hopfield-recall --quick" in text


def test_run_help_lists_every_experiment(capsys):
    from statnn.experiments import EXPERIMENTS

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    for name in EXPERIMENTS:
        assert name in text


def test_environment_report_names_backends():
    text = environment_report()
    assert "numpy" in text and "(default)" in text


def test_bench_without_script_is_one_line(monkeypatch, capsys, tmp_path):
    import statnn.cli as cli

    monkeypatch.setattr(cli, "__file__", str(tmp_path / "statnn" / "cli.py"))
    assert main(["bench"]) == 2
    err = capsys.readouterr().err
    assert "bench_dynamics.py" in err and len(err.strip().splitlines()) == 1


def test_experiment_script_runs(tmp_path, monkeypatch, capsys):
    import runpy

    script = os.path.join(os.path.dirname(__file__), "..", "experiments", "first_neurons.py")
    monkeypatch.setattr(sys, "argv", [script, "--tiny", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as exc:
        runpy.run_path(script, run_name="__main__")
    assert exc.value.code == 0
    assert (tmp_path / "first-neurons.png").is_file()
    assert "first-neurons (tiny) done" in capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", [script, "--seed", "x"])
    with pytest.raises(SystemExit) as exc:
        runpy.run_path(script, run_name="__main__")
    assert exc.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
