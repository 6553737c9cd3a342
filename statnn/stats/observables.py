"""Monte Carlo statistics: autocorrelation times, error bars and derived observables.

The simulation records, per temperature and chain, time series every ``record_every``
sweeps after burn-in. Every function here takes such series with the layout used across
statnn, **(..., chains, records)**: any leading axes (usually the temperature), then the
independent chains, then the records in time order. A 1-D array is one chain. Results
have the leading shape ``(...)``.

Three kinds of error bar are provided:

* :func:`mean_error` -- the standard error of a mean corrected by the integrated
  autocorrelation time (:func:`integrated_autocorrelation_time`, Sokal's automatic
  windowing);
* :func:`blocking_error` -- the binning analysis of Flyvbjerg & Petersen, as an
  independent check of the first;
* :func:`jackknife` -- block jackknife for non-linear functions of means, used by
  :func:`specific_heat`, :func:`susceptibility` and :func:`binder_cumulant`.

:func:`summarize` applies them all per temperature and returns a :class:`Summary`.

Nothing here warns: too little data gives ``nan`` error bars, not numpy warnings.

References
----------
A. D. Sokal, "Monte Carlo methods in statistical mechanics: foundations and new
algorithms", in *Functional Integration*, Cargèse lectures 1996 (Plenum, 1997), §3.
H. Flyvbjerg and H. G. Petersen, "Error estimates on averages of correlated data",
J. Chem. Phys. 91, 461 (1989).
R. M. Lee, G. J. Conduit, N. Nemec, P. López Ríos and N. D. Drummond, "Strategies for
improving the efficiency of quantum Monte Carlo calculations", Phys. Rev. E 83, 066706
(2011) -- the automatic choice of the blocking level.
K. Binder, "Finite size scaling analysis of Ising model block distribution functions",
Z. Phys. B 43, 119 (1981).
B. Efron, *The Jackknife, the Bootstrap and Other Resampling Plans* (SIAM, 1982).
D. P. Landau and K. Binder, *A Guide to Monte Carlo Simulations in Statistical
Physics* (Cambridge, 4th ed. 2015), §4.2 -- finite-size susceptibility with ⟨|m|⟩.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from statnn._validation import check_int, check_real, param_error
from statnn.core.neurons import inverse_temperature

__all__ = [
    "Summary",
    "autocorrelation",
    "binder_cumulant",
    "blocking_error",
    "integrated_autocorrelation_time",
    "jackknife",
    "mean_error",
    "specific_heat",
    "summarize",
    "susceptibility",
]


# ---------------------------------------------------------------------------------------
# Input handling


def _as_float_array(x: Any, name: str, caller: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise param_error(name, caller, "a numeric array", x) from None
    if arr.ndim == 0 or arr.size == 0:
        raise param_error(name, caller, "a non-empty array with at least one axis", arr)
    if not np.all(np.isfinite(arr)):
        raise param_error(name, caller, "an array of finite values (no NaN or inf)", arr)
    return arr


def _as_chains(x: Any, name: str, caller: str) -> np.ndarray:
    """Series as a float array (..., chains, records); a 1-D array is one chain."""
    arr = _as_float_array(x, name, caller)
    return arr[None, :] if arr.ndim == 1 else arr


def _normalize_axis(axis: Any, ndim: int, name: str, caller: str) -> int:
    ok = isinstance(axis, (int, np.integer)) and not isinstance(axis, bool)
    if not ok or not -ndim <= axis < ndim:
        raise param_error(name, caller, f"an int axis in [-{ndim}, {ndim - 1}]", axis)
    return int(axis) % ndim


def _check_c(c: Any, caller: str) -> float:
    return check_real(c, "c", caller, minimum=0.0, strict_minimum=True)


def _check_n_blocks(n_blocks: Any, caller: str) -> int | None:
    if n_blocks is None:
        return None
    return check_int(n_blocks, "n_blocks", caller, minimum=1)


def _beta(T: Any, lead: tuple[int, ...], caller: str) -> np.ndarray:
    """β = 1/T (:func:`~statnn.core.neurons.inverse_temperature`) broadcast to the leading
    shape. The fluctuation formulas C = β²N Var(e) and χ = βN Var(|m|) are undefined at
    T = 0 (β = ∞ times a zero variance), so there β is replaced by nan (silently)."""
    expected = "a float or array of floats >= 0"
    try:
        t = np.asarray(T, dtype=np.float64)
    except (TypeError, ValueError):
        raise param_error("T", caller, expected, T) from None
    if t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise param_error("T", caller, expected, T)
    try:
        t = np.broadcast_to(t, lead)
    except ValueError:
        raise param_error(
            "T",
            caller,
            f"a float or an array broadcastable to the leading shape {lead}",
            f"<shape {t.shape}>",
        ) from None
    beta = np.array(inverse_temperature(t), dtype=np.float64)
    beta[np.isinf(beta)] = np.nan
    return beta


def _out(a: Any) -> Any:
    """A 0-d result as a numpy scalar, anything else as an array."""
    a = np.asarray(a, dtype=np.float64)
    return a[()] if a.ndim == 0 else a


def _is_constant(y: np.ndarray) -> np.ndarray:
    """Whether each (chains, records) block of ``y`` holds one single value."""
    return y.max(axis=(-2, -1)) == y.min(axis=(-2, -1))


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
    tau = _tau_int(y, c)
    if total < 2:
        return mean, np.full(mean.shape, np.nan), tau
    var = y.var(axis=(-2, -1), ddof=1)
    err = np.sqrt(var * 2.0 * tau / total)
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


# ---------------------------------------------------------------------------------------
# Jackknife and derived observables


def _default_blocks(chains: int, records: int) -> int:
    """About 20 jackknife blocks in all (at least one per chain, at most one per record)."""
    return max(1, min(records, math.ceil(20 / chains)))


def jackknife(
    estimator: Callable[..., Any], *series: Any, n_blocks: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Block-jackknife estimate and error of a function of means.

    Each chain's records are cut into ``n_blocks`` contiguous blocks (sizes differing by
    at most one), giving M = K b blocks pooled over the K chains. With θ̂ = f(x̄, ȳ, ...)
    the estimator on the means of all data and θ_i the estimator on the means with block
    i left out,

    .. math::

        \varepsilon^2 = \frac{M-1}{M} \sum_{i=1}^{M} (\theta_i - \bar\theta)^2,
        \qquad \bar\theta = \frac1M \sum_i \theta_i

    (Efron 1982, ch. 3). Blocks much longer than the autocorrelation time make the
    error correct for correlated data; with blocks of one record and f the identity it
    equals the plain standard error s/√(KN) exactly.

    Parameters
    ----------
    estimator : callable
        ``estimator(*means)`` with one mean per series. It is called once with means of
        the leading shape (...) and once with all leave-one-out means stacked on a new
        **first** axis, shape (M, ...), so it must be a vectorised numpy expression
        (parameters of shape (...) broadcast naturally). Floating-point warnings inside
        it are silenced (0/0 gives nan).
    *series : array_like
        Series of identical shape (..., chains, records); 1-D arrays are one chain.
    n_blocks : int, optional
        Blocks per chain (capped at the number of records). Default: about 20 blocks in
        all, ``max(1, min(records, ceil(20 / chains)))`` -- with many chains, the
        jackknife is over whole chains.

    Returns
    -------
    estimate, err : ndarray
        θ̂ (not bias-corrected) and its jackknife standard error, shape (...). ``err`` is
        nan when there are fewer than two blocks in all.
    """
    caller = "jackknife"
    if not callable(estimator):
        raise param_error("estimator", caller, "a callable", estimator)
    if not series:
        raise param_error("series", caller, "at least one array", "<nothing>")
    arrays = [_as_chains(s, f"series[{i}]", caller) for i, s in enumerate(series)]
    shape = arrays[0].shape
    for i, a in enumerate(arrays[1:], start=1):
        if a.shape != shape:
            raise param_error(
                f"series[{i}]",
                caller,
                f"an array of the same shape as series[0] {shape}",
                f"<shape {a.shape}>",
            )
    n_blocks = _check_n_blocks(n_blocks, caller)
    chains, n = shape[-2:]
    lead = shape[:-2]
    b = _default_blocks(chains, n) if n_blocks is None else min(n_blocks, n)
    total = chains * n
    with np.errstate(all="ignore"):
        estimate = np.asarray(estimator(*(a.mean(axis=(-2, -1)) for a in arrays)), float)
    n_jack = chains * b
    if n_jack < 2:
        return _out(estimate), _out(np.full(estimate.shape, np.nan))
    edges = (np.arange(b) * n) // b
    counts = np.diff(np.append(edges, n))
    left_out = np.tile(counts, chains).astype(np.float64)  # block order: chain-major
    loo = []
    for a in arrays:
        sums = np.add.reduceat(a, edges, axis=-1).reshape(*lead, n_jack)
        rest = (a.sum(axis=(-2, -1))[..., None] - sums) / (total - left_out)
        loo.append(np.moveaxis(rest, -1, 0))
    with np.errstate(all="ignore"):
        theta = np.asarray(estimator(*loo), float)
        dev = theta - theta.mean(axis=0)
        err = np.sqrt((n_jack - 1) / n_jack * np.sum(dev * dev, axis=0))
    return _out(estimate), _out(err)


