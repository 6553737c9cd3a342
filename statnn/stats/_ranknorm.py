r"""Rank-normalised split-R̂ and bulk ESS, vectorised over the leading axes.

The definitions are those of ArviZ (``arviz_stats`` ``_rhat_rank``, ``_ess_bulk``,
``_ess_tail``, ``_ess_mean`` and ``_mcse_mean``),
step by step, computed for all leading indices at once: one argsort for the ranks, one
FFT for the autocovariances, and Geyer's sequences written as array operations over the
lag pairs instead of a loop over lags. :mod:`statnn.stats.diagnostics` wraps them
(input checks, single chains, constant series); the tests compare them with ArviZ.

Input: finite float arrays (L, chains, draws) with draws ≥ 4 (the caller returns nan
below that, as ArviZ does).
"""

from __future__ import annotations

import numpy as np

#: Blom's fractional offset of the rank back-transform (r − c) / (S − 2c + 1).
_BLOM_C = 3 / 8


def split_chains(y: np.ndarray) -> np.ndarray:
    """(L, K, D) → (L, 2K, D//2): first halves of all chains, then second halves.

    With an odd number of draws the middle draw of each chain is dropped.
    """
    half = y.shape[-1] // 2
    return np.concatenate([y[..., :half], y[..., y.shape[-1] - half :]], axis=-2)


