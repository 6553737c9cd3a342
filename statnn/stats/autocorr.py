"""Autocorrelation times and error bars of means of correlated series.

Series have the layout **(..., chains, records)** used across statnn.

* :func:`mean_error` -- the standard error of a mean corrected by the integrated
  autocorrelation time (:func:`integrated_autocorrelation_time`, Sokal's automatic
  windowing);
* :func:`blocking_error` -- the binning analysis of Flyvbjerg & Petersen, as an
  independent check of the first.

References
----------
A. D. Sokal, "Monte Carlo methods in statistical mechanics: foundations and new
algorithms", in *Functional Integration*, Cargèse lectures 1996 (Plenum, 1997), §3.
H. Flyvbjerg and H. G. Petersen, "Error estimates on averages of correlated data",
J. Chem. Phys. 91, 461 (1989).
R. M. Lee, G. J. Conduit, N. Nemec, P. López Ríos and N. D. Drummond, "Strategies for
improving the efficiency of quantum Monte Carlo calculations", Phys. Rev. E 83, 066706
(2011) -- the automatic choice of the blocking level.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from statnn._validation import check_bool, param_error
from statnn.stats._inputs import (
    _as_chains,
    _as_float_array,
    _check_c,
    _is_constant,
    _normalize_axis,
    _out,
    _power_of_two_scale,
)

__all__ = ["autocorrelation", "blocking_error", "integrated_autocorrelation_time", "mean_error"]


# ---------------------------------------------------------------------------------------
# Autocorrelation


def _pooled_autocorrelation(y: np.ndarray) -> np.ndarray:
    """ρ(t) of series ``y`` (..., chains, n), chains pooled; returns (..., n).

    Every chain is centred on the grand mean over chains and records, its autocovariance
    C_k(t) = (1/n) Σ_{i<n-t} δ_{k,i} δ_{k,i+t} is computed by FFT (zero padded, so not
    circular), the C_k are averaged over chains and divided by the lag-0 value.
    """
    n = y.shape[-1]
    d = y - y.mean(axis=(-2, -1), keepdims=True)
    nfft = 1 << (2 * n - 1).bit_length()  # >= 2n - 1: no wrap-around
    f = np.fft.rfft(d, n=nfft, axis=-1)
    acov = np.fft.irfft(f.real**2 + f.imag**2, n=nfft, axis=-1)[..., :n] / n
    acov = acov.mean(axis=-2)
    const = _is_constant(y)[..., None]
    c0 = acov[..., :1]
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(const | (c0 <= 0), 0.0, acov / np.where(c0 > 0, c0, 1.0))
    rho[..., 0] = 1.0
    return rho


def autocorrelation(x: Any, axis: int = -1, *, chain_axis: int | None = None) -> np.ndarray:
    r"""Normalised autocorrelation function ρ(t) of a time series, computed by FFT.

    .. math::

        C(t) = \frac{1}{n} \sum_{i=0}^{n-1-t} (x_i - \bar x)(x_{i+t} - \bar x), \qquad
        \rho(t) = C(t) / C(0), \quad t = 0, \dots, n-1,

    the standard (biased, positive-definite) estimator of Sokal (1997), eq. (3.14). The
    FFT is zero padded to at least 2n - 1 points, so the sum is not circular.

    Parameters
    ----------
    x : array_like
        Time series; time runs along ``axis``; all other axes are independent series.
    axis : int, default -1
        The time axis.
    chain_axis : int or None, default None
        If given, the series along this axis are chains of one process: each is centred
        on the grand mean x̄ over chains and times, their C(t) are averaged over chains and
        then normalised, and this axis is removed from the result.

    Returns
    -------
    ndarray
        ρ(t) with the shape of ``x`` (without ``chain_axis``), the lag t along ``axis``;
        ρ(0) = 1. A constant series has ρ(t) = 0 for t > 0.
    """
    caller = "autocorrelation"
    x = _as_float_array(x, "x", caller)
    ax = _normalize_axis(axis, x.ndim, "axis", caller)
    if chain_axis is None:
        rho = _pooled_autocorrelation(np.moveaxis(x, ax, -1)[..., None, :])
        return np.moveaxis(rho, -1, ax)
    cax = _normalize_axis(chain_axis, x.ndim, "chain_axis", caller)
    if cax == ax:
        raise param_error("chain_axis", caller, "an axis other than 'axis'", chain_axis)
    rho = _pooled_autocorrelation(np.moveaxis(x, [cax, ax], [-2, -1]))
    return np.moveaxis(rho, -1, ax - (cax < ax))


def _tau_from_rho(rho: np.ndarray, c: float) -> np.ndarray:
    """Sokal's self-consistent window applied to ρ (..., n) → τ_int (...)."""
    n = rho.shape[-1]
    lead = rho.shape[:-1]
    if n < 2:
        return np.full(lead, np.nan)
    taus = 0.5 + np.cumsum(rho[..., 1:], axis=-1)  # τ_int(W) for W = 1 .. n-1
    window = np.arange(1, n, dtype=np.float64)
    ok = window >= c * taus
    first = ok.argmax(axis=-1)
    tau = np.take_along_axis(taus, first[..., None], axis=-1)[..., 0]
    return np.where(ok.any(axis=-1), np.maximum(tau, 0.5), np.nan)


