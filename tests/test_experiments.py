"""The named experiments at tiny size: structure, metadata, files, and physics vs theory."""

from __future__ import annotations

import json

import numpy as np
import pytest

from statnn import theory
from statnn.errors import StatnnError, ValidationError
from statnn.experiments import (
    EXPERIMENTS,
    get_experiment,
    load_dataset,
    run_experiment,
)
from statnn.experiments._common import params_of

_CACHE: dict = {}


def tiny(name):
    """Each experiment runs once at tiny size (seed 0, default backend) per session."""
    if name not in _CACHE:
        _CACHE[name] = run_experiment(name, "tiny", seed=0).dataset
    return _CACHE[name]


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_metadata_is_complete(name):
    ds = tiny(name)
    a = ds.attrs
    assert a["experiment"] == name
    assert a["size"] == "tiny"
    assert a["seed"] == 0
    assert a["backend"] in ("numpy", "numba", "torch")
    assert a["statnn_version"]
    assert a["wall_time_s"] >= 0
    params = params_of(ds)
    assert params and isinstance(params, dict)
    assert len(ds.data_vars) >= 3
    for var in ds.data_vars.values():
        assert var.size > 0


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_every_variable_has_units_and_no_name_shadows_a_dataset_method(name, tmp_path):
    """CF-style labels on every variable and coordinate, in memory and in the saved file."""
    import xarray as xr

    from statnn.experiments import save_dataset

    path, _ = save_dataset(tiny(name), tmp_path / f"{name}.nc")
    for ds in (tiny(name), load_dataset(path)):
        for var_name, var in ds.variables.items():
            assert isinstance(var.attrs.get("units"), str), f"{name}: {var_name} has no units"
            assert var.attrs.get("long_name"), f"{name}: {var_name} has no long_name"
            assert not hasattr(xr.Dataset, var_name), f"{name}: {var_name} shadows a method"
        temperatures = [v for v in ds.variables if v == "T" or v.startswith("T_")]
        assert all(ds[v].attrs["units"] == "J/k_B" for v in temperatures)
    assert "Conventions" not in tiny(name).attrs  # reduced units: no CF claim


def test_files_round_trip_and_figure(tmp_path):
    res = run_experiment("curie-weiss", "tiny", out=tmp_path, seed=1)
    assert res.data == tmp_path / "curie-weiss.nc" and res.data.is_file()
    assert res.figure == tmp_path / "curie-weiss.png"
    assert res.figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    side = json.loads(res.sidecar.read_text())
    assert side["experiment"] == "curie-weiss" and side["seed"] == 1
    assert side["params"]["N"] == [200]
    assert "abs_magnetization" in side["variables"]
    back = load_dataset(res.sidecar)  # the .json finds its .nc
    np.testing.assert_array_equal(back.abs_magnetization, res.dataset.abs_magnetization)
    assert back.attrs["params"] == res.dataset.attrs["params"]
    assert not list(tmp_path.glob("*.tmp"))


#: panels of each experiment's figure (the number of axes its ``ax=`` takes)
PANELS = {
    "hopfield-recall": lambda ds: ds.sizes["rule"],
    "hopfield-phase": lambda ds: 1,
    "ising-2d": lambda ds: 6,
    "curie-weiss": lambda ds: 2,
    "sk-glass": lambda ds: 3,
    "basins": lambda ds: ds.sizes["rule"],
    "perceptron-capacity": lambda ds: 1,
    "xor-digits": lambda ds: 4,
    "first-neurons": lambda ds: 3,
    "inverse-ising": lambda ds: ds.sizes["beta"] + 1,
    "dense-capacity": lambda ds: ds.sizes["model"],
    "sequence-recall": lambda ds: ds.sizes["T"] + 2,
    "sparse-patterns": lambda ds: 2,
}


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_every_figure_draws(name, tmp_path):
    from matplotlib.figure import Figure

    from statnn.plotting import PLOTS, plot_result, save_figure

    ds = tiny(name)
    fig = plot_result(ds)
    assert isinstance(fig, Figure) and fig._suptitle is not None
    path = save_figure(fig, tmp_path / f"{name}.png")
    assert path.stat().st_size > 5000
    # drawn into the user's axes: that figure comes back, every panel has data, no title
    n = PANELS[name](ds)
    mine = Figure()
    axes = mine.subplots(1, n, squeeze=False)[0]
    back = PLOTS[name](ds, ax=axes if n > 1 else axes[0])
    assert back is mine and mine._suptitle is None
    assert all(ax.has_data() for ax in axes)
    assert plot_result(ds, ax=axes) is mine
    with pytest.raises(ValidationError, match=f"'ax' parameter of {PLOTS[name].__name__}"):
        PLOTS[name](ds, ax=list(axes) + [Figure().add_subplot()])