def z_scale(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Normal scores of the pooled draws of (L, K, n): z = Φ⁻¹((r − 3/8) / (S + 1/4)).

    r is the rank of a draw among the S = K n draws of its row, ties given their average
    rank (Blom 1958): a run of equal values at the 0-based sorted positions i … j has
    rank (i + j + 2)/2, so Φ⁻¹ is evaluated once per distinct value (once per position
    of a row when there are no ties, the same table for every row).

    Returns
    -------
    z, sorted
        The scores (L, K, n) and each row's draws sorted, (L, S).
    """
    from scipy.special import ndtri

    n_rows = a.shape[0]
    size = a.shape[-2] * a.shape[-1]
    total = n_rows * size
    flat = a.reshape(n_rows, size)
    order = np.argsort(flat, axis=-1)
    order += (np.arange(n_rows) * size)[:, None]  # positions in the raveled array
    order = order.ravel()
    s = a.ravel()[order].reshape(n_rows, size)
    starts = np.ones((n_rows, size), dtype=bool)  # first of a run of equal values
    np.not_equal(s[:, 1:], s[:, :-1], out=starts[:, 1:])
    scale = size - 2 * _BLOM_C + 1
    z = np.empty(total)
    if starts.all():  # no ties: rank i + 1 at sorted position i, in every row
        table = ndtri((np.arange(1, size + 1) - _BLOM_C) / scale)
        z[order] = np.tile(table, n_rows)
        return z.reshape(a.shape), s
    first = np.flatnonzero(starts)  # raveled sorted positions; runs never cross rows
    last = np.empty_like(first)
    last[:-1] = first[1:] - 1
    last[-1] = total - 1
    offset = 2 * (first // size) * size  # back to positions within the row
    rank = (first + last - offset + 2) / 2.0
    z[order] = np.repeat(ndtri((rank - _BLOM_C) / scale), last - first + 1)
    return z.reshape(a.shape), s


def classic_rhat(z: np.ndarray) -> np.ndarray:
    r"""√((B/W + n − 1) / n) of (L, K, n) draws: B = n var(chain means), W = mean chain var.

    W = 0 gives inf (B > 0) or nan (B = 0), as in ArviZ.
    """
    n = z.shape[-1]
    between = n * z.mean(axis=-1).var(axis=-1, ddof=1)
    within = z.var(axis=-1, ddof=1).mean(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt((between / within + n - 1) / n)


def rank_rhat(y: np.ndarray) -> np.ndarray:
    r"""Rank-normalised split-R̂ of (L, K, D) series: max of bulk and folded R̂.

    The chains are split in halves; the bulk R̂ is :func:`classic_rhat` of the normal
    scores of the split draws, the folded one that of the normal scores of
    |x − median(x)|. The larger is returned (the bulk one where the folded one is nan,
    as Python's ``max(bulk, folded)`` does).
    """
    return rhat_and_bulk_ess(y, ess=False)[0]


def rhat_and_bulk_ess(y: np.ndarray, ess: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`rank_rhat` and :func:`bulk_ess` of (L, K, D) series, the ranks shared."""
    sp = split_chains(y)
    z, s = z_scale(sp)
    size = s.shape[-1]  # the median as np.median takes it: mean of the middle two
    median = (s[:, (size - 1) // 2] + s[:, size // 2]) / 2.0
    z_fold, _ = z_scale(np.abs(sp - median[:, None, None]))
    bulk, tail = classic_rhat(z), classic_rhat(z_fold)
    return np.where(tail > bulk, tail, bulk), (ess_of(z) if ess else None)


def _autocov(z: np.ndarray) -> np.ndarray:
    """Autocovariance (1/n) Σ_t (x_t − x̄)(x_{t+k} − x̄), lags 0..n−1, by FFT (last axis)."""
    from scipy.fft import next_fast_len

    n = z.shape[-1]
    m = next_fast_len(2 * n, real=True)
    f = np.fft.rfft(z - z.mean(axis=-1, keepdims=True), n=m, axis=-1)
    f *= np.conjugate(f)
    cov = np.fft.irfft(f, n=m, axis=-1)[..., :n]
    cov /= n
    return cov


def ess_of(z: np.ndarray) -> np.ndarray:
    """ESS of (L, K, n) chains (ArviZ ``_ess``): :func:`ess_from_autocov` of their
    FFT autocovariances; a series whose values span less than the float resolution has
    ESS = K n."""
    out = ess_from_autocov(_autocov(z), z.mean(axis=-1))
    constant = (z.max(axis=(-2, -1)) - z.min(axis=(-2, -1))) < np.finfo(float).resolution
    out[constant] = z.shape[-2] * z.shape[-1]
    return out


def ess_from_autocov(acov: np.ndarray, chain_mean: np.ndarray) -> np.ndarray:
    r"""ESS = S / τ̂ (S = K n) from the autocovariances (L, K, n) and means (L, K) of K chains.

    ρ̂(t) = 1 − (W − mean_k γ_k(t)) / var⁺ with γ_k the autocovariance of chain k,
    W = mean_k γ_k(0) n/(n−1), var⁺ = W (n−1)/n + var(chain means), ρ̂(0) = 1. With the
    pair sums P_j = ρ̂(2j) + ρ̂(2j+1), Geyer's sequences as ArviZ writes them:

    * initial positive sequence: pairs j = 1..J are read, J the first j with P_j ≤ 0
      (P_0 ≤ 0: J = 0), at most ⌊(n−3)/2⌋; pair J is kept only if P_J ≥ 0;
    * improve estimation: ρ̂(2J) is kept anyway if it is > 0;
    * initial monotone sequence: P_j → min(P_0..P_j) for 1 ≤ j < J;
    * τ̂ = −1 + 2 Σ_{j<J} P_j + ρ̂(2J), floored at 1 / log₁₀ S.

    nan where a ρ̂ is nan.
    """
    n_rows, k, n = acov.shape
    size = k * n
    mean_acov = acov.mean(axis=-2)  # (L, n)
    mean_var = mean_acov[:, 0] * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if k > 1:
        var_plus = var_plus + chain_mean.var(axis=-1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = 1.0 - (mean_var[:, None] - mean_acov) / var_plus[:, None]
    rho[:, 0] = 1.0

    j_max = max((n - 3) // 2, 0)  # the last pair the positive sequence may read
    n_pairs = j_max + 1
    pairs = rho[:, 0 : 2 * n_pairs : 2] + rho[:, 1 : 2 * n_pairs : 2]  # (L, n_pairs)
    stop = ~(pairs > 0.0)
    j_end = np.where(stop.any(axis=-1), stop.argmax(axis=-1), j_max)
    j_end = np.minimum(j_end, j_max)  # J
    rows = np.arange(n_rows)
    rho_last = rho[rows, 2 * j_end]
    kept = (j_end == 0) | (pairs[rows, j_end] >= 0.0) | (rho_last > 0.0)
    last = np.where(kept, rho_last, 0.0)
    monotone = np.minimum.accumulate(pairs, axis=-1)
    below = np.arange(n_pairs)[None, :] < j_end[:, None]
    tau = -1.0 + 2.0 * np.where(below, monotone, 0.0).sum(axis=-1) + last
    floor = 1.0 / np.log10(size)
    tau = np.where(floor > tau, floor, tau)
    out = size / tau
    out[np.isnan(rho).any(axis=-1)] = np.nan
    return out


def mean_ess(y: np.ndarray) -> np.ndarray:
    """ESS of the mean of (L, K, D) series (ArviZ ``_ess_mean``): :func:`ess_of` the split
    chains of the draws themselves."""
    return ess_of(split_chains(y))


def tail_ess(y: np.ndarray, prob: float, mean_ess=mean_ess) -> np.ndarray:
    r"""Tail ESS of (L, K, D) series (ArviZ ``_ess_tail``): the smaller of the ESS of the
    indicator series 1[x ≤ q_p] and 1[x ≤ q_{1−p}] (:func:`mean_ess` of each, or the
    ``mean_ess`` given), q the quantiles of all the draws of a row by linear interpolation
    (NumPy's default, type 7 of Hyndman & Fan)."""
    n_rows = y.shape[0]
    q = np.quantile(y.reshape(n_rows, -1), sorted((prob, 1.0 - prob)), axis=-1)  # (2, L)
    below = (y[None] <= q[:, :, None, None]).astype(np.float64)  # (2, L, K, D)
    e = mean_ess(below.reshape((2 * n_rows,) + y.shape[1:])).reshape(2, n_rows)
    return np.where(e[1] < e[0], e[1], e[0])  # min(low, high) as ArviZ takes it


def mcse_mean(y: np.ndarray, mean_ess=mean_ess) -> np.ndarray:
    """Monte Carlo standard error of the mean of (L, K, D) series (ArviZ ``_mcse_mean``):
    the standard deviation (ddof 1) of all the draws of a row over √(:func:`mean_ess`, or
    the ``mean_ess`` given)."""
    sd = y.reshape(y.shape[0], -1).std(axis=-1, ddof=1)
    return sd / np.sqrt(mean_ess(y))


def bulk_ess(y: np.ndarray) -> np.ndarray:
    """Bulk ESS of (L, K, D) series: :func:`ess_of` the normal scores of the split chains."""
    return ess_of(z_scale(split_chains(y))[0])
