"""Biased (low-activity) patterns: the replica-symmetric T = 0 theory of the covariance rule
with a threshold.

The network (±1 neurons, the package's spin convention, docs/memory.md "Sparse patterns"):
patterns ξ_i^μ = ±1 drawn independently with mean a (a fraction f = (1 + a)/2 of +1),
covariance couplings J_ij = (1/(N(1 − a²))) Σ_μ (ξ_i^μ − a)(ξ_j^μ − a), and the local field

.. math:: h_i = \\sum_{j \\ne i} J_{ij} (S_j - a) - \\theta ,

i.e. biases b_i = −θ − a Σ_j J_ij. Centring the presynaptic activity (S_j − a) removes the
quenched random field a Σ_j J_ij (of variance a²α) that the pattern-magnetisation
fluctuations would otherwise add to every site; a uniform threshold θ cannot remove it.
At a = 0 this is the Hopfield model (α_c = 0.138); as |a| → 1 it is the Tsodyks–Feigel'man
model of sparse 0/1 coding, α_c ≈ 1/(2f|ln f|) with f = (1 − |a|)/2 the fraction of
neurons in the rare state.

Replica-symmetric saddle point at T = 0 (AGS 1987 for the Hopfield model; the same cavity /
self-consistent signal-to-noise construction as Shiino & Fukai, J. Phys. A 25, L375 (1992),
carried out for the centred variable σ = S − a; derivation in docs/theory.md "Sparse
patterns"). With the condensed pattern's overlap m = (1/(N(1 − a²))) Σ_i (ξ_i − a) S_i, the
noise of the other patterns s z (z a standard Gaussian) and the effective threshold
t = θ + aΓ (the Onsager reaction term Γ(S_i − a), Γ = αU/(1 − U)),

.. math::
    S &= \\operatorname{sign}\\big((\\xi - a) m + s z - t\\big), \\\\
    m &= 1 - e_+ - e_-, \\quad e_+ = \\Phi(-A/s),\\ e_- = \\Phi(-B/s),
        \\quad A = (1 - a) m - t,\\ B = (1 + a) m + t, \\\\
    q &= \\langle (S - a)^2 \\rangle = 1 - a^2 + 4a\\,(f e_+ - (1 - f) e_-), \\\\
    U &= \\langle \\partial S / \\partial h \\rangle
       = \\tfrac{2}{s}\\big(f \\varphi(A/s) + (1 - f) \\varphi(B/s)\\big), \\\\
    s^2 &= \\alpha r, \\quad r = q / (1 - U)^2 ,

where e_± are the fractions of wrong neurons among the +1 and −1 sites of the pattern. At
a = 0, t = 0 these are AGS's T = 0 equations m = erf(m/√(2αr)), C = U, r = 1/(1 − C)². The
retrieval branch is traced by m: for given (m, t) the first equation fixes s, and
α(m, t) = s²(1 − U)²/q; the capacity at threshold t is max_m α(m, t) (the fold of the
retrieval branch), and α_c(a) = max_t max_m α(m, t).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from statnn._validation import param_error
from statnn.theory._common import brentq, minimize_scalar, real_array

_SQRT2 = math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)
_M_GAP_MIN = 1e-13  # smallest 1 − m on the retrieval branch searched
_MAX_ACTIVITY = 1.0 - 1e-6


def _tail(x: float) -> float:
    """Φ(−x) = P(z > x), accurate in the upper tail."""
    return 0.5 * math.erfc(x / _SQRT2)


def _phi(x: float) -> float:
    return _INV_SQRT2PI * math.exp(-0.5 * x * x)


class _Point(NamedTuple):
    alpha: float
    s: float
    q: float
    U: float
    e_plus: float
    e_minus: float


def _point(m: float, t: float, a: float) -> _Point | None:
    """The branch point at overlap m and effective threshold t (None where there is none)."""
    A = (1.0 - a) * m - t
    B = (1.0 + a) * m + t
    gap = 1.0 - m
    if A <= 0.0 or B <= 0.0 or not 0.0 < gap < 1.0:
        return None

    def excess(log_s: float) -> float:
        s = math.exp(log_s)
        return _tail(A / s) + _tail(B / s) - gap

    lo, hi = math.log(min(A, B)) - 8.0, math.log(max(A, B)) + 8.0
    if excess(lo) >= 0.0 or excess(hi) <= 0.0:
        return None
    s = math.exp(brentq(excess, lo, hi, xtol=1e-14, rtol=1e-13))
    f = 0.5 * (1.0 + a)
    e_plus, e_minus = _tail(A / s), _tail(B / s)
    q = 1.0 - a * a + 4.0 * a * (f * e_plus - (1.0 - f) * e_minus)
    U = 2.0 / s * (f * _phi(A / s) + (1.0 - f) * _phi(B / s))
    if U >= 1.0 or q <= 0.0:
        return None
    return _Point(s * s * (1.0 - U) ** 2 / q, s, q, U, e_plus, e_minus)


def _alpha(m: float, t: float, a: float) -> float:
    point = _point(m, t, a)
    return 0.0 if point is None else point.alpha


def _best_m(t: float, a: float) -> tuple[float, float]:
    """max_m α(m, t): the fold of the retrieval branch at effective threshold t."""
    m_low = max(t / (1.0 - a), -t / (1.0 + a), 0.0)
    # search in x = log(1 − m): the fold sits at 1 − m from ~0.03 (a = 0) to ~1e-6 (|a| → 1)
    x_hi = math.log(1.0 - m_low) if m_low > 0 else math.log(0.999)
    xs = np.linspace(math.log(_M_GAP_MIN), x_hi - 1e-9, 60)
    values = [_alpha(1.0 - math.exp(x), t, a) for x in xs]
    k = int(np.argmax(values))
    if values[k] <= 0.0:
        return 0.0, float("nan")
    lo, hi = xs[max(k - 1, 0)], xs[min(k + 1, len(xs) - 1)]
    res = minimize_scalar(
        lambda x: -_alpha(1.0 - math.exp(x), t, a),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-10},
    )
    if -res.fun >= values[k]:
        return float(-res.fun), 1.0 - math.exp(res.x)
    return float(values[k]), 1.0 - math.exp(xs[k])


class SparseCapacity(NamedTuple):
    """α_c of the covariance rule at one activity, with the threshold that achieves it.

    Returned by :func:`sparse_capacity` with ``full=True`` (fields are arrays for an array
    of activities).

    Parameters
    ----------
    alpha_c : float
        Critical load P/N at the optimal threshold.
    threshold : float
        The optimal threshold θ (the h_i = Σ_j J_ij (S_j − a) − θ convention).
    overlap : float
        Retrieval overlap m at α_c (the fold of the retrieval branch).
    effective_threshold : float
        t = θ + aΓ, the threshold felt by a neuron once the Onsager term is included.

    Examples
    --------
    >>> from statnn.theory import sparse_capacity
    >>> c = sparse_capacity(-0.8, full=True)
    >>> round(c.alpha_c, 3), round(c.overlap, 3)
    (0.484, 0.835)
    """

    alpha_c: float
    threshold: float
    overlap: float
    effective_threshold: float


def _capacity_one(a: float) -> SparseCapacity:
    if a == 0.0:  # symmetric: t = 0 (AGS)
        alpha, m = _best_m(0.0, 0.0)
        return SparseCapacity(alpha, 0.0, m, 0.0)
    # work with a < 0 (the rare state is +1) and flip: α_c(a) = α_c(−a), θ(−a) = −θ(a)
    sign = 1.0 if a < 0 else -1.0
    b = -abs(a)
    # t ranges over (−(1 + b), 1 − b); at the optimum it sits between the two signals
    # −(1 + b) m and (1 − b) m, close to the rare state's one when |b| → 1.
    ts = np.linspace(-(1.0 + b), 1.0 - b, 41)[1:-1]
    values = [_best_m(t, b)[0] for t in ts]
    k = int(np.argmax(values))
    res = minimize_scalar(
        lambda t: -_best_m(t, b)[0],
        bounds=(ts[max(k - 1, 0)], ts[min(k + 1, len(ts) - 1)]),
        method="bounded",
        options={"xatol": 1e-9},
    )
    t = float(res.x) if -res.fun >= values[k] else float(ts[k])
    alpha, m = _best_m(t, b)
    point = _point(m, t, b)
    gamma = alpha * point.U / (1.0 - point.U)
    theta = t - b * gamma
    return SparseCapacity(alpha, sign * theta, m, sign * t)


def _activity_array(activity, caller: str) -> np.ndarray:
    expected = f"a float or array of floats with |a| <= {_MAX_ACTIVITY}"
    act, _ = real_array(activity, "activity", caller, expected=expected)
    if np.any(np.abs(act) > _MAX_ACTIVITY):
        raise param_error("activity", caller, expected, activity)
    return act


def sparse_capacity(activity, *, full: bool = False):
    """Critical load α_c(a) of the covariance rule with the optimal threshold, at T = 0.

    Solves the replica-symmetric T = 0 saddle point of the centred covariance network
    (module docstring; derivation in docs/theory.md): for each threshold the retrieval
    branch's fold max_m α(m, t), then the maximum over the threshold. a = 0 gives the
    Hopfield value α_c = 0.1379 (Amit, Gutfreund & Sompolinsky, Phys. Rev. Lett. 55, 1530
    (1985)); for |a| → 1 the curve approaches Tsodyks & Feigel'man's (Europhys. Lett. 6,
    101 (1988)) α_c ≈ 1/(2f|ln f|) with f = (1 − |a|)/2 the fraction of neurons in the rare
    state (:func:`sparse_capacity_asymptote`), slowly: logarithmic corrections keep the
    ratio at 0.29 for f = 0.05, 0.47 for f = 10⁻³ and 0.50 for f = 10⁻⁴.

    Parameters
    ----------
    activity : float or array of floats, |a| <= 1 − 1e−6
        Mean a of the ±1 patterns (``random_patterns(..., activity=a)``). α_c(a) = α_c(−a).
    full : bool
        Return :class:`SparseCapacity` tuples (α_c, optimal threshold θ, overlap at α_c,
        effective threshold) instead of α_c alone.

    Returns
    -------
    float or ndarray, or SparseCapacity (of floats or arrays) if ``full``

    Examples
    --------
    >>> from statnn.theory import sparse_capacity
    >>> round(sparse_capacity(0.0), 4)
    0.1379
    >>> c = sparse_capacity(-0.9, full=True)
    >>> round(c.alpha_c, 2), round(c.threshold, 2)
    (0.98, 1.24)
    """
    caller = "sparse_capacity"
    act = _activity_array(activity, caller)
    if not isinstance(full, bool | np.bool_):
        raise param_error("full", caller, "a bool", full)
    flat = [_capacity_one(float(a)) for a in act.ravel()]
    if not full:
        out = np.array([c.alpha_c for c in flat]).reshape(act.shape)
        return float(out) if out.ndim == 0 else out
    fields = [np.array(col).reshape(act.shape) for col in zip(*flat, strict=True)]
    if act.ndim == 0:
        return SparseCapacity(*(float(x) for x in fields))
    return SparseCapacity(*fields)


def sparse_threshold(activity) -> float | np.ndarray:
    """The threshold θ that maximises α_c(a) (see :func:`sparse_capacity`).

    The convention is h_i = Σ_j J_ij (S_j − a) − θ. θ(0) = 0 and θ(−a) = −θ(a); for the
    rare state +1 (a < 0) θ is positive and approaches the rare-state signal 1 − a as a → −1.

    Parameters
    ----------
    activity : float or array of floats, |a| <= 1 − 1e−6

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from statnn.theory import sparse_threshold
    >>> sparse_threshold(0.0)
    0.0
    """
    caller = "sparse_threshold"
    act = _activity_array(activity, caller)
    out = np.array([_capacity_one(float(a)).threshold for a in act.ravel()]).reshape(act.shape)
    return float(out) if out.ndim == 0 else out


def _alpha_at_theta(m: float, theta: float, a: float, t_near: float) -> tuple[float, float]:
    """(α, t) of the branch point at overlap m and actual threshold θ (α = 0 if none).

    Solves t − aΓ(m, t) = θ for the effective threshold t; of several roots, the one
    nearest ``t_near`` (the previous point of the branch being followed).
    """
    if a == 0.0:
        return _alpha(m, theta, 0.0), theta
    lo, hi = -(1.0 + a) * m, (1.0 - a) * m

    def excess(t: float) -> float:
        point = _point(m, t, a)
        if point is None:
            return float("nan")
        return t - a * point.alpha * point.U / (1.0 - point.U) - theta

    g_near = excess(t_near) if lo < t_near < hi else float("nan")
    best = None
    if math.isfinite(g_near):  # bracket the root nearest t_near by steps growing both ways
        step = 1e-4 * (hi - lo)
        while best is None and step < hi - lo:
            for t1 in (t_near + step, t_near - step):
                if lo < t1 < hi:
                    g1 = excess(t1)
                    if math.isfinite(g1) and g_near * g1 <= 0.0:
                        best = brentq(excess, min(t_near, t1), max(t_near, t1), xtol=1e-13)
                        break
            step *= 2.0
    if best is None:
        ts = np.linspace(lo, hi, 82)[1:-1]
        values = np.array([excess(t) for t in ts])
        for k in range(len(ts) - 1):
            if np.isfinite(values[k]) and np.isfinite(values[k + 1]):
                if values[k] == 0.0 or values[k] * values[k + 1] < 0.0:
                    root = (
                        ts[k] if values[k] == 0.0 else brentq(excess, ts[k], ts[k + 1], xtol=1e-13)
                    )
                    if best is None or abs(root - t_near) < abs(best - t_near):
                        best = root
    if best is None:
        return 0.0, float("nan")
    return _alpha(m, best, a), float(best)


def _branch(a: float, theta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The retrieval branch at threshold θ followed from the pattern (m → 1) to its fold.

    Returns (x = log(1 − m), α, t) up to and including the fold (the largest α).
    """
    xs = np.linspace(math.log(_M_GAP_MIN), math.log(0.999), 120)
    alphas, ts = [], []
    t_near = theta
    for x in xs:
        alpha, t = _alpha_at_theta(1.0 - math.exp(x), theta, a, t_near)
        if alpha <= 0.0 or (alphas and alpha < alphas[-1]):
            break
        alphas.append(alpha)
        ts.append(t)
        t_near = t
    n = len(alphas)
    return xs[:n], np.array(alphas), np.array(ts)


