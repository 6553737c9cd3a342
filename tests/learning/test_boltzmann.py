"""The Boltzmann machine / inverse Ising estimators against independent truths.

Truths: the log-likelihood by brute-force enumeration with ``Network.energy`` (finite
differences, moments), couplings of a known model (ε vs M on exact samples),
scikit-learn's LogisticRegression (pseudo-likelihood), the linear algebra of C⁻¹ (mean
field), the two-spin model (Sessak–Monasson is exact at N = 2).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp

import statnn as sn
from statnn.errors import ValidationError
from statnn.learning import BoltzmannMachine
from statnn.learning import exact as ex
from statnn.learning.samples import ais_log_z


def brute_force(J, b):
    """All states, their log-probabilities (via Network.energy) and log Z."""
    net = sn.Network(J, bias=b)
    n = len(b)
    states = np.array(
        [[1 if (k >> (n - 1 - i)) & 1 else -1 for i in range(n)] for k in range(2**n)],
        dtype=np.int8,
    )
    logw = -net.energy(states)
    log_z = logsumexp(logw)
    return states, logw - log_z, log_z


def brute_log_likelihood(J, b, X):
    net = sn.Network(J, bias=b)
    _, _, log_z = brute_force(J, b)
    return float(np.mean(-net.energy(X)) - log_z)


def random_model(n, scale, seed, field=0.1):
    rng = np.random.default_rng(seed)
    J = scale * rng.standard_normal((n, n)) / np.sqrt(n)
    J = np.triu(J, 1)
    J = J + J.T
    return J, field * rng.standard_normal(n)


def eps(J, J0):
    return float(np.linalg.norm(J - J0) / np.linalg.norm(J0))


# -- exact likelihood --------------------------------------------------------------------


def test_exact_gradient_equals_finite_differences():
    J, b = random_model(6, 0.8, seed=1, field=0.3)
    J_data, b_data = random_model(6, 1.0, seed=2)
    X = ex.exact_samples(J_data, b_data, 300, np.random.default_rng(3))
    gJ, gb = ex.log_likelihood_gradient(J, b, X)
    h = 1e-5
    for i, j in [(0, 1), (2, 5), (3, 4)]:
        E = np.zeros_like(J)
        E[i, j] = E[j, i] = h
        fd = (brute_log_likelihood(J + E, b, X) - brute_log_likelihood(J - E, b, X)) / (2 * h)
        assert gJ[i, j] == pytest.approx(fd, abs=1e-8)
        assert gJ[j, i] == gJ[i, j]
    for i in range(6):
        e = np.zeros(6)
        e[i] = h
        fd = (brute_log_likelihood(J, b + e, X) - brute_log_likelihood(J, b - e, X)) / (2 * h)
        assert gb[i] == pytest.approx(fd, abs=1e-8)
    # the module's log-likelihood is the brute-force one
    assert ex.log_likelihood(J, b, X) == pytest.approx(brute_log_likelihood(J, b, X), abs=1e-10)


def test_exact_fit_matches_moments():
    J0, b0 = random_model(8, 1.0, seed=4, field=0.3)
    X = ex.exact_samples(J0, b0, 2000, np.random.default_rng(5))
    bm = BoltzmannMachine("exact", tol=1e-10).fit(X)
    states, logp, _ = brute_force(bm.couplings_, bm.bias_)
    p = np.exp(logp)
    S = states.astype(float)
    Xf = X.astype(float)
    np.testing.assert_allclose(p @ S, Xf.mean(axis=0), atol=1e-6)
    np.testing.assert_allclose((S * p[:, None]).T @ S, Xf.T @ Xf / len(X), atol=1e-6)
    assert bm.history_["log_likelihood"][-1] == pytest.approx(
        brute_log_likelihood(bm.couplings_, bm.bias_, X), abs=1e-9
    )
    ll = bm.log_likelihood(X)
    assert ll.method == "exact" and ll.error == 0.0
    assert ll.value == pytest.approx(bm.history_["log_likelihood"][-1], abs=1e-9)


def test_exact_samples_follow_boltzmann():
    """Exact samples: chi-square of the state counts against the enumerated probabilities."""
    from scipy.stats import chisquare

    J, b = random_model(4, 1.0, seed=6, field=0.4)
    net = sn.Network(J, bias=b)
    X = sn.datasets.boltzmann_samples(net, 20000, T=0.8, random_state=7)
    states, _, _ = brute_force(J / 0.8, b / 0.8)
    logp = -net.energy(states) / 0.8
    p = np.exp(logp - logsumexp(logp))
    index = ((X > 0).astype(int) * (2 ** np.arange(3, -1, -1))).sum(axis=1)
    counts = np.bincount(index, minlength=16)
    assert chisquare(counts, 20000 * p).pvalue > 1e-3


# -- recovery of a known N = 12 model -----------------------------------------------------

M_GRID = (500, 5000, 50000)


@pytest.fixture(scope="module")
def known_model():
    """An SK-like model at β = 0.5 (couplings of variance β²/N, small fields), exact samples.

    At this coupling the bias of the closed forms (mean field, TAP) is below their
    statistical error up to M = 5e4, so every method's ε falls with M.
    """
    J0, b0 = random_model(12, 0.5, seed=11, field=0.1)
    X = ex.exact_samples(J0, b0, max(M_GRID), np.random.default_rng(12))
    return J0, b0, X


PCD = dict(lr=0.1, epochs=1000, chains=300, sweeps=1, random_state=0)


@pytest.fixture(scope="module")
def errors(known_model):
    J0, _, X = known_model
    out = {}
    for method in ("exact", "pseudolikelihood", "mean_field", "tap", "sessak_monasson"):
        out[method] = [eps(BoltzmannMachine(method).fit(X[:M]).couplings_, J0) for M in M_GRID]
    out["pcd"] = [eps(BoltzmannMachine("pcd", **PCD).fit(X[:M]).couplings_, J0) for M in M_GRID]
    return out


@pytest.mark.parametrize(
    "method", ["exact", "pseudolikelihood", "pcd", "mean_field", "tap", "sessak_monasson"]
)
def test_error_decreases_with_samples(errors, method):
    assert np.all(np.diff(errors[method]) < 0), errors[method]


@pytest.mark.parametrize("method", ["pseudolikelihood", "pcd"])
def test_consistent_methods_reach_exact_accuracy(errors, method):
    assert errors[method][-1] <= 1.1 * errors["exact"][-1], (errors[method], errors["exact"])


def test_exact_likelihood_estimator_is_accurate(errors):
    # at M = 5e4 the maximum-likelihood couplings are within a few 1/sqrt(M) of the truth
    assert errors["exact"][-1] < 0.05


# -- pseudo-likelihood, mean field, TAP, Sessak–Monasson ---------------------------------


def test_pseudolikelihood_equals_logistic_regressions():
    from sklearn.linear_model import LogisticRegression

    J0, b0 = random_model(10, 1.0, seed=21, field=0.2)
    X = ex.exact_samples(J0, b0, 2000, np.random.default_rng(22))
    M, n = X.shape
    l2 = 0.01
    bm = BoltzmannMachine("pseudolikelihood", l2=l2, tol=1e-10).fit(X)
    # per site: (1/M) Σ log(1 + exp(−2 S_i h_i)) + l2 Σ_j W_ij², i.e. a logistic regression of
    # S_i on the features 2 S_j with weights W_ij, intercept 2 b_i and C = 1/(2 M l2)
    W = np.zeros((n, n))
    b = np.zeros(n)
    for i in range(n):
        rest = np.arange(n) != i
        lr = LogisticRegression(C=1.0 / (2 * M * l2), tol=1e-12, max_iter=10000)
        lr.fit(2.0 * X[:, rest], X[:, i])
        W[i, rest] = lr.coef_[0]
        b[i] = lr.intercept_[0] / 2.0
    np.testing.assert_allclose(bm.couplings_, (W + W.T) / 2, atol=1e-3)
    np.testing.assert_allclose(bm.bias_, b, atol=1e-3)


def test_mean_field_is_minus_inverse_correlations():
    J0, b0 = random_model(9, 0.5, seed=31, field=0.3)
    X = ex.exact_samples(J0, b0, 3000, np.random.default_rng(32))
    C = np.cov(X.T.astype(float), bias=True)
    expected = -np.linalg.inv(C)
    np.fill_diagonal(expected, 0.0)
    bm = BoltzmannMachine("mean_field").fit(X)
    np.testing.assert_allclose(bm.couplings_, expected, rtol=1e-10, atol=1e-12)
    m = X.mean(axis=0)
    np.testing.assert_allclose(bm.bias_, np.arctanh(m) - expected @ m, atol=1e-12)


def test_tap_reduces_to_mean_field():
    # zero magnetisations (data and its mirror image): the TAP correction vanishes exactly
    J0, _ = random_model(8, 0.5, seed=41, field=0.0)
    half = ex.exact_samples(J0, np.zeros(8), 2000, np.random.default_rng(42))
    X = np.concatenate([half, -half])
    np.testing.assert_allclose(
        BoltzmannMachine("tap").fit(X).couplings_,
        BoltzmannMachine("mean_field").fit(X).couplings_,
        atol=1e-12,
    )
    # with fields, TAP − MF = O(J² m²): the relative difference falls with the coupling scale
    J1, b1 = random_model(8, 1.0, seed=43, field=0.5)
    rel = []
    for scale in (0.4, 0.1, 0.025):
        X = ex.exact_samples(scale * J1, b1, 200000, np.random.default_rng(44))
        tap = BoltzmannMachine("tap").fit(X).couplings_
        mf = BoltzmannMachine("mean_field").fit(X).couplings_
        rel.append(np.linalg.norm(tap - mf) / np.linalg.norm(mf))
    assert rel[0] > rel[1] > rel[2] and rel[2] < 0.02, rel


def test_sessak_monasson_exact_for_two_spins():
    rng = np.random.default_rng(51)
    J = np.array([[0.0, 0.7], [0.7, 0.0]])
    X = ex.exact_samples(J, np.array([0.3, -0.2]), 5000, rng)
    counts = {(s, t): np.sum((X[:, 0] == s) & (X[:, 1] == t)) for s in (1, -1) for t in (1, -1)}
    pair = 0.25 * np.log(counts[1, 1] * counts[-1, -1] / (counts[1, -1] * counts[-1, 1]))
    bm = BoltzmannMachine("sessak_monasson").fit(X)
    assert bm.couplings_[0, 1] == pytest.approx(pair, abs=1e-10)


# -- the model in use ---------------------------------------------------------------------


def test_network_plugs_into_simulate_and_samples(known_model):
    J0, b0, X = known_model
    bm = BoltzmannMachine("exact").fit(X[:20000])
    assert isinstance(bm.network_, sn.Network) and bm.network_.symmetric
    np.testing.assert_array_equal(bm.network_.couplings.to_dense(), bm.couplings_)
    stats = ex.exact_stats(bm.couplings_, bm.bias_)
    run = sn.simulate(bm.network_, T=1.0, sweeps=2000, burn_in=200, chains=8, seed=0)
    m_exact = stats.mean.mean()
    m_run = run.magnetization.mean()
    err = run.magnetization.mean(axis=-1).std(ddof=1) / np.sqrt(8)
    assert abs(m_run - m_exact) < 5 * err + 0.01
    # Monte Carlo samples of the learned model against its exact moments
    S = bm.sample(4000, method="mc", burn_in=200, thin=5, chains=200, random_state=1)
    assert S.shape == (4000, 12) and S.dtype == np.int8
    np.testing.assert_allclose(S.mean(axis=0), stats.mean, atol=5 / np.sqrt(4000))
    second = S.T.astype(float) @ S / len(S)
    np.testing.assert_allclose(second, stats.second, atol=6 / np.sqrt(4000))
    # score is the mean pseudo-log-likelihood; it is larger on the data than on noise
    noise = np.random.default_rng(2).choice([-1, 1], size=(2000, 12))
    assert bm.score(X[:2000]) > bm.score(noise)


def test_ais_log_partition_matches_enumeration():
    J, b = random_model(12, 1.0, seed=61, field=0.2)
    net = sn.Network(J, bias=b)
    est = ais_log_z(net, n_betas=300, chains=200, rng=np.random.default_rng(62))
    exact = ex.exact_stats(J, b).log_z
    assert est.error > 0
    assert abs(est.value - exact) < 4 * est.error + 0.01, (est, exact)


def test_log_likelihood_above_enumeration_uses_ais():
    truth = sn.sk(24, seed=63)
    X = sn.datasets.boltzmann_samples(truth, 2000, T=2.0, burn_in=200, thin=5, random_state=64)
    bm = BoltzmannMachine(l2=1e-3).fit(X)
    ll = bm.log_likelihood(X, ais_betas=200, ais_chains=100, random_state=65)
    assert ll.method == "ais" and 0 < ll.error < 0.1
    # a log-likelihood per sample lies between that of the uniform model and zero
    assert -24 * np.log(2) < ll.value < 0


def test_pcd_with_tempering_reaches_data_moments(known_model):
    J0, _, X = known_model
    bm = BoltzmannMachine("pcd", tempering=[1.0, 1.4, 2.0], lr=0.1, epochs=600, chains=200)
    bm.set_params(random_state=3).fit(X[:5000])
    assert len(bm.history_["swap_acceptance"]) == 2
    exact_fit = BoltzmannMachine("exact").fit(X[:5000])
    assert eps(bm.couplings_, exact_fit.couplings_) < 0.15
    h = bm.history_
    assert sum(h["negative_phase_updates"]) == 600 * 1 * 12 * 200 * 3
    assert len(h["negative_phase_s"]) == 600 and bm.n_iter_ == 600


def test_random_state_conventions():
    J0, b0 = random_model(6, 1.0, seed=71)
    X = ex.exact_samples(J0, b0, 1000, np.random.default_rng(72))
    fit = lambda rs: BoltzmannMachine("pcd", epochs=20, chains=20, random_state=rs).fit(X)  # noqa: E731
    np.testing.assert_array_equal(fit(5).couplings_, fit(5).couplings_)
    seq = np.random.SeedSequence(5)
    np.testing.assert_array_equal(fit(seq).couplings_, fit(np.random.default_rng(seq)).couplings_)
    assert not np.array_equal(fit(5).couplings_, fit(6).couplings_)


def test_zero_one_data_are_spins():
    J0, b0 = random_model(6, 1.0, seed=81)
    X = ex.exact_samples(J0, b0, 1000, np.random.default_rng(82))
    a = BoltzmannMachine().fit(X)
    b = BoltzmannMachine().fit((X + 1) // 2)
    np.testing.assert_array_equal(a.couplings_, b.couplings_)
    assert a.score((X + 1) // 2) == a.score(X)


# -- bad input ----------------------------------------------------------------------------


def test_bad_inputs_give_clear_errors():
    X = np.array([[1, -1, 1], [-1, 1, 1], [1, 1, -1]])
    with pytest.raises(ValidationError, match=r"'X' parameter of BoltzmannMachine.fit.*±1"):
        BoltzmannMachine().fit(X * 0.5)
    with pytest.raises(ValidationError, match="'X' parameter.*0/1"):
        BoltzmannMachine().fit(np.array([[1, 0, -1], [0, 1, 1]]))
    with pytest.raises(ValidationError, match="1 sample"):
        BoltzmannMachine().fit(X[:1])
    with pytest.raises(ValidationError, match=r"constant column\(s\) \[2\]"):
        BoltzmannMachine().fit(np.array([[1, -1, 1], [-1, 1, 1]]))
    with pytest.raises(ValidationError, match="at most 20 spins.*'pcd' or 'pseudolikelihood'"):
        BoltzmannMachine("exact").fit(np.random.default_rng(0).choice([-1, 1], size=(50, 21)))
    with pytest.raises(ValidationError, match="'method' parameter of BoltzmannMachine.fit"):
        BoltzmannMachine("cd").fit(X)
    with pytest.raises(ValidationError, match="'l2' parameter.*closed-form"):
        BoltzmannMachine("mean_field", l2=0.1).fit(X)
    with pytest.raises(ValidationError, match="'random_state' parameter"):
        BoltzmannMachine(random_state=-1).fit(X)
    with pytest.raises(ValidationError, match="'tempering' parameter"):
        BoltzmannMachine("pcd", tempering=[2.0, 3.0]).fit(X)
    with pytest.raises(ValidationError, match="'X' parameter.*NaN|'X' parameter.*±1"):
        BoltzmannMachine().fit(np.array([[1.0, np.nan], [-1.0, 1.0]]))
    bm = BoltzmannMachine().fit(np.array([[1, -1, 1], [-1, 1, -1], [1, 1, -1]]))
    with pytest.raises(ValidationError, match="3 columns"):
        bm.score(np.ones((2, 4)))
    with pytest.raises(ValidationError, match="'T' parameter of BoltzmannMachine.sample"):
        bm.sample(10, T=0.0)
    with pytest.raises(ValidationError, match="'n' parameter of boltzmann_samples"):
        sn.datasets.boltzmann_samples(bm.network_, 0)


def test_sklearn_estimator_checks():
    """scikit-learn's checks, except those that fit on real-valued X (only spins are data)."""
    from sklearn.utils.estimator_checks import check_estimator

    real_valued = "fits on real-valued X; a Boltzmann machine accepts only ±1 or 0/1 spins"
    expected = {
        name: real_valued
        for name in (
            "check_dict_unchanged",
            "check_dont_overwrite_parameters",
            "check_dtype_object",
            "check_estimators_dtypes",
            "check_estimators_fit_returns_self",
            "check_estimators_nan_inf",
            "check_estimators_overwrite_params",
            "check_estimators_pickle",
            "check_f_contiguous_array_estimator",
            "check_fit2d_predict1d",
            "check_fit_check_is_fitted",
            "check_fit_idempotent",
            "check_fit_score_takes_y",
            "check_methods_sample_order_invariance",
            "check_methods_subset_invariance",
            "check_n_features_in",
            "check_n_features_in_after_fitting",
            "check_pipeline_consistency",
            "check_positive_only_tag_during_fit",
            "check_readonly_memmap_input",
        )
    }
    check_estimator(BoltzmannMachine(), expected_failed_checks=expected)


def test_sklearn_conventions_on_spin_data():
    """What the excluded checks test, on ±1 data: clone, pickle, idempotent fit, n_features_in_."""
    import pickle

    from sklearn.base import clone

    J0, b0 = random_model(5, 1.0, seed=91)
    X = ex.exact_samples(J0, b0, 500, np.random.default_rng(92))
    for method in ("pseudolikelihood", "pcd"):
        est = BoltzmannMachine(method, epochs=10, chains=10, random_state=0)
        params = est.get_params()
        a = est.fit(X)
        assert a is est and est.get_params() == params and a.n_features_in_ == 5
        b = clone(est).fit(X)
        np.testing.assert_array_equal(a.couplings_, b.couplings_)
        back = pickle.loads(pickle.dumps(a))
        assert back.score(X) == a.score(X)
        assert a.score(X[::-1][:100]) == pytest.approx(a.score(X[-100:][::-1]))
        with pytest.raises(ValidationError, match="5 columns"):
            a.score(X[:, :4])
