"""Input checks and small array helpers shared by the statistics modules."""

from __future__ import annotations

from typing import Any

import numpy as np

from statnn._validation import check_int, check_real, param_error
from statnn.core.neurons import inverse_temperature


def _as_float_array(x: Any, name: str, caller: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise param_error(name, caller, "a numeric array", x) from None
    if arr.ndim == 0 or arr.size == 0:
        raise param_error(name, caller, "a non-empty array with at least one axis", arr)
    if not np.all(np.isfinite(arr)):
        raise param_error(name, caller, "an array of finite values (no NaN or inf)", arr)
    return arr


def _as_chains(x: Any, name: str, caller: str) -> np.ndarray:
    """Series as a float array (..., chains, records); a 1-D array is one chain."""
    arr = _as_float_array(x, name, caller)
    return arr[None, :] if arr.ndim == 1 else arr


def _normalize_axis(axis: Any, ndim: int, name: str, caller: str) -> int:
    ok = isinstance(axis, (int, np.integer)) and not isinstance(axis, bool)
    if not ok or not -ndim <= axis < ndim:
        raise param_error(name, caller, f"an int axis in [-{ndim}, {ndim - 1}]", axis)
    return int(axis) % ndim


def _check_c(c: Any, caller: str) -> float:
    return check_real(c, "c", caller, minimum=0.0, strict_minimum=True)


def _check_n_blocks(n_blocks: Any, caller: str) -> int | None:
    if n_blocks is None:
        return None
    return check_int(n_blocks, "n_blocks", caller, minimum=1)


def _beta(T: Any, lead: tuple[int, ...], caller: str) -> np.ndarray:
    """β = 1/T (:func:`~statnn.core.neurons.inverse_temperature`) broadcast to the leading
    shape. The fluctuation formulas C = β²N Var(e) and χ = βN Var(|m|) are undefined at
    T = 0 (β = ∞ times a zero variance), so there β is replaced by nan (silently)."""
    expected = "a float or array of floats >= 0"
    try:
        t = np.asarray(T, dtype=np.float64)
    except (TypeError, ValueError):
        raise param_error("T", caller, expected, T) from None
    if t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise param_error("T", caller, expected, T)
    try:
        t = np.broadcast_to(t, lead)
    except ValueError:
        raise param_error(
            "T",
            caller,
            f"a float or an array broadcastable to the leading shape {lead}",
            f"<shape {t.shape}>",
        ) from None
    beta = np.array(inverse_temperature(t), dtype=np.float64)
    beta[np.isinf(beta)] = np.nan
    return beta


def _out(a: Any) -> Any:
    """A 0-d result as a numpy scalar, anything else as an array."""
    a = np.asarray(a, dtype=np.float64)
    return a[()] if a.ndim == 0 else a


def _is_constant(y: np.ndarray) -> np.ndarray:
    """Whether each (chains, records) block of ``y`` holds one single value."""
    return y.max(axis=(-2, -1)) == y.min(axis=(-2, -1))


def _power_of_two_scale(y: np.ndarray) -> float:
    """1 for ordinary data; for |y| beyond 2^300 the power of two that brings it near 1.

    Dividing by a power of two is exact, so sums of squares of huge (finite) records do
    not overflow and ordinary data are untouched, bit for bit.
    """
    top = float(np.max(np.abs(y))) if y.size else 0.0
    if not np.isfinite(top) or top <= 2.0**300:
        return 1.0
    return float(2.0 ** np.ceil(np.log2(top)))
