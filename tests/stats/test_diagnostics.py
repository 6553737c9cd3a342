"""Convergence diagnostics against independent truths.

* R̂: the rank-normalised split-R̂ written out here from its definition (Vehtari et al.
  2021, eqs. 4-6 with normal scores of pooled ranks, and the folded variant), compared
  with :func:`statnn.stats.diagnostics.rhat`;
* ESS and MCSE: those of ArviZ's array interface on the same arrays (statnn must hand
  ArviZ the right axes, split single chains, treat constants), and, for AR(1) series,
  the exact integrated autocorrelation time.

AR(1) x_t = φ x_{t-1} + √(1-φ²) ε_t has ρ(t) = φ^|t|. Convention of statnn:
τ_int = ½ + Σ_{t≥1} ρ(t) = (1+φ) / (2(1−φ)), so that var(mean) = σ² 2τ_int / n. ArviZ's
convention is τ = 1 + 2 Σ_{t≥1} ρ(t) = (1+φ)/(1−φ) = 2 τ_int, and ESS = K N / τ.
"""

from __future__ import annotations

import numpy as np
import pytest
from arviz_stats.base import array_stats
from scipy.special import ndtri
from scipy.stats import rankdata

from statnn.errors import ValidationError
from statnn.stats import integrated_autocorrelation_time, mean_error, summarize
from statnn.stats.diagnostics import diagnose, ess, mcse, rhat, unconverged
from tests.stats.series import ar1


def _split(x: np.ndarray) -> np.ndarray:
    half = x.shape[-1] // 2
    return np.concatenate([x[..., :half], x[..., x.shape[-1] - half :]], axis=0)


def _classic_rhat(z: np.ndarray) -> float:
    """sqrt(((n-1)/n W + B/n) / W) of (chains, n) draws (Gelman et al., BDA3 eq. 11.4)."""
    n = z.shape[1]
    w = z.var(axis=1, ddof=1).mean()
    b_over_n = z.mean(axis=1).var(ddof=1)
    return float(np.sqrt(((n - 1) / n * w + b_over_n) / w))


def _normal_scores(z: np.ndarray) -> np.ndarray:
    r = rankdata(z, method="average").reshape(z.shape)
    return ndtri((r - 3 / 8) / (z.size + 1 / 4))


def rank_rhat_by_hand(x: np.ndarray) -> float:
    """Vehtari et al. (2021): max of bulk and folded rank-normalised split-R̂."""
    z = _split(x)
    bulk = _classic_rhat(_normal_scores(z))
    folded = _classic_rhat(_normal_scores(np.abs(z - np.median(z))))
    return max(bulk, folded)


@pytest.mark.parametrize("offset", [0.0, 0.3, 2.0])
def test_rhat_matches_its_definition(offset):
    x = ar1(0.7, (4, 600), seed=3)
    x[0] += offset  # one chain shifted: R̂ grows with the shift
    assert rhat(x) == pytest.approx(rank_rhat_by_hand(x), rel=1e-10)


def test_rhat_ess_mcse_equal_arviz_on_the_same_arrays():
    x = ar1(0.8, (3, 5, 400), seed=5)
    x[2, 1] += 1.0
    np.testing.assert_allclose(rhat(x), array_stats.rhat(x, method="rank"), rtol=1e-12)
    np.testing.assert_allclose(ess(x), array_stats.ess(x, method="bulk"), rtol=1e-12)
    np.testing.assert_allclose(
        ess(x, "tail"), array_stats.ess(x, method="tail", prob=0.05), rtol=1e-12
    )
    np.testing.assert_allclose(ess(x, "mean"), array_stats.ess(x, method="mean"), rtol=1e-12)
    np.testing.assert_allclose(mcse(x), array_stats.mcse(x, method="mean"), rtol=1e-12)
    # one chain: its two halves are the chains
    one = x[0, :1]
    halves = np.stack([one[0, :200], one[0, 200:]])
    assert rhat(one) == pytest.approx(array_stats.rhat(halves, method="rank"))
    assert ess(one[0]) == pytest.approx(array_stats.ess(halves, method="bulk"))