def _overlap_one(alpha: float, xs, alphas, ts, a: float, theta: float) -> float:
    """m on the retrieval branch at load α (1 below its first point), 0 beyond the fold."""
    if len(alphas) == 0 or alpha > alphas[-1]:
        return 0.0
    if alpha <= alphas[0]:
        return 1.0 - math.exp(xs[0])
    k = int(np.searchsorted(alphas, alpha))
    t_near = ts[k - 1]
    x = brentq(
        lambda x: _alpha_at_theta(1.0 - math.exp(x), theta, a, t_near)[0] - alpha,
        xs[k - 1],
        xs[k],
        xtol=1e-12,
    )
    return 1.0 - math.exp(x)


def sparse_overlap(alpha, activity: float, threshold: float | None = None):
    """Retrieval overlap m(α) of the centred covariance network at T = 0, from the pattern.

    The replica-symmetric equations of :mod:`statnn.theory.sparse` iterated from m = 1
    (the stored pattern) at load α, activity a and threshold θ: the retrieval branch
    below its fold, the collapsed (m ≈ 0 or m < 0) solution above it. m is the covariance
    overlap m = (1/(N(1 − a²))) Σ_i (ξ_i − a) S_i = 1 − e₊ − e₋.

    Parameters
    ----------
    alpha : float or array of floats > 0
        Load P/N.
    activity : float, |a| <= 1 − 1e−6
        Pattern mean a.
    threshold : float, optional
        θ (default: :func:`sparse_threshold` of ``activity``).

    Returns
    -------
    float or ndarray
        m, same shape as ``alpha``.

    Examples
    --------
    >>> from statnn.theory import sparse_overlap
    >>> round(sparse_overlap(0.1, 0.0), 4)    # a = 0: AGS's m(α = 0.1, T = 0)
    0.998
    """
    caller = "sparse_overlap"
    alphas, _ = real_array(
        alpha, "alpha", caller, minimum=0, strict_minimum=True, expected="a float > 0"
    )
    a = float(_activity_array(activity, caller))
    if threshold is None:
        theta = float(sparse_threshold(a))
    else:
        theta = float(real_array(threshold, "threshold", caller, expected="a float")[0])
    branch = _branch(a, theta)
    values = [_overlap_one(float(x), *branch, a, theta) for x in alphas.ravel()]
    out = np.array(values).reshape(alphas.shape)
    return float(out) if out.ndim == 0 else out


__all__ = [
    "SparseCapacity",
    "sparse_capacity",
    "sparse_overlap",
    "sparse_threshold",
]
