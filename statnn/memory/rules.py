"""Learning rules: stored patterns ξ (P × N, ±1) in, couplings J in the cheapest form out.

=====================  ===========================================  ====================
rule                   couplings                                    representation
=====================  ===========================================  ====================
Hebbian                J = (1/N) ξᵀξ, J_ii = 0                      pattern form (P × N)
Hebbian, activity a    J = (1/(N(1−a²))) (ξ−a)ᵀ(ξ−a), J_ii = 0      dense
pseudo-inverse         J = (1/N) ξᵀ C⁻¹ ξ, C = ξξᵀ/N, J_ii = 0      dense
Storkey                incremental rule of Storkey (1997)           dense
perceptron-learned     each row trained to margin κ (Gardner)       dense, asymmetric
any rule, diluted      J_ij c_ij / c                                sparse (CSR)
=====================  ===========================================  ====================

Every function validates the patterns (a (P, N) array of ±1, N ≥ 2) and returns a
:class:`~statnn.core.couplings.Couplings`; :func:`statnn.memory.networks` wraps it in a
:class:`~statnn.core.network.Network`. Dilution (``dilution=c``): keep each coupling with
probability c, symmetrically (c_ij = c_ji) or not, see :mod:`statnn.memory.dilution`.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg.blas as blas
import scipy.sparse as sp

from statnn._memory import check_allocation, format_bytes
from statnn._validation import (
    check_int,
    check_patterns,
    check_probability,
    check_real,
    check_seed,
    param_error,
)
from statnn.core.couplings import Couplings, DenseCouplings, PatternCouplings, SparseCouplings
from statnn.memory.dilution import dilute_dense, dilution_mask, mask_matrix, sparse_from_pairs

_PAIR_CHUNK = 1 << 22  # pattern entries handled at once by the diluted Hebbian rule
_FLOAT64 = np.dtype(np.float64)
_MARGIN_TOL = 1e-9  # relative tolerance of the margin test Δ >= κ


# ---------------------------------------------------------------------------------------
# shared checks


def _patterns(patterns, caller: str) -> np.ndarray:
    xi = check_patterns(patterns, caller)
    if xi.shape[1] < 2:
        raise param_error(
            "patterns", caller, "a (P, N) array of ±1 with N >= 2 neurons", f"<shape {xi.shape}>"
        )
    return xi


def _dilution(dilution, caller: str) -> float | None:
    """The connectivity c in (0, 1], or None (fully connected)."""
    if dilution is None:
        return None
    c = check_probability(dilution, "dilution", caller)
    if c == 0.0:
        raise param_error(
            "dilution", caller, "a connectivity c in (0, 1] (the probability to keep J_ij)", c
        )
    return None if c == 1.0 else c


def _bool(value, name: str, caller: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise param_error(name, caller, "a bool", value)
    return bool(value)


def _rng(seed, caller: str) -> np.random.Generator:
    return np.random.default_rng(check_seed(seed, caller))


def _float_dtype(dtype, caller: str) -> np.dtype:
    """float64 or float32 couplings (``dtype`` as a name or numpy dtype)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise param_error("dtype", caller, "'float64' or 'float32'", dtype)
    return dt


def _check_dense(n: int, p: int, dtype: np.dtype, copies: float, caller: str) -> None:
    """Refuse N × N couplings (``copies`` matrices at peak) that cannot fit in memory."""
    need = copies * n * n * dtype.itemsize + 8.0 * p * n
    cheaper = (
        "Use dtype='float32' (half the memory), dilution= (sparse couplings) or the "
        "Hebbian rule, which keeps only the P x N int8 patterns "
        f"({format_bytes(p * n)})."
    )
    check_allocation(need, f"the {n} x {n} {dtype.name} couplings", caller, cheaper)


