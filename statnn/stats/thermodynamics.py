"""Thermodynamic observables from fluctuations: specific heat, susceptibility, Binder cumulant.

Errors are block-jackknife errors (:func:`statnn.stats.resampling.jackknife`).

References
----------
K. Binder, "Finite size scaling analysis of Ising model block distribution functions",
Z. Phys. B 43, 119 (1981).
D. P. Landau and K. Binder, *A Guide to Monte Carlo Simulations in Statistical
Physics* (Cambridge, 4th ed. 2015), §4.2 -- finite-size susceptibility with ⟨|m|⟩.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from statnn._validation import check_int
from statnn.stats._inputs import _as_chains, _beta, _check_n_blocks, _power_of_two_scale
from statnn.stats.resampling import jackknife

__all__ = ["binder_cumulant", "specific_heat", "susceptibility"]


def specific_heat(
    e: Any, T: Any, n: int, *, n_blocks: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Specific heat per neuron from the fluctuations of the energy per neuron.

    .. math::  C = \beta^2 n \left( \langle e^2 \rangle - \langle e \rangle^2 \right),
        \qquad \beta = 1/T,

    the fluctuation-dissipation form of C = ∂⟨E⟩/∂T / n with e = E/n. Averages run over
    chains and records; the error is the block jackknife of :func:`jackknife`.

    Parameters
    ----------
    e : array_like
        Energy per neuron, (..., chains, records).
    T : float or array_like
        Temperatures ≥ 0, broadcastable to the leading shape (...). T = 0 gives nan
        (silently).
    n : int
        Number of neurons N.
    n_blocks : int, optional
        Jackknife blocks per chain (see :func:`jackknife`).

    Returns
    -------
    C, err : ndarray
        Shape (...).
    """
    y, beta, n, n_blocks = _fluctuation_inputs(e, "e", T, n, n_blocks, "specific_heat")
    return _variance_observable(y, beta**2 * n, n_blocks)


def _fluctuation_inputs(
    x: Any, name: str, T: Any, n: Any, n_blocks: Any, caller: str
) -> tuple[np.ndarray, np.ndarray, int, int | None]:
    """Checked ``(x, beta, n, n_blocks)`` of a fluctuation observable (C or chi)."""
    y = _as_chains(x, name, caller)
    beta = _beta(T, y.shape[:-2], caller)
    n = check_int(n, "n", caller, minimum=1)
    return y, beta, n, _check_n_blocks(n_blocks, caller)


def _variance_observable(
    y: np.ndarray, factor: np.ndarray, n_blocks: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """factor × (⟨y²⟩ − ⟨y⟩²) with jackknife error; y centred first to avoid cancellation."""
    d = y - y.mean(axis=(-2, -1), keepdims=True)
    scale = _power_of_two_scale(d)  # d² of huge records would overflow: scale exactly
    if scale != 1.0:
        d = d / scale
        factor = factor * scale * scale
    return jackknife(lambda m1, m2: factor * (m2 - m1 * m1), d, d * d, n_blocks=n_blocks)


def susceptibility(
    m: Any, T: Any, n: int, *, n_blocks: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Magnetic susceptibility per neuron, finite-size convention with |m|.

    .. math::  \chi' = \beta n \left( \langle m^2 \rangle - \langle |m| \rangle^2 \right),
        \qquad \beta = 1/T.

    In a finite system without field ⟨m⟩ = 0 by symmetry at every temperature (the
    magnetization flips between ±m₀ over long times), so the connected form
    β n (⟨m²⟩ − ⟨m⟩²) grows like n below T_c instead of measuring fluctuations. Using
    ⟨|m|⟩ gives the fluctuations within one ordered state below T_c; above T_c it is
    smaller than β n ⟨m²⟩ by a constant factor (1 − 2/π for Gaussian m) and both scale
    alike. Convention of Landau & Binder (2015), §4.2.

    Parameters
    ----------
    m : array_like
        Magnetization per neuron, (..., chains, records).
    T : float or array_like
        Temperatures ≥ 0, broadcastable to the leading shape. T = 0 gives nan.
    n : int
        Number of neurons N.
    n_blocks : int, optional
        Jackknife blocks per chain (see :func:`jackknife`).

    Returns
    -------
    chi, err : ndarray
        Shape (...).
    """
    y, beta, n, n_blocks = _fluctuation_inputs(m, "m", T, n, n_blocks, "susceptibility")
    # ⟨m²⟩ − ⟨|m|⟩² is the variance of |m|.
    return _variance_observable(np.abs(y), beta * n, n_blocks)


def binder_cumulant(m: Any, *, n_blocks: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Binder cumulant of the magnetization.

    .. math::  U = 1 - \frac{\langle m^4 \rangle}{3 \langle m^2 \rangle^2}

    (Binder 1981). U → 0 for Gaussian fluctuations (disordered phase), U = 2/3 for
    m = ±m₀ (ordered phase); curves for different sizes cross near T_c.

    Parameters
    ----------
    m : array_like
        Magnetization per neuron, (..., chains, records).
    n_blocks : int, optional
        Jackknife blocks per chain (see :func:`jackknife`).

    Returns
    -------
    U, err : ndarray
        Shape (...); nan where m is identically 0.
    """
    caller = "binder_cumulant"
    y = _as_chains(m, "m", caller)
    n_blocks = _check_n_blocks(n_blocks, caller)
    m2 = y * y
    return jackknife(lambda a2, a4: 1.0 - a4 / (3.0 * a2 * a2), m2, m2 * m2, n_blocks=n_blocks)
