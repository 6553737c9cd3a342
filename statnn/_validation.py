"""Argument checks shared by every public function.

Each check raises :class:`~statnn.errors.ValidationError` with one message template,
modelled on scikit-learn's parameter validation::

    The 'T' parameter of simulate must be a float or array of floats >= 0. Got -1 instead.

Checks return the argument converted to the form the caller works with, so a public
function validates everything first and then does its work on clean values.
"""

from __future__ import annotations

import math
import numbers
import secrets
from collections.abc import Iterable
from typing import Any

import numpy as np

from statnn.errors import ValidationError


def _show(value: Any) -> str:
    """Short, readable rendering of an offending value for an error message."""
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return f"array {np.array2string(value.ravel(), separator=', ')} of shape {value.shape}"
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def param_error(name: str, caller: str, expected: str, got: Any, hint: str = "") -> ValidationError:
    """Build the standard error: which parameter of which function, what was expected."""
    got_text = got if isinstance(got, str) and got.startswith("<") else _show(got)
    if isinstance(got_text, str) and got_text.startswith("<"):
        got_text = got_text[1:-1]
    message = f"The '{name}' parameter of {caller} must be {expected}. Got {got_text} instead."
    if hint:
        message += f" {hint}"
    return ValidationError(message)


def check_choice(value: Any, name: str, caller: str, choices: Iterable[str]) -> str:
    """A string among ``choices`` (case-sensitive)."""
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise param_error(name, caller, f"one of {listed}", value)
    return value


def check_bool(value: Any, name: str, caller: str) -> bool:
    """A Python ``bool`` or ``numpy.bool_`` (strings such as ``"false"`` are refused)."""
    if not isinstance(value, bool | np.bool_):
        raise param_error(name, caller, "a bool (True or False)", value)
    return bool(value)


def check_int(value: Any, name: str, caller: str, minimum: int | None = None) -> int:
    """An integer (not a bool), optionally ``>= minimum``."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok or (minimum is not None and value < minimum):
        bound = f" >= {minimum}" if minimum is not None else ""
        raise param_error(name, caller, f"an int{bound}", value)
    return int(value)


def check_real(
    value: Any,
    name: str,
    caller: str,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    strict_minimum: bool = False,
) -> float:
    """A finite real number within optional bounds."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        value = float(value)
        ok = np.isfinite(value)
        if ok and minimum is not None:
            ok = value > minimum if strict_minimum else value >= minimum
        if ok and maximum is not None:
            ok = value <= maximum
    if not ok:
        parts = []
        if minimum is not None:
            parts.append(f"{'>' if strict_minimum else '>='} {minimum:g}")
        if maximum is not None:
            parts.append(f"<= {maximum:g}")
        bound = (" " + " and ".join(parts)) if parts else ""
        raise param_error(name, caller, f"a finite float{bound}", value)
    return value


def check_probability(value: Any, name: str, caller: str) -> float:
    """A float in [0, 1]."""
    return check_real(value, name, caller, 0.0, 1.0)


def check_temperatures(T: Any, caller: str, name: str = "T") -> np.ndarray:
    """Temperatures as a 1-D float64 array of finite values >= 0 (a scalar becomes length 1)."""
    expected = "a float or array of floats >= 0"
    if type(T) is float or type(T) is int:  # the common case, without numpy calls
        if not 0.0 <= T < math.inf:
            raise param_error(name, caller, expected, T)
        return np.array([T], dtype=np.float64)
    try:
        arr = np.asarray(T, dtype=np.float64)
    except (TypeError, ValueError):
        raise param_error(name, caller, expected, T) from None
    if arr.ndim > 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise param_error(name, caller, expected, T)
    return np.atleast_1d(arr)


def check_array(
    value: Any,
    name: str,
    caller: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    shape: tuple[int | None, ...] | None = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """A numeric array of finite values with the given number of axes / shape (None = any)."""
    if np.iscomplexobj(value) and not np.issubdtype(np.dtype(dtype), np.complexfloating):
        raise param_error(name, caller, "a real numeric array (complex values are refused)", value)
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError):
        raise param_error(name, caller, "a numeric array", value) from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise param_error(name, caller, f"an array with {want} axes", arr)
    if shape is not None:
        if arr.ndim != len(shape) or any(
            s is not None and s != a for s, a in zip(shape, arr.shape, strict=False)
        ):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise param_error(name, caller, f"an array of shape {want}", f"<shape {arr.shape}>")
    if np.issubdtype(arr.dtype, np.floating) and not _all_finite(arr):
        raise param_error(name, caller, "an array of finite values (no NaN or inf)", arr)
    return arr


def _all_finite(arr: np.ndarray) -> bool:
    """Every entry finite; checked in chunks so a large matrix needs no full-size mask."""
    flat = arr.ravel(order="K")  # a view of any contiguous layout
    step = _CHECK_CHUNK
    return all(np.isfinite(flat[i : i + step]).all() for i in range(0, flat.size, step))