def _mirror_upper(A: np.ndarray, block: int = 1024) -> np.ndarray:
    """Copy the upper triangle of square ``A`` onto the lower one, in place, by blocks."""
    n = A.shape[0]
    for start in range(0, n, block):
        stop = min(n, start + block)
        A[stop:, start:stop] = A[start:stop, stop:].T
        sub = A[start:stop, start:stop]
        sub[np.tril_indices(stop - start, -1)] = sub.T[np.tril_indices(stop - start, -1)]
    return A


def _dense_or_diluted(
    J: np.ndarray, c: float | None, symmetric: bool, seed, caller: str
) -> Couplings:
    np.fill_diagonal(J, 0.0)
    if c is None:
        return DenseCouplings(J, caller=caller)
    return SparseCouplings(dilute_dense(J, c, symmetric, _rng(seed, caller)), caller=caller)


# ---------------------------------------------------------------------------------------
# Hebbian


def hebbian_couplings(
    patterns,
    *,
    activity: float = 0.0,
    dilution: float | None = None,
    symmetric_dilution: bool = True,
    seed: int | None = None,
) -> Couplings:
    """Hebb's rule (Hopfield 1982).

    .. math:: J_{ij} = \\frac{c_{ij}}{c\\,N(1-a^2)} \\sum_\\mu (\\xi_i^\\mu - a)(\\xi_j^\\mu - a),
              \\quad J_{ii} = 0

    With a = 0 and no dilution (c_ij = c = 1) this is J = (1/N) ξᵀξ, returned in pattern
    form (:class:`~statnn.core.couplings.PatternCouplings`: the P × N patterns, no N × N
    matrix). ``activity=a`` is the covariance rule for biased patterns of mean activity a
    (Amit, Gutfreund & Sompolinsky, Phys. Rev. A 35, 2293 (1987)); the factor 1/(1 − a²)
    keeps the signal of a retrieved pattern at ξ_i − a. Dilution keeps each coupling with
    probability c = ``dilution`` (Sompolinsky 1986): only the kept pairs are computed.

    Parameters
    ----------
    patterns : (P, N) array of ±1
    activity : float in (−1, 1) or "auto"
        Mean activity a subtracted from the patterns; ``"auto"`` uses the patterns' mean.
    dilution : float in (0, 1], optional
        Connectivity c: the probability that a coupling is kept (None or 1: all kept).
    symmetric_dilution : bool
        Draw c_ij = c_ji (symmetric couplings) or every ordered pair independently.
    seed : int, optional
        Seed of the dilution.
    """
    caller = "hebbian_couplings"
    xi = _patterns(patterns, caller)
    a = _activity(activity, xi, caller)
    c = _dilution(dilution, caller)
    symmetric = _bool(symmetric_dilution, "symmetric_dilution", caller)
    p, n = xi.shape
    if a == 0.0 and c is None:
        return PatternCouplings(xi, caller=caller)
    scale = 1.0 / (n * (1.0 - a * a))
    if c is None:
        _check_dense(n, p, _FLOAT64, 1, caller)
        centred = xi.astype(np.float64) - a
        J = centred.T @ centred
        J *= scale
        np.fill_diagonal(J, 0.0)
        return DenseCouplings(J, caller=caller)
    rows, cols = dilution_mask(n, c, symmetric, _rng(seed, caller))
    values = np.empty(len(rows))
    step = max(1, _PAIR_CHUNK // p)
    for start in range(0, len(rows), step):
        r, k = rows[start : start + step], cols[start : start + step]
        left = xi[:, r].astype(np.float64) - a  # (P, chunk): no float copy of the table
        right = xi[:, k].astype(np.float64) - a
        values[start : start + step] = np.einsum("mb,mb->b", left, right)
    return SparseCouplings(sparse_from_pairs(n, rows, cols, values * (scale / c)), caller=caller)


def _activity(activity, xi: np.ndarray, caller: str) -> float:
    if isinstance(activity, str) and activity == "auto":
        a = float(xi.mean())
    else:
        a = check_real(activity, "activity", caller, -1.0, 1.0)
    if abs(a) >= 1.0:
        raise param_error(
            "activity", caller, "a mean activity strictly between -1 and 1, or 'auto'", activity
        )
    return a


# ---------------------------------------------------------------------------------------
# pseudo-inverse (projection)


def pseudo_inverse_couplings(
    patterns,
    *,
    dilution: float | None = None,
    symmetric_dilution: bool = True,
    seed: int | None = None,
    dtype="float64",
) -> Couplings:
    """Pseudo-inverse (projection) rule of Personnaz, Guyon & Dreyfus (1985).

    .. math:: J = \\frac{1}{N}\\, \\xi^T C^{-1} \\xi, \\qquad
              C_{\\mu\\nu} = \\frac{1}{N} \\sum_i \\xi_i^\\mu \\xi_i^\\nu, \\qquad J_{ii} = 0

    J is the orthogonal projector onto the span of the patterns (computed from the SVD
    ξ = U Σ Vᵀ as J = V Vᵀ over the non-zero singular values, i.e. with the Moore–Penrose
    inverse of C when the patterns are linearly dependent, e.g. P > N). Every pattern is
    then a fixed point for any correlations between patterns (biased patterns need no
    variant), up to α = P/N = 1.

    **The diagonal is set to zero** (Kanter & Sompolinsky, Phys. Rev. A 35, 380 (1987)):
    with the self-couplings J_ii ≈ α kept, every state near a pattern is stabilised by its
    own spin and the basins of attraction vanish as α → 1/2; without them a pattern stays
    a fixed point while the stability ξ_i h_i = 1 − J_ii > 0, i.e. up to α = 1, with
    basins that shrink to zero only as α → 1. The couplings are symmetric and dense.

    Parameters
    ----------
    patterns : (P, N) array of ±1
    dilution, symmetric_dilution, seed
        Random dilution J_ij ← c_ij J_ij / c, as in :func:`hebbian_couplings`.
    dtype : {"float64", "float32"}
        Precision of J (the SVD always runs in float64 on the P × N patterns; J = V Vᵀ is
        formed directly in ``dtype``, one N × N matrix). The memory needed is checked
        first: an N × N matrix that cannot fit is refused with its size.
    """
    caller = "pseudo_inverse_couplings"
    xi = _patterns(patterns, caller)
    c = _dilution(dilution, caller)
    symmetric = _bool(symmetric_dilution, "symmetric_dilution", caller)
    dtype = _float_dtype(dtype, caller)
    _check_dense(xi.shape[1], xi.shape[0], dtype, 1, caller)
    _, s, vt = np.linalg.svd(xi.astype(np.float64), full_matrices=False)
    tol = s.max() * max(xi.shape) * np.finfo(np.float64).eps if s.size else 0.0
    v = vt[s > tol]
    if len(v) == xi.shape[1]:
        # the patterns span the whole space: the projector is the identity and, without
        # its diagonal, J = 0 exactly (rounding would leave ~1e-16 couplings that drive
        # the dynamics at random)
        warnings.warn(
            f"pseudo_inverse_couplings: the {len(xi)} patterns span all N = {xi.shape[1]} "
            "dimensions (alpha >= 1), so J = 0 and nothing is stored.",
            RuntimeWarning,
            stacklevel=2,
        )
        return _dense_or_diluted(np.zeros((len(v), len(v)), dtype), c, symmetric, seed, caller)
    vf = np.asfortranarray(v.astype(dtype))
    syrk = blas.ssyrk if dtype == np.float32 else blas.dsyrk
    J = syrk(1.0, vf, trans=1, lower=0)  # upper triangle of Vᵀ V, N × N, Fortran order
    _mirror_upper(J)  # exactly symmetric
    return _dense_or_diluted(J.T, c, symmetric, seed, caller)  # C-ordered view


# ---------------------------------------------------------------------------------------
# Storkey


def storkey_couplings(
    patterns,
    *,
    dilution: float | None = None,
    symmetric_dilution: bool = True,
    seed: int | None = None,
    dtype="float64",
) -> Couplings:
    """Storkey's incremental learning rule (A. Storkey, ICANN 1997, LNCS 1327, 451).

    Patterns are learned one at a time, ν = 1 … P, starting from J = 0:

    .. math:: J^\\nu_{ij} = J^{\\nu-1}_{ij} + \\frac{1}{N}\\left(\\xi_i^\\nu \\xi_j^\\nu
              - \\xi_i^\\nu h^\\nu_{ji} - h^\\nu_{ij} \\xi_j^\\nu\\right), \\qquad
              h^\\nu_{ij} = \\sum_{k \\ne i, j} J^{\\nu-1}_{ik} \\xi_k^\\nu

    with J_ii = 0. The rule is local and incremental, like Hebb's, and its capacity is
    larger (≈ 0.14 → about 0.2 for the fixed points with N ~ 10³). With
    h_i = Σ_{k≠i} J_ik ξ_k one has h_ij = h_i − J_ij ξ_j, so each pattern is one symmetric
    rank-2 update ΔJ = (1/N)(ξξᵀ − ξhᵀ − hξᵀ + 2J) — computed on one triangle in blocks
    of 64 patterns with level-3 BLAS (``dsymm``, ``dsyr2k``: O(N²) per pattern, the
    matrix read once per block). Dense, symmetric.

    Parameters
    ----------
    patterns : (P, N) array of ±1
    dilution, symmetric_dilution, seed
        Random dilution J_ij ← c_ij J_ij / c after learning, as in
        :func:`hebbian_couplings`.
    dtype : {"float64", "float32"}
        Precision of J and of the learning (float32 uses ``ssymm``/``ssyr2k``: half the
        memory, couplings rounded to ~1e-7 relative). One N × N matrix is allocated; the
        memory needed is checked first.
    """
    caller = "storkey_couplings"
    xi = _patterns(patterns, caller)
    c = _dilution(dilution, caller)
    symmetric = _bool(symmetric_dilution, "symmetric_dilution", caller)
    dtype = _float_dtype(dtype, caller)
    _check_dense(xi.shape[1], xi.shape[0], dtype, 1, caller)
    J = _storkey_dense(xi, dtype)
    return _dense_or_diluted(J, c, symmetric, seed, caller)


def _storkey_dense(xi: np.ndarray, dtype: np.dtype = _FLOAT64, block: int = 64) -> np.ndarray:
    """Storkey couplings J (N × N, zero diagonal); J = s · A with A's upper triangle kept.

    Pattern ν maps J to g J + (1/N)(ξ wᵀ + w ξᵀ) with w = ξ/2 − h, h = J ξ and
    g = 1 + 2/N, then J_ii = 0. J is kept as s · A (s = g^ν), so a pattern adds
    c (ξ wᵀ + w ξᵀ) to A, c = 1/(N s). Patterns are learned in blocks of ``block``
    with level-3 BLAS: at the start of a block with couplings A₀ (zero diagonal), for
    pattern k of the block

    .. math:: h_k / s_{k-1} = A_0 ξ_k + \\sum_{m<k} \\left(ξ_m (v_m · ξ_k)
              + v_m (ξ_m · ξ_k)\\right) − d ∘ ξ_k, \\qquad v_m = c_m w_m,

    d = Σ_{m<k} 2 ξ_m ∘ v_m the diagonal the block has added so far (zeroed in J).
    A₀ ξ_k comes from one ``symm`` per block, the sums cost O(N k), and the block's
    update A ← A + U Vᵀ + V Uᵀ (U = [ξ_m], V = [v_m]) is one ``syr2k``: A is read and
    written once per block instead of once per pattern (``symv`` + ``syr2``). The
    same recursion as pattern by pattern, to rounding.
    """
    p, n = xi.shape
    single = dtype == np.float32
    symm, syr2k = (blas.ssymm, blas.ssyr2k) if single else (blas.dsymm, blas.dsyr2k)
    A = np.zeros((n, n), dtype=dtype, order="F")
    s = 1.0
    grow = 1.0 + 2.0 / n
    diag = np.arange(n)
    for start in range(0, p, block):
        U = np.asfortranarray(xi[start : start + block].T, dtype=dtype)  # (N, b)
        b = U.shape[1]
        H0 = symm(1.0, A, U, side=0, lower=0) if start else np.zeros((n, b), dtype=dtype)
        V = np.zeros((n, b), dtype=dtype, order="F")
        d = np.zeros(n, dtype=dtype)
        for k in range(b):
            x = U[:, k]
            Uk, Vk = U[:, :k], V[:, :k]
            h = H0[:, k] + Uk @ (Vk.T @ x) + Vk @ (Uk.T @ x) - d * x
            h *= s
            s *= grow
            V[:, k] = (0.5 * x - h) / (n * s)
            d += 2.0 * x * V[:, k]
        A = syr2k(1.0, U, V, beta=1.0, c=A, trans=0, lower=0, overwrite_c=1)
        A[diag, diag] = 0.0
    _mirror_upper(A)
    A *= dtype.type(s)
    return A.T  # C-ordered view of the symmetric matrix


# ---------------------------------------------------------------------------------------
# perceptron-learned couplings


def perceptron_couplings(
    patterns,
    *,
    kappa: float = 0.0,
    symmetrize: bool = False,
    thresholds: bool = False,
    lr: float = 1.0,
    max_epochs: int = 1000,
    dilution: float | None = None,
    symmetric_dilution: bool = True,
    seed: int | None = None,
    return_fit: bool = False,
):
    """Couplings learned row by row with the perceptron rule to a stability margin κ.

    Each neuron i is a perceptron whose inputs are the other neurons (Gardner, J. Phys.
    A 21, 257 (1988); Krauth & Mézard, J. Phys. A 20, L745 (1987)). Its incoming couplings
    J_i are trained with Rosenblatt's rule on the stored patterns (inputs ξ^μ, target
    ξ_i^μ) until every pattern has the **Gardner stability**

    .. math:: \\Delta_i^\\mu = \\frac{\\xi_i^\\mu h_i(\\xi^\\mu)}{\\lVert J_i \\rVert}
              = \\frac{\\xi_i^\\mu \\sum_{j \\ne i} J_{ij}\\xi_j^\\mu}{\\sqrt{\\sum_j J_{ij}^2}}
              \\ge \\kappa,

    so every pattern is a fixed point of the T = 0 dynamics with margin κ. This is
    possible (N → ∞) up to Gardner's capacity α_c(κ) = [∫_{−κ}^∞ Dt (t + κ)²]^{−1}
    (α_c(0) = 2); with dilution c, P/(cN) ≤ α_c(κ). Training reuses the package's batched
    perceptron step :func:`statnn.nn.perceptron.train_perceptrons` with ``X = Y = ξ``,
    ``mask = ~eye(N)`` (no self-couplings; and the dilution mask): its margin test
    y(w·x)/‖w‖ ≥ κ is exactly Δ ≥ κ above.

    Each learned row is scaled to ‖J_i‖ = 1: at a stored pattern the field ξ_i h_i equals
    the stability Δ_i, which sets the temperature scale of T > 0 dynamics. The couplings
    are asymmetric in general (the sampler then needs ``allow_asymmetric=True`` where an
    energy is involved; Glauber dynamics needs none). ``symmetrize=True`` returns
    (J + Jᵀ)/2 of the normalised rows — symmetric, with an energy, but the margin is no
    longer guaranteed.

    Parameters
    ----------
    patterns : (P, N) array of ±1
    kappa : float >= 0
        Margin κ in Gardner's normalisation above.
    symmetrize : bool
        Return (J + Jᵀ)/2.
    thresholds : bool
        Also learn a threshold per neuron (then ξ_i(h_i + b_i)/‖J_i‖ ≥ κ); useful for
        biased patterns. The learned b_i are returned by ``return_fit`` and become the
        network's biases in :func:`statnn.memory.networks`.
    lr : float > 0
        Learning rate of the perceptron rule (irrelevant at κ = 0).
    max_epochs : int >= 1
        Passes over the patterns; rows that have not converged then are kept as they are
        (a RuntimeWarning says how many).
    dilution, symmetric_dilution, seed
        Random dilution: the perceptron learns only the kept couplings (mask), so no
        rescaling by 1/c is needed.
    return_fit : bool
        Also return ``(bias, fit)``: the learned biases (zeros unless ``thresholds``) and
        the :class:`~statnn.nn.perceptron.PerceptronFit`.
    """
    caller = "perceptron_couplings"
    xi = _patterns(patterns, caller)
    kappa = check_real(kappa, "kappa", caller, minimum=0.0)
    symmetrize = _bool(symmetrize, "symmetrize", caller)
    thresholds = _bool(thresholds, "thresholds", caller)
    lr = check_real(lr, "lr", caller, minimum=0.0, strict_minimum=True)
    max_epochs = check_int(max_epochs, "max_epochs", caller, minimum=1)
    c = _dilution(dilution, caller)
    symmetric = _bool(symmetric_dilution, "symmetric_dilution", caller)
    p, n = xi.shape
    _check_dense(n, p, _FLOAT64, 4.2, caller)  # mask, weights, normalised J, temporaries

    from statnn.nn.perceptron import train_perceptrons  # numba: imported only when needed

    if c is None:
        mask = ~np.eye(n, dtype=np.bool_)
    else:
        mask = mask_matrix(n, *dilution_mask(n, c, symmetric, _rng(seed, caller)))
    X = xi.astype(np.float64)
    fit = train_perceptrons(
        X,
        xi.astype(np.float64),
        kappa=kappa,
        lr=lr,
        max_iter=max_epochs,
        mask=mask,
        fit_intercept=thresholds,
    )
    W = np.where(mask, fit.W, 0.0)
    norms = np.linalg.norm(W, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    J = W / safe[:, None]  # ‖J_i‖ = 1; the trained field was W_i·ξ + b_i
    bias = fit.b / safe if thresholds else np.zeros(n)
    # convergence judged on the Gardner stabilities themselves, with a rounding tolerance
    # (the trainer's own flag can miss a pattern that sits exactly on the margin)
    field = xi.astype(np.float64) @ J.T + bias
    stability = np.where(norms[None, :] > 0, xi * field, -np.inf)
    reached = stability.min(axis=0) >= kappa - _MARGIN_TOL * max(1.0, kappa)
    failed = int(np.count_nonzero(~reached))
    if failed:
        warnings.warn(
            f"perceptron_couplings: {failed} of {n} neurons did not reach the margin "
            f"kappa={kappa:g} within max_epochs={max_epochs} (load alpha = {p / n:g}; "
            "Gardner's capacity alpha_c(kappa) may be exceeded, or training needs more "
            "epochs).",
            RuntimeWarning,
            stacklevel=2,
        )
    if symmetrize:
        J = 0.5 * (J + J.T)
    np.fill_diagonal(J, 0.0)
    if c is None:
        couplings: Couplings = DenseCouplings(J, caller=caller)
    else:
        couplings = SparseCouplings(sp.csr_array(J), caller=caller)
    if return_fit:
        return couplings, bias, fit._replace(converged=reached)
    return couplings


__all__ = [
    "hebbian_couplings",
    "pseudo_inverse_couplings",
    "storkey_couplings",
    "perceptron_couplings",
]
