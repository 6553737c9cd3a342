r"""Convergence diagnostics of Monte Carlo chains: R̂, bulk and tail ESS, MCSE, τ_int.

Every function takes series of layout **(..., chains, draws)** -- the (temperature,
chain, record) arrays of a run -- and returns one value per leading index.

* :func:`rhat` -- rank-normalised split-R̂ (Vehtari et al. 2021): each chain is split
  in halves, all draws are replaced by their normal scores (rank-normalised), and the
  classic potential scale reduction

  .. math::  \hat R = \sqrt{\frac{(n-1)/n \, W + B/n}{W}}

  (W the mean within-chain variance, B/n the variance of the chain means, n draws per
  half-chain) is computed for the bulk and for the folded draws |x − median|; the
  larger of the two is returned. R̂ → 1 when all chains sample the same distribution;
  R̂ > 1.01 means that the chains disagree.
* :func:`ess` -- effective sample size: the number of independent draws that would give
  the same precision, ``bulk`` (rank-normalised, for the centre of the distribution) or
  ``tail`` (the smaller of the ESS of the 5 % and 95 % quantiles).
* :func:`mcse` -- Monte Carlo standard error of the mean, σ / √ESS_mean.

They equal ArviZ's definitions (:mod:`arviz_stats`), computed for all leading indices
in one call to compiled code (numba, loaded at the first call): one sort per call for the
ranks, Φ⁻¹ once per distinct rank, the autocorrelations summed lag by lag until Geyer's
initial positive sequence ends (or by FFT, all lags at once, for a slowly mixing series),
and tested against ArviZ and against a numpy reference on the same arrays. One chain is treated as two:
its halves are the chains (and each is split again). A series that holds one single value (a frozen
T = 0 run) has R̂ = 1, ESS = the number of draws and MCSE = 0: nothing to converge.

ESS and the integrated autocorrelation time τ_int of
:func:`statnn.stats.integrated_autocorrelation_time` describe the same thing in two
conventions: with K chains of N draws, ESS ≈ K N / (2 τ_int) (τ_int = ½ + Σ_{t≥1} ρ(t),
so that uncorrelated draws have τ_int = ½ and ESS = K N).

References
----------
A. Vehtari, A. Gelman, D. Simpson, B. Carpenter and P.-C. Bürkner, "Rank-normalization,
folding, and localization: an improved R̂ for assessing convergence of MCMC",
Bayesian Analysis 16, 667 (2021).
A. Gelman and D. B. Rubin, "Inference from iterative simulation using multiple
sequences", Statistical Science 7, 457 (1992).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from statnn._validation import check_choice, check_real
from statnn.stats._inputs import _as_float_array, _check_c
from statnn.stats.autocorr import _tau_int

__all__ = [
    "ESS_MIN",
    "RHAT_MAX",
    "ConvergenceWarning",
    "check_thresholds",
    "diagnose",
    "ess",
    "mcse",
    "rhat",
    "rhat_and_bulk_ess",
    "unconverged",
]

#: Default largest acceptable R̂ (Vehtari et al. 2021).
RHAT_MAX = 1.01
#: Default smallest acceptable bulk ESS (summed over chains).
ESS_MIN = 100.0
#: Tail ESS is the smaller ESS of these two quantiles.
_TAIL_PROB = 0.05
#: Fewer draws per chain than this: R̂ and ESS are nan (too few to tell).
_MIN_DRAWS = 4


class ConvergenceWarning(RuntimeWarning):
    """The chains of a run disagree (R̂ too large) or are too short (ESS too small)."""


def _chains(x: Any, caller: str) -> np.ndarray:
    """(..., chains, draws) float array; a 1-D array is one chain; one chain → two halves."""
    y = _as_float_array(x, "x", caller)
    if y.ndim == 1:
        y = y[None, :]
    if y.shape[-2] == 1:
        half = y.shape[-1] // 2
        y = np.stack([y[..., 0, :half], y[..., 0, half : 2 * half]], axis=-2)
    return y


def _constant(y: np.ndarray) -> np.ndarray:
    if y.shape[-1] == 0:
        return np.zeros(y.shape[:-2], dtype=bool)
    return y.max(axis=(-2, -1)) == y.min(axis=(-2, -1))


def _out(a: np.ndarray) -> Any:
    return a[()] if a.ndim == 0 else a


def _compiled():
    """:mod:`statnn.stats._ranknorm_compiled`, imported (with numba) at first use."""
    from statnn.stats import _ranknorm_compiled

    return _ranknorm_compiled


def _vectorised(func, y: np.ndarray) -> np.ndarray:
    """``func`` of :mod:`statnn.stats._ranknorm_compiled` on (..., chains, draws); nan
    below 4 draws."""
    lead = y.shape[:-2]
    if y.shape[-1] < _MIN_DRAWS:
        return np.full(lead, np.nan)
    return func(y.reshape((-1,) + y.shape[-2:])).reshape(lead)


def rhat_and_bulk_ess(x: Any) -> tuple[Any, Any]:
    """R̂ and bulk ESS of (..., chains, draws) series in one pass, the ranks shared.

    Returns
    -------
    rhat, ess_bulk
        Equal to ``rhat(x)`` and ``ess(x, "bulk")``.
    """
    y = _chains(x, "rhat_and_bulk_ess")
    lead = y.shape[:-2]
    if y.shape[-1] < _MIN_DRAWS:
        r = e = np.full(lead, np.nan)
    else:
        r, e = _compiled().rhat_and_bulk_ess(y.reshape((-1,) + y.shape[-2:]))
        r, e = r.reshape(lead), e.reshape(lead)
    constant = _constant(y)
    n = float(y.shape[-2] * y.shape[-1])
    return _out(np.where(constant, 1.0, r)), _out(np.where(constant, n, e))


def rhat(x: Any) -> np.ndarray:
    """Rank-normalised split-R̂ of (..., chains, draws) series (ArviZ ``method="rank"``).

    Returns
    -------
    ndarray
        Shape (...); 1 for a constant series, nan with fewer than 4 draws per chain.
    """
    y = _chains(x, "rhat")
    return _out(np.where(_constant(y), 1.0, _vectorised(_compiled().rank_rhat, y)))


def ess(x: Any, method: str = "bulk") -> np.ndarray:
    """Effective sample size (summed over chains) of (..., chains, draws) series.

    Parameters
    ----------
    x : array_like
        Series (..., chains, draws).
    method : {"bulk", "tail", "mean"}
        ``bulk``: of the rank-normalised draws; ``tail``: min of the ESS of the 5 % and
        95 % quantiles; ``mean``: of the raw draws (the ESS behind :func:`mcse`).

    Returns
    -------
    ndarray
        Shape (...); nan with fewer than 4 draws per chain.
    """
    method = check_choice(method, "method", "ess", ("bulk", "tail", "mean"))
    y = _chains(x, "ess")
    n = float(y.shape[-2] * y.shape[-1])
    compiled = _compiled()
    if method == "bulk":
        func = compiled.bulk_ess
    elif method == "tail":
        func = partial(compiled.tail_ess, prob=_TAIL_PROB)
    else:
        func = compiled.mean_ess
    return _out(np.where(_constant(y), n, _vectorised(func, y)))


def mcse(x: Any) -> np.ndarray:
    """Monte Carlo standard error of the mean, σ / √ESS_mean (ArviZ ``method="mean"``).

    Returns
    -------
    ndarray
        Shape (...); 0 for a constant series.
    """
    y = _chains(x, "mcse")
    return _out(np.where(_constant(y), 0.0, _vectorised(_compiled().mcse_mean, y)))


def diagnose(x: Any, *, c: float = 5.0) -> dict[str, np.ndarray]:
    """All diagnostics of (..., chains, draws) series in one call.

    Returns
    -------
    dict
        ``rhat``, ``ess_bulk``, ``ess_tail``, ``mcse`` (this module) and ``tau``
        (τ_int in draws, chains pooled, Sokal's window factor ``c``:
        :func:`statnn.stats.integrated_autocorrelation_time`), each of shape (...).
    """
    c = _check_c(c, "diagnose")
    y = _as_float_array(x, "x", "diagnose")
    if y.ndim == 1:
        y = y[None, :]
    return {
        "rhat": rhat(y),
        "ess_bulk": ess(y, "bulk"),
        "ess_tail": ess(y, "tail"),
        "mcse": mcse(y),
        "tau": _out(np.asarray(_tau_int(y, c), dtype=np.float64)),
    }


def check_thresholds(rhat_max: Any, ess_min: Any, caller: str) -> tuple[float, float]:
    """``rhat_max`` ≥ 1 and ``ess_min`` ≥ 0 as finite floats."""
    return (
        check_real(rhat_max, "rhat_max", caller, minimum=1.0),
        check_real(ess_min, "ess_min", caller, minimum=0.0),
    )


def unconverged(
    rhat: Any, ess_bulk: Any, *, rhat_max: float = RHAT_MAX, ess_min: float = ESS_MIN
) -> np.ndarray:
    """Where R̂ > ``rhat_max`` or bulk ESS < ``ess_min``; nan (too few draws) fails too."""
    r = np.asarray(rhat, dtype=np.float64)
    e = np.asarray(ess_bulk, dtype=np.float64)
    return ~(r <= rhat_max) | ~(e >= ess_min)