def check_spins(value: Any, name: str, caller: str, n: int | None = None) -> np.ndarray:
    """Spins: an array of ±1 (any leading axes, last axis ``n``) returned as int8."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise param_error(name, caller, "an array of ±1 spins", value) from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise param_error(name, caller, "an array of ±1 spins", value)
    if arr.ndim == 0:
        raise param_error(name, caller, "an array of ±1 spins with at least one axis", value)
    if n is not None and arr.shape[-1] != n:
        raise param_error(
            name,
            caller,
            f"an array of ±1 spins whose last axis has length {n}",
            f"<shape {arr.shape}>",
        )
    bad = _non_spin_values(arr)
    if bad is not None:
        raise param_error(
            name,
            caller,
            "an array of ±1 spins",
            f"<values such as {bad.tolist()}>",
            hint="Convert 0/1 activities with S = 2*n - 1.",
        )
    return arr.astype(np.int8, copy=False)


#: Entries checked at once by :func:`check_spins`: its temporaries stay a few MB however
#: large the array (a pattern table of 10^9 entries is checked in place).
_CHECK_CHUNK = 1 << 20


def _non_spin_values(arr: np.ndarray) -> np.ndarray | None:
    """Up to three entries of ``arr`` that are not ±1, or None; works in chunks."""
    if arr.size == 0:
        return None
    flat = arr.reshape(-1, arr.shape[-1]) if arr.ndim > 1 else arr[None, :]
    rows = max(1, _CHECK_CHUNK // max(flat.shape[1], 1))
    for start in range(0, flat.shape[0], rows):
        block = flat[start : start + rows]
        ok = (block == 1) | (block == -1)
        if not ok.all():
            return block[~ok].ravel()[:3]
    return None


def check_patterns(
    value: Any, caller: str, name: str = "patterns", n: int | None = None
) -> np.ndarray:
    """Patterns: a (P, N) array of ±1 (a single 1-D pattern becomes P = 1), as int8.

    An int8 array is returned as it is, in its own memory layout (no copy): pattern tables
    can be as large as the machine allows, and the Fortran-ordered tables of
    :func:`statnn.random_patterns` are exactly what the pattern-form kernels read.
    """
    arr = check_spins(value, name, caller, n=n)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise param_error(name, caller, "a (P, N) array of ±1 patterns", f"<shape {arr.shape}>")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise param_error(name, caller, "at least one pattern of at least one neuron", f"<shape {arr.shape}>")
    return arr


#: Bits of entropy drawn for ``seed=None`` (or from a Generator): enough to never repeat by
#: chance, and small enough to be stored as an int64 attribute of a netCDF file.
_SEED_BITS = 63

_SEED_KINDS = "an int >= 0, a numpy Generator, a SeedSequence or None"


def check_seed(seed: Any, caller: str, name: str = "seed") -> np.random.SeedSequence:
    """The :class:`numpy.random.SeedSequence` that ``seed`` means.

    Accepted: an int >= 0 (or a sequence of them, as numpy allows), a
    :class:`numpy.random.SeedSequence`, a :class:`numpy.random.Generator` (it is advanced:
    63 bits are drawn from it) or None (63 bits of fresh OS entropy). The returned sequence
    always has a plain entropy and no spawn key, so ``seed_value`` of it, passed back as
    ``seed``, reproduces the same sequence: that is the seed to record.

    Equivalent seeds give the same sequence: ``5`` and ``SeedSequence(5)``; a spawned
    ``SeedSequence`` (or one with a non-default pool size) is reduced to 63 bits of its
    own output, deterministically.
    """
    if seed is None:
        return np.random.SeedSequence(secrets.randbits(_SEED_BITS))
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(0, 2**_SEED_BITS)))
    if isinstance(seed, np.random.SeedSequence):
        if seed.spawn_key == () and seed.pool_size == 4:
            return np.random.SeedSequence(seed.entropy)
        word = int(seed.generate_state(1, dtype=np.uint64)[0])
        return np.random.SeedSequence(word >> (64 - _SEED_BITS))
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise param_error(name, caller, _SEED_KINDS, seed)
        return np.random.SeedSequence(int(seed))
    if (
        isinstance(seed, list | tuple)
        and seed
        and all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 0 for s in seed
        )
    ):
        return np.random.SeedSequence([int(s) for s in seed])
    raise param_error(name, caller, _SEED_KINDS, seed)


def seed_value(seed: Any, caller: str, name: str = "seed") -> int | list[int]:
    """The plain seed (int, or list of ints) of :func:`check_seed`'s sequence: what to record.

    Passing it back as ``seed`` reproduces the run; ``seed=None`` or a Generator thus
    become the 63-bit integer actually drawn.
    """
    entropy = check_seed(seed, caller, name).entropy
    return int(entropy) if isinstance(entropy, numbers.Integral) else [int(e) for e in entropy]


def renamed(caller: str, old: str, old_value: Any, new: str, new_value: Any, default: Any) -> Any:
    """The value of a parameter renamed from ``old`` to ``new`` (``old_value`` None: unused).

    The old name keeps working for one release with a FutureWarning; giving both names
    with different values is an error.
    """
    if old_value is None:
        return new_value
    import warnings

    warnings.warn(
        f"The '{old}' parameter of {caller} is now called '{new}'; '{old}' will stop "
        f"working in the next release. Use {new}={old_value!r}.",
        FutureWarning,
        stacklevel=3,
    )
    if new_value != default and new_value != old_value:
        raise param_error(
            old, caller, f"left out when '{new}' is given ('{old}' is its old name)", old_value
        )
    return old_value
