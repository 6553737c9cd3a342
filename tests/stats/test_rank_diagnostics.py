"""statnn's vectorised R̂, bulk and tail ESS, ESS and MCSE of the mean against ArviZ's,
series by series.

The independent truth is ArviZ itself (``arviz_stats.base.array_stats``: its rank
normalisation via ``scipy.stats.rankdata``, its per-series Python loops over the lags of
Geyer's sequences), called on the same (..., chains, draws) arrays that statnn hands its
own code (a single chain already cut in its two halves). The cases cover the branches of
those definitions: no / short / long autocorrelation (few or many Geyer lag pairs, the
positive sequence capped by the series length), negative correlation, heavy ties,
disagreeing chains, chains frozen in different states, a folded series with one single
value, odd lengths and the shortest series, constant series and a constant chain among
others, several leading axes.

Where statnn departs from ArviZ it is by its own stated convention, checked here too:
a series with one single value has R̂ = 1 and ESS = chains × draws (ArviZ: R̂ nan).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from arviz_stats.base import array_stats

from statnn.errors import ValidationError
from statnn.stats.diagnostics import ess, mcse, rhat, rhat_and_bulk_ess
from tests.stats.series import ar1, exact_autocovariances


def as_chains(x: np.ndarray) -> np.ndarray:
    """The array ArviZ is given: a 1-D series is one chain; one chain → its two halves."""
    y = x[None, :] if x.ndim == 1 else x
    if y.shape[-2] == 1:
        half = y.shape[-1] // 2
        y = np.stack([y[..., 0, :half], y[..., 0, half : 2 * half]], axis=-2)
    return y


def arviz(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = as_chains(x)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        r = np.asarray(array_stats.rhat(y, method="rank"), dtype=float)
        e = np.asarray(array_stats.ess(y, method="bulk"), dtype=float)
    return r, e


def arviz_tail_mean_mcse(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = as_chains(x)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        tail = np.asarray(array_stats.ess(y, method="tail", prob=0.05), dtype=float)
        mean = np.asarray(array_stats.ess(y, method="mean"), dtype=float)
        se = np.asarray(array_stats.mcse(y, method="mean"), dtype=float)
    return tail, mean, se


def assert_equal_to_arviz(x: np.ndarray) -> None:
    r_ref, e_ref = arviz(x)
    r, e = rhat(x), ess(x, "bulk")
    np.testing.assert_allclose(r, r_ref, rtol=1e-10, atol=0, equal_nan=True)
    np.testing.assert_allclose(e, e_ref, rtol=1e-10, atol=0, equal_nan=True)
    # tail ESS (quantile indicators), ESS of the mean and the MCSE of the mean
    mine_all = (ess(x, "tail"), ess(x, "mean"), mcse(x))
    for mine, ref in zip(mine_all, arviz_tail_mean_mcse(x), strict=True):
        np.testing.assert_allclose(mine, ref, rtol=1e-10, atol=0, equal_nan=True)
    both = rhat_and_bulk_ess(x)
    np.testing.assert_array_equal(both[0], r)
    np.testing.assert_array_equal(both[1], e)


SHAPES = [
    (1, 2000),  # one chain: its halves
    (2, 200),
    (3, 301),  # odd: the middle draw of each chain is dropped by the split
    (4, 1000),
    (5, 64),
    (8, 500),
    (3, 4, 2, 101),  # leading axes
    (3, 4, 6, 80),
]


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9, 0.99, -0.6])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_ar1_series_equal_arviz(phi, shape):
    assert_equal_to_arviz(ar1(phi, shape, seed=len(shape) + shape[-1]))


@pytest.mark.parametrize("seed", range(6))
def test_long_autocorrelation_equal_arviz(seed):
    # φ = 0.999 on 60-3000 draws: the positive sequence runs to the end of the series
    # (capped) or for hundreds of lags; the monotone step rewrites many pairs.
    rng = np.random.default_rng(seed)
    for draws in (60, 400, 3000):
        x = ar1(0.999, (2, int(rng.integers(1, 5)), draws), seed=seed)
        x += 0.3 * rng.standard_normal(x.shape)  # wiggly ρ(t): non-monotone pair sums
        assert_equal_to_arviz(x)


@pytest.mark.parametrize("chains", [1, 2, 3, 4, 5, 6, 7, 8])
@pytest.mark.parametrize("draws", [4, 5, 7, 8, 9, 21])
def test_short_series_and_chain_counts_equal_arviz(chains, draws):
    if chains == 1 and draws < 8:
        # one chain of < 8 draws: halves of < 4 draws, nan (ArviZ: nan as well)
        x = ar1(0.5, (3, 1, draws), seed=draws)
        assert np.isnan(rhat(x)).all() and np.isnan(ess(x)).all()
        return
    assert_equal_to_arviz(ar1(0.5, (3, chains, draws), seed=chains * draws))


@pytest.mark.parametrize("seed", range(4))
def test_heavy_ties_equal_arviz(seed):
    rng = np.random.default_rng(seed)
    # Ising-like energies: few discrete levels, long correlation
    assert_equal_to_arviz(np.round(4 * ar1(0.95, (5, 4, 300), seed=seed)) / 4)
    # three values only, and |m| of a small lattice (multiples of 1/16)
    assert_equal_to_arviz(rng.integers(0, 3, (4, 3, 50)).astype(float))
    assert_equal_to_arviz(np.abs(np.round(16 * ar1(0.8, (3, 8, 200), seed=seed)) / 16))
    # ±1: the folded series |x - median| has one single value when the counts are equal
    # (its R̂ is nan; R̂ is then the bulk one, as Python's max(bulk, nan) gives)
    x = np.where(rng.random((4, 2, 64)) < 0.5, -1.0, 1.0)
    x[0] = np.tile([-1.0, 1.0], 64).reshape(2, 64)  # exactly equal counts: median 0
    r_ref, _ = arviz(x)
    assert np.isfinite(r_ref[0])
    assert_equal_to_arviz(x)


@pytest.mark.parametrize("shift", [0.0, 0.2, 1.0, 5.0])
def test_disagreeing_chains_equal_arviz(shift):
    x = ar1(0.7, (3, 4, 400), seed=9)
    x[:, 0] += shift * np.array([0.0, 1.0, 2.0])[:, None]
    x[2, 1] *= 3.0  # a chain with a wider spread: the folded R̂ sees it
    assert_equal_to_arviz(x)
    stuck = np.repeat(np.arange(4.0)[:, None], 50, axis=1)  # constant chains, all different
    assert_equal_to_arviz(stuck)
    assert rhat(stuck) == np.inf


def test_constant_chain_among_others_equal_arviz():
    x = ar1(0.5, (3, 4, 100), seed=4)
    x[1, 2] = 0.25  # one frozen chain at T[1]
    x[2, :, ::2] = 1.0  # every other draw equal: heavy ties at T[2]
    assert_equal_to_arviz(x)


def test_constant_series_convention():
    x = ar1(0.5, (4, 3, 51), seed=1)
    x[1] = -2.0  # a frozen temperature
    r, e = rhat(x), ess(x)
    r_ref, e_ref = arviz(x)
    assert np.isnan(r_ref[1])  # ArviZ: 0/0; statnn: nothing to converge
    assert r[1] == 1.0 and e[1] == 3 * 51
    keep = [0, 2, 3]
    np.testing.assert_allclose(r[keep], r_ref[keep], rtol=1e-10)
    np.testing.assert_allclose(e[keep], e_ref[keep], rtol=1e-10)
    # only the dropped middle draw differs: the split chains are constant, and statnn
    # gives what ArviZ gives (R̂ nan, ESS = the split draws)
    y = np.full((3, 51), 2.0)
    y[:, 25] = 3.0
    assert np.isnan(rhat(y)) and ess(y) == 3 * 2 * 25
    assert_equal_to_arviz(y)


def test_scalar_and_2d_layouts():
    x = ar1(0.9, (4, 300), seed=2)  # (chains, draws): 0-d results
    assert np.ndim(rhat(x)) == 0 and np.ndim(ess(x)) == 0
    assert_equal_to_arviz(x)
    assert_equal_to_arviz(x[0])  # 1-D: one chain


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_input_is_refused(bad):
    # ArviZ returns nan for a series with nan; statnn refuses non-finite input before
    # any work, in every diagnostic
    x = ar1(0.5, (2, 4, 20), seed=0)
    x[1, 2, 3] = bad
    for func in (rhat, ess, rhat_and_bulk_ess):
        with pytest.raises(ValidationError, match=f"parameter of {func.__name__} .*finite"):
            func(x)


class _GivenAutocov(type(array_stats)):
    """ArviZ's array functions with ``autocov`` replaced by given autocovariances."""

    def __init__(self, acov: np.ndarray):
        super().__init__()
        self.acov = acov

    def autocov(self, ary, axis=-1):
        return self.acov.copy()


def test_geyer_sequences_equal_arviz_on_exact_autocorrelations():
    """ArviZ's loops over lags (``_ess``) and the vectorised pair-sum form, on the same ρ̂,
    chosen exactly (:func:`tests.stats.series.exact_autocovariances`: pair sums exactly 0,
    negative, rising or never ≤ 0)."""
    from statnn.stats._ranknorm import ess_from_autocov

    for case in exact_autocovariances():
        want = _GivenAutocov(case.acov)._ess(case.draws)
        got = ess_from_autocov(case.acov[None], case.draws.mean(axis=1)[None])[0]
        assert got == pytest.approx(want, rel=1e-12, abs=0), case.label
