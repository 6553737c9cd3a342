"""Sherrington-Kirkpatrick spin glass: replica-symmetric solution and the Parisi energy."""

from __future__ import annotations

from statnn.theory._common import (
    SQRT_2_OVER_PI,
    brentq,
    gauss_averages,
    temperature_array,
    vectorize,
)

__all__ = ["SK_GROUND_STATE_ENERGY", "sk_rs_overlap", "sk_rs_energy"]

#: Ground-state energy per spin of the SK model (Gaussian couplings of variance 1/N, no
#: field) from Parisi's full replica-symmetry-breaking solution, -0.7632 (more digits:
#: -0.763166..., A. Crisanti and T. Rizzo, Phys. Rev. E 65, 046137 (2002)). The
#: replica-symmetric value is -sqrt(2/pi) = -0.7979 (see :func:`sk_rs_energy`).
SK_GROUND_STATE_ENERGY = -0.7632


def _sk_scale(T: float) -> tuple[float, float, float]:
    """Solve the RS equation in the variable s = beta sqrt(q).

    q = <tanh^2(s z)> with q = (s T)^2 reads G(s) = <tanh^2(s z)> / s^2 = T^2, and G falls
    monotonically from 1 (s -> 0) to 0 (s -> inf). Returns (s, q, C) with C = beta (1 - q).
    """

    def G(s: float) -> float:
        if s < 1e-3:  # series: tanh^2 x = x^2 - 2x^4/3 + 17x^6/45, <z^4> = 3, <z^6> = 15
            return 1.0 - 2.0 * s * s + 17.0 / 3.0 * s**4
        _, t2, _, _, _ = gauss_averages(0.0, s, 1.0)
        return t2 / (s * s)

    target = T * T
    hi = 1.0
    while G(hi) > target:
        hi *= 2.0
    s = brentq(lambda x: G(x) - target, 0.0, hi, xtol=1e-15, rtol=1e-15, maxiter=500)
    _, t2, s2, _, _ = gauss_averages(0.0, s, 1.0)
    # 1 - q = <sech^2(s z)> exactly at the solution; C = beta (1 - q) stays finite at T -> 0
    return s, t2, s2 / T


def _overlap_scalar(T: float) -> float:
    if T >= 1.0:
        return 0.0
    if T == 0.0:
        return 1.0
    return _sk_scale(T)[1]


def _energy_scalar(T: float) -> float:
    if T >= 1.0:
        return -0.5 / T
    if T == 0.0:
        return -SQRT_2_OVER_PI
    _, q, C = _sk_scale(T)
    return -0.5 * C * (1.0 + q)  # -(beta/2)(1 - q)(1 + q)


def sk_rs_overlap(T):
    r"""Replica-symmetric Edwards-Anderson order parameter q(T) of the SK model.

    For Gaussian couplings of variance :math:`1/N` and no field, the RS saddle point is

    .. math:: q = \int Dz\, \tanh^2\!\big(\beta \sqrt{q}\, z\big),

    with :math:`q = 0` for :math:`T \ge T_c = 1` and :math:`q \simeq 1 - T` just below;
    :math:`q \to 1` as :math:`T \to 0`. Solved in the variable :math:`s = \beta\sqrt q`,
    for which :math:`\langle\tanh^2(s z)\rangle / s^2 = T^2` has a monotone left-hand side.

    Parameters
    ----------
    T : float or array_like
        Temperature(s) ``>= 0``.

    Returns
    -------
    float or ndarray

    References
    ----------
    D. Sherrington and S. Kirkpatrick, Phys. Rev. Lett. 35, 1792 (1975);
    M. Mezard, G. Parisi and M. A. Virasoro, *Spin Glass Theory and Beyond*
    (World Scientific 1987), ch. I.
    """
    T_arr, scalar = temperature_array(T, "sk_rs_overlap")
    return vectorize(_overlap_scalar, (T_arr,), scalar)


def sk_rs_energy(T):
    r"""Replica-symmetric internal energy per spin of the SK model.

    .. math:: u = -\frac{\beta}{2}\left(1 - q^2\right),

    with :math:`q` from :func:`sk_rs_overlap`: the paramagnetic :math:`u = -\beta/2` for
    :math:`T \ge 1`, and :math:`u(0) = -\sqrt{2/\pi} \approx -0.798` (the RS ground state;
    the exact Parisi value is :data:`SK_GROUND_STATE_ENERGY` = -0.7632). The product
    :math:`\beta(1 - q)` is computed directly so the limit :math:`T \to 0` is smooth.

    Parameters
    ----------
    T : float or array_like
        Temperature(s) ``>= 0``.

    Returns
    -------
    float or ndarray

    References
    ----------
    D. Sherrington and S. Kirkpatrick, Phys. Rev. Lett. 35, 1792 (1975).
    """
    T_arr, scalar = temperature_array(T, "sk_rs_energy")
    return vectorize(_energy_scalar, (T_arr,), scalar)