def test_same_seed_same_result():
    again = run_experiment("curie-weiss", "tiny", seed=0).dataset
    np.testing.assert_array_equal(again.energy, tiny("curie-weiss").energy)


# -- physics against theory -------------------------------------------------------------


def test_hopfield_recall_matches_ags_at_low_load():
    ds = tiny("hopfield-recall").sel(rule="hebbian")
    m_low = float(ds.m_mean.sel(T=0.0, alpha=0.05))
    assert m_low > 0.97
    assert abs(m_low - float(theory.ags_overlap(0.05, 0.0))) < 0.03
    # beyond alpha_c = 0.138 recall fails at N = 100 already
    assert float(ds.m_mean.sel(T=0.0, alpha=0.25)) < m_low - 0.1
    assert float(ds.m_mean.sel(T=0.3, alpha=0.05)) > 0.9
    assert ds.ags_m.dims == ("T", "alpha_theory")


def test_hopfield_phase_diagram_has_retrieval_and_paramagnet():
    ds = tiny("hopfield-phase")
    assert float(ds.m_mean.sel(T=0.0, alpha=0.02)) > 0.95  # retrieval
    assert float(ds.m_mean.sel(T=1.3, alpha=0.02)) < 0.35  # above T_g: paramagnet
    assert np.nanmax(ds.T_M) < 1.0 and np.all(ds.T_g >= 1.0)


def test_ising_matches_onsager_away_from_tc():
    ds = tiny("ising-2d").sel(L=8)
    e, err = ds.energy.values, ds.energy_err.values
    T = ds["T"].values
    exact = theory.onsager_energy(T)
    assert np.all(np.diff(e) > 0)  # energy rises with T
    low, high = T < 2.0, T > 2.6
    # below T_c finite-size corrections are exponentially small; above, O(1/L^2)
    assert np.all(np.abs(e[low] - exact[low]) < 5 * err[low] + 0.01)
    assert np.all(np.abs(e[high] - exact[high]) < 5 * err[high] + 0.04)
    m = ds.abs_magnetization.values
    assert abs(m[0] - theory.onsager_magnetization(T[0])) < 0.02
    assert 0.6 < ds.binder.values[0] <= 2 / 3 + 1e-9  # ordered: U -> 2/3


def test_curie_weiss_matches_mean_field():
    ds = tiny("curie-weiss").isel(N=0)
    T = ds["T"].values
    exact = theory.curie_weiss_magnetization(T)
    m, err = ds.abs_magnetization.values, ds.abs_magnetization_err.values
    ordered = T < 0.8
    # O(1/N) finite-size shift at N = 200 plus the statistical error
    assert np.all(np.abs(m[ordered] - exact[ordered]) < 4 * err[ordered] + 0.02)
    assert m[-1] < 0.2  # T = 1.5: |m| = O(1/sqrt(N))
    # the self-consistency m = tanh(m / T) holds for the measured m within the same margin
    assert np.all(np.abs(m[ordered] - np.tanh(m[ordered] / T[ordered])) < 0.03)


def test_sk_glass_energy_and_overlap():
    ds = tiny("sk-glass").isel(N=0)
    T = ds["T"].values
    e, err = ds.energy.values, ds.energy_err.values
    assert np.all(np.diff(e) > 0)
    hot = T > 1.0  # replica symmetry is exact above T = 1: e = -1/(2T)
    rs = theory.sk_rs_energy(T[hot])
    assert np.all(np.abs(e[hot] - rs) < 4 * err[hot] + 0.04)
    q = ds.abs_q.values
    assert q[0] > q[-1] + 0.2  # overlap grows on cooling
    assert np.all((q >= 0) & (q <= 1))
    acc = ds.swap_acceptance.values
    assert np.all((acc > 0) & (acc <= 1))


def test_basins_retrieve_from_inside():
    ds = tiny("basins").sel(rule="hebbian").isel(alpha=0)
    assert float(ds.m_mean.sel(m0=1.0)) > 0.99
    assert float(ds.m_mean.sel(m0=0.5)) > 0.95


