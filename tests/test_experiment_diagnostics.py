"""Convergence diagnostics in the experiments' results and figures."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from statnn.errors import ValidationError
from statnn.experiments import ising_2d, sk_glass
from statnn.plotting import UNCONVERGED_LABEL, plot_ising_2d
from statnn.stats.diagnostics import unconverged


@pytest.fixture(scope="module")
def ising_tiny():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ising_2d("tiny", seed=0)


def test_ising_result_has_diagnostics_with_units(ising_tiny):
    ds = ising_tiny
    for obs in ("energy", "abs_magnetization"):
        for prefix in ("rhat", "ess_bulk", "ess_tail", "mcse", "tau"):
            var = ds[f"{prefix}_{obs}"]
            assert var.dims == ("L", "T") and "long_name" in var.attrs
            units = ds[obs].attrs["units"] if prefix == "mcse" else "1"
            assert var.attrs["units"] == units
    expected = ~(
        unconverged(ds.rhat_energy, ds.ess_bulk_energy)
        | unconverged(ds.rhat_abs_magnetization, ds.ess_bulk_abs_magnetization)
    )
    np.testing.assert_array_equal(ds.converged.values.astype(bool), expected)


def test_figure_draws_unconverged_points_hollow(ising_tiny):
    ds = ising_tiny
    fig = plot_ising_2d(ds)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert (UNCONVERGED_LABEL in labels) == bool((ds.converged == 0).any())
    ok = ds.copy()
    ok["converged"] = ok.converged * 0 + 1
    assert UNCONVERGED_LABEL not in plot_ising_2d(ok).axes[0].get_legend_handles_labels()[1]


def test_sk_ladders_and_tempering_report():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        geo = sk_glass("tiny", seed=0, ladder="geometric")
        auto = sk_glass("tiny", seed=0, ladder="auto")
    np.testing.assert_allclose(geo["T"], np.geomspace(0.4, 1.6, 4))
    assert auto["T"][0] == pytest.approx(0.4) and auto["T"][-1] == pytest.approx(1.6)
    for ds in (geo, auto):
        assert ds.attrs["ladder"] in ("geometric", "auto")
        assert ds.round_trip_rate.dims == ("N",) and np.all(ds.round_trip_rate >= 0)
        np.testing.assert_allclose(ds.barrier, (1 - ds.swap_acceptance).sum("T_pair"))
        assert ds.rhat_energy.dims == ("N", "T") and ds.converged.attrs["units"] == "1"
    with pytest.raises(ValidationError, match="'ladder' parameter of sk_glass"):
        sk_glass("tiny", ladder="optimal")