@pytest.mark.parametrize("phi", [0.5, 0.8, 0.9])
def test_ar1_tau_in_both_conventions(phi):
    chains, n = 8, 20000
    x = ar1(phi, (chains, n), seed=11)
    tau_exact = (1 + phi) / (2 * (1 - phi))  # statnn's τ_int
    tau_ours = integrated_autocorrelation_time(x)
    tau_arviz = chains * n / ess(x, "mean")  # ArviZ's τ = 2 τ_int
    # relative statistical error of τ_int with Sokal's window: sqrt(2(2W+1)/N) ~ 5 %
    assert tau_ours == pytest.approx(tau_exact, rel=0.08)
    assert tau_arviz == pytest.approx(2 * tau_exact, rel=0.08)
    assert tau_ours == pytest.approx(tau_arviz / 2, rel=0.08)
    d = diagnose(x)
    assert d["tau"] == pytest.approx(tau_ours)
    # two standard errors of the mean that must agree: ours (Sokal τ) and ArviZ's MCSE
    assert mean_error(x)[1] == pytest.approx(d["mcse"], rel=0.08)
    assert d["rhat"] < 1.01 and d["ess_bulk"] > 100


def test_constant_and_stuck_series():
    const = np.full((2, 4, 50), -2.0)
    assert np.all(rhat(const) == 1.0) and np.all(ess(const) == 200) and np.all(mcse(const) == 0)
    stuck = np.repeat(np.arange(4.0)[:, None], 50, axis=1)  # frozen in different states
    assert rhat(stuck) > 10
    assert np.isnan(rhat(np.zeros((4, 3)) + np.arange(3)))  # too few draws to tell
    assert unconverged(np.nan, 500.0) and unconverged(1.0, np.nan)
    assert not unconverged(1.005, 150.0)
    assert unconverged(1.02, 150.0) and unconverged(1.0, 99.0)
    assert not unconverged(1.02, 50.0, rhat_max=1.05, ess_min=10)


def test_summary_diagnostics_columns_and_marks():
    rng = np.random.default_rng(2)
    e = ar1(0.5, (3, 4, 500), seed=1)
    m = 0.5 + 0.05 * rng.standard_normal((3, 4, 500))
    m[2, 0] -= 0.4  # one chain at T[2] in another state
    s = summarize(e, m, [1.0, 2.0, 3.0], 64)
    np.testing.assert_allclose(s["rhat_abs_magnetization"], rhat(np.abs(m)))
    np.testing.assert_allclose(s["ess_bulk_energy"], ess(e))
    np.testing.assert_allclose(s["ess_tail_energy"], ess(e, "tail"))
    np.testing.assert_allclose(s["mcse_energy"], mcse(e))
    np.testing.assert_array_equal(s["converged"], [True, True, False])
    rows = str(s).splitlines()
    assert [r.startswith("!") for r in rows[3:6]] == [False, False, True]
    assert "not converged" in rows[-1]
    loose = summarize(e, m, [1.0, 2.0, 3.0], 64, rhat_max=100.0, ess_min=0)
    assert loose["converged"].all() and "not converged" not in str(loose)


def test_threshold_validation():
    e = np.zeros((1, 2, 10))
    with pytest.raises(ValidationError, match="'rhat_max' parameter of summarize"):
        summarize(e, e, 1.0, 4, rhat_max=0.9)
    with pytest.raises(ValidationError, match="'ess_min' parameter of summarize"):
        summarize(e, e, 1.0, 4, ess_min=-1)
    with pytest.raises(ValidationError, match="'method' parameter of ess"):
        ess(e, "median")


def test_import_statnn_does_not_import_arviz():
    import subprocess
    import sys

    code = (
        "import sys, statnn, statnn.stats, statnn.stats.diagnostics; "
        "sys.exit(1 if any('arviz' in m for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
