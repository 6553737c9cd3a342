"""Monte Carlo statistics against independent truths.

AR(1) processes x_t = φ x_{t-1} + √(1-φ²) ε_t are stationary with unit variance,
ρ(t) = φ^|t| and τ_int = (1+φ) / (2(1-φ)); the exact variance of the mean of n of them
is known in closed form. Tolerances are multiples of the estimators' own statistical
errors (fixed seeds keep the tests deterministic).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from statnn.errors import ValidationError
from statnn.stats import (
    Summary,
    autocorrelation,
    binder_cumulant,
    blocking_error,
    integrated_autocorrelation_time,
    jackknife,
    mean_error,
    specific_heat,
    summarize,
    susceptibility,
)
from tests.stats.series import ar1


def tau_exact(phi: float) -> float:
    return (1.0 + phi) / (2.0 * (1.0 - phi))


def mean_se_exact(phi: float, n: int, chains: int = 1) -> float:
    """Exact standard error of the mean of `chains` independent unit-variance AR(1) of length n."""
    var_n = (1 + phi) / (1 - phi) - 2 * phi * (1 - phi**n) / (n * (1 - phi) ** 2)
    return float(np.sqrt(var_n / (n * chains)))


# ---------------------------------------------------------------------------------------
# Autocorrelation time


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9])
def test_tau_int_of_ar1(phi):
    n = 200_000
    x = ar1(phi, (n,), seed=1)
    tau = integrated_autocorrelation_time(x)
    true = tau_exact(phi)
    # Sokal (1997) eq. (3.19): var(τ̂) ≈ 2(2W+1)/n τ², with W ≈ c τ; plus the truncation
    # bias Σ_{t>W} φ^t.
    window = 5.0 * true
    sd = np.sqrt(2 * (2 * window + 1) / n) * true
    assert abs(tau - true) < 4 * sd + phi ** (window + 1) / (1 - phi)


def test_tau_int_pools_chains_and_vectorises():
    phi = 0.9
    x = ar1(phi, (2, 8, 25_000), seed=2)  # (n_T, chains, records)
    tau = integrated_autocorrelation_time(x)
    assert tau.shape == (2,)
    sd = np.sqrt(2 * (2 * 5 * 9.5 + 1) / 200_000) * 9.5
    assert np.all(np.abs(tau - tau_exact(phi)) < 4 * sd + 0.1)
    per_chain = integrated_autocorrelation_time(x, chain_axis=None)
    assert per_chain.shape == (2, 8)
    # Time on another axis gives the same numbers.
    moved = integrated_autocorrelation_time(np.moveaxis(x, -1, 0), axis=0, chain_axis=-1)
    np.testing.assert_allclose(moved, tau)


def test_tau_int_constant_short_and_anticorrelated():
    assert integrated_autocorrelation_time(np.full(50, 0.3)) == 0.5
    assert integrated_autocorrelation_time(np.full((3, 1), -1.0)) == 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # One record per chain: no lag to estimate ρ from.
        assert np.isnan(integrated_autocorrelation_time(np.array([[0.1], [0.5]])))
    anti = ar1(-0.5, (20_000,), seed=4)
    assert integrated_autocorrelation_time(anti) == 0.5


def test_chains_stuck_apart_give_long_tau():
    """Two chains frozen in different states: pooled ρ stays high, the error is not tiny."""
    rng = np.random.default_rng(5)
    x = np.stack([0.9 + 0.01 * rng.standard_normal(500), -0.9 + 0.01 * rng.standard_normal(500)])
    tau = integrated_autocorrelation_time(x)
    assert np.isnan(tau) or tau > 50


def test_autocorrelation_of_ar1_matches_phi_to_the_t():
    phi, n = 0.7, 100_000
    rho = autocorrelation(ar1(phi, (n,), seed=6))
    assert rho.shape == (n,)
    assert rho[0] == 1.0
    t = np.arange(6)
    np.testing.assert_allclose(rho[:6], phi**t, atol=4 * np.sqrt(tau_exact(phi) * 2 / n))
    # Brute-force definition (biased estimator, mean-centred) on a short series.
    x = ar1(phi, (3, 37), seed=7)
    d = x - x.mean(axis=-1, keepdims=True)
    brute = np.stack([np.sum(d[:, : 37 - k] * d[:, k:], axis=-1) for k in range(37)], axis=-1)
    np.testing.assert_allclose(autocorrelation(x), brute / brute[:, :1], atol=1e-12)
    np.testing.assert_allclose(autocorrelation(x.T, axis=0), (brute / brute[:, :1]).T, atol=1e-12)
    assert autocorrelation(x, chain_axis=0).shape == (37,)


# ---------------------------------------------------------------------------------------
# Standard errors of means


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9])
def test_mean_error_coverage_over_replicas(phi):
    replicas, chains, n = 400, 2, 2000
    x = ar1(phi, (replicas, chains, n), seed=10 + int(10 * phi))
    mean, err = mean_error(x)
    assert mean.shape == err.shape == (replicas,)
    true_se = mean_se_exact(phi, n, chains)
    # The estimate is unbiased-ish: its average over replicas matches the true SE.
    assert abs(np.mean(err) / true_se - 1) < 0.05
    # ... and the true mean 0 lies within ±1 error bar in ~68% of the replicas.
    coverage = np.mean(np.abs(mean) < err)
    assert 0.60 <= coverage <= 0.76


@pytest.mark.parametrize("phi", [0.5, 0.9])
@pytest.mark.parametrize("shape", [(200_000,), (8, 25_000)])
def test_blocking_agrees_with_tau_error(phi, shape):
    x = ar1(phi, shape, seed=20)
    _, err_tau = mean_error(x)
    err_block = blocking_error(x)
    assert abs(err_block / err_tau - 1) < 0.2
    assert abs(err_tau / mean_se_exact(phi, shape[-1], x.size // shape[-1]) - 1) < 0.2


def test_blocking_full_output_and_plateau():
    x = ar1(0.9, (4, 2**14), seed=21)
    err, sizes, level_errs, chosen = blocking_error(x, full_output=True)
    assert sizes[0] == 1 and np.all(sizes[1:] == 2 * sizes[:-1])
    assert level_errs.shape == (sizes.size,)
    assert level_errs[chosen] == err
    # Level 0 is the naive error, which underestimates by √(2τ).
    np.testing.assert_allclose(level_errs[0], x.std(ddof=1) / np.sqrt(x.size))
    assert err > 3 * level_errs[0]


def test_errors_of_iid_data_are_the_plain_standard_error():
    x = np.random.default_rng(22).normal(3.0, 2.0, (4, 50_000))
    plain = x.std(ddof=1) / np.sqrt(x.size)
    mean, err = mean_error(x)
    assert mean == pytest.approx(x.mean())
    assert err == pytest.approx(plain, rel=0.05)
    assert blocking_error(x) == pytest.approx(plain, rel=0.1)


def test_constant_and_tiny_inputs_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mean_error(np.full((2, 100), 0.25)) == (0.25, 0.0)
        assert blocking_error(np.full((2, 100), 0.25)) == 0.0
        m, e = mean_error([[0.5]])
        assert m == 0.5 and np.isnan(e)
        assert np.isnan(blocking_error([[0.5]]))
        assert np.isnan(jackknife(lambda a: a, [[0.5]])[1])


# ---------------------------------------------------------------------------------------
# Jackknife and derived quantities


def test_jackknife_of_the_mean_is_the_plain_standard_error():
    rng = np.random.default_rng(30)
    x = rng.normal(1.0, 0.5, (3, 200))
    plain = x.std(ddof=1) / np.sqrt(x.size)
    est, err = jackknife(lambda a: a, x, n_blocks=200)  # blocks of one record: exact
    assert est == pytest.approx(x.mean(), rel=1e-14)
    assert err == pytest.approx(plain, rel=1e-10)
    # Larger blocks: the same on average over replicas (here: 2000 replicas, 20 blocks).
    x = rng.normal(0.0, 1.0, (2000, 1, 400))
    _, err = jackknife(lambda a: a, x, n_blocks=20)
    plain = x.std(axis=(-2, -1), ddof=1) / np.sqrt(400)
    assert err.shape == (2000,)
    assert np.mean(err**2) / np.mean(plain**2) == pytest.approx(1.0, abs=0.03)


def test_jackknife_estimator_sees_leading_shape_parameters():
    x = np.random.default_rng(31).normal(size=(3, 2, 100))
    scale = np.array([1.0, 2.0, 3.0])
    est, err = jackknife(lambda a: scale * a, x)
    np.testing.assert_allclose(est, scale * x.mean(axis=(-2, -1)))
    _, err1 = jackknife(lambda a: a, x)
    np.testing.assert_allclose(err, scale * err1)


def test_specific_heat_is_beta2_n_var():
    # Deterministic identity on arbitrary data.
    e = np.random.default_rng(32).normal(-1.2, 0.05, (3, 4, 300))
    T, n = np.array([0.5, 1.0, 2.0]), 64
    C, err = specific_heat(e, T, n)
    np.testing.assert_allclose(C, n / T**2 * e.var(axis=(-2, -1)), rtol=1e-10)
    assert C.shape == err.shape == (3,)
    # Against the exact value for i.i.d. e ~ Uniform(-1, 0): Var = 1/12, μ4 = 1/80.
    N = 40_000
    e = np.random.default_rng(33).uniform(-1.0, 0.0, (4, N // 4))
    C, err = specific_heat(e, 2.0, 100)
    exact = 100 / 4 * (1 / 12)
    se = 100 / 4 * np.sqrt((1 / 80 - 1 / 144) / N)  # SE of the sample variance
    assert abs(C - exact) < 4 * se
    assert err == pytest.approx(se, rel=0.35)


def test_susceptibility_uses_abs_m_and_zero_temperature_is_nan():
    m = np.random.default_rng(34).normal(0.0, 0.2, (2, 3, 500))
    T, n = np.array([0.0, 1.5]), 100
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chi, err = susceptibility(m, T, n)
        C, C_err = specific_heat(m, T, n)
    assert np.isnan(chi[0]) and np.isnan(err[0]) and np.isnan(C[0]) and np.isnan(C_err[0])
    exact = n / 1.5 * (np.mean(m[1] ** 2) - np.mean(np.abs(m[1])) ** 2)
    assert chi[1] == pytest.approx(exact, rel=1e-10)
    assert np.isfinite(err[1]) and err[1] > 0


def test_binder_gaussian_is_zero_and_two_state_is_two_thirds():
    m = np.random.default_rng(35).normal(0.0, 0.3, (4, 20_000))
    U, err = binder_cumulant(m)
    assert abs(U) < 4 * err
    assert err < 0.02
    m0 = 0.7 * np.where(np.random.default_rng(36).random((4, 1000)) < 0.5, 1.0, -1.0)
    U, err = binder_cumulant(m0)
    assert U == pytest.approx(2 / 3, abs=1e-12)
    assert err < 1e-12
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(binder_cumulant(np.zeros((2, 10)))[0])


def test_validation_errors():
    with pytest.raises(ValidationError, match="'T' parameter of specific_heat"):
        specific_heat(np.zeros((2, 3, 4)), -1.0, 10)
    with pytest.raises(ValidationError, match="'n' parameter of susceptibility"):
        susceptibility(np.zeros((2, 3, 4)), 1.0, 0)
    with pytest.raises(ValidationError, match="finite"):
        mean_error([1.0, np.nan])
    with pytest.raises(ValidationError, match="same shape"):
        jackknife(lambda a, b: a * b, np.zeros((2, 5)), np.zeros((2, 6)))
    with pytest.raises(ValidationError, match="'energy' parameter of summarize"):
        summarize(np.zeros((3, 4)), np.zeros((3, 4)), 1.0, 10)
    with pytest.raises(ValidationError, match="'T' parameter of summarize"):
        summarize(np.zeros((3, 2, 4)), np.zeros((3, 2, 4)), [1.0, 2.0], 10)


# ---------------------------------------------------------------------------------------
# Summary


def _run_like(n_t=4, chains=3, records=400, P=5, seed=40):
    rng = np.random.default_rng(seed)
    e = -1.0 + 0.1 * ar1(0.5, (n_t, chains, records), seed)
    m = 0.3 * ar1(0.8, (n_t, chains, records), seed + 1)
    q = rng.uniform(-1, 1, (n_t, chains, records, P))
    return e, m, q


def test_summary_shapes_keys_and_values():
    e, m, q = _run_like()
    T = np.array([0.5, 1.0, 2.269, 3.5])
    s = summarize(e, m, T, 256, overlaps=q)
    assert isinstance(s, Summary)
    expected = {
        "T",
        "energy",
        "energy_err",
        "magnetization",
        "magnetization_err",
        "abs_magnetization",
        "abs_magnetization_err",
        "specific_heat",
        "specific_heat_err",
        "susceptibility",
        "susceptibility_err",
        "binder",
        "binder_err",
        "tau_energy",
        "tau_abs_magnetization",
        "overlap",
        "overlap_err",
        "converged",
    }
    for obs in ("energy", "abs_magnetization", "overlap"):
        expected |= {f"{d}_{obs}" for d in ("rhat", "ess_bulk", "ess_tail", "mcse")}
    assert set(s) == expected
    for key in s:
        assert s[key].shape == (4,)
    np.testing.assert_array_equal(s.T, T)
    assert s.energy is s["energy"]
    np.testing.assert_allclose(s["energy"], e.mean(axis=(1, 2)))
    np.testing.assert_allclose(s["abs_magnetization"], np.abs(m).mean(axis=(1, 2)))
    np.testing.assert_allclose(s["overlap"], np.abs(q).max(-1).mean(axis=(1, 2)))
    np.testing.assert_allclose(s["energy_err"], mean_error(e)[1])
    np.testing.assert_allclose(s["specific_heat"], specific_heat(e, T, 256)[0])
    np.testing.assert_allclose(s["susceptibility"], susceptibility(m, T, 256)[0])
    np.testing.assert_allclose(s["binder"], binder_cumulant(m)[0])
    np.testing.assert_allclose(s["tau_energy"], integrated_autocorrelation_time(e))
    d = s.to_dict()
    assert set(d) == expected and d["energy"] is not s["energy"]
    assert (s.n, s.chains, s.records) == (256, 3, 400)
    assert "overlap" not in summarize(e, m, T, 256)
    assert "rhat_overlap" not in summarize(e, m, T, 256)
    with pytest.raises(AttributeError):
        _ = s.nonexistent


def test_summary_table_has_every_temperature_row():
    e, m, q = _run_like()
    T = np.array([0.5, 1.0, 2.269, 3.5])
    text = str(summarize(e, m, T, 256, overlaps=q))
    lines = text.splitlines()
    flagged = not summarize(e, m, T, 256)["converged"].all()
    # title, header, rule, one row per temperature (and a footnote when a row is marked)
    assert len(lines) == 3 + len(T) + flagged
    for t, line in zip(T, lines[3 : 3 + len(T)], strict=True):
        assert line.lstrip("! ").split()[0] == f"{t:g}"
        assert line.count("±") == 7
    assert len({len(line) for line in lines[1:]}) <= 2  # aligned columns
    assert repr(summarize(e, m, T, 256)) == str(summarize(e, m, T, 256))


@pytest.mark.parametrize("records", [1, 2, 3])
def test_summary_with_one_chain_and_few_records(records):
    e, m, q = _run_like(n_t=2, chains=1, records=records)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = summarize(e, m, [0.0, 1.0], 16, overlaps=q)
        text = str(s)
    assert all(s[k].shape == (2,) for k in s)
    assert np.all(np.isfinite(s["energy"]))
    assert np.isnan(s["specific_heat"][0])
    if records == 1:
        assert np.all(np.isnan(s["energy_err"])) and np.all(np.isnan(s["binder_err"]))
        assert "nan: no error estimate" in text and "fewer than 2 records" in text
    lines = text.splitlines()
    assert [line.lstrip("! ").split()[0] for line in lines[3:5]] == ["0", "1"]  # a row per T
    # a missing error bar is marked and explained under the table
    assert ("nan*" in text) == ("no error estimate" in text)
    assert not s["converged"].any()  # too few records to tell: marked, said last
    assert "not converged" in lines[-1]