def specific_heat(
    e: Any, T: Any, n: int, *, n_blocks: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Specific heat per neuron from the fluctuations of the energy per neuron.

    .. math::  C = \beta^2 n \left( \langle e^2 \rangle - \langle e \rangle^2 \right),
        \qquad \beta = 1/T,

    the fluctuation-dissipation form of C = ∂⟨E⟩/∂T / n with e = E/n. Averages run over
    chains and records; the error is the block jackknife of :func:`jackknife`.

    Parameters
    ----------
    e : array_like
        Energy per neuron, (..., chains, records).
    T : float or array_like
        Temperatures ≥ 0, broadcastable to the leading shape (...). T = 0 gives nan
        (silently).
    n : int
        Number of neurons N.
    n_blocks : int, optional
        Jackknife blocks per chain (see :func:`jackknife`).

    Returns
    -------
    C, err : ndarray
        Shape (...).
    """
    y, beta, n, n_blocks = _fluctuation_inputs(e, "e", T, n, n_blocks, "specific_heat")
    return _variance_observable(y, beta**2 * n, n_blocks)


def _fluctuation_inputs(
    x: Any, name: str, T: Any, n: Any, n_blocks: Any, caller: str
) -> tuple[np.ndarray, np.ndarray, int, int | None]:
    """Checked ``(x, beta, n, n_blocks)`` of a fluctuation observable (C or chi)."""
    y = _as_chains(x, name, caller)
    beta = _beta(T, y.shape[:-2], caller)
    n = check_int(n, "n", caller, minimum=1)
    return y, beta, n, _check_n_blocks(n_blocks, caller)


def _variance_observable(
    y: np.ndarray, factor: np.ndarray, n_blocks: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """factor × (⟨y²⟩ − ⟨y⟩²) with jackknife error; y centred first to avoid cancellation."""
    d = y - y.mean(axis=(-2, -1), keepdims=True)
    return jackknife(lambda m1, m2: factor * (m2 - m1 * m1), d, d * d, n_blocks=n_blocks)


def susceptibility(
    m: Any, T: Any, n: int, *, n_blocks: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Magnetic susceptibility per neuron, finite-size convention with |m|.

    .. math::  \chi' = \beta n \left( \langle m^2 \rangle - \langle |m| \rangle^2 \right),
        \qquad \beta = 1/T.

    In a finite system without field ⟨m⟩ = 0 by symmetry at every temperature (the
    magnetization flips between ±m₀ over long times), so the connected form
    β n (⟨m²⟩ − ⟨m⟩²) grows like n below T_c instead of measuring fluctuations. Using
    ⟨|m|⟩ gives the fluctuations within one ordered state below T_c; above T_c it is
    smaller than β n ⟨m²⟩ by a constant factor (1 − 2/π for Gaussian m) and both scale
    alike. Convention of Landau & Binder (2015), §4.2.

    Parameters
    ----------
    m : array_like
        Magnetization per neuron, (..., chains, records).
    T : float or array_like
        Temperatures ≥ 0, broadcastable to the leading shape. T = 0 gives nan.
    n : int
        Number of neurons N.
    n_blocks : int, optional
        Jackknife blocks per chain (see :func:`jackknife`).

    Returns
    -------
    chi, err : ndarray
        Shape (...).
    """
    y, beta, n, n_blocks = _fluctuation_inputs(m, "m", T, n, n_blocks, "susceptibility")
    # ⟨m²⟩ − ⟨|m|⟩² is the variance of |m|.
    return _variance_observable(np.abs(y), beta * n, n_blocks)


def binder_cumulant(m: Any, *, n_blocks: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Binder cumulant of the magnetization.

    .. math::  U = 1 - \frac{\langle m^4 \rangle}{3 \langle m^2 \rangle^2}

    (Binder 1981). U → 0 for Gaussian fluctuations (disordered phase), U = 2/3 for
    m = ±m₀ (ordered phase); curves for different sizes cross near T_c.

    Parameters
    ----------
    m : array_like
        Magnetization per neuron, (..., chains, records).
    n_blocks : int, optional
        Jackknife blocks per chain (see :func:`jackknife`).

    Returns
    -------
    U, err : ndarray
        Shape (...); nan where m is identically 0.
    """
    caller = "binder_cumulant"
    y = _as_chains(m, "m", caller)
    n_blocks = _check_n_blocks(n_blocks, caller)
    m2 = y * y
    return jackknife(lambda a2, a4: 1.0 - a4 / (3.0 * a2 * a2), m2, m2 * m2, n_blocks=n_blocks)


# ---------------------------------------------------------------------------------------
# Summary


#: Marks a finite mean printed without an error bar; the footnote says why.
_NO_ERROR = "*"


def _format_pm(value: float, err: float) -> tuple[str, str]:
    """Value and error as strings, the value rounded to the error's 2 significant digits."""
    if not np.isfinite(value):
        return f"{value}", "nan" if np.isnan(err) else f"{err:.2g}"
    if np.isnan(err):
        return f"{value:.3g}", "nan" + _NO_ERROR
    if err == 0:
        return f"{value:.6g}", "0"
    err_exp = math.floor(math.log10(err))
    if err <= 1e-8 * abs(value):  # negligible error (e.g. round-off)
        return f"{value:.6g}", f"{err:.1e}"
    if not -7 <= err_exp < 3 or abs(value) >= 1e7:  # scientific notation
        digits = math.floor(math.log10(abs(value))) - err_exp + 1 if value else 1
        return f"{value:.{min(max(digits, 0), 6)}e}", f"{err:.1e}"
    decimals = max(1 - err_exp, 0)
    return f"{value:.{decimals}f}", f"{err:.{decimals}f}"


def _format_plain(value: float) -> str:
    return "nan" + _NO_ERROR if np.isnan(value) else f"{value:.3g}"


_COLUMNS = (
    # header, value key, error key (None: plain number)
    ("T", "T", None),
    ("energy", "energy", "energy_err"),
    ("m", "magnetization", "magnetization_err"),
    ("|m|", "abs_magnetization", "abs_magnetization_err"),
    ("C", "specific_heat", "specific_heat_err"),
    ("chi", "susceptibility", "susceptibility_err"),
    ("Binder U", "binder", "binder_err"),
    ("tau_e", "tau_energy", None),
    ("tau_|m|", "tau_abs_magnetization", None),
    ("overlap", "overlap", "overlap_err"),
    ("|q|", "q_abs", "q_abs_err"),
    ("q^2", "q2", "q2_err"),
)


class Summary(Mapping):
    """Per-temperature Monte Carlo statistics: a read-only mapping of (n_T,) arrays.

    Access columns as ``s["energy"]``, ``s["energy_err"]`` or ``s.energy``, ``s.T``;
    :meth:`to_dict` gives a plain dict of copies; ``str(s)`` an aligned table with one
    row per temperature and "value ± err" cells.

    Keys: ``T``; ``energy``, ``magnetization``, ``abs_magnetization`` (means per
    neuron) and ``specific_heat``, ``susceptibility``, ``binder``, each with an ``_err``
    twin; ``tau_energy``, ``tau_abs_magnetization`` (τ_int in records); with overlaps,
    ``overlap`` and ``overlap_err`` (⟨max_μ |m_μ|⟩); with replica pairs, ``q_abs``,
    ``q2`` and their ``_err`` twins (⟨|q|⟩ and ⟨q²⟩ of the replica overlap). Every key
    with a value and an error is a column of the printed table.

    Attributes
    ----------
    n, chains, records : int
        Number of neurons, chains per temperature and records per chain.
    """

    def __init__(self, columns: Mapping[str, Any], *, n: int, chains: int, records: int):
        self._columns = {k: np.asarray(v) for k, v in columns.items()}
        self.n = n
        self.chains = chains
        self.records = records

    def __getitem__(self, key: str) -> np.ndarray:
        return self._columns[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def __getattr__(self, name: str) -> np.ndarray:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._columns[name]
        except KeyError:
            raise AttributeError(f"'Summary' object has no attribute or key {name!r}") from None

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._columns))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Summary):
            return NotImplemented
        return self.keys() == other.keys() and all(
            np.array_equal(self[k], other[k], equal_nan=True) for k in self
        )

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, np.ndarray]:
        """The columns as a plain dict of (n_T,) arrays (copies)."""
        return {k: v.copy() for k, v in self._columns.items()}

    def to_xarray(self):
        """The summary as an :class:`xarray.Dataset` on a ``T`` axis, with units.

        Returns
        -------
        xarray.Dataset
            One variable per column (``energy``, ``energy_err``, …), each with ``units``
            and ``long_name``; ``attrs`` hold ``n``, ``chains`` and ``records``.
        """
        from statnn.results import summary_dataset

        return summary_dataset(self)

    def _footnote(self) -> str:
        if self.chains * self.records < 2:
            why = "fewer than 2 records in all"
        else:
            why = (
                "the integrated autocorrelation time is undefined: the chains disagree "
                "and never decorrelate within the run (e.g. m in an ordered phase, chains "
                "frozen with opposite signs), so this mean is no equilibrium estimate; run "
                "longer or read |m|"
            )
        return f"{_NO_ERROR} nan: no error estimate (nor tau), {why}."

    def table(self, max_rows: int | None = None) -> str:
        """The aligned table returned by ``str()``: one row per temperature.

        A finite mean without an error estimate is printed "value ± nan*" with a footnote
        saying why. ``max_rows`` keeps the first and last rows only (used by ``repr``).
        """
        columns = [c for c in _COLUMNS if c[1] in self._columns]
        n_rows = len(self._columns["T"])
        rows_kept = list(range(n_rows))
        if max_rows is not None and n_rows > max_rows:
            half = max(max_rows // 2, 1)
            rows_kept = rows_kept[:half] + rows_kept[-half:]
        cells: list[list[str]] = []
        for header, key, err_key in columns:
            values = self._columns[key][rows_kept]
            if err_key is None:
                texts = [f"{v:g}" if key == "T" else _format_plain(v) for v in values]
                width = max(len(header), *(len(t) for t in texts))
                cells.append([header.rjust(width)] + [t.rjust(width) for t in texts])
                continue
            errors = self._columns[err_key][rows_kept]
            pairs = [_format_pm(v, e) for v, e in zip(values, errors, strict=True)]
            wv = max(len(p[0]) for p in pairs)
            we = max(len(p[1]) for p in pairs)
            texts = [f"{v.rjust(wv)} ± {e.ljust(we)}" for v, e in pairs]
            width = max(len(header), len(texts[0]))
            cells.append([header.center(width)] + [t.ljust(width) for t in texts])
        rows = ["  ".join(col[i] for col in cells).rstrip() for i in range(len(cells[0]))]
        if len(rows_kept) < n_rows:
            half = len(rows_kept) // 2
            gap = f"... ({n_rows - len(rows_kept)} more temperatures)"
            rows = rows[: half + 1] + [gap] + rows[half + 1 :]
        title = (
            f"Summary: n={self.n}, {self.chains} chain(s) x {self.records} record(s) "
            "per temperature"
        )
        rule = "-" * max(len(r) for r in rows)
        lines = [title, rows[0], rule, *rows[1:]]
        if any(_NO_ERROR in r for r in rows[1:]):
            lines += textwrap.wrap(self._footnote(), width=max(len(rule), 60))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return self.table(max_rows=10)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython
        p.text(self.table())


def summarize(
    energy: Any,
    magnetization: Any,
    T: Any,
    n: int,
    overlaps: Any = None,
    *,
    replica_overlap: Any = None,
    c: float = 5.0,
    n_blocks: int | None = None,
) -> Summary:
    r"""Per-temperature means, errors and derived quantities of a Monte Carlo run.

    For every temperature, with averages over chains and records:

    * ``energy``, ``magnetization``, ``abs_magnetization``: ⟨e⟩, ⟨m⟩, ⟨|m|⟩ with
      :func:`mean_error` errors (autocorrelation corrected);
    * ``specific_heat`` (:func:`specific_heat`), ``susceptibility``
      (:func:`susceptibility`, |m| convention), ``binder`` (:func:`binder_cumulant`) with
      block-jackknife errors;
    * ``tau_energy``, ``tau_abs_magnetization``: τ_int in units of records
      (:func:`integrated_autocorrelation_time`, chains pooled);
    * with ``overlaps``: ``overlap`` = ⟨max_μ |m_μ|⟩, the overlap with the best-matching
      pattern at each record, with :func:`mean_error` error;
    * with ``replica_overlap`` q_ab = (1/N) Σ_i S_i^a S_i^b of pairs of replicas:
      ``q_abs`` = ⟨|q|⟩ and ``q2`` = ⟨q²⟩ (N⟨q²⟩ is the spin-glass susceptibility),
      with :func:`mean_error` errors.

    Parameters
    ----------
    energy, magnetization : array_like
        Energy and magnetization per neuron, shape (n_T, chains, records).
    T : float or array_like
        The n_T temperatures (≥ 0; T = 0 gives nan for C and χ).
    n : int
        Number of neurons.
    overlaps : array_like, optional
        Pattern overlaps, shape (n_T, chains, records, P).
    replica_overlap : array_like, optional
        Overlaps of replica pairs, shape (n_T, pairs, records).
    c : float, default 5.0
        Sokal's window factor.
    n_blocks : int, optional
        Jackknife blocks per chain.

    Returns
    -------
    Summary
        (n_T,) arrays; errors are nan where the data are too few to estimate them.
    """
    caller = "summarize"
    e = _as_float_array(energy, "energy", caller)
    if e.ndim != 3:
        raise param_error(
            "energy", caller, "an array of shape (n_T, chains, records)", f"<shape {e.shape}>"
        )
    m = _as_float_array(magnetization, "magnetization", caller)
    if m.shape != e.shape:
        raise param_error(
            "magnetization",
            caller,
            f"an array of the same shape as energy {e.shape}",
            f"<shape {m.shape}>",
        )
    n_t, chains, records = e.shape
    t = np.asarray(T, dtype=np.float64) if np.ndim(T) else np.full(n_t, float(T))
    if t.shape != (n_t,):
        raise param_error(
            "T",
            caller,
            f"a float or an array of {n_t} temperatures (one per row of energy)",
            f"<shape {t.shape}>",
        )
    beta = _beta(t, (n_t,), caller)
    n = check_int(n, "n", caller, minimum=1)
    c = _check_c(c, caller)
    n_blocks = _check_n_blocks(n_blocks, caller)

    out: dict[str, np.ndarray] = {"T": t.copy()}
    out["energy"], out["energy_err"], tau_e = _mean_error_tau(e, c)
    out["magnetization"], out["magnetization_err"], _ = _mean_error_tau(m, c)
    abs_m = np.abs(m)
    out["abs_magnetization"], out["abs_magnetization_err"], tau_m = _mean_error_tau(abs_m, c)
    out["specific_heat"], out["specific_heat_err"] = _variance_observable(e, beta**2 * n, n_blocks)
    out["susceptibility"], out["susceptibility_err"] = _variance_observable(
        abs_m, beta * n, n_blocks
    )
    out["binder"], out["binder_err"] = binder_cumulant(m, n_blocks=n_blocks)
    out["tau_energy"] = tau_e
    out["tau_abs_magnetization"] = tau_m
    if overlaps is not None:
        q = _as_float_array(overlaps, "overlaps", caller)
        if q.ndim != 4 or q.shape[:3] != e.shape or q.shape[3] == 0:
            raise param_error(
                "overlaps",
                caller,
                f"an array of shape (n_T, chains, records, P) = {e.shape + ('P',)}",
                f"<shape {q.shape}>",
            )
        best = np.abs(q).max(axis=-1)
        out["overlap"], out["overlap_err"], _ = _mean_error_tau(best, c)
    if replica_overlap is not None:
        qab = _as_float_array(replica_overlap, "replica_overlap", caller)
        if qab.ndim != 3 or qab.shape[0] != n_t or qab.shape[2] != records or qab.shape[1] == 0:
            raise param_error(
                "replica_overlap",
                caller,
                f"an array of shape (n_T, pairs, records) = ({n_t}, pairs, {records})",
                f"<shape {qab.shape}>",
            )
        out["q_abs"], out["q_abs_err"], _ = _mean_error_tau(np.abs(qab), c)
        out["q2"], out["q2_err"], _ = _mean_error_tau(qab**2, c)
    return Summary(out, n=n, chains=chains, records=records)