def _tau_int(y: np.ndarray, c: float) -> np.ndarray:
    """τ_int of (..., chains, n), chains pooled; constant series → 0.5."""
    tau = _tau_from_rho(_pooled_autocorrelation(y), c)
    return np.where(_is_constant(y), 0.5, tau)


def integrated_autocorrelation_time(
    x: Any, axis: int = -1, c: float = 5.0, *, chain_axis: int | None = -2
) -> np.ndarray:
    r"""Integrated autocorrelation time with Sokal's automatic windowing.

    .. math::

        \tau_\mathrm{int}(W) = \frac12 + \sum_{t=1}^{W} \rho(t),

    evaluated at the smallest window W with W ≥ c τ_int(W) (Sokal 1997, §3, eqs.
    (3.13)-(3.19); c ≈ 4-10, c = 5 by default). With this convention the variance of the
    mean of n correlated samples is σ² 2τ_int / n, and uncorrelated data have τ_int = 1/2.
    ρ is that of :func:`autocorrelation`.

    Parameters
    ----------
    x : array_like
        Series of layout (..., chains, records) by default; a 1-D array is one chain.
    axis : int, default -1
        The time axis.
    c : float, default 5.0
        Window factor; larger is less biased and noisier.
    chain_axis : int or None, default -2
        Axis of independent chains of the same process (ignored for 1-D input). The
        autocorrelation is **averaged over chains before windowing**: each chain is
        centred on the grand mean over chains and records and the chain-averaged
        autocovariance is normalised by its lag-0 value (the total variance). When the
        chains agree this is the chain average of ρ and reduces its noise; when they
        disagree (chains stuck in different states), the between-chain variance keeps
        ρ(t) high and τ_int large, so that the error bar of :func:`mean_error` stays
        honest. ``None`` gives one τ_int per series.

    Returns
    -------
    ndarray
        τ_int ≥ 0.5, with the shape of ``x`` without the time axis (and without
        ``chain_axis``). A constant series gives exactly 0.5 (no fluctuations: its mean is
        exact whatever τ is). Anti-correlated series are clipped to 0.5. When no window
        satisfies W ≥ c τ_int(W) -- fewer than two records, or chains that disagree so
        strongly that ρ never decays -- ``nan`` is returned: run longer.

    Notes
    -----
    The estimate is trustworthy only for series much longer than τ_int (Sokal recommends
    n ≳ 1000 τ; emcee's rule of thumb is n ≥ 50 τ). Shorter series -- still long enough
    for some window to qualify -- give τ_int biased low, and so error bars too small;
    compare with :func:`blocking_error` when in doubt.
    """
    caller = "integrated_autocorrelation_time"
    x = _as_float_array(x, "x", caller)
    c = _check_c(c, caller)
    ax = _normalize_axis(axis, x.ndim, "axis", caller)
    if chain_axis is None or x.ndim == 1:
        y = np.moveaxis(x, ax, -1)[..., None, :]
    else:
        cax = _normalize_axis(chain_axis, x.ndim, "chain_axis", caller)
        if cax == ax:
            raise param_error("chain_axis", caller, "an axis other than 'axis'", chain_axis)
        y = np.moveaxis(x, [cax, ax], [-2, -1])
    return _out(_tau_int(y, c))


# ---------------------------------------------------------------------------------------
# Means and their standard errors


