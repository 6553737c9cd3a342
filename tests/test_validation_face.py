"""Bad input named in the user's terms: strict booleans, real couplings, non-empty
pattern sets, broadcasting theory arguments, environment variables, damaged result files."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

import statnn as sn
from statnn.errors import ValidationError


@pytest.mark.parametrize("name", ["tempering", "allow_asymmetric", "progress"])
@pytest.mark.parametrize("value", ["false", "no", 0, 1, None])
def test_booleans_are_strict(name, value):
    with pytest.raises(ValidationError, match=f"'{name}' parameter of simulate must be"):
        sn.simulate(sn.ising((4, 4)), T=[1.0, 2.0], sweeps=2, **{name: value})


def test_numpy_bools_are_booleans():
    run = sn.simulate(sn.ising((4, 4)), T=[1.0, 2.0], sweeps=2, tempering=np.bool_(True), seed=0)
    assert run.swap_acceptance is not None
    with pytest.raises(ValidationError, match="'allow_asymmetric' parameter of Network.energy"):
        sn.ising((4, 4)).energy(np.ones(16), allow_asymmetric="yes")


@pytest.mark.parametrize(
    "J",
    [
        np.array([[0, 1j], [1j, 0]]),
        [[0, 1j], [1j, 0]],
        np.array([[0, 1.0], [1.0, 0]], dtype=object),
        np.array([[0, np.inf], [np.inf, 0]]),
        sp.csr_matrix(np.array([[0, 1j], [1j, 0]])),
        sp.csr_matrix(np.array([[0, np.nan], [np.nan, 0]])),
    ],
)
def test_couplings_must_be_real_and_finite(J):
    with pytest.raises(ValidationError, match="'J' parameter of Network"):
        sn.Network(J)


@pytest.mark.parametrize("shape", [(0, 20), (3, 0)])
@pytest.mark.parametrize("rule", ["hebbian", "pseudo_inverse", "storkey"])
def test_empty_pattern_sets_refused_at_construction(shape, rule):
    with pytest.raises(ValidationError, match="'patterns' parameter of hopfield.*at least one"):
        sn.hopfield(np.empty(shape), rule=rule)


@pytest.mark.parametrize("dtype", ["foo", object(), "int8"])
def test_sk_dtype(dtype):
    with pytest.raises(ValidationError, match="'dtype' parameter of sk"):
        sn.sk(10, dtype=dtype)


def test_theory_arguments_that_do_not_broadcast():
    with pytest.raises(ValidationError, match=r"'T' parameter of ags_overlap.*'alpha' \(2,\)"):
        sn.theory.ags_overlap([0.05, 0.1], T=[0.1, 0.2, 0.3])
    with pytest.raises(ValidationError, match="'h' parameter of curie_weiss_magnetization"):
        sn.theory.curie_weiss_magnetization([0.5, 0.6], h=[0.0, 0.1, 0.2])
    # broadcasting that numpy allows still works, element by element
    grid = sn.theory.ags_overlap([0.05, 0.1], T=[[0.1], [0.2]])
    assert grid.shape == (2, 2) and grid[1, 0] == sn.theory.ags_overlap(0.05, 0.2)


def test_summary_of_huge_energies_names_nothing_internal():
    """Finite records whose squares overflow: the table is computed (exact power-of-two
    scaling), no error about the internals of the jackknife."""
    run = sn.simulate(sn.ising((4, 4), J=1e200), T=[1e300], sweeps=10, seed=0, backend="numpy")
    s = run.summary()
    e = run.energy.ravel()
    assert s["energy"][0] == pytest.approx(e.mean(), rel=1e-12)
    # independent truth for the error: the plain standard error times sqrt(2 tau)
    plain = np.std(e / 2.0**700, ddof=1) * 2.0**700 / np.sqrt(e.size)
    assert s["energy_err"][0] == pytest.approx(plain * np.sqrt(2 * s["tau_energy"][0]), rel=1e-9)
    assert np.isfinite(s["specific_heat"][0])


def test_thread_variable_is_named():
    env = {**os.environ, "STATNN_NUM_THREADS": "100000", "PYTHONWARNINGS": "ignore"}
    code = "import statnn as sn; sn.simulate(sn.ising((4, 4)), T=2.0, sweeps=2)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode != 0
    assert "The environment variable STATNN_NUM_THREADS must be an int in [1, " in done.stderr
    assert "set_num_threads" not in done.stderr.splitlines()[-1]


def test_plot_of_a_dataset_missing_a_variable(tmp_path, capsys):
    from statnn.cli import main
    from statnn.experiments import run_experiment
    from statnn.results import load_results

    res = run_experiment("curie-weiss", "tiny", out=tmp_path, backend="numpy", plot=False)
    broken = tmp_path / "broken.nc"
    load_results(res.data).drop_vars("m_theory").to_netcdf(broken, engine="h5netcdf")
    assert main(["plot", str(broken)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "lacks 'm_theory'" in err


def test_other_flags_are_strict():
    from statnn.experiments import run_experiment
    from statnn.stats import blocking_error

    with pytest.raises(ValidationError, match="'plot' parameter of run_experiment"):
        run_experiment("curie-weiss", "tiny", plot="no")
    with pytest.raises(ValidationError, match="'progress' parameter of curie_weiss"):
        from statnn.experiments import curie_weiss

        curie_weiss("tiny", progress="false")
    with pytest.raises(ValidationError, match="'full_output' parameter of blocking_error"):
        blocking_error(np.zeros(16), full_output="yes")
    with pytest.raises(ValidationError, match="'scale' parameter of digits"):
        sn.datasets.digits(scale="false")
