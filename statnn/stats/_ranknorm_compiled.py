r"""Rank-normalised split-R̂ and ESS compiled with numba: the definitions of
:mod:`statnn.stats._ranknorm`, computed row by row in compiled loops.

:mod:`statnn.stats._ranknorm` is the reference that reads like the equations; this module
computes the same numbers (to rounding) with one NumPy sort per call and compiled loops
for the rest, so that the check at the end of every ``simulate`` costs a few numpy calls
instead of some sixty:

* ranks and normal scores: the pooled draws of each row are sorted once (NumPy's
  ``argsort``); runs of equal values get their average rank r and the score
  z = Φ⁻¹((r − 3/8)/(S + 1/4)), Φ⁻¹ evaluated once per distinct value (:func:`ndtri`,
  below) and kept in a table per draw count S, shared by the rows, the bulk and folded
  scores and later calls with the same S;
* the folded draws |x − median| need no second sort: below the median they decrease,
  above it they increase along the sorted draws, so merging the two runs orders them;
* the classic R̂ √((B/W + n − 1)/n) of the bulk and of the folded scores, the larger kept;
* the ESS: Geyer's initial positive and monotone sequences need the autocorrelations
  only up to the lag where the sequence ends. They are summed directly, lag by lag, while
  that lag stays within :data:`DIRECT_LAGS`; a slowly mixing row whose sequence runs
  further (or whose ρ̂(8) exceeds :data:`SLOW_RHO8`) takes the autocovariance of all lags
  at once by NumPy's FFT, as the reference does (the chains' power spectra averaged
  before the one inverse transform of the row), and a compiled pass of Geyer's
  sequences over it.

Input: finite float arrays (L, chains, draws) with draws ≥ 4 (the callers return nan
below that, as ArviZ does).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
from numba import njit

from statnn.stats import _ranknorm as _reference
from statnn.stats._ranknorm import _BLOM_C, ess_of, split_chains

#: Largest lag summed directly for Geyer's sequences; a row needing more lags gets the
#: FFT autocovariance instead (which costs about as much as 100 direct lags).
DIRECT_LAGS = 96

#: A row whose ρ̂(8) exceeds this goes to the FFT after 8 lags: were ρ̂ geometric, its
#: sequence would run past ~64 lags (8 ln 0.05 / ln 0.7 ≈ 67).
SLOW_RHO8 = 0.7

#: Tables of Φ⁻¹ per draw count S kept between calls (the most recent ones), each
#: 2S + 1 doubles; larger S get a table for the call only.
_TABLES: dict[int, np.ndarray] = {}
_TABLES_KEPT = 8
_TABLE_MAX_SIZE = 1 << 17

#: Printed on stderr when this module is imported and numba has not cached it yet.
MESSAGE = (
    "statnn: compiling the convergence diagnostics (first run only: ~8 s of CPU time; "
    "cached for later runs)…"
)

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}

# Acklam's rational approximation of Φ⁻¹ (relative error < 1.15e-9), refined below.
_A1, _A2, _A3 = -3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02
_A4, _A5, _A6 = 1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00
_B1, _B2, _B3 = -5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02
_B4, _B5 = 6.680131188771972e01, -1.328068155288572e01
_C1, _C2, _C3 = -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00
_C4, _C5, _C6 = -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00
_D1, _D2 = 7.784695709041462e-03, 3.224671290700398e-01
_D3, _D4 = 2.445134137142996e00, 3.754408661907416e00
_P_LOW = 0.02425
_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)
_RESOLUTION = float(np.finfo(float).resolution)


@njit(**_JIT)
def _ndtri_lower(t):
    """Φ⁻¹(t) ≤ 0 for 0 < t ≤ 1/2."""
    if t < _P_LOW:
        q = math.sqrt(-2.0 * math.log(t))
        x = (((((_C1 * q + _C2) * q + _C3) * q + _C4) * q + _C5) * q + _C6) / (
            (((_D1 * q + _D2) * q + _D3) * q + _D4) * q + 1.0
        )
    else:
        q = t - 0.5
        r = q * q
        x = ((((((_A1 * r + _A2) * r + _A3) * r + _A4) * r + _A5) * r + _A6) * q) / (
            ((((_B1 * r + _B2) * r + _B3) * r + _B4) * r + _B5) * r + 1.0
        )
    if 0.5 * x * x > 700.0:  # subnormal t: exp(x²/2) would overflow; Acklam's value
        return x
    # Halley's step on f(x) = Φ(x) − t: x ← x − u / (1 + x u / 2), u = f(x) / φ(x).
    # f from erf near the centre (t − 1/2 is exact there), from erfc in the tail
    # (relative accuracy of Φ where it is small).
    if t >= 0.25:
        f = 0.5 * math.erf(x / _SQRT2) - (t - 0.5)
    else:
        f = 0.5 * math.erfc(-x / _SQRT2) - t
    u = f * _SQRT2PI * math.exp(0.5 * x * x)
    return x - u / (1.0 + 0.5 * x * u)


@njit(**_JIT)
def ndtri(p):
    r"""Φ⁻¹(p), the standard normal quantile: Φ(x) = ½ erfc(−x/√2) = p.

    Acklam's rational approximation (relative error < 1.15e-9) refined by one Halley
    step x ← x − u/(1 + x u/2), u = (Φ(x) − p)/φ(x), with Φ from ``math.erf`` /
    ``math.erfc``. For p > ½, Φ⁻¹(p) = −Φ⁻¹(1 − p) (1 − p is exact there), so both tails
    keep their relative accuracy. Φ⁻¹(0) = −inf, Φ⁻¹(1) = inf, nan outside [0, 1].
    """
    if not (p > 0.0 and p < 1.0):
        if p == 0.0:
            return -np.inf
        if p == 1.0:
            return np.inf
        return np.nan
    if p > 0.5:
        return -_ndtri_lower(1.0 - p)
    return _ndtri_lower(p)


@njit(**_JIT)
def ndtri_array(p):
    """:func:`ndtri` of every element of a 1-D array."""
    out = np.empty(p.shape[0])
    for i in range(p.shape[0]):
        out[i] = ndtri(p[i])
    return out


@njit(**_JIT)
def _scores(s, pos, table, scale, z):
    """z[pos[i]] = Φ⁻¹((r − 3/8)/scale) for the sorted values s, r their average rank.

    A run of equal values at sorted positions i … j has rank (i + j + 2)/2; the table
    holds Φ⁻¹ at index i + j + 2 (nan: not computed yet).
    """
    size = s.shape[0]
    i = 0
    while i < size:
        j = i
        v = s[i]
        while j + 1 < size and s[j + 1] == v:
            j += 1
        k = i + j + 2
        val = table[k]
        if math.isnan(val):
            val = ndtri((k / 2.0 - _BLOM_C) / scale)
            table[k] = val
        for q in range(i, j + 1):
            z[pos[q]] = val
        i = j + 1


@njit(**_JIT, fastmath={"reassoc", "contract"})
def _chain_moments(x):
    """Mean and Σ (x − mean)² of one chain; exactly (x₀, 0) if all its draws are equal."""
    first = x[0]
    m = 0.0
    same = 0
    for t in range(x.shape[0]):
        m += x[t]
        same += x[t] == first
    if same == x.shape[0]:  # whatever the rounding of the sum
        return first, 0.0
    m /= x.shape[0]
    v = 0.0
    for t in range(x.shape[0]):
        d = x[t] - m
        v += d * d
    return m, v


@njit(**_JIT)
def _classic_rhat(z, k, n):
    """√((B/W + n − 1)/n) of the draws z (k n,) of k chains of n, chain c at z[c n:(c+1) n]."""
    means = np.empty(k)
    within = 0.0
    for c in range(k):
        means[c], v = _chain_moments(z[c * n : (c + 1) * n])
        within += v / (n - 1)
    within /= k
    grand = 0.0
    for c in range(k):
        grand += means[c]
    grand /= k
    between = 0.0
    for c in range(k):
        d = means[c] - grand
        between += d * d
    between = n * between / (k - 1)
    return math.sqrt((between / within + n - 1) / n)


@njit(**_JIT)
def _row_scores(x, order, size, table, z, s):
    """Bulk scores z of one row x (size,) sorted by ``order``; its sorted values into s."""
    for i in range(size):
        s[i] = x[order[i]]
    _scores(s, order, table, size - 2.0 * _BLOM_C + 1.0, z)


@njit(**_JIT)
def _row_rhat(order, k, n, table, z, zf, s, fs, fpos):
    """R̂ (max of bulk and folded) of one row from its bulk scores z and sorted values s."""
    size = k * n
    median = (s[(size - 1) // 2] + s[size // 2]) / 2.0
    # |x − m| decreases along the sorted draws below m, increases from m on: merge the two
    lo = size // 2
    while lo > 0 and s[lo - 1] >= median:
        lo -= 1
    a = lo - 1
    b = lo
    for q in range(size):
        if b < size and (a < 0 or abs(s[b] - median) <= abs(s[a] - median)):
            fs[q] = abs(s[b] - median)
            fpos[q] = order[b]
            b += 1
        else:
            fs[q] = abs(s[a] - median)
            fpos[q] = order[a]
            a -= 1
    _scores(fs, fpos, table, size - 2.0 * _BLOM_C + 1.0, zf)
    bulk = _classic_rhat(z, k, n)
    tail = _classic_rhat(zf, k, n)
    return tail if tail > bulk else bulk


@njit(**_JIT, fastmath={"reassoc", "contract"})
def _lag_sum(xc, k, n, t):
    """Σ_c Σ_{i < n − t} xc[c, i] xc[c, i + t] of centred chains xc (k n,)."""
    acc = 0.0
    m = n - t
    for c in range(k):
        a = xc[c * n : c * n + m]
        b = xc[c * n + t : c * n + n]
        for i in range(m):  # slices, so that the loop vectorises
            acc += a[i] * b[i]
    return acc


@njit(**_JIT)
def _geyer(rho, j_max, size):
    """ESS = S / τ̂ from ρ̂(0 … 2 j_max + 1) (see :func:`statnn.stats._ranknorm.ess_from_autocov`).

    Returns :data:`_MORE_LAGS` if the initial positive sequence runs past the lags in
    ``rho`` (an even number of them).
    """
    j_avail = rho.shape[0] // 2 - 1  # the last pair with both lags in rho
    j_end = j_max
    for j in range(j_max + 1):
        if j > j_avail:
            return _MORE_LAGS
        if not (rho[2 * j] + rho[2 * j + 1] > 0.0):
            j_end = j
            break
    rho_last = rho[2 * j_end]
    pair_last = rho[2 * j_end] + rho[2 * j_end + 1]
    if not (j_end == 0 or pair_last >= 0.0 or rho_last > 0.0):
        rho_last = 0.0
    total = 0.0
    low = np.inf
    for j in range(j_end):
        p = rho[2 * j] + rho[2 * j + 1]
        if p < low:
            low = p
        total += low
    tau = -1.0 + 2.0 * total + rho_last
    floor = 1.0 / math.log10(size)
    if floor > tau:
        tau = floor
    return size / tau


#: :func:`_row_ess` marks: the sequence needs more lags than summed directly (FFT next);
#: a row the direct sums do not handle (they could overflow: the reference decides).
_MORE_LAGS = -1.0
_REFERENCE = -2.0


@njit(**_JIT)
def _row_ess(x, k, n, max_lag, slow_rho8, xc, rho):
    """ESS of the k chains of n draws x (k n,) by direct lag sums, or a mark.

    Writes the centred chains into xc and returns (ess, var_means), var_means the variance
    (ddof 1) of the chain means. A row whose values span less than the float resolution
    has ESS = k n. Lags are summed in blocks (8, 16, 32, … lags) up to ``max_lag``; a row
    with ρ̂(8) > ``slow_rho8`` is marked after the first block.
    """
    size = k * n
    lo = np.inf
    hi = -np.inf
    for i in range(size):
        v = x[i]
        if v < lo:
            lo = v
        if v > hi:
            hi = v
    if hi - lo < _RESOLUTION:
        return float(size), 0.0
    mean_of_means = 0.0
    var_means = 0.0
    big = 0.0
    means = np.empty(k)
    for c in range(k):
        m = 0.0
        for t in range(n):
            m += x[c * n + t]
        m /= n
        means[c] = m
        mean_of_means += m
        for t in range(n):
            d = x[c * n + t] - m
            xc[c * n + t] = d
            if abs(d) > big:
                big = abs(d)
    if k > 1:
        mean_of_means /= k
        for c in range(k):
            d = means[c] - mean_of_means
            var_means += d * d
        var_means /= k - 1
    if not (big * big * size < 1e300):
        return _REFERENCE, var_means
    norm = 1.0 / (k * n)  # mean over chains of the (1/n)-normalised autocovariances
    mean_var = _lag_sum(xc, k, n, 0) * norm * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n + var_means
    j_max = max((n - 3) // 2, 0)
    n_lags = min(2 * j_max + 2, max_lag + 1)
    n_lags -= n_lags % 2
    rho[0] = 1.0
    done = 1
    block = 8
    while True:
        upto = min(done + block, n_lags)
        for t in range(done, upto):
            rho[t] = 1.0 - (mean_var - _lag_sum(xc, k, n, t) * norm) / var_plus
        done = upto
        ess = _geyer(rho[: done - done % 2], j_max, size)
        if ess != _MORE_LAGS or done == n_lags:
            return ess, var_means
        if done == 9 and rho[8] > slow_rho8:
            return _MORE_LAGS, var_means
        block *= 2


#: What :func:`_rows` computes: the ESS of the draws themselves; the normal scores and
#: their ESS; the scores, R̂ and (if asked) their ESS.
_RAW, _SCORES, _RHAT = 0, 1, 2


@njit(**_JIT)
def _rows(y, order, k, n, table, mode, want_ess, max_lag, slow_rho8):
    """R̂ and ESS of the rows of y (L, k n), the split chains of each row one after another.

    Returns rhat (L,) (nan unless ``mode`` is ``_RHAT``), ess (L,) (nan unless
    ``want_ess``; else the ESS or a mark of :func:`_row_ess`), the variance of the chain
    means (L,) and the centred chains (L, k n) of the series whose ESS is taken (the
    normal scores, or y itself in ``_RAW`` mode), written only in the rows marked
    :data:`_MORE_LAGS`.
    """
    n_rows = y.shape[0]
    size = k * n
    rhat = np.full(n_rows, np.nan)
    ess = np.full(n_rows, np.nan)
    var_means = np.zeros(n_rows)
    centred = np.empty((n_rows if want_ess else 0, size))
    z = np.empty(size)
    zf = np.empty(size)
    s = np.empty(size)
    fs = np.empty(size)
    fpos = np.empty(size, dtype=np.int64)
    xc = np.empty(size)
    rho = np.empty(max_lag + 2)
    for row in range(n_rows):
        if mode != _RAW:
            _row_scores(y[row], order[row], size, table, z, s)
            if mode == _RHAT:
                rhat[row] = _row_rhat(order[row], k, n, table, z, zf, s, fs, fpos)
            series = z
        else:
            series = y[row]
        if want_ess:
            ess[row], var_means[row] = _row_ess(series, k, n, max_lag, slow_rho8, xc, rho)
            if ess[row] == _MORE_LAGS:  # the FFT needs them; other rows are not written
                centred[row] = xc
    return rhat, ess, var_means, centred


@njit(**_JIT)
def _power_mean(f):
    """Mean over chains of |f|² of spectra f (L, K, m): (L, m)."""
    n_rows, k, m = f.shape
    out = np.zeros((n_rows, m))
    for row in range(n_rows):
        for c in range(k):
            for j in range(m):
                v = f[row, c, j]
                out[row, j] += v.real * v.real + v.imag * v.imag
        for j in range(m):
            out[row, j] /= k
    return out


@njit(**_JIT)
def _ess_from_mean_autocov(acov, divisor, k, n, var_means):
    """ESS of rows of k chains of n draws from ``acov`` / ``divisor`` (L, ≥ n), the mean
    over the chains of their autocovariances, and the variance of the chain means (L,).

    The steps of :func:`statnn.stats._ranknorm.ess_from_autocov` (nan where a ρ̂ is nan).
    """
    n_rows = acov.shape[0]
    size = k * n
    j_max = max((n - 3) // 2, 0)
    out = np.empty(n_rows)
    rho = np.empty(n)
    for row in range(n_rows):
        mean_var = acov[row, 0] / divisor * n / (n - 1.0)
        var_plus = mean_var * (n - 1.0) / n + var_means[row]
        has_nan = False
        rho[0] = 1.0
        for t in range(1, n):
            rho[t] = 1.0 - (mean_var - acov[row, t] / divisor) / var_plus
            if math.isnan(rho[t]):
                has_nan = True
        out[row] = np.nan if has_nan else _geyer(rho[: 2 * j_max + 2], j_max, size)
    return out


def _table(size: int) -> np.ndarray:
    """The Φ⁻¹ table of draw count ``size`` (index i + j + 2 of a run i … j; nan: not yet)."""
    table = _TABLES.get(size)
    if table is None:
        table = np.full(2 * size + 1, np.nan)
        if size <= _TABLE_MAX_SIZE:
            if len(_TABLES) >= _TABLES_KEPT:
                del _TABLES[next(iter(_TABLES))]
            _TABLES[size] = table
    return table


def _finish_ess(ess, var_means, centred, k, n, raw) -> np.ndarray:
    """The rows :func:`_rows` marked: FFT autocovariances for those that need more lags
    (the chains' power spectra averaged, one inverse transform per row), the reference
    :func:`statnn.stats._ranknorm.ess_of` of the draws ``raw`` (L, k, n) for the others
    (only draws themselves can be marked so: normal scores are bounded)."""
    more = np.flatnonzero(ess == _MORE_LAGS)
    if more.size:
        from scipy.fft import next_fast_len

        m = next_fast_len(2 * n, real=True)
        f = np.fft.rfft(centred[more].reshape(more.size, k, n), n=m, axis=-1)
        acov = np.fft.irfft(_power_mean(f), n=m, axis=-1)
        ess[more] = _ess_from_mean_autocov(acov, float(n), k, n, var_means[more])
    other = np.flatnonzero(ess == _REFERENCE)
    if other.size:
        ess[other] = ess_of(raw[other])
    return ess


def _run(y: np.ndarray, mode: int, want_ess: bool) -> tuple[np.ndarray, np.ndarray]:
    sp = split_chains(np.asarray(y, dtype=np.float64))
    n_rows, k, n = sp.shape
    flat = np.ascontiguousarray(sp.reshape(n_rows, k * n))
    if mode != _RAW:
        order = np.argsort(flat, axis=-1)
        table = _table(k * n)
    else:
        order = np.empty((0, 0), dtype=np.intp)
        table = np.empty(0)
    r, e, var_means, centred = _rows(
        flat, order, k, n, table, mode, want_ess, DIRECT_LAGS, SLOW_RHO8
    )
    if want_ess and (e < 0.0).any():
        raw = sp if mode == _RAW else None
        e = _finish_ess(e, var_means, centred, k, n, raw)
    return r, e


def tail_ess(y: np.ndarray, prob: float) -> np.ndarray:
    """Tail ESS of (L, K, D) series: :func:`statnn.stats._ranknorm.tail_ess` with the
    compiled :func:`mean_ess` of the quantile indicators."""
    return _reference.tail_ess(y, prob, mean_ess=mean_ess)


def mcse_mean(y: np.ndarray) -> np.ndarray:
    """MCSE of the mean of (L, K, D) series: :func:`statnn.stats._ranknorm.mcse_mean` with
    the compiled :func:`mean_ess`."""
    return _reference.mcse_mean(y, mean_ess=mean_ess)


def rhat_and_bulk_ess(y: np.ndarray, ess: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Rank-normalised split-R̂ (max of bulk and folded) and bulk ESS of (L, K, D) series."""
    r, e = _run(y, _RHAT, ess)
    return r, (e if ess else None)


def rank_rhat(y: np.ndarray) -> np.ndarray:
    """Rank-normalised split-R̂ of (L, K, D) series."""
    return _run(y, _RHAT, False)[0]


def bulk_ess(y: np.ndarray) -> np.ndarray:
    """Bulk ESS of (L, K, D) series: the ESS of the normal scores of the split chains."""
    return _run(y, _SCORES, True)[1]


def mean_ess(y: np.ndarray) -> np.ndarray:
    """ESS of the mean of (L, K, D) series: the ESS of the split chains of the draws."""
    return _run(y, _RAW, True)[1]


def cached() -> bool:
    """Whether numba's cache holds this module's compiled functions (its own record of
    where: the cache directory of :func:`_rows`)."""
    try:
        directory = Path(_rows._cache._cache_path)
    except Exception:  # numba's cache layout changed: assume cached, stay quiet
        return True
    return any(directory.glob(f"{__name__.rsplit('.', 1)[-1]}.*.nbi"))


if not cached():
    print(MESSAGE, file=sys.stderr, flush=True)
