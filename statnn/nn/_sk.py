"""Input checks of the estimators: scikit-learn's validation, statnn's error template.

scikit-learn's checks (finite values, 2-D X, feature count, label types) run first; a
failure is re-raised as :class:`~statnn.errors.ValidationError` naming the argument and
the method, with scikit-learn's own explanation appended.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from statnn._validation import _show, param_error


def check_X(estimator, X, caller, *, reset):
    """X as a float64 (n, D) array; ``reset`` records ``n_features_in_`` (fit)."""
    try:
        return validate_data(estimator, X, reset=reset, dtype=np.float64)
    except ValueError as err:
        expected = "a 2-D array of finite real numbers, one row per sample"
        if not reset and hasattr(estimator, "n_features_in_"):
            expected += f" and {estimator.n_features_in_} columns"
        raise param_error("X", caller, expected, _got(X), hint=str(err)) from err


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
    if isinstance(value, np.ndarray):
        return _show(value)
    try:
        return f"<an array of shape {np.shape(value)}>"
    except Exception:  # noqa: BLE001
        return f"<{type(value).__name__}>"