def test_dense_capacity_fixed_points_follow_signal_to_noise():
    """Below P_max every stored pattern is a fixed point and is retrieved; at 4 P_max the
    signal-to-noise fixed-point fraction (1 - eps)^N is small and so is the measured one."""
    ds = tiny("dense-capacity")
    low = ds.sel(p_ratio=0.3)
    assert np.all(low.stable_fraction == 1.0)
    assert np.all(low.retrieval_rate.sel(T=0.0) >= 0.8)  # 10 % cues; N = 16 for exp
    assert np.all(low.theory_stable > 0.99)
    high = ds.sel(p_ratio=4.0)
    assert np.all(high.theory_stable < 0.15)
    assert np.all(high.stable_fraction <= high.theory_stable + 0.3)
    n3 = ds.sel(model="n=3").isel(n_index=0)
    assert float(n3.p_max) == pytest.approx(theory.dense_capacity(int(n3.n_neurons), 3))


def test_sequence_recall_follows_mean_field():
    ds = tiny("sequence-recall")
    cold = ds.sel(T=0.0)
    expected = ds.step.values % ds.sizes["pattern"]
    assert np.array_equal(cold.overlap.argmax("pattern").values, expected)
    assert float(cold.overlap.max("pattern").min()) == 1.0
    # N = 1000: the random overlaps of the patterns are ~0.03; mean field within 0.12
    assert float(np.abs(ds.overlap - ds.theory_overlap).max()) < 0.12
    # asynchronous, delayed synapses: patterns in order, dwell time τ + ln(2λ/(λ − ν))
    lead = ds.async_overlap.argmax("pattern").values
    visited = lead[np.r_[True, lead[1:] != lead[:-1]]]
    assert len(visited) >= 4 and np.all(np.diff(visited) % ds.sizes["pattern"] == 1)
    np.testing.assert_allclose(ds.dwell, ds.theory_dwell, rtol=0.06)


def test_perceptron_capacity_follows_cover():
    ds = tiny("perceptron-capacity").isel(N=0)
    frac = ds.fraction.sel(alpha=[0.5, 1.0]).values
    assert np.all(frac == 1.0)  # Cover: every dichotomy of P <= N points is separable
    np.testing.assert_allclose(ds.cover.sel(alpha=[0.5, 1.0]), 1.0)
    cover3 = float(ds.cover.sel(alpha=3.0))
    assert cover3 < 0.05
    assert float(ds.fraction.sel(alpha=3.0)) <= cover3 + 0.1


def test_mlp_solves_xor_perceptron_does_not():
    ds = tiny("xor-digits")
    assert ds.attrs["xor_mlp_accuracy"] == 1.0
    assert ds.attrs["xor_perceptron_accuracy"] <= 0.75
    loss = ds.digits_loss.values
    assert loss[-1] < loss[0]
    assert ds.attrs["digits_test_accuracy"] > 0.5


def test_first_neurons():
    a = tiny("first-neurons").attrs
    assert abs(a["km_weight"] - 0.621371) < 0.01
    assert abs(a["km_mlp_weight"] - 0.621371) < 0.05
    assert a["fruit_accuracy"] == 1.0 and a["fruit_converged"] == 1


def test_inverse_ising_recovers_known_couplings():
    ds = tiny("inverse-ising")
    eps = ds.epsilon
    para = eps.sel(beta=0.5)
    for method in ("exact", "pseudolikelihood", "pcd", "mean_field", "tap", "sessak_monasson"):
        e = para.sel(estimator=method).values
        assert e[-1] < e[0], (method, e)  # more samples, smaller error
    best = float(para.sel(estimator="exact")[-1])
    assert best < 0.1  # ε ~ 1/sqrt(M) for the maximum-likelihood couplings
    assert float(para.sel(estimator="pseudolikelihood")[-1]) < 1.15 * best
    glass = eps.sel(beta=1.5).isel(M=-1)
    # on the spin-glass side the closed forms fail where the likelihood methods do not
    assert float(glass.sel(estimator="mean_field")) > 2 * float(glass.sel(estimator="exact"))
    assert float(glass.sel(estimator="pseudolikelihood")) < 1.3 * float(
        glass.sel(estimator="exact")
    )
    assert np.all(ds.overlap_learned.values > 0.9)  # the learned network recalls its patterns


# -- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(name="nosuch"), "'name' parameter of run_experiment"),
        (dict(name="curie-weiss", size="huge"), "'size'"),
        (dict(name="curie-weiss", seed=-1), "'seed'"),
        (dict(name="curie-weiss", seed="0"), "'seed'"),
        (dict(name="curie-weiss", backend="cuda"), "'backend'"),
        (dict(name="curie-weiss", sweeps_typo=3), "'sweeps_typo'"),
    ],
)
def test_bad_arguments_raise_before_work(kwargs, match):
    name = kwargs.pop("name")
    size = kwargs.pop("size", "tiny")
    with pytest.raises(ValidationError, match=match):
        run_experiment(name, size, **kwargs)


