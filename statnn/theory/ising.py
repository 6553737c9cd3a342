"""Exact results for the two-dimensional square-lattice Ising model (Onsager, Yang)."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ellipe, ellipkm1

from statnn._validation import check_real
from statnn.theory._common import temperature_array

__all__ = [
    "ising_critical_temperature",
    "onsager_magnetization",
    "onsager_energy",
    "onsager_specific_heat",
]


def ising_critical_temperature(J: float = 1.0) -> float:
    r"""Critical temperature of the 2D square-lattice Ising model.

    .. math:: T_c = \frac{2J}{\ln(1 + \sqrt 2)} \approx 2.269185\,J,

    from Kramers-Wannier duality, :math:`\sinh(2J/T_c) = 1`.

    Parameters
    ----------
    J : float, default 1.0
        Nearest-neighbour coupling ``> 0`` (:math:`H = -J \sum_{\langle ij \rangle} S_i S_j`).

    Returns
    -------
    float

    References
    ----------
    H. A. Kramers and G. H. Wannier, Phys. Rev. 60, 252 (1941);
    L. Onsager, Phys. Rev. 65, 117 (1944).
    """
    return _critical_temperature(_coupling(J, "ising_critical_temperature"))


def _critical_temperature(J: float) -> float:
    return 2.0 * J / math.log1p(math.sqrt(2.0))


def _coupling(J, caller: str) -> float:
    """The nearest-neighbour coupling, a float > 0."""
    return check_real(J, "J", caller, 0.0, strict_minimum=True)


def _onsager_arguments(T, J, caller: str) -> tuple[np.ndarray, bool, float]:
    """``(T as an array, whether T was a scalar, J)``, checked, for Onsager's formulas."""
    T_arr, scalar = temperature_array(T, caller)
    return T_arr, scalar, _coupling(J, caller)


def _hyperbolics(T: np.ndarray, J: float):
    """K = J/T and s = sinh(2K) with T = 0 mapped to K = inf (no warnings)."""
    with np.errstate(divide="ignore", over="ignore"):
        K = np.where(T > 0, J / np.where(T > 0, T, 1.0), np.inf)
        s = np.sinh(2.0 * K)
    return K, s


def _elliptic_parts(T: np.ndarray, J: float):
    """Pieces of Onsager's formulas, accurate from T = 0 through T_c to T = inf.

    Returns K = J/T, s2 = sinh^2 2K, g = sech^2 2K = 1 - tanh^2 2K, k2 = k^2 = 4 g (1 - g),
    K(k) - pi/2 and K(k) - E(k) - (pi/4) k^2 (power series in k^2 where k is small; the
    elliptic integral K(k) through the complementary modulus k' = |1 - s2| / (1 + s2),
    accurate near T_c where k -> 1). Entries with K >= 200 (T -> 0) hold placeholders.
    """
    K, s = _hyperbolics(T, J)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        ok = np.isfinite(s) & (K < 200.0)
        s2 = np.where(ok, s * s, 1.0)
        g = 1.0 / (1.0 + s2)
        kp = np.abs(1.0 - s2) / (1.0 + s2)
        k2 = 4.0 * s2 * g * g  # = 4 g (1 - g), without cancellation at high T
        ell_k = ellipkm1(kp * kp)
        ell_e = ellipe(k2)
        small = k2 < 1e-3
        ser_k = 0.5 * math.pi * k2 * (0.25 + k2 * (9 / 64 + k2 * (25 / 256 + k2 * 1225 / 16384)))
        ser_ke = 0.5 * math.pi * k2 * k2 * (3 / 16 + k2 * (15 / 128 + k2 * 175 / 2048))
        k_minus = np.where(small, ser_k, ell_k - 0.5 * math.pi)
        ke_minus = np.where(small, ser_ke, ell_k - ell_e - 0.25 * math.pi * k2)
    return K, s2, g, k2, k_minus, ke_minus


def _out(arr: np.ndarray, scalar: bool):
    return float(arr) if scalar else arr


def onsager_magnetization(T, J: float = 1.0):
    r"""Spontaneous magnetization of the 2D square-lattice Ising model.

    Onsager's formula, published with proof by Yang:

    .. math:: M(T) = \left[1 - \sinh^{-4}(2\beta J)\right]^{1/8} \quad (T < T_c),
              \qquad M = 0 \quad (T \ge T_c),

    with :math:`M \to 1` as :math:`T \to 0` and :math:`M \sim (T_c - T)^{1/8}` at
    :math:`T_c`.

    Parameters
    ----------
    T : float or array_like
        Temperature(s) ``>= 0``.
    J : float, default 1.0
        Nearest-neighbour coupling ``> 0``.

    Returns
    -------
    float or ndarray
        Magnetization per spin, shaped like ``T``.

    References
    ----------
    C. N. Yang, Phys. Rev. 85, 808 (1952).
    """
    T_arr, scalar, J = _onsager_arguments(T, J, "onsager_magnetization")
    K, _ = _hyperbolics(T_arr, J)
    # sinh(2K)^-4 = 16 e^{-8K} / (1 - e^{-4K})^4, safe for large K
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        e4 = np.exp(-4.0 * K)
        inv4 = 16.0 * e4 * e4 / (-np.expm1(-4.0 * K)) ** 4
        M = np.where(inv4 < 1.0, np.abs(1.0 - inv4) ** 0.125, 0.0)
    return _out(M, scalar)


