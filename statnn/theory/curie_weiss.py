"""Curie-Weiss (infinite-range ferromagnet) mean-field magnetization."""

from __future__ import annotations

import math

from statnn._validation import check_real
from statnn.theory._common import brentq, real_array, temperature_array, vectorize

__all__ = ["curie_weiss_magnetization"]


def _cw_scalar(T: float, J: float, h: float) -> float:
    if h < 0.0:
        return -_cw_scalar(T, J, -h)
    if T == 0.0:
        return 1.0  # sign(J m + h) with the stable (h >= 0, positive) choice
    beta = 1.0 / T
    if h == 0.0 and beta * J <= 1.0:
        return 0.0

    def g(m: float) -> float:
        return m - math.tanh(beta * (J * m + h))

    if g(1.0) <= 0.0:  # tanh rounds to 1: the root is within one ulp of 1
        return 1.0
    # h > 0: tanh(beta (J m + h)) is concave on m >= 0, so the root in (0, 1] is unique and
    # it is the largest one. h = 0, beta J > 1: the positive root, bracketed away from m = 0
    # by the small-m expansion g(m) ~ m (1 - beta J) + (beta J m)^3 / 3 < 0.
    lo = 0.0
    if h == 0.0:
        lo = min(0.5 * math.sqrt(3.0 * (beta * J - 1.0)) / (beta * J) ** 1.5, 0.5)
        while g(lo) >= 0.0:
            lo *= 0.5
    return brentq(g, lo, 1.0, xtol=1e-300, rtol=1e-15, maxiter=500)


def curie_weiss_magnetization(T, J: float = 1.0, h: float = 0.0):
    r"""Mean-field magnetization of the Curie-Weiss model.

    Solves the self-consistency equation

    .. math:: m = \tanh\big(\beta (J m + h)\big), \qquad \beta = 1/T,

    for couplings :math:`J_{ij} = J/N` (exact in the thermodynamic limit) and returns the
    stable root: the one of largest :math:`|m|` with the sign of :math:`h` (positive for
    :math:`h = 0`). Above :math:`T_c = J` at zero field the only root is :math:`m = 0`; at
    :math:`T = 0`, :math:`m = \operatorname{sign}(h)` (:math:`+1` for :math:`h = 0`). Near
    :math:`T_c`, :math:`m \simeq \sqrt{3 (1 - T/J)}`.

    Parameters
    ----------
    T : float or array_like
        Temperature(s) ``>= 0``.
    J : float, default 1.0
        Ferromagnetic coupling ``> 0`` (:math:`J_{ij} = J/N`).
    h : float or array_like, default 0.0
        External field, broadcast against ``T``.

    Returns
    -------
    float or ndarray
        The magnetization per spin, with the broadcast shape of ``T`` and ``h``.

    References
    ----------
    P. Weiss, J. Phys. Theor. Appl. 6, 661 (1907); e.g. H. Nishimori and G. Ortiz,
    *Elements of Phase Transitions and Critical Phenomena* (OUP 2011), ch. 2.
    """
    caller = "curie_weiss_magnetization"
    T_arr, t_scalar = temperature_array(T, caller)
    J = check_real(J, "J", caller, 0.0, strict_minimum=True)
    h_arr, h_scalar = real_array(h, "h", caller)
    return vectorize(
        lambda t, f: _cw_scalar(t, J, f),
        (T_arr, h_arr),
        t_scalar and h_scalar,
        names=("T", "h"),
        caller=caller,
    )