def test_get_experiment_and_load_errors(tmp_path):
    assert get_experiment("ising-2d").script == "experiments/ising_2d.py"
    with pytest.raises(StatnnError, match="No results file"):
        load_dataset(tmp_path / "missing.nc")


def test_device_is_checked_before_any_work_and_passed_to_the_dynamics(monkeypatch):
    """``device=`` on every experiment: refused without the device, used with torch."""
    import inspect

    from statnn.errors import BackendUnavailableError, ValidationError
    from statnn.experiments import EXPERIMENTS, run_experiment

    for e in EXPERIMENTS.values():
        assert "device" in inspect.signature(e.function).parameters, e.name
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        with pytest.raises(BackendUnavailableError, match="CUDA is not available"):
            run_experiment("ising-2d", "tiny", device="cuda")
    with pytest.raises(ValidationError, match="'device' parameter of run_experiment"):
        run_experiment("ising-2d", "tiny", device="cpu", backend="numba")
    # the device reaches the sampler: record what the torch kernels are built with
    from statnn.dynamics.torch import kernels

    seen = []
    original = kernels.make_kernel

    def spy(net, **kw):
        seen.append(kw["device"])
        return original(net, **kw)

    monkeypatch.setattr(kernels, "make_kernel", spy)
    res = run_experiment("ising-2d", "tiny", device="cpu", backend="torch", L=[4], sweeps=20)
    assert seen and set(seen) == {"cpu"}
    assert res.dataset.attrs["backend"] == "torch" and res.dataset.attrs["device"] == "cpu"


def test_old_experiment_name_still_runs_with_a_warning(tmp_path, capsys):
    from statnn.cli import main
    from statnn.experiments import seed_examples

    with pytest.warns(FutureWarning, match="'seed-examples' is now called 'first-neurons'"):
        res = run_experiment("seed-examples", "tiny", plot=False)
    new = tiny("first-neurons")
    assert res.dataset.attrs["experiment"] == "first-neurons"
    for name in ("km_w", "fruit_X"):
        if name in new:
            np.testing.assert_array_equal(res.dataset[name].values, new[name].values)
    with pytest.warns(FutureWarning, match="seed_examples is now first_neurons"):
        seed_examples("tiny")
    assert main(["run", "seed-examples", "--tiny", "--out", str(tmp_path)]) == 0
    assert "is now called 'first-neurons'" in capsys.readouterr().err
    assert (tmp_path / "first-neurons.nc").is_file()


def test_seed_none_is_drawn_recorded_and_reproduces():
    import numpy as np

    a = run_experiment("curie-weiss", "tiny", seed=None, backend="numpy").dataset
    seed = a.attrs["seed"]
    assert isinstance(seed, int) and seed >= 0
    b = run_experiment("curie-weiss", "tiny", seed=seed, backend="numpy").dataset
    np.testing.assert_array_equal(a.energy.values, b.energy.values)
    g = run_experiment("curie-weiss", "tiny", seed=np.random.default_rng(5), backend="numpy")
    assert g.dataset.attrs["seed"] == int(np.random.default_rng(5).integers(0, 2**63))


def test_run_command_device(tmp_path, capsys):
    from statnn.cli import main

    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        assert (
            main(["run", "curie-weiss", "--tiny", "--device", "cuda", "--out", str(tmp_path)]) == 2
        )
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "CUDA is not available" in err
        assert not any(tmp_path.iterdir())  # refused before any work
    assert main(["run", "curie-weiss", "--tiny", "--device", "cpu", "--out", str(tmp_path)]) == 0
    assert "backend torch on cpu" in capsys.readouterr().out
    assert load_dataset(tmp_path / "curie-weiss.nc").attrs["device"] == "cpu"


def test_sparse_patterns_retrieve_below_and_fail_above_alpha_c():

    ds = tiny("sparse-patterns")
    np.testing.assert_allclose(ds.alpha_c, theory.sparse_capacity(ds.activity.values))
    low, high = ds.sel(load_ratio=0.5), ds.sel(load_ratio=2.0)
    assert np.all(low.retrieved_fraction == 1.0)  # half of alpha_c(a): every pattern
    assert np.all(high.retrieved_fraction < 0.8)  # twice alpha_c(a): most lost
    biased = ds.sel(activity=-0.8, load_ratio=0.5)  # the threshold matters for biased patterns
    assert float(biased.overlap) > float(biased.overlap_no_threshold) + 0.3
