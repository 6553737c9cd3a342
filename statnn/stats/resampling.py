"""Block jackknife for non-linear functions of means of correlated series.

Reference: B. Efron, *The Jackknife, the Bootstrap and Other Resampling Plans* (SIAM, 1982).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from statnn._validation import param_error
from statnn.stats._inputs import _as_chains, _check_n_blocks, _out

__all__ = ["jackknife"]


# ---------------------------------------------------------------------------------------
# Jackknife


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
