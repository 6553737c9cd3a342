"""Input checks of the estimators: scikit-learn's validation, statnn's error template.

scikit-learn's checks (finite values, 2-D X, feature count, label types) run first; a
failure is re-raised as :class:`~statnn.errors.ValidationError` naming the argument and
the method, with scikit-learn's own explanation appended.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from statnn._validation import _show, param_error

#: value of a renamed parameter's old name when the user did not pass it
DEPRECATED = "deprecated"
#: the release that drops the old names
REMOVED_IN = "0.2"


def check_random_state(random_state, caller, name="random_state"):
    """A :class:`numpy.random.Generator` from ``random_state``.

    scikit-learn's ``check_random_state`` semantics, for numpy's Generator API:

    - ``None``: a Generator seeded from numpy's global random state, so
      ``np.random.seed(0)`` makes the call reproducible, as in scikit-learn;
    - an int >= 0 or a :class:`numpy.random.SeedSequence`: a fresh Generator seeded
      with it (every call with the same value draws the same numbers);
    - a :class:`numpy.random.Generator`: used as it is (each call advances it);
    - a :class:`numpy.random.RandomState`: a Generator seeded from a draw of it
      (each call advances it).
    """
    if random_state is None:
        random_state = np.random.mtrand._rand
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**63 - 1, dtype=np.int64))
    if isinstance(random_state, np.random.SeedSequence):
        return np.random.default_rng(random_state)
    if (
        isinstance(random_state, numbers.Integral)
        and not isinstance(random_state, bool | np.bool_)
        and random_state >= 0
    ):
        return np.random.default_rng(int(random_state))
    raise param_error(
        name,
        caller,
        "an int >= 0, a numpy.random.Generator, SeedSequence or RandomState, or None",
        random_state,
    )


def renamed(estimator, caller, names, stacklevel=4):
    """Values of renamed parameters, honouring the old names with a FutureWarning.

    ``names`` maps each old name to its new one. Returns ``{new: value}``: the old
    name's value where the user set it (with a FutureWarning), else the new name's.
    Setting both is an error.
    """
    values = {}
    for old, new in names.items():
        value = getattr(estimator, new)
        old_value = getattr(estimator, old)
        if isinstance(old_value, str) and old_value == DEPRECATED:
            values[new] = value
            continue
        if not _is_default(estimator, new, value):
            raise param_error(
                old,
                caller,
                f"left unset when '{new}' is given ('{old}' is the old name of '{new}')",
                old_value,
            )
        warnings.warn(
            f"The '{old}' parameter of {type(estimator).__name__} was renamed '{new}' "
            f"(scikit-learn's name); '{old}' will be removed in statnn {REMOVED_IN}. "
            f"Use {new}={old_value!r}.",
            FutureWarning,
            stacklevel=stacklevel,
        )
        values[new] = old_value
    return values


def _is_default(estimator, name, value):
    import inspect

    default = inspect.signature(type(estimator).__init__).parameters[name].default
    if value is default:
        return True
    if isinstance(value, list | tuple | np.ndarray) or isinstance(default, list | tuple):
        try:
            return np.array_equal(np.asarray(value), np.asarray(default))
        except (TypeError, ValueError):
            return False
    try:
        return type(value) is type(default) and bool(value == default)
    except (TypeError, ValueError):
        return False


def check_bool(value, name, caller):
    """A Python or numpy bool (a string such as "false" is refused, not read as true)."""
    if not isinstance(value, bool | np.bool_):
        raise param_error(name, caller, "a bool", value)
    return bool(value)


def check_X(estimator, X, caller, *, reset, sparse=False):
    """X as a float64 (n, D) array; ``reset`` records ``n_features_in_`` (fit).

    With ``sparse``, a SciPy sparse matrix or array is accepted and returned in CSR
    format (sorted indices, float64); otherwise it is refused with a clear message.
    """
    if sp.issparse(X) and not sparse:
        raise param_error(
            "X",
            caller,
            "a dense array",
            f"<a sparse {X.format.upper()} matrix of shape {X.shape}>",
            hint="Convert it with X.toarray().",
        )
    try:
        X = validate_data(
            estimator, X, reset=reset, dtype=np.float64, accept_sparse="csr" if sparse else False
        )
    except ValueError as err:
        expected = "a 2-D array of finite real numbers, one row per sample"
        if not reset and hasattr(estimator, "n_features_in_"):
            expected += f" and {estimator.n_features_in_} columns"
        raise param_error("X", caller, expected, _got(X), hint=str(err)) from err
    if sp.issparse(X):
        X = X.copy() if not X.has_sorted_indices else X
        X.sort_indices()
    return X


def check_y_labels(y, n_samples, caller, *, min_classes=2):
    """Class labels: returns (y encoded as 0..K-1, classes)."""
    _check_not_none(y, caller)
    try:
        y = column_or_1d(y, warn=True)
        if y.dtype.kind in "fc" and not np.all(np.isfinite(y)):
            raise ValueError("Input y contains NaN or infinity.")
        check_classification_targets(y)
    except ValueError as err:
        raise param_error(
            "y", caller, "a 1-D array of class labels", _got(y), hint=str(err)
        ) from err
    _check_length(y, n_samples, caller)
    classes, encoded = np.unique(y, return_inverse=True)
    if len(classes) < min_classes:
        raise param_error(
            "y",
            caller,
            f"labels of at least {min_classes} classes",
            f"<labels of {len(classes)} class>",
        )
    return encoded, classes


def encode_labels(y, classes, n_samples, caller):
    """Labels ``y`` as indices into the known ``classes`` (partial_fit, warm starts)."""
    _check_not_none(y, caller)
    try:
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
    except ValueError as err:
        raise param_error(
            "y", caller, "a 1-D array of class labels", _got(y), hint=str(err)
        ) from err
    _check_length(y, n_samples, caller)
    try:
        unknown = ~np.isin(y, classes)
    except TypeError:
        unknown = np.ones(len(y), dtype=bool)
    if unknown.any():
        raise param_error(
            "y",
            caller,
            f"labels among the classes {np.asarray(classes).tolist()}",
            f"<the label {y[unknown][0].tolist()!r}>",
        )
    return np.searchsorted(classes, y)


def check_y_values(y, n_samples, caller):
    """Regression targets as a float64 (n, m) array; returns (Y, was_1d)."""
    _check_not_none(y, caller)
    try:
        arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise param_error("y", caller, "an array of real numbers", _got(y)) from err
    if arr.ndim not in (1, 2) or not np.all(np.isfinite(arr)):
        raise param_error("y", caller, "a 1-D or 2-D array of finite real numbers", _got(arr))
    _check_length(arr, n_samples, caller)
    return (arr[:, None], True) if arr.ndim == 1 else (arr, False)


def _check_not_none(y, caller):
    if y is None:
        raise param_error(
            "y",
            caller,
            "an array of targets",
            None,
            hint="The estimator requires y to be passed, but the target y is None.",
        )


def _check_length(y, n_samples, caller):
    if len(y) != n_samples:
        raise param_error(
            "y",
            caller,
            f"an array with {n_samples} entries, one per row of X",
            f"<{len(y)} entries>",
        )


def check_fitted(estimator, attribute):
    """scikit-learn's NotFittedError when ``fit`` has not run."""
    check_is_fitted(estimator, attribute)


def _got(value):
    if sp.issparse(value):
        return f"<a sparse matrix of shape {value.shape}>"
    if isinstance(value, np.ndarray):
        return _show(value)
    try:
        return f"<an array of shape {np.shape(value)}>"
    except Exception:  # noqa: BLE001
        return f"<{type(value).__name__}>"