def _mean_error_tau(y: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    chains, n = y.shape[-2:]
    total = chains * n
    mean = y.mean(axis=(-2, -1))
    scale = _power_of_two_scale(y)
    y = y / scale if scale != 1.0 else y
    tau = _tau_int(y, c)
    if total < 2:
        return mean, np.full(mean.shape, np.nan), tau
    var = y.var(axis=(-2, -1), ddof=1)
    err = np.sqrt(var * 2.0 * tau / total) * scale
    err = np.where(_is_constant(y), 0.0, err)
    return mean, err, tau


def mean_error(x: Any, c: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    r"""Mean over chains and records and its autocorrelation-corrected standard error.

    .. math::

        \bar x = \frac{1}{KN} \sum_{k,i} x_{k,i}, \qquad
        \varepsilon^2 = \frac{\sigma^2 \, 2\tau_\mathrm{int}}{K N},

    with K chains of N records, σ² the sample variance (ddof = 1) of all K N values and
    τ_int from :func:`integrated_autocorrelation_time` (chains pooled). Source: Sokal
    (1997), eq. (3.12). Cross-check with :func:`blocking_error`.

    Parameters
    ----------
    x : array_like
        Series (..., chains, records); a 1-D array is one chain.
    c : float, default 5.0
        Sokal's window factor.

    Returns
    -------
    mean, err : ndarray
        Shape (...). ``err`` is nan when τ_int cannot be estimated (too few records), and
        0 for a constant series.
    """
    caller = "mean_error"
    y = _as_chains(x, "x", caller)
    c = _check_c(c, caller)
    mean, err, _ = _mean_error_tau(y, c)
    return _out(mean), _out(err)


def _blocking_levels(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Naive standard errors at every blocking level: (block sizes (L,), errors (L, ...))."""
    chains = y.shape[-2]
    sizes, errs = [], []
    cur, size = y, 1
    while chains * cur.shape[-1] >= 2:
        m = cur.shape[-1]
        errs.append(np.sqrt(cur.var(axis=(-2, -1), ddof=1) / (chains * m)))
        sizes.append(size)
        half = m // 2
        if half == 0:
            break
        cur = 0.5 * (cur[..., 0 : 2 * half : 2] + cur[..., 1 : 2 * half : 2])
        size *= 2
    lead = y.shape[:-2]
    if not errs:
        return np.zeros(0, dtype=np.int64), np.zeros((0, *lead))
    return np.asarray(sizes, dtype=np.int64), np.stack(errs)


def blocking_error(x: Any, *, full_output: bool = False) -> Any:
    r"""Standard error of the mean by blocking (binning) analysis.

    Flyvbjerg & Petersen (1989): pairs of neighbouring records of every chain are
    averaged repeatedly (block size B = 1, 2, 4, ...); at each level the naive error of
    the mean of the K n_B block means pooled over chains,

    .. math::

        \varepsilon_B^2 = \frac{1}{K n_B (K n_B - 1)} \sum_{k,j} (\bar x_{k,j}^{(B)} - \bar x^{(B)})^2,

    rises with B and reaches a plateau, the true error, once blocks are much longer than
    the autocorrelation time. The level is chosen automatically as the smallest B with

    .. math::  B^3 > 2 K N \left( \varepsilon_B / \varepsilon_1 \right)^4,

    the criterion of Lee et al. (2011) balancing the bias of short blocks against the
    noise of few blocks.

    Parameters
    ----------
    x : array_like
        Series (..., chains, records); a 1-D array is one chain.
    full_output : bool, default False
        Also return the block sizes (L,), the errors at every level (L, ...) and the index
        of the chosen level (...; -1 where none qualified).

    Returns
    -------
    err : ndarray
        Shape (...); nan where no level satisfies the criterion (too little data) or for a
        single value, 0 for a constant series.
    """
    caller = "blocking_error"
    full_output = check_bool(full_output, "full_output", caller)
    y = _as_chains(x, "x", caller)
    chains, n = y.shape[-2:]
    lead = y.shape[:-2]
    sizes, errs = _blocking_levels(y)
    const = _is_constant(y)
    if sizes.size == 0:  # a single value: nothing to estimate from
        err = np.full(lead, np.nan)
        chosen = np.full(lead, -1)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio4 = (errs / errs[:1]) ** 4
        shape = (-1,) + (1,) * len(lead)
        ok = sizes.reshape(shape).astype(np.float64) ** 3 > 2.0 * chains * n * ratio4
        found = ok.any(axis=0)
        chosen = np.where(found, ok.argmax(axis=0), -1)
        picked = np.take_along_axis(errs, np.maximum(chosen, 0)[None, ...], axis=0)[0]
        err = np.where(const, 0.0, np.where(found, picked, np.nan))
    if full_output:
        return _out(err), sizes, errs, chosen
    return _out(err)
