"""Capacity of the perceptron: Cover's counting theorem and Gardner's volume calculation."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from scipy.special import bdtr, erfcx, ndtr

from statnn.theory._common import SQRT2, SQRT2PI, brentq, int_array, real_array, vectorize

__all__ = ["cover_count", "cover_probability", "gardner_capacity", "gardner_margin"]


def _cover_count_scalar(P: int, N: int) -> int:
    # 2 * sum_{k=0}^{N-1} binom(P-1, k), with binomials built incrementally (exact ints)
    n = P - 1
    total, b = 0, 1
    for k in range(min(N, P)):  # binom(P-1, k) = 0 for k > P-1
        total += b
        b = b * (n - k) // (k + 1)
    return 2 * total


def cover_count(P, N):
    r"""Number of linearly separable dichotomies of P points in general position in N dims.

    Cover's function counting theorem (dichotomies by a hyperplane through the origin,
    i.e. a perceptron without bias on :math:`N` inputs):

    .. math:: C(P, N) = 2 \sum_{k=0}^{N-1} \binom{P-1}{k},

    so :math:`C(P, N) = 2^P` for :math:`P \le N`, and it obeys the recursion
    :math:`C(P+1, N) = C(P, N) + C(P, N-1)`. Computed with exact integer arithmetic.

    Parameters
    ----------
    P : int or array_like of int
        Number of points ``>= 1``.
    N : int or array_like of int
        Input dimension ``>= 0`` (:math:`C(P, 0) = 0`), broadcast against ``P``.

    Returns
    -------
    int or ndarray of object
        A Python ``int`` for scalar input; otherwise an object array of exact Python ints.

    References
    ----------
    T. M. Cover, IEEE Trans. Electron. Comput. EC-14, 326 (1965);
    J. Hertz, A. Krogh and R. G. Palmer, *Introduction to the Theory of Neural
    Computation* (Addison-Wesley 1991), §5.7.
    """
    caller = "cover_count"
    P_arr, p_scalar = int_array(P, "P", caller, minimum=1)
    N_arr, n_scalar = int_array(N, "N", caller, minimum=0)
    if p_scalar and n_scalar:
        return _cover_count_scalar(P_arr[()], N_arr[()])
    P_b, N_b = np.broadcast_arrays(P_arr, N_arr)
    out = np.empty(P_b.shape, dtype=object)
    for idx in np.ndindex(out.shape):
        out[idx] = _cover_count_scalar(P_b[idx], N_b[idx])
    return out


def cover_probability(P, N):
    r"""Probability that a random dichotomy of P points in N dims is linearly separable.

    .. math:: p(P, N) = \frac{C(P, N)}{2^P} = 2^{1-P} \sum_{k=0}^{N-1} \binom{P-1}{k}
              = \Pr\left[\mathrm{Bin}(P - 1, \tfrac12) \le N - 1\right],

    computed exactly (rational arithmetic, then rounded) for :math:`P \le 1024` and beyond
    as a binomial distribution function (regularised incomplete beta function,
    ``scipy.special.bdtr``, relative accuracy ~1e-11), using the symmetry
    :math:`F(k) = 1 - F(P - 2 - k)` to evaluate only the smaller tail. It equals 1
    for :math:`P \le N` and exactly :math:`\tfrac12` at :math:`P = 2N` (the capacity
    :math:`\alpha = P/N = 2`), and tends to a step at :math:`\alpha = 2` as
    :math:`N \to \infty`.

    Parameters
    ----------
    P : int or array_like of int
        Number of points ``>= 1``.
    N : int or array_like of int
        Input dimension ``>= 0``, broadcast against ``P``.

    Returns
    -------
    float or ndarray

    References
    ----------
    T. M. Cover, IEEE Trans. Electron. Comput. EC-14, 326 (1965).
    """
    caller = "cover_probability"
    P_arr, p_scalar = int_array(P, "P", caller, minimum=1)
    N_arr, n_scalar = int_array(N, "N", caller, minimum=0)
    P_b, N_b = np.broadcast_arrays(P_arr, N_arr)
    out = np.empty(P_b.shape, dtype=np.float64)
    for idx in np.ndindex(out.shape):
        p, n = P_b[idx], N_b[idx]
        out[idx] = _cover_probability_scalar(p, n)
    return float(out) if (p_scalar and n_scalar) else out


_EXACT_MAX_P = 1024


def _cover_probability_scalar(P: int, N: int) -> float:
    if N == 0:
        return 0.0
    if P <= N:
        return 1.0
    if P <= _EXACT_MAX_P:  # exact rational, correctly rounded
        return float(Fraction(_cover_count_scalar(P, N), 2**P))
    # F(k) = Pr[Bin(n, 1/2) <= k] with n = P - 1, k = N - 1; by symmetry
    # F(k) = 1 - F(n - k - 1), so evaluate the smaller tail only (F = 1/2 when 2k + 1 = n)
    n, k = P - 1, N - 1
    if 2 * k + 1 == n:
        return 0.5
    if 2 * k + 1 > n:
        return 1.0 - float(bdtr(n - k - 1, n, 0.5))
    return float(bdtr(k, n, 0.5))


def _gardner_integral(kappa: float) -> float:
    # int_{-kappa}^inf Dt (t + kappa)^2 = (1 + kappa^2) Phi(kappa) + kappa phi(kappa)
    if kappa > -5.0:
        return (1.0 + kappa * kappa) * float(ndtr(kappa)) + kappa * math.exp(
            -0.5 * kappa * kappa
        ) / SQRT2PI
    # far left tail: factor out phi(kappa) through erfcx to avoid underflow
    a = -kappa / SQRT2
    scaled = (1.0 + kappa * kappa) * 0.5 * float(erfcx(a)) * SQRT2PI + kappa
    return math.exp(-0.5 * kappa * kappa) / SQRT2PI * scaled


def gardner_capacity(kappa=0.0):
    r"""Gardner's storage capacity of the spherical perceptron at stability margin kappa.

    .. math:: \alpha_c(\kappa) = \left[\int_{-\kappa}^{\infty} Dt\,(t + \kappa)^2\right]^{-1}
              = \left[(1 + \kappa^2)\,\Phi(\kappa) + \kappa\,\phi(\kappa)\right]^{-1},

    with :math:`Dt = \phi(t)\,dt` the standard Gaussian measure and :math:`\Phi` its
    distribution function; :math:`\alpha_c(0) = 2` (Cover's result) and
    :math:`\alpha_c \simeq 1/\kappa^2` for large :math:`\kappa`. Patterns are random and
    unbiased, the weights normalised, :math:`|w|^2 = N`, and the margin is
    :math:`\xi^\mu \, w\cdot x^\mu / \sqrt{N} \ge \kappa`. The replica-symmetric result is
    exact for :math:`\kappa \ge 0`; for :math:`\kappa < 0` (allowed here) it is only an
    upper estimate, because replica symmetry is broken there.

    Parameters
    ----------
    kappa : float or array_like
        Stability margin(s), finite.

    Returns
    -------
    float or ndarray
        The critical load :math:`\alpha_c = P/N`.

    References
    ----------
    E. Gardner, J. Phys. A 21, 257 (1988); E. Gardner and B. Derrida, J. Phys. A 21, 271
    (1988).
    """
    k_arr, scalar = real_array(kappa, "kappa", "gardner_capacity")

    def capacity(k: float) -> float:
        integral = _gardner_integral(k)
        return 1.0 / integral if integral > 0.0 else math.inf  # kappa << 0: underflow

    return vectorize(capacity, (k_arr,), scalar)


def _margin_scalar(alpha: float) -> float:
    target = 1.0 / alpha

    def f(k: float) -> float:
        return _gardner_integral(k) - target

    # the integral increases monotonically from 0 (kappa -> -inf) to ~kappa^2 (kappa -> inf)
    hi = max(1.0, math.sqrt(target) + 1.0)
    lo = -1.0
    while f(lo) > 0.0:
        lo *= 2.0
    return brentq(f, lo, hi, xtol=1e-14, rtol=1e-15, maxiter=500)


def gardner_margin(alpha):
    r"""Largest stability margin kappa that Gardner's capacity allows at load alpha.

    The inverse of :func:`gardner_capacity`: the :math:`\kappa` solving
    :math:`\alpha_c(\kappa) = \alpha`, i.e.
    :math:`\int_{-\kappa}^\infty Dt\,(t+\kappa)^2 = 1/\alpha`. It is 0 at
    :math:`\alpha = 2`, positive below and negative (replica symmetry broken, see
    :func:`gardner_capacity`) above.

    Parameters
    ----------
    alpha : float or array_like
        Load(s) :math:`P/N > 0`.

    Returns
    -------
    float or ndarray

    References
    ----------
    E. Gardner, J. Phys. A 21, 257 (1988).
    """
    a_arr, scalar = real_array(alpha, "alpha", "gardner_margin", minimum=0.0, strict_minimum=True)
    return vectorize(_margin_scalar, (a_arr,), scalar)
