"""Capacity of dense associative memories by signal-to-noise, and the sparse-pattern asymptote.

Energy E(S) = −Σ_μ F(ξ^μ · S), P random ±1 patterns of N bits. At a stored pattern
S = ξ^1 the effective field of neuron i (half the energy cost of flipping it, see
:mod:`statnn.core.dense_memory`) splits into a signal from pattern 1 and a sum of P − 1
random-sign terms from the others. With r = ξ^μ · S − ξ_i^μ S_i, a sum of N − 1 random ±1
(mean 0, variance N − 1) for μ ≠ 1, and g(r) = [F(r + 1) − F(r − 1)]/2:

    h_i ξ_i^1 = g(N − 1) + Σ_{μ≥2} ξ_i^μ ξ_i^1 g(r_μ).

The noise has mean 0 and variance (P − 1) E[g(r)²]; a bit is unstable when the noise beats
the signal, with probability Φ(−z) in the Gaussian approximation, z² = g(N−1)² /
((P − 1) E[g(r)²]) (:func:`dense_bit_error`, with the exact binomial moments of r).

Polynomial F(x) = x^n / (n N^{n−1}). For large N, g(N − 1) → 1 and
E[g(r)²] → n² E[r^{2n−2}] / (n N^{n−1})² = (2n − 3)!! / N^{n−1} (the Gaussian moment
E[r^{2k}] = (2k − 1)!! N^k), so

    z² = N^{n−1} / ((P − 1)(2n − 3)!!),   P(z) = N^{n−1} / ((2n − 3)!! z²)

(:func:`dense_load`); asking that no bit of a pattern be unstable, N Φ(−z) ≪ 1, i.e.
z² = 2 ln N, gives Krotov & Hopfield's P_max = N^{n−1} / (2 (2n − 3)!! ln N)
(:func:`dense_capacity`; n = 2: N / (2 ln N), the Hebbian result of McEliece et al.).

Exponential F(x) = e^{β_F x} (any constant factor cancels): g(N − 1) = sinh(β_F) e^{β_F (N−1)}
and E[e^{2β_F r}] = cosh(2β_F)^{N−1}, so z² = e^{2β_F(N−1)} / ((P − 1) cosh(2β_F)^{N−1}).
With P = e^{αN}, the noise is a sum over e^{N(α − I(m))} patterns at overlap m (I the
binary large-deviation rate) of terms e^{β_F N m}: it is dominated by m = tanh 2β_F, the
saddle of 2β_F m − I(m), as long as that overlap is populated, which it is at the threshold.
Stability of a typical pattern then requires α < α_1(β_F) = 2β_F − ln cosh 2β_F
(:func:`exp_critical_load`), which rises to ln 2 as β_F → ∞. In random-energy-model terms
(:func:`exp_noise_exponent`): the noise's second moment is a REM partition function at
inverse temperature 2β_F over e^{αN} levels of binary large-deviation entropy α − I(m),
whose exponent is α + ln cosh 2β_F above its freezing load I(tanh 2β_F) and 2β_F m_max(α)
(I(m_max) = α) below it; the closed form is the root of that exponent = 2β_F, and the root
lies on the unfrozen branch for every β_F. This is a signal-to-noise (random-energy-model)
estimate derived here. Lucibello & Mézard (PRL 132, 077301, 2024) give exact REM thresholds
for Gaussian and spherical patterns; the extension to ±1 patterns is Achilli, Ambrogioni,
Lucibello, Mézard & Ventura (arXiv:2503.09518, 2025). Their formulas for the binary case
were not available to this implementation, so it is not claimed to be theirs. For *all* patterns to
be fixed points, and for retrieval from a cue with a fraction ρ of flipped bits, Demircigil,
Heusel, Löwe, Upgang & Vermet (J. Stat. Phys. 168, 288, 2017) prove, for F(x) = e^x,
α < I(1 − 2ρ)/2 (:func:`exp_all_patterns_load`), ln 2 / 2 at ρ = 0.

Sparse patterns of activity a with the covariance rule and an optimal threshold
(Tsodyks & Feigel'man, Europhys. Lett. 6, 101, 1988): α_c(a) ≈ 1 / (2 a |ln a|) as a → 0
(:func:`sparse_capacity_asymptote`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln, ndtr, ndtri

from statnn._validation import param_error
from statnn.theory._common import real_array


def _double_factorial_odd(n: int) -> int:
    """(2n − 3)!! for n ≥ 2 (1 for n = 2)."""
    out = 1
    for k in range(2 * n - 3, 0, -2):
        out *= k
    return out


def _check_degree(degree, caller):
    if not isinstance(degree, int | np.integer) or isinstance(degree, bool) or degree < 2:
        raise param_error("degree", caller, "an int >= 2", degree)
    return int(degree)


def _check_n(N, caller):
    return real_array(N, "N", caller, minimum=2, expected="a number or array of numbers >= 2")[0]


def dense_capacity(N, degree: int = 3):
    """Error-free capacity of the polynomial dense memory, P_max = N^{n−1} / (2 (2n−3)!! ln N).

    Krotov & Hopfield (NeurIPS 2016): all bits of a stored pattern stable with probability
    → 1 (z² = 2 ln N in :func:`dense_load`). n = 2 gives N / (2 ln N).

    Parameters
    ----------
    N : float or array of floats >= 2
        Number of neurons.
    degree : int >= 2
        n of F(x) ∝ x^n.

    Returns
    -------
    float or ndarray
        P_max, same shape as ``N``.

    Examples
    --------
    >>> from statnn.theory import dense_capacity
    >>> round(dense_capacity(100, degree=3), 1)
    361.9
    """
    caller = "dense_capacity"
    n = _check_degree(degree, caller)
    N = _check_n(N, caller)
    out = N ** (n - 1) / (2.0 * _double_factorial_odd(n) * np.log(N))
    return float(out) if out.ndim == 0 else out


def dense_load(N, degree: int = 3, bit_error: float = 0.01):
    """P at which a stored pattern's bits are unstable with probability ``bit_error``.

    P = N^{n−1} / ((2n−3)!! z²) with Φ(−z) = ``bit_error`` (large-N signal-to-noise).

    Parameters
    ----------
    N : float or array of floats >= 2
        Number of neurons.
    degree : int >= 2
        n of F(x) ∝ x^n.
    bit_error : float in (0, 0.5)
        Probability that one bit of a stored pattern is unstable.

    Returns
    -------
    float or ndarray
        The number of patterns P, same shape as ``N``.

    Examples
    --------
    >>> from statnn.theory import dense_load
    >>> round(dense_load(100, degree=3, bit_error=0.1), 1)
    2029.6
    """
    caller = "dense_load"
    n = _check_degree(degree, caller)
    N = _check_n(N, caller)
    if not (isinstance(bit_error, float | int) and 0.0 < bit_error < 0.5):
        raise param_error("bit_error", caller, "a float in (0, 0.5)", bit_error)
    z = -ndtri(bit_error)
    out = N ** (n - 1) / (_double_factorial_odd(n) * z * z)
    return float(out) if out.ndim == 0 else out


def _poly_moments(N: int, n: int) -> tuple[float, float]:
    """g(N − 1) and E[g(r)²] for F(x) = x^n (unscaled), r a sum of N − 1 random ±1."""
    k = np.arange(N)
    r = (N - 1 - 2 * k).astype(np.float64)
    logw = gammaln(N) - gammaln(k + 1) - gammaln(N - k) - (N - 1) * math.log(2.0)
    g = ((r + 1.0) ** n - (r - 1.0) ** n) / 2.0
    top = ((N) ** n - (N - 2.0) ** n) / 2.0
    return top, float(np.sum(np.exp(logw) * g * g))


def dense_bit_error(P, N: int, interaction: str = "poly", degree: int = 3, beta: float = 1.0):
    """Fraction of unstable bits at a stored pattern, Φ(−z), by signal-to-noise at finite N.

    z² = g(N − 1)² / ((P − 1) E[g(r)²]) with the exact moments of r (module docstring):
    poly F(x) = x^n, exp F(x) = e^{β_F x}. Gaussian approximation of the noise.

    Parameters
    ----------
    P : int or array of ints >= 1
        Number of stored patterns.
    N : int >= 2
        Number of neurons.
    interaction : {"poly", "exp"}
        F(x) = x^n or e^{β_F x}.
    degree : int >= 2
        n (``poly`` only).
    beta : float > 0
        β_F (``exp`` only).

    Returns
    -------
    float or ndarray
        ε = Φ(−z), same shape as ``P``.

    Examples
    --------
    >>> from statnn.theory import dense_bit_error
    >>> float(dense_bit_error(362, 100, "poly", degree=3)) < 1e-2
    True
    """
    caller = "dense_bit_error"
    P, _ = real_array(P, "P", caller, minimum=1, expected="a number or array of numbers >= 1")
    if not isinstance(N, int | np.integer) or isinstance(N, bool) or N < 2:
        raise param_error("N", caller, "an int >= 2", N)
    noise_terms = np.maximum(P - 1.0, 0.0)
    with np.errstate(divide="ignore"):
        if interaction == "poly":
            n = _check_degree(degree, caller)
            signal, second = _poly_moments(int(N), n)
            log_z2 = 2 * math.log(signal) - np.log(noise_terms) - math.log(second)
        elif interaction == "exp":
            if not (isinstance(beta, float | int) and beta > 0):
                raise param_error("beta", caller, "a float > 0", beta)
            two_b = 2.0 * beta
            log_cosh = float(np.logaddexp(two_b, -two_b) - math.log(2.0))
            log_z2 = two_b * (N - 1) - np.log(noise_terms) - (N - 1) * log_cosh
        else:
            raise param_error("interaction", caller, "'poly' or 'exp'", interaction)
    out = ndtr(-np.exp(0.5 * np.minimum(log_z2, 1400.0)))
    return float(out) if np.ndim(out) == 0 else out


def exp_critical_load(beta=1.0):
    """α_1(β_F) = 2β_F − ln cosh 2β_F: the largest α = ln P / N at which a typical stored
    pattern is stable in the exponential dense memory F(x) = e^{β_F x} (signal-to-noise,
    module docstring). 0.675 at β_F = 1, → ln 2 as β_F → ∞.

    Parameters
    ----------
    beta : float or array of floats > 0
        β_F of F(x) = e^{β_F x}.

    Returns
    -------
    float or ndarray
        α_1, same shape as ``beta``.

    Examples
    --------
    >>> from statnn.theory import exp_critical_load
    >>> round(exp_critical_load(1.0), 4)
    0.675
    """
    b, _ = real_array(
        beta, "beta", "exp_critical_load", minimum=0, strict_minimum=True,
        expected="a float or array of floats > 0",
    )  # fmt: skip
    two_b = 2.0 * b
    out = two_b - (np.logaddexp(two_b, -two_b) - math.log(2.0))
    return float(out) if out.ndim == 0 else out


def exp_capacity(N, beta=1.0):
    """Error-free capacity of the exponential dense memory, the analogue of
    :func:`dense_capacity`: z² = 2 ln N in z² = e^{2β_F(N−1)} / (P cosh(2β_F)^{N−1}), i.e.
    P_max = e^{(N−1) α_1(β_F)} / (2 ln N) with α_1 = :func:`exp_critical_load`.

    Parameters
    ----------
    N : float or array of floats >= 2
        Number of neurons.
    beta : float > 0
        β_F of F(x) = e^{β_F x}.

    Returns
    -------
    float or ndarray
        P_max, same shape as ``N``.

    Examples
    --------
    >>> from statnn.theory import exp_capacity
    >>> round(exp_capacity(32, beta=0.2))
    3126
    """
    N = _check_n(N, "exp_capacity")
    out = np.exp((N - 1) * exp_critical_load(beta)) / (2.0 * np.log(N))
    return float(out) if out.ndim == 0 else out


def _binary_rate(m):
    """I(m) = ((1+m)/2) ln(1+m) + ((1−m)/2) ln(1−m): P(Σ of N ±1 ≥ mN) ≈ e^{−N I(m)}."""
    m = np.asarray(m, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(m > -1, 0.5 * (1 + m) * np.log1p(m), 0.0)
        b = np.where(m < 1, 0.5 * (1 - m) * np.log1p(-m), 0.0)
    return a + b


def exp_noise_exponent(alpha, beta=1.0):
    """ψ(α, β_F) = lim (1/N) ln Σ_{μ≥2} e^{2β_F r_μ}: the REM exponent of the noise variance.

    P = e^{αN} random ±1 patterns; the number of them at overlap m ∈ [−1, 1] with the
    retrieved state is e^{N(α − I(m))}, I the binary large-deviation rate. The sum is a
    random energy model at inverse temperature 2β_F:

        ψ = α + ln cosh 2β_F              for α >= I(tanh 2β_F)   (unfrozen),
        ψ = 2β_F m_max,  I(m_max) = α     for α <  I(tanh 2β_F)   (frozen: the largest
                                                                   overlap dominates).

    A typical pattern is stable while ψ/2 < β_F (noise amplitude below the signal); the
    root ψ = 2β_F is :func:`exp_critical_load`.

    Parameters
    ----------
    alpha : float or array of floats in (0, ln 2]
        The load ln P / N.
    beta : float > 0
        β_F of F(x) = e^{β_F x}.

    Returns
    -------
    float or ndarray
        ψ, same shape as ``alpha``.

    Examples
    --------
    >>> from statnn.theory import exp_critical_load, exp_noise_exponent
    >>> round(exp_noise_exponent(exp_critical_load(1.0), 1.0), 12)
    2.0
    """
    caller = "exp_noise_exponent"
    expected = "a float or array of floats in (0, ln 2]"
    a, _ = real_array(alpha, "alpha", caller, minimum=0, strict_minimum=True, expected=expected)
    if np.any(a > math.log(2.0) + 1e-15):
        raise param_error("alpha", caller, expected, alpha)
    b, _ = real_array(
        beta, "beta", caller, minimum=0, strict_minimum=True, expected="a float > 0"
    )  # fmt: skip
    if b.ndim:
        raise param_error("beta", caller, "a float > 0", beta)
    two_b = 2.0 * float(b)
    freeze = float(_binary_rate(math.tanh(two_b)))
    log_cosh = float(np.logaddexp(two_b, -two_b) - math.log(2.0))
    lo, hi = np.zeros_like(a), np.ones_like(a)  # I(m) = α on m ∈ (0, 1): bisection
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        below = _binary_rate(mid) < a
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    out = np.where(a >= freeze, a + log_cosh, two_b * 0.5 * (lo + hi))
    return float(out) if out.ndim == 0 else out


def exp_all_patterns_load(rho=0.0):
    """Demircigil et al.'s α < I(1 − 2ρ)/2: all patterns retrieved from cues with a fraction
    ρ ∈ [0, ½) of flipped bits, F(x) = e^x (ln 2 / 2 ≈ 0.347 at ρ = 0).

    Parameters
    ----------
    rho : float or array of floats in [0, 0.5)
        Fraction of flipped bits in the cue.

    Returns
    -------
    float or ndarray
        The load α = ln P / N below which retrieval is proven, same shape as ``rho``.

    Examples
    --------
    >>> from statnn.theory import exp_all_patterns_load
    >>> round(exp_all_patterns_load(0.0), 4)
    0.3466
    """
    expected = "a float or array in [0, 0.5)"
    r, _ = real_array(rho, "rho", "exp_all_patterns_load", minimum=0, expected=expected)
    if np.any(r >= 0.5):
        raise param_error("rho", "exp_all_patterns_load", expected, rho)
    out = 0.5 * _binary_rate(1.0 - 2.0 * r)
    return float(out) if out.ndim == 0 else out


def sparse_capacity_asymptote(a):
    """α_c(a) ≈ 1 / (2 a |ln a|): sparse patterns of activity a → 0, covariance rule with the
    optimal threshold (Tsodyks & Feigel'man 1988). An asymptote, not the full α_c(a).

    Parameters
    ----------
    a : float or array of floats in (0, 1)
        Fraction of active neurons in a pattern.

    Returns
    -------
    float or ndarray
        α_c, same shape as ``a``.

    Examples
    --------
    >>> from statnn.theory import sparse_capacity_asymptote
    >>> round(sparse_capacity_asymptote(0.01), 2)
    10.86
    """
    expected = "a float or array in (0, 1)"
    act, _ = real_array(
        a, "a", "sparse_capacity_asymptote", minimum=0, strict_minimum=True, expected=expected
    )
    if np.any(act >= 1):
        raise param_error("a", "sparse_capacity_asymptote", expected, a)
    out = 1.0 / (2.0 * act * np.abs(np.log(act)))
    return float(out) if out.ndim == 0 else out


__all__ = [
    "dense_bit_error",
    "dense_capacity",
    "dense_load",
    "exp_all_patterns_load",
    "exp_capacity",
    "exp_critical_load",
    "exp_noise_exponent",
    "sparse_capacity_asymptote",
]
