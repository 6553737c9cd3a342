r"""Amit-Gutfreund-Sompolinsky replica-symmetric theory of the Hopfield model.

Hebbian couplings :math:`J_{ij} = \frac1N \sum_\mu \xi_i^\mu \xi_j^\mu` (zero diagonal),
:math:`P = \alpha N` random unbiased patterns, Glauber dynamics at temperature :math:`T`.
The replica-symmetric (RS) saddle point with a macroscopic overlap :math:`m` with one
pattern, Edwards-Anderson parameter :math:`q` and noise parameter :math:`r` is

.. math::

    m = \langle \tanh\beta(m + \sqrt{\alpha r}\, z)\rangle_z,\qquad
    q = \langle \tanh^2\beta(m + \sqrt{\alpha r}\, z)\rangle_z,\qquad
    r = \frac{q}{(1 - C)^2},\quad C = \beta(1 - q),

with :math:`z` a standard Gaussian, and the RS free energy per neuron is

.. math::

    f = \frac\alpha2 + \frac{m^2}2
        + \frac{\alpha}{2\beta}\Big[\ln(1 - C) - \frac{\beta q}{1 - C}\Big]
        + \frac{\alpha\beta}{2} r (1 - q)
        - \frac1\beta \big\langle \ln 2\cosh\beta(m + \sqrt{\alpha r}\, z)\big\rangle_z .

(The constant :math:`\alpha/2` accounts for the zero diagonal; it cancels in every
comparison made here.) Stationarity of :math:`f` in :math:`r` and :math:`q` gives the
:math:`q` and :math:`r` equations above.

**How the equations are solved.** Iterating them at fixed :math:`(\alpha, T)` tends to slide
onto an unphysical branch with :math:`C > 1`. Instead the retrieval branch is traced at
fixed :math:`(m, T)`: the :math:`m` equation is monotone in :math:`\sigma = \sqrt{\alpha r}`
and has a unique root :math:`\sigma \in [0, 1]` for :math:`0 < m \le m_{CW}(T)`; then
:math:`q, C` follow and :math:`\alpha(m, T) = \sigma^2 (1 - C)^2 / q`. Along this branch
:math:`C < 1`, :math:`\alpha(m, T)` rises from 0 (at :math:`m \to 0`), reaches its maximum
:math:`\alpha_M(T)` (the edge of the retrieval phase) and falls back to 0 at the Curie-Weiss
magnetization :math:`m_{CW}(T)`; the retrieval state is the larger-:math:`m` root. At
:math:`T = 0` (:math:`C` finite, :math:`q = 1`) the branch is parametrised in closed form by
:math:`y = m / \sqrt{2\alpha r}`: :math:`m = \mathrm{erf}(y)`,
:math:`\alpha = \frac12[\mathrm{erf}(y)/y - \frac2{\sqrt\pi} e^{-y^2}]^2`. Gaussian averages
use 200-point Gauss-Hermite quadrature when :math:`T/\sigma \ge 1` and, for sharper
integrands, the exact step :math:`\mathrm{sign}(x)` plus a Gauss-Legendre integral of the
exponentially small remainder, so the limit :math:`T \to 0` is continuous.

References
----------
D. J. Amit, H. Gutfreund and H. Sompolinsky, Phys. Rev. Lett. 55, 1530 (1985);
Ann. Phys. (N.Y.) 173, 30 (1987). D. J. Amit, *Modeling Brain Function* (CUP 1989), ch. 6.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from scipy.special import erf, erfc

from statnn._validation import param_error
from statnn.theory._common import (
    SQRT2,
    SQRT_2_OVER_PI,
    brentq,
    gauss_averages,
    minimize_scalar,
    real_array,
    temperature_array,
    vectorize,
)
from statnn.theory.curie_weiss import _cw_scalar

__all__ = [
    "AGSSolution",
    "ags_solution",
    "ags_overlap",
    "ags_critical_load",
    "ags_retrieval_temperature",
    "ags_global_minimum_load",
    "ags_free_energy",
    "spin_glass_temperature",
    "one_step_error",
]

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class AGSSolution(NamedTuple):
    """Replica-symmetric order parameters of the AGS theory at one (alpha, T).

    Attributes
    ----------
    m : float or ndarray
        Overlap with the retrieved pattern (0 where no retrieval state exists).
    q : float or ndarray
        Edwards-Anderson order parameter.
    r : float or ndarray
        Noise parameter: the mean square overlap with the non-retrieved patterns, times N/P.
    """

    m: float | np.ndarray
    q: float | np.ndarray
    r: float | np.ndarray


# ----------------------------------------------------------------------------- T = 0


def _alpha_of_y(y: float) -> float:
    """Load on the T = 0 retrieval branch at y = m / sqrt(2 alpha r)."""
    return 0.5 * (float(erf(y)) / y - _TWO_OVER_SQRT_PI * math.exp(-y * y)) ** 2


@lru_cache(maxsize=1)
def _edge_zero() -> tuple[float, float]:
    """(y*, alpha_c(0)): the maximum of alpha(y) on the T = 0 branch."""
    res = minimize_scalar(
        lambda y: -_alpha_of_y(y), bounds=(0.5, 3.0), method="bounded", options={"xatol": 1e-12}
    )
    return float(res.x), -float(res.fun)


def _retrieval_zero(alpha: float) -> tuple[float, float, float, float]:
    """T = 0 retrieval state (m, q, r, C) at alpha <= alpha_c(0)."""
    if alpha == 0.0:
        return 1.0, 1.0, 1.0, 0.0
    y_star, a_c = _edge_zero()
    if alpha >= a_c:
        y = y_star
    else:
        hi = max(2.0 * y_star, 2.0 / math.sqrt(2.0 * alpha) + 1.0)
        y = brentq(lambda t: _alpha_of_y(t) - alpha, y_star, hi, xtol=1e-15, rtol=1e-15)
    m = float(erf(y))
    sigma = m / (SQRT2 * y)
    C = SQRT_2_OVER_PI * math.exp(-y * y) / sigma
    return m, 1.0, 1.0 / (1.0 - C) ** 2, C


def _spin_glass_zero(alpha: float) -> tuple[float, float, float]:
    """T = 0 RS spin-glass state (q, r, C): C = sqrt(2/pi) / (sqrt(alpha) + sqrt(2/pi))."""
    C = SQRT_2_OVER_PI / (math.sqrt(alpha) + SQRT_2_OVER_PI)
    return 1.0, 1.0 / (1.0 - C) ** 2, C


def _energy_zero(m: float, r: float, alpha: float) -> float:
    """T = 0 limit of the RS free energy: f = alpha/2 - m^2/2 - alpha r / 2."""
    return 0.5 * alpha - 0.5 * m * m - 0.5 * alpha * r


# ----------------------------------------------------------------------------- T > 0


def _sigma_of_m(m: float, T: float) -> float:
    """Unique sigma >= 0 with <tanh((m + sigma z)/T)> = m (0 if m >= m_CW(T))."""
    if math.tanh(m / T) <= m:
        return 0.0
    # <tanh> <= <sign> = erf(m / (sqrt2 sigma)) < m for sigma >= 1, so [0, 1] brackets it
    return brentq(
        lambda s: gauss_averages(m, s, T)[0] - m, 0.0, 1.0, xtol=1e-15, rtol=1e-15, maxiter=200
    )


@lru_cache(maxsize=4096)
def _branch_point(m: float, T: float) -> tuple[float, float, float, float]:
    """(alpha, sigma, q, C) on the T > 0 retrieval branch at overlap m (memoised: every
    root search along the branch starts at its edge m*)."""
    sigma = _sigma_of_m(m, T)
    _, q, _, C, _ = gauss_averages(m, sigma, T)
    return sigma * sigma * (1.0 - C) ** 2 / q, sigma, q, C


@lru_cache(maxsize=4096)
def _edge(T: float) -> tuple[float, float, float]:
    """(m*, alpha_M(T), m_CW(T)) for 0 < T < 1: the maximum of alpha(m, T) over m."""
    m_cw = _cw_scalar(T, 1.0, 0.0)
    res = minimize_scalar(
        lambda m: -_branch_point(m, T)[0],
        bounds=(1e-3 * m_cw, m_cw),
        method="bounded",
        options={"xatol": 1e-10 * max(m_cw, 1e-3)},
    )
    return float(res.x), -float(res.fun), m_cw


def _alpha_max(T: float) -> float:
    if T == 0.0:
        return _edge_zero()[1]
    if T >= 1.0:
        return 0.0
    return _edge(T)[1]


def _retrieval_m(alpha: float, T: float) -> float:
    """T in (0, 1), alpha <= alpha_M(T): the overlap m of the retrieval state."""
    m_star, a_max, m_cw = _edge(T)
    if alpha == 0.0:
        return m_cw
    if alpha >= a_max:
        return m_star
    return brentq(lambda x: _branch_point(x, T)[0] - alpha, m_star, m_cw, xtol=1e-14, rtol=1e-15)


def _retrieval_positive(alpha: float, T: float) -> tuple[float, float, float, float, float]:
    """T in (0, 1), alpha <= alpha_M(T): (m, sigma, q, C, r) of the retrieval state."""
    m = _retrieval_m(alpha, T)
    sigma = 0.0 if alpha == 0.0 else _sigma_of_m(m, T)
    _, q, _, C, _ = gauss_averages(m, sigma, T)
    return m, sigma, q, C, q / (1.0 - C) ** 2


def _spin_glass_positive(alpha: float, T: float) -> tuple[float, float, float, float]:
    """T > 0 RS state with m = 0: (sigma, q, C, r); the paramagnet (q = r = 0) when
    alpha <= (T - 1)^2, i.e. above T_g = 1 + sqrt(alpha)."""
    if T >= 1.0 and alpha <= (T - 1.0) ** 2:
        return 0.0, 0.0, 1.0 / T, 0.0

    def branch(s: float) -> tuple[float, float, float]:
        _, q, _, C, _ = gauss_averages(0.0, s, T)
        return s * s * (1.0 - C) ** 2 / q, q, C

    lo = 0.0
    if T < 1.0:  # physical branch starts where C = 1 (C <= sqrt(2/pi)/sigma < 1 at sigma = 1)
        lo = brentq(
            lambda s: gauss_averages(0.0, s, T)[3] - 1.0, 1e-12, 1.0, xtol=1e-15, rtol=1e-15
        )
    hi = 1.0
    while branch(hi)[0] < alpha:
        hi *= 2.0
    if lo == 0.0:
        lo = 1e-9 * hi
    s = brentq(lambda x: branch(x)[0] - alpha, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=200)
    _, q, C = branch(s)
    return s, q, C, q / (1.0 - C) ** 2


def _free_energy_positive(m: float, sigma: float, q: float, C: float, alpha: float, T: float):
    lc = gauss_averages(m, sigma, T)[4]
    return (
        0.5 * alpha
        + 0.5 * m * m
        + 0.5 * alpha * T * math.log1p(-C)
        - 0.5 * alpha * q / (1.0 - C)
        + 0.5 * alpha * q * C / (1.0 - C) ** 2
        - lc
    )


# ----------------------------------------------------------------------------- states


def _state(alpha: float, T: float) -> tuple[float, float, float, bool]:
    """(m, q, r, retrieval?) at (alpha, T): the retrieval state if it exists, else m = 0."""
    if T == 0.0:
        if alpha <= _edge_zero()[1]:
            m, q, r, _ = _retrieval_zero(alpha)
            return m, q, r, True
        q, r, _ = _spin_glass_zero(alpha)
        return 0.0, q, r, False
    if T < 1.0 and alpha <= _edge(T)[1]:
        m, _, q, _, r = _retrieval_positive(alpha, T)
        return m, q, r, True
    _, q, _, r = _spin_glass_positive(alpha, T)
    return 0.0, q, r, False


def _overlap(alpha: float, T: float) -> float:
    """The m of :func:`_state`, without the (q, r) that only the full state needs."""
    if T == 0.0:
        return _retrieval_zero(alpha)[0] if alpha <= _edge_zero()[1] else 0.0
    if T < 1.0 and alpha <= _edge(T)[1]:
        return _retrieval_m(alpha, T)
    return 0.0


def _free_energies(alpha: float, T: float) -> tuple[float, float]:
    """(f_retrieval, f_spin_glass) at alpha in (0, alpha_M(T)], T in [0, 1)."""
    if T == 0.0:
        m, _, r, _ = _retrieval_zero(alpha)
        _, r_sg, _ = _spin_glass_zero(alpha)
        return _energy_zero(m, r, alpha), _energy_zero(0.0, r_sg, alpha)
    m, sigma, q, C, _ = _retrieval_positive(alpha, T)
    f_r = _free_energy_positive(m, sigma, q, C, alpha, T)
    s, q0, C0, _ = _spin_glass_positive(alpha, T)
    return f_r, _free_energy_positive(0.0, s, q0, C0, alpha, T)


def _global_min_scalar(T: float) -> float:
    if T >= 1.0:
        return 0.0
    a_max = _alpha_max(T)

    def delta(a: float) -> float:
        f_r, f_sg = _free_energies(a, T)
        return f_r - f_sg

    lo = 1e-6 * a_max
    if delta(a_max) <= 0.0:  # pragma: no cover - not met on the RS phase diagram
        return a_max
    return brentq(delta, lo, a_max, xtol=1e-12, rtol=1e-12)


@lru_cache(maxsize=1)
def _reentrance_peak() -> tuple[float, float]:
    """(T_peak, alpha_peak): the maximum of alpha_M(T), slightly above alpha_c(0).

    The RS line alpha_M(T) first rises with T (reentrance, an artefact of replica symmetry)
    before falling to 0 at T = 1.
    """
    res = minimize_scalar(
        lambda t: -_alpha_max(t), bounds=(1e-6, 0.3), method="bounded", options={"xatol": 1e-9}
    )
    return float(res.x), -float(res.fun)


def _retrieval_temperature_scalar(alpha: float) -> float:
    if alpha == 0.0:
        return 1.0
    t_peak, a_peak = _reentrance_peak()
    if alpha > a_peak:
        return math.nan
    if alpha == a_peak:
        return t_peak
    # alpha_M decreases monotonically on [T_peak, 1] from alpha_peak to 0
    return brentq(lambda t: _alpha_max(t) - alpha, t_peak, 1.0, xtol=1e-12, rtol=1e-12)


# ----------------------------------------------------------------------------- public


def _alpha_T(alpha, T, caller):
    a_arr, a_scalar = real_array(alpha, "alpha", caller, minimum=0.0)
    T_arr, t_scalar = temperature_array(T, caller)
    return a_arr, T_arr, a_scalar and t_scalar


def ags_solution(alpha, T=0.0) -> AGSSolution:
    r"""Replica-symmetric retrieval state (m, q, r) of the Hopfield model at load alpha.

    Solves the AGS saddle-point equations (see the module documentation)

    .. math:: m = \langle\tanh\beta(m + \sqrt{\alpha r}z)\rangle,\quad
              q = \langle\tanh^2\beta(m + \sqrt{\alpha r}z)\rangle,\quad
              r = q / (1 - \beta(1 - q))^2

    for the retrieval state: the solution with the largest overlap :math:`m > 0`, which
    exists for :math:`\alpha \le \alpha_M(T)` (:func:`ags_critical_load`). Where it does not
    exist, ``m = 0`` and ``(q, r)`` are those of the RS spin-glass state (or ``q = r = 0``,
    the paramagnet, above :math:`T_g = 1 + \sqrt\alpha`). At :math:`T = 0`, :math:`q = 1`.
    At :math:`\alpha = 0`, :math:`m` is the Curie-Weiss magnetization.

    Parameters
    ----------
    alpha : float or array_like
        Load :math:`P/N \ge 0`.
    T : float or array_like, default 0.0
        Temperature(s) ``>= 0``, broadcast against ``alpha``.

    Returns
    -------
    AGSSolution
        Named tuple ``(m, q, r)`` of floats, or of arrays of the broadcast shape.

    References
    ----------
    D. J. Amit, H. Gutfreund and H. Sompolinsky, Phys. Rev. Lett. 55, 1530 (1985);
    Ann. Phys. (N.Y.) 173, 30 (1987).
    """
    a_arr, T_arr, scalar = _alpha_T(alpha, T, "ags_solution")
    a_b, T_b = np.broadcast_arrays(a_arr, T_arr)
    out = np.empty((3,) + a_b.shape)
    for idx in np.ndindex(a_b.shape):
        out[(slice(None),) + idx] = _state(float(a_b[idx]), float(T_b[idx]))[:3]
    if scalar:
        return AGSSolution(float(out[0]), float(out[1]), float(out[2]))
    return AGSSolution(out[0], out[1], out[2])


def ags_overlap(alpha, T=0.0):
    r"""Retrieval overlap m(alpha, T) of the AGS replica-symmetric theory.

    The ``m`` of :func:`ags_solution`: the overlap of the retrieval state with the stored
    pattern, 0 for :math:`\alpha > \alpha_M(T)` or :math:`T \ge 1`. At :math:`T = 0` it is
    :math:`m = \mathrm{erf}(y)` with :math:`y` the larger root of
    :math:`\alpha = \frac12[\mathrm{erf}(y)/y - \frac{2}{\sqrt\pi}e^{-y^2}]^2`; it jumps from
    :math:`m \approx 0.967` to 0 at :math:`\alpha_c \approx 0.138`.

    Parameters
    ----------
    alpha : float or array_like
        Load :math:`P/N \ge 0`.
    T : float or array_like, default 0.0
        Temperature(s) ``>= 0``, broadcast against ``alpha``.

    Returns
    -------
    float or ndarray

    References
    ----------
    D. J. Amit, H. Gutfreund and H. Sompolinsky, Phys. Rev. Lett. 55, 1530 (1985).
    """
    a_arr, T_arr, scalar = _alpha_T(alpha, T, "ags_overlap")
    return vectorize(
        _overlap,
        (a_arr, T_arr),
        scalar,
        names=("alpha", "T"),
        caller="ags_overlap",
    )


def ags_critical_load(T=0.0):
    r"""Storage capacity alpha_c(T) = alpha_M(T): the edge of the retrieval phase.

    The largest load at which the RS retrieval solution exists,
    :math:`\alpha_M(T) = \max_m \alpha(m, T)` along the retrieval branch with
    :math:`\alpha(m, T) = \sigma^2 (1 - C)^2 / q` (module documentation). At :math:`T = 0`,
    :math:`\alpha_c = \max_y \frac12[\mathrm{erf}(y)/y - \frac2{\sqrt\pi}e^{-y^2}]^2
    \approx 0.1379`. The RS line is slightly reentrant: it rises to a maximum
    :math:`\alpha_M \approx 0.13819` at :math:`T \approx 0.023` (usually attributed to the
    replica-symmetric approximation) and then decreases to 0 at
    :math:`T = 1`, as :math:`\alpha_M \simeq (1 - T)^2 / 1.95^2` near :math:`T = 1`.
    Retrieval states are metastable between :func:`ags_global_minimum_load` and this line.

    Parameters
    ----------
    T : float or array_like, default 0.0
        Temperature(s) ``>= 0``.

    Returns
    -------
    float or ndarray

    References
    ----------
    D. J. Amit, H. Gutfreund and H. Sompolinsky, Phys. Rev. Lett. 55, 1530 (1985);
    Ann. Phys. (N.Y.) 173, 30 (1987), the line T_M of the phase diagram.
    """
    T_arr, scalar = temperature_array(T, "ags_critical_load")
    return vectorize(_alpha_max, (T_arr,), scalar)


def ags_retrieval_temperature(alpha):
    r"""Retrieval temperature T_M(alpha): the inverse of :func:`ags_critical_load`.

    Retrieval states exist for :math:`T < T_M(\alpha)`: :math:`T_M(0) = 1` (Curie-Weiss) and
    :math:`T_M \simeq 1 - 1.95\sqrt\alpha` for small :math:`\alpha`. The RS line
    :math:`\alpha_M(T)` is slightly reentrant (it rises from 0.13791 at :math:`T = 0` to
    0.13819 at :math:`T \approx 0.023`), so :math:`T_M(\alpha)` falls to 0.023, not 0, at
    the top of the retrieval region. This function returns the upper edge, the largest
    :math:`T` with :math:`\alpha_M(T) = \alpha`; for :math:`0.13791 < \alpha < 0.13819`
    retrieval is also lost below a lower edge, not returned here. ``nan`` is returned where
    there is no retrieval at any temperature (:math:`\alpha > 0.13819`).

    Parameters
    ----------
    alpha : float or array_like
        Load :math:`P/N \ge 0`.

    Returns
    -------
    float or ndarray

    References
    ----------
    D. J. Amit, H. Gutfreund and H. Sompolinsky, Ann. Phys. (N.Y.) 173, 30 (1987).
    """
    a_arr, scalar = real_array(alpha, "alpha", "ags_retrieval_temperature", minimum=0.0)
    return vectorize(_retrieval_temperature_scalar, (a_arr,), scalar)


def ags_global_minimum_load(T=0.0):
    r"""Load below which retrieval states are the global minima of the RS free energy.

    The line :math:`T_c(\alpha)` of the AGS phase diagram, returned as a load
    :math:`\alpha_{gm}(T)`: the :math:`\alpha` at which the free energy of the retrieval
    state equals that of the RS spin-glass state (:math:`m = 0`, :math:`q > 0`). Below it
    retrieval states are global minima; between it and :func:`ags_critical_load` they are
    metastable. At :math:`T = 0` the energies are
    :math:`E = \frac\alpha2 - \frac{m^2}2 - \frac{\alpha r}2` with, for the spin glass,
    :math:`\sqrt{\alpha r} = \sqrt\alpha + \sqrt{2/\pi}`, and the crossing is at
    :math:`\alpha \approx 0.0519` (AGS quote 0.051). Like :math:`\alpha_M(T)` the RS line is
    slightly reentrant (maximum :math:`\approx 0.0531` at :math:`T \approx 0.085`); it then
    decreases to 0 at :math:`T = 1`, staying below :math:`\alpha_M(T)`.

    Parameters
    ----------
    T : float or array_like, default 0.0
        Temperature(s) ``>= 0``.

    Returns
    -------
    float or ndarray

    References
    ----------
    D. J. Amit, H. Gutfreund and H. Sompolinsky, Phys. Rev. Lett. 55, 1530 (1985);
    Ann. Phys. (N.Y.) 173, 30 (1987), the line T_c of the phase diagram.
    """
    T_arr, scalar = temperature_array(T, "ags_global_minimum_load")
    return vectorize(_global_min_scalar, (T_arr,), scalar)


def ags_free_energy(alpha, T=0.0):
    r"""RS free energies per neuron of the retrieval and spin-glass states.

    Evaluates the AGS free energy :math:`f(m, q, r)` (module documentation) at the
    retrieval state and at the :math:`m = 0` spin-glass state; at :math:`T = 0` it is the
    energy :math:`E = \frac\alpha2 - \frac{m^2}{2} - \frac{\alpha r}{2}`. The retrieval entry
    is ``nan`` where there is no retrieval state (:math:`\alpha > \alpha_M(T)`). Defined for
    :math:`T < 1` and :math:`\alpha > 0`, where the spin-glass state exists.

    Parameters
    ----------
    alpha : float or array_like
        Load :math:`P/N > 0`.
    T : float or array_like, default 0.0
        Temperature(s) in ``[0, 1)``, broadcast against ``alpha``.

    Returns
    -------
    (f_retrieval, f_spin_glass) : tuple of float or ndarray

    References
    ----------
    D. J. Amit, H. Gutfreund and H. Sompolinsky, Ann. Phys. (N.Y.) 173, 30 (1987).
    """
    caller = "ags_free_energy"
    a_arr, _ = real_array(alpha, "alpha", caller, minimum=0.0, strict_minimum=True)
    T_arr, _ = temperature_array(T, caller)
    if np.any(T_arr >= 1.0):
        raise param_error("T", caller, "a float or array of floats in [0, 1)", T)
    scalar = a_arr.ndim == 0 and T_arr.ndim == 0

    def both(a: float, t: float) -> tuple[float, float]:
        if a <= _alpha_max(t):
            return _free_energies(a, t)
        if t == 0.0:
            _, r_sg, _ = _spin_glass_zero(a)
            return math.nan, _energy_zero(0.0, r_sg, a)
        s, q0, C0, _ = _spin_glass_positive(a, t)
        return math.nan, _free_energy_positive(0.0, s, q0, C0, a, t)

    names = dict(names=("alpha", "T"), caller=caller)
    f_r = vectorize(lambda a, t: both(a, t)[0], (a_arr, T_arr), scalar, **names)
    f_sg = vectorize(lambda a, t: both(a, t)[1], (a_arr, T_arr), scalar, **names)
    return f_r, f_sg


def spin_glass_temperature(alpha):
    r"""Spin-glass transition temperature of the Hopfield model, T_g = 1 + sqrt(alpha).

    Below :math:`T_g` the RS equations have a solution with :math:`q > 0` (and
    :math:`m = 0`); above it the paramagnet :math:`q = 0` is the only one.

    Parameters
    ----------
    alpha : float or array_like
        Load :math:`P/N \ge 0`.

    Returns
    -------
    float or ndarray

    References
    ----------
    D. J. Amit, H. Gutfreund and H. Sompolinsky, Phys. Rev. Lett. 55, 1530 (1985).
    """
    a_arr, scalar = real_array(alpha, "alpha", "spin_glass_temperature", minimum=0.0)
    out = 1.0 + np.sqrt(a_arr)
    return float(out) if scalar else out


def one_step_error(alpha):
    r"""Signal-to-noise estimate of the bit error rate of one parallel update at load alpha.

    Starting exactly at a stored pattern, the local field of a neuron is the signal 1 plus a
    crosstalk noise that is Gaussian with variance :math:`\alpha` for large :math:`N`, so the
    fraction of bits that flip is

    .. math:: P_{\rm error} = \tfrac12\,\mathrm{erfc}\big(1/\sqrt{2\alpha}\big)

    (0 at :math:`\alpha = 0`; about 0.0036 at :math:`\alpha = 0.138`).

    Parameters
    ----------
    alpha : float or array_like
        Load :math:`P/N \ge 0`.

    Returns
    -------
    float or ndarray

    References
    ----------
    J. Hertz, A. Krogh and R. G. Palmer, *Introduction to the Theory of Neural Computation*
    (Addison-Wesley 1991), §2.2.
    """
    a_arr, scalar = real_array(alpha, "alpha", "one_step_error", minimum=0.0)
    with np.errstate(divide="ignore"):
        out = np.where(
            a_arr > 0, 0.5 * erfc(1.0 / np.sqrt(np.where(a_arr > 0, a_arr, 1.0)) / SQRT2), 0.0
        )
    return float(out) if scalar else out
