"""The compiled R̂ and ESS (:mod:`statnn.stats._ranknorm_compiled`) against two truths.

* The numpy reference :mod:`statnn.stats._ranknorm` (written like the equations, one
  array operation per step) on the same (L, chains, draws) arrays, to rtol 1e-10: every
  function, and each of the compiled module's two ways to the ESS (direct lag sums,
  FFT autocovariance) forced on every case;
* ArviZ (``arviz_stats.base.array_stats``: ``scipy.stats.rankdata`` ranks, Python loops
  over Geyer's lags) through :mod:`statnn.stats.diagnostics`, which now computes with the
  compiled module.

The cases: continuous series, heavily tied (integer-valued, lattice-like) ones, constant
rows, a constant chain inside a varying row, odd draw counts, one and several chains,
several leading axes, a slowly mixing AR(1) (φ = 0.995) and an anti-correlated one
(φ = −0.5). Φ⁻¹, written in numba, is checked against ``scipy.special.ndtri``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from arviz_stats.base import array_stats
from scipy.special import ndtri as scipy_ndtri

from statnn.stats import _ranknorm as ref
from statnn.stats import _ranknorm_compiled as compiled
from statnn.stats.diagnostics import ess, mcse, rhat, rhat_and_bulk_ess
from tests.stats.series import ar1, exact_autocovariances


def _cases() -> dict[str, np.ndarray]:
    """(L, chains, draws) arrays, as :mod:`statnn.stats.diagnostics` hands them on."""
    rng = np.random.default_rng(7)
    with_constants = ar1(0.5, (3, 4, 120), seed=4)
    with_constants[1, 2] = 0.25  # a frozen chain in a varying row
    with_constants[2] = -2.0  # a constant row
    stuck = np.repeat(np.arange(4.0)[:, None], 50, axis=1)[None]  # frozen, all different
    return {
        "continuous": ar1(0.5, (3, 4, 1000), seed=1),
        "iid, one chain": rng.standard_normal((4, 1, 2000)),
        "integer-valued": np.round(3 * ar1(0.9, (3, 4, 1001), seed=2)),
        "lattice energies": np.round(64 * ar1(0.95, (5, 8, 300), seed=3)) / 64,
        "three values": rng.integers(0, 3, (4, 3, 50)).astype(float),
        "±1": np.where(rng.random((4, 2, 64)) < 0.5, -1.0, 1.0),
        "constants": with_constants,
        "stuck chains": stuck,
        "odd draws": ar1(0.7, (2, 3, 301), seed=5),
        "slow AR(0.995)": ar1(0.995, (2, 2, 2000), seed=6),
        "slow AR(0.995), one chain": ar1(0.995, (2, 1, 2001), seed=8),
        "anti-correlated AR(-0.5)": ar1(-0.5, (2, 4, 999), seed=9),
        "mixed rows": np.concatenate(
            [ar1(phi, (1, 4, 500), seed=10 + i) for i, phi in enumerate((0.0, 0.9, 0.999))]
        ),
    }


CASES = _cases()

#: (DIRECT_LAGS, SLOW_RHO8): as shipped; the FFT for every row; direct sums for every row.
PATHS = {"default": None, "all FFT": (0, np.inf), "all direct": (10**9, np.inf)}


@pytest.fixture(params=list(PATHS))
def path(request, monkeypatch):
    setting = PATHS[request.param]
    if setting is not None:
        monkeypatch.setattr(compiled, "DIRECT_LAGS", setting[0])
        monkeypatch.setattr(compiled, "SLOW_RHO8", setting[1])
    return request.param


def close(got, want):
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=0, equal_nan=True)


@pytest.mark.parametrize("name", list(CASES))
def test_equal_to_the_numpy_reference(name, path, monkeypatch):
    y = CASES[name]
    ffts = []
    power_mean = compiled._power_mean
    monkeypatch.setattr(compiled, "_power_mean", lambda f: ffts.append(1) or power_mean(f))
    with np.errstate(all="ignore"):
        r_ref, e_ref = ref.rhat_and_bulk_ess(y)
        r, e = compiled.rhat_and_bulk_ess(y)
        close(r, r_ref)
        close(e, e_ref)
        assert compiled.rhat_and_bulk_ess(y, ess=False)[1] is None
        close(compiled.rank_rhat(y), r_ref)
        close(compiled.bulk_ess(y), e_ref)
        close(compiled.mean_ess(y), ref.mean_ess(y))
        close(compiled.tail_ess(y, 0.05), ref.tail_ess(y, 0.05))
        close(compiled.mcse_mean(y), ref.mcse_mean(y))
    varying = name not in ("constants", "stuck chains")
    if path == "all FFT" and varying:
        assert ffts  # the path forced is the path taken
    if path == "all direct":
        assert not ffts


def test_nan_and_inf_where_the_reference_has_them():
    with np.errstate(all="ignore"):
        r_ref, e_ref = ref.rhat_and_bulk_ess(CASES["constants"])
        r, e = compiled.rhat_and_bulk_ess(CASES["constants"])
    assert np.isnan(r_ref[2]) and np.isnan(r[2])  # a constant row: W = B = 0
    assert e[2] == e_ref[2] == 4 * 2 * 60  # its ESS: all the draws
    r, _ = compiled.rhat_and_bulk_ess(CASES["stuck chains"])
    assert r[0] == np.inf  # frozen chains in different states: W = 0 < B
    # draws so large that the direct sums could overflow go to the reference itself
    huge = CASES["continuous"] * 1e200
    with np.errstate(all="ignore"):
        close(compiled.mean_ess(huge), ref.mean_ess(huge))


def test_a_warm_table_gives_the_same_scores():
    y = CASES["lattice energies"]
    compiled._TABLES.clear()
    cold = compiled.rhat_and_bulk_ess(y)
    warm = compiled.rhat_and_bulk_ess(y)
    np.testing.assert_array_equal(cold[0], warm[0])
    np.testing.assert_array_equal(cold[1], warm[1])
    # more draw counts than the tables kept: the oldest are dropped, results unchanged
    for draws in range(40, 40 + 2 * compiled._TABLES_KEPT + 1, 2):
        x = ar1(0.3, (2, 2, draws), seed=draws)
        close(compiled.rank_rhat(x), ref.rank_rhat(x))
    assert len(compiled._TABLES) == compiled._TABLES_KEPT


def halves(y: np.ndarray) -> np.ndarray:
    """What statnn computes on: one chain (..., 1, D) is cut into its two halves."""
    if y.shape[-2] != 1:
        return y
    half = y.shape[-1] // 2
    return np.stack([y[..., 0, :half], y[..., 0, half : 2 * half]], axis=-2)


def arviz(y: np.ndarray):
    y = halves(y)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return [
            np.asarray(f(y), dtype=float)
            for f in (
                lambda a: array_stats.rhat(a, method="rank"),
                lambda a: array_stats.ess(a, method="bulk"),
                lambda a: array_stats.ess(a, method="tail", prob=0.05),
                lambda a: array_stats.ess(a, method="mean"),
                lambda a: array_stats.mcse(a, method="mean"),
            )
        ]


@pytest.mark.parametrize("name", [n for n in CASES if n not in ("constants", "stuck chains")])
def test_diagnostics_equal_arviz(name, path):
    """ArviZ on the arrays statnn computes on (one chain: its two halves)."""
    y = CASES[name]
    mine = [rhat(y), ess(y, "bulk"), ess(y, "tail"), ess(y, "mean"), mcse(y)]
    for got, want in zip(mine, arviz(y), strict=True):
        close(got, want)
    both = rhat_and_bulk_ess(y)
    np.testing.assert_array_equal(both[0], mine[0])
    np.testing.assert_array_equal(both[1], mine[1])


@pytest.mark.parametrize("phi", [0.995, -0.5, 0.0])
def test_one_chain_and_leading_axes_equal_arviz(phi, path):
    """One chain is cut in two halves (statnn's convention), leading axes kept."""
    x = ar1(phi, (3, 2, 1, 2001), seed=11)  # (obs, T, one chain, odd draws)
    r, e = rhat_and_bulk_ess(x)
    assert r.shape == e.shape == (3, 2)
    want = arviz(x)
    close(r, want[0])
    close(e, want[1])


def test_constant_rows_keep_the_diagnostics_convention():
    y = CASES["constants"]
    r, e = rhat_and_bulk_ess(y)
    assert r[2] == 1.0 and e[2] == y.shape[1] * y.shape[2]
    want = arviz(y[:2])  # the varying rows, a frozen chain among them
    close(r[:2], want[0])
    close(e[:2], want[1])
    assert rhat(CASES["stuck chains"])[0] == np.inf


def test_ndtri_equals_scipy_over_both_tails():
    p = np.concatenate(
        [
            np.logspace(-300, -1, 3001),
            np.linspace(0.0005, 0.9995, 10_000),
            1.0 - np.logspace(-16, -1, 1501),
            [0.02425, 0.25, 0.5, 0.75, 1.0 - 0.02425, 1e-300, 1.0 - 1e-16],
        ]
    )
    got = compiled.ndtri_array(p)
    want = scipy_ndtri(p)
    # worst relative difference measured: 8e-16 (at p ≈ 0.136)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)
    assert compiled.ndtri(0.5) == 0.0
    special = compiled.ndtri_array(np.array([0.0, 1.0, -0.1, 1.1, np.nan]))
    np.testing.assert_array_equal(special, [-np.inf, np.inf, np.nan, np.nan, np.nan])


def test_geyer_sequences_on_exact_autocorrelations_equal_the_reference():
    """The compiled Geyer step on chosen ρ̂ (dyadic, so exact) with pair sums exactly 0,
    negative, rising or never ≤ 0: equal to the reference's array form, itself checked
    against ArviZ's loops on the same construction in test_rank_diagnostics."""
    for case in exact_autocovariances():
        chains, n = case.acov.shape
        means = case.draws.mean(axis=1)
        want = ref.ess_from_autocov(case.acov[None], means[None])[0]
        got = compiled._ess_from_mean_autocov(
            case.acov.mean(axis=0)[None], 1.0, chains, n, np.array([means.var(ddof=1)])
        )[0]
        assert got == pytest.approx(want, rel=1e-12, abs=0), case.label


def test_the_compiled_module_loads_at_first_use_only():
    probe = (
        "import sys, statnn, statnn.stats.diagnostics as d\n"
        "before = {'numba', 'statnn.stats._ranknorm_compiled'} & set(sys.modules)\n"
        "d.rhat([[0.0, 1.0, 0.5, 2.0, 1.5, 0.25, 3.0, 1.0]])\n"
        "after = 'statnn.stats._ranknorm_compiled' in sys.modules\n"
        "sys.exit(0 if not before and after else 1)"
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-c", probe], env=env, timeout=300)
    assert done.returncode == 0


def test_notice_before_the_first_compilation_only(tmp_path):
    """One line on stderr while numba's cache lacks the module, none once it has it."""
    code = "import statnn.stats._ranknorm_compiled as c; print(c._rows._cache._cache_path)"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "PYTHONWARNINGS": "ignore"}

    def run():
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip(), done.stderr

    directory, err = run()
    assert err.strip() == compiled.MESSAGE
    # an index file where numba keeps this module's functions: a later run is quiet
    (tmp_path / directory).mkdir(parents=True, exist_ok=True)
    (tmp_path / directory / "_ranknorm_compiled._rows-1.py311.nbi").write_bytes(b"")
    assert run() == (directory, "")


def test_random_shapes_ties_and_correlations_equal_the_reference(path):
    """200 small arrays drawn at random: 1–6 rows, 1–5 chains, 4–300 draws (the shortest
    the callers allow: halves of 2 draws), φ from −0.9 to 0.999, values rounded to a few
    levels or not, a frozen chain now and then."""
    rng = np.random.default_rng(2024)
    for trial in range(200):
        shape = (int(rng.integers(1, 7)), int(rng.integers(1, 6)), int(rng.integers(4, 301)))
        x = ar1(float(rng.choice([-0.9, -0.5, 0.0, 0.5, 0.9, 0.99, 0.999])), shape, trial)
        levels = rng.choice([0, 2, 5, 50])
        if levels:
            x = np.round(levels * x) / levels
        if rng.random() < 0.2:
            x[int(rng.integers(shape[0])), int(rng.integers(shape[1]))] = 0.5
        with np.errstate(all="ignore"):
            r_ref, e_ref = ref.rhat_and_bulk_ess(x)
            r, e = compiled.rhat_and_bulk_ess(x)
            m_ref, m = ref.mean_ess(x), compiled.mean_ess(x)
        for got, want in ((r, r_ref), (e, e_ref), (m, m_ref)):
            np.testing.assert_allclose(
                got, want, rtol=1e-10, atol=0, equal_nan=True, err_msg=f"{trial}"
            )
