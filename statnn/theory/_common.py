"""Shared helpers of :mod:`statnn.theory`: argument conversion and Gaussian averages.

The saddle-point equations of the replica theories (AGS, SK) are all Gaussian averages of
``tanh``, ``tanh**2``, ``sech**2`` and ``log(2 cosh)`` of a field ``x = m + sigma * z`` divided
by the temperature, with ``z`` a standard Gaussian. :func:`gauss_averages` evaluates them
accurately for every ratio ``T / sigma``, from the smooth high-temperature regime (plain
Gauss-Hermite quadrature in ``z``) down to ``T -> 0`` where ``tanh(x / T)`` becomes a step
(the step is integrated exactly and only the exponentially small remainder, a smooth
function of ``u = x / T``, is integrated numerically).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import erf

from statnn._validation import param_error


def brentq(*args, **kwargs):
    """:func:`scipy.optimize.brentq`; scipy.optimize is imported on the first call only.

    ``import statnn`` loads this package, and most runs never solve a saddle point: the
    solvers' import (a tenth of a second or more) is paid by the runs that use them.
    """
    from scipy.optimize import brentq as solve

    return solve(*args, **kwargs)


def minimize_scalar(*args, **kwargs):
    """:func:`scipy.optimize.minimize_scalar`, imported on the first call (see :func:`brentq`)."""
    from scipy.optimize import minimize_scalar as solve

    return solve(*args, **kwargs)


SQRT2 = math.sqrt(2.0)
SQRT2PI = math.sqrt(2.0 * math.pi)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)

# Gauss-Hermite nodes for the probabilists' weight exp(-z^2/2): <f(z)> = sum w_k f(z_k).
_GH_ORDER = 200
_gh_x, _gh_w = np.polynomial.hermite.hermgauss(_GH_ORDER)
GH_Z = _gh_x * SQRT2
GH_W = _gh_w / math.sqrt(math.pi)
del _gh_x, _gh_w

# Composite Gauss-Legendre nodes on [0, U_MAX] for the remainder integrals in u = x / T.
# The remainders decay like exp(-2u), so U_MAX = 20 leaves < 1e-17; panels of width 0.5
# with 8 points resolve the poles of tanh/sech at +-i*pi/2 to ~1e-14.
_U_MAX, _PANEL, _GL_POINTS = 20.0, 0.5, 8
_gl_x, _gl_w = np.polynomial.legendre.leggauss(_GL_POINTS)
_left = np.arange(0.0, _U_MAX, _PANEL)
GL_U = (_left[:, None] + 0.5 * _PANEL * (_gl_x[None, :] + 1.0)).ravel()
GL_W = np.broadcast_to(0.5 * _PANEL * _gl_w, (_left.size, _GL_POINTS)).ravel().copy()
del _gl_x, _gl_w, _left

# Functions of v = |u| >= 0 on the grid, computed once.
_E2 = np.exp(-2.0 * GL_U)
_TANH_REM = 2.0 * _E2 / (1.0 + _E2)  # 1 - tanh(v)
_SECH2 = 4.0 * _E2 / (1.0 + _E2) ** 2  # sech^2(v)
_LOG1P = np.log1p(_E2)  # log(2 cosh v) - v

# Below this ratio T / sigma the step-plus-remainder method is used.
_SHARP_RATIO = 1.0


def gauss_averages(m: float, sigma: float, T: float) -> tuple[float, float, float, float, float]:
    """Gaussian averages over ``x = m + sigma * z`` at temperature ``T > 0``.

    Returns
    -------
    t1, t2, s2, C, lc : float
        ``<tanh(x/T)>``, ``<tanh(x/T)**2>``, ``<sech(x/T)**2>`` (= 1 - t2, computed directly so
        that it keeps its relative precision when small), ``C = s2 / T`` and
        ``lc = T <log(2 cosh(x/T))>``.
    """
    if sigma == 0.0:
        a = m / T
        t = math.tanh(a)
        s2 = 1.0 / math.cosh(a) ** 2 if abs(a) < 350 else 0.0
        lc = abs(m) + T * math.log1p(math.exp(-2.0 * abs(a)))
        return t, t * t, s2, s2 / T, lc
    if T / sigma >= _SHARP_RATIO:
        a = (m + sigma * GH_Z) / T
        t = np.tanh(a)
        aa = np.abs(a)
        e2 = np.exp(-2.0 * aa)
        s2 = float(GH_W @ (4.0 * e2 / (1.0 + e2) ** 2))
        lc = float(GH_W @ (np.abs(m + sigma * GH_Z) + T * np.log1p(e2)))
        t2 = float(GH_W @ (t * t))
        return float(GH_W @ t), t2, s2, s2 / T, lc
    # Sharp regime: exact step part plus the remainder integrated in u = x / T.
    y = m / (SQRT2 * sigma)
    gauss_tail = SQRT_2_OVER_PI * math.exp(-y * y)
    step = float(erf(y))  # <sign x>
    absx = m * step + sigma * gauss_tail  # <|x|>
    # density of u = x / T is (T / sigma) * phi((T u - m) / sigma); evaluate at u = +v, -v
    zp = (T * GL_U - m) / sigma
    zm = (-T * GL_U - m) / sigma
    gp = GL_W * np.exp(-0.5 * zp * zp) / (SQRT2PI * sigma)  # weights without the factor T
    gm = GL_W * np.exp(-0.5 * zm * zm) / (SQRT2PI * sigma)
    C = float((gp + gm) @ _SECH2)  # = <sech^2(x/T)> / T, finite as T -> 0
    s2 = T * C
    t1 = step + T * (float(gm @ _TANH_REM) - float(gp @ _TANH_REM))
    lc = absx + T * T * float((gp + gm) @ _LOG1P)
    return t1, 1.0 - s2, s2, C, lc


def gauss_tail_C(m: float, sigma: float) -> float:
    """``C = lim_{T->0} beta (1 - q) = sqrt(2/pi) exp(-m^2 / (2 sigma^2)) / sigma``."""
    return SQRT_2_OVER_PI * math.exp(-0.5 * (m / sigma) ** 2) / sigma


# --------------------------------------------------------------------------- arguments


def real_array(
    value: Any,
    name: str,
    caller: str,
    *,
    minimum: float | None = None,
    strict_minimum: bool = False,
    maximum: float | None = None,
    expected: str | None = None,
) -> tuple[np.ndarray, bool]:
    """A float or array of finite floats within bounds, as ``(float64 array, was_scalar)``.

    Raises :class:`~statnn.errors.ValidationError` naming ``name`` otherwise.
    """
    if expected is None:
        parts = []
        if minimum is not None:
            parts.append(f"{'>' if strict_minimum else '>='} {minimum:g}")
        if maximum is not None:
            parts.append(f"<= {maximum:g}")
        bound = (" " + " and ".join(parts)) if parts else ""
        expected = f"a finite float or array of finite floats{bound}"
    if isinstance(value, (bool, np.bool_)) or isinstance(value, (str, bytes)):
        raise param_error(name, caller, expected, value)
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # pragma: no cover - ragged input
        raise param_error(name, caller, expected, value) from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise param_error(name, caller, expected, value)
    arr = arr.astype(np.float64)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise param_error(name, caller, expected, value)
    if minimum is not None:
        bad = arr <= minimum if strict_minimum else arr < minimum
        if np.any(bad):
            raise param_error(name, caller, expected, value)
    if maximum is not None and np.any(arr > maximum):
        raise param_error(name, caller, expected, value)
    return arr, arr.ndim == 0


def temperature_array(T: Any, caller: str, name: str = "T") -> tuple[np.ndarray, bool]:
    """Temperatures: a float or array of finite floats >= 0 (the package's template)."""
    return real_array(T, name, caller, minimum=0.0, expected="a float or array of floats >= 0")


def int_array(
    value: Any, name: str, caller: str, *, minimum: int | None = None
) -> tuple[np.ndarray, bool]:
    """An int or array of ints (no floats, no bools) ``>= minimum``, as ``(object array, scalar)``.

    The values are returned as exact Python integers in an object array, so arbitrarily
    large counts stay exact.
    """
    bound = f" >= {minimum}" if minimum is not None else ""
    expected = f"an int or array of ints{bound}"
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        arr = np.empty((), dtype=object)
        arr[()] = int(value)
    else:
        try:
            raw = np.asarray(value)
        except (TypeError, ValueError):  # pragma: no cover
            raise param_error(name, caller, expected, value) from None
        if raw.dtype == object:
            flat = raw.ravel()
            if not all(
                isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))
                for v in flat
            ):
                raise param_error(name, caller, expected, value)
        elif not np.issubdtype(raw.dtype, np.integer) or raw.dtype == np.bool_:
            raise param_error(name, caller, expected, value)
        if raw.size == 0:
            raise param_error(name, caller, expected, value)
        arr = np.empty(raw.shape, dtype=object)
        for idx, v in np.ndenumerate(raw):
            arr[idx] = int(v)
    if minimum is not None and any(v < minimum for v in arr.ravel()):
        raise param_error(name, caller, expected, value)
    return arr, arr.ndim == 0


def vectorize(
    func: Callable[..., float],
    arrays: tuple[np.ndarray, ...],
    scalar: bool,
    *,
    names: tuple[str, ...] = (),
    caller: str = "",
) -> float | np.ndarray:
    """Apply a scalar function elementwise over broadcast float arrays.

    Arrays that do not broadcast raise a :class:`~statnn.errors.ValidationError` naming
    the last argument (``names``, the user's names of ``arrays``) and the shapes.
    """
    try:
        bcast = np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = ", ".join(
            f"{n!r} {a.shape}"
            for n, a in zip(names or [f"#{i}" for i in range(len(arrays))], arrays, strict=True)
        )
        raise param_error(
            names[-1] if names else "arguments",
            caller or "this function",
            "a float or an array that broadcasts against the other arguments "
            "(numpy broadcasting: equal lengths, or length 1)",
            f"<shapes {shapes}>",
        ) from None
    out = np.empty(bcast[0].shape, dtype=np.float64)
    for idx in np.ndindex(out.shape):
        out[idx] = func(*(float(a[idx]) for a in bcast))
    return float(out) if scalar else out