def onsager_energy(T, J: float = 1.0):
    r"""Internal energy per spin of the 2D square-lattice Ising model.

    Onsager's result, with :math:`K = \beta J`:

    .. math:: u = -J \coth(2K)\left[1 + \frac{2}{\pi}\left(2\tanh^2(2K) - 1\right)
              \mathrm{K}(k)\right], \qquad k = \frac{2 \sinh(2K)}{\cosh^2(2K)},

    where :math:`\mathrm{K}(k) = \int_0^{\pi/2} d\theta\, (1 - k^2 \sin^2\theta)^{-1/2}` is
    the complete elliptic integral of the first kind. It is evaluated through the
    complementary modulus :math:`k' = |1 - \sinh^2 2K| / (1 + \sinh^2 2K)` so that it stays
    accurate next to :math:`T_c`, where :math:`u = -\sqrt 2 J` (the product
    :math:`(2\tanh^2 2K - 1)\,\mathrm{K}(k)` vanishes there and is returned as its limit).
    Limits: :math:`u(0) = -2J`, :math:`u \simeq -2J\tanh K` at high temperature.

    Parameters
    ----------
    T : float or array_like
        Temperature(s) ``>= 0``.
    J : float, default 1.0
        Nearest-neighbour coupling ``> 0``.

    Returns
    -------
    float or ndarray
        Energy per spin, shaped like ``T``.

    References
    ----------
    L. Onsager, Phys. Rev. 65, 117 (1944); K. Huang, *Statistical Mechanics*, 2nd ed.
    (Wiley 1987), ch. 15.
    """
    T_arr, scalar, J = _onsager_arguments(T, J, "onsager_energy")
    K, s2, g, _, k_minus, _ = _elliptic_parts(T_arr, J)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # bracket = 1 + (2/pi)(2 tanh^2 2K - 1) K(k), rearranged with 1 - g = tanh^2 2K and
        # K(k) = pi/2 + k_minus so that it keeps its precision at high T (bracket ~ 4K^2)
        bracket = 2.0 * s2 * g + (1.0 - 2.0 * g) * (2.0 / math.pi) * k_minus
        coth = np.sqrt(1.0 + s2) / np.sqrt(s2)
        u = -J * coth * bracket
        u = np.where(np.isfinite(K) & (K < 200.0), u, -2.0 * J)
        v = np.tanh(K)  # T -> inf: high-temperature series, exact to O(v^5)
        u = np.where(K < 1e-6, -J * (2.0 * v + 4.0 * v**3), u)
    return _out(u, scalar)


def onsager_specific_heat(T, J: float = 1.0):
    r"""Specific heat per spin :math:`c = du/dT` of the 2D square-lattice Ising model.

    Onsager's result (:math:`k_B = 1`, :math:`K = \beta J`, :math:`k` as in
    :func:`onsager_energy`, :math:`\mathrm{E}` the complete elliptic integral of the
    second kind):

    .. math:: c = \frac{4}{\pi}\left(K\coth 2K\right)^2 \Big\{\mathrm{K}(k) - \mathrm{E}(k)
              - (1 - \tanh^2 2K)\left[\frac{\pi}{2} + (2\tanh^2 2K - 1)\mathrm{K}(k)\right]
              \Big\}.

    The brace is a difference of nearly equal terms at low temperature (it is
    :math:`O(e^{-8K})`); it is evaluated in the rearranged, cancellation-free form
    :math:`[\mathrm{K} - \mathrm{E} - \frac{\pi}{4}k^2] - g(1 - 2g)[\mathrm{K} - \frac\pi2]`
    with :math:`g = \cosh^{-2} 2K` (using :math:`k^2 = 4g(1 - g)`), with power series in
    :math:`k^2` for small :math:`k`. Limits: :math:`c \simeq 2K^2` at high temperature,
    :math:`c \to 0` as :math:`T \to 0`. It diverges logarithmically at :math:`T_c`,
    :math:`c \simeq -\frac{8}{\pi}\left(\frac{J}{T_c}\right)^2 \ln|1 - T/T_c|`;
    **at** ``T == ising_critical_temperature(J)`` **this function returns** ``inf``.

    Parameters
    ----------
    T : float or array_like
        Temperature(s) ``>= 0``.
    J : float, default 1.0
        Nearest-neighbour coupling ``> 0``.

    Returns
    -------
    float or ndarray
        Specific heat per spin, shaped like ``T`` (``inf`` at ``T_c``).

    References
    ----------
    L. Onsager, Phys. Rev. 65, 117 (1944); K. Huang, *Statistical Mechanics*, 2nd ed.
    (Wiley 1987), ch. 15.
    """
    T_arr, scalar, J = _onsager_arguments(T, J, "onsager_specific_heat")
    K, s2, g, _, k_minus, ke_minus = _elliptic_parts(T_arr, J)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        finite = np.isfinite(K) & (K < 200.0)
        brace = ke_minus - g * (1.0 - 2.0 * g) * k_minus
        coth = np.sqrt(1.0 + s2) / np.sqrt(s2)
        c = (4.0 / math.pi) * (K * coth) ** 2 * brace
        c = np.where(finite, c, 0.0)
        c = np.where(K < 1e-6, 2.0 * K * K, c)  # T -> inf: c = 2K^2 (1 + O(K^2))
        c = np.where(T_arr == _critical_temperature(J), np.inf, c)
    return _out(c, scalar)
