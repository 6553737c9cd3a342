"""Inverse-Ising estimators from data moments, and Besag's pseudo-likelihood.

All estimators infer the couplings J (symmetric, zero diagonal) and biases b of

    P(S) ∝ exp(½ Σ_{i≠j} J_ij S_i S_j + Σ_i b_i S_i)

(the package's Boltzmann distribution exp(−E) at T = 1) from ±1 data. With m_i = ⟨S_i⟩
and the connected correlations C_ij = ⟨S_i S_j⟩ − m_i m_j:

* naive mean field:  J_ij = −(C⁻¹)_ij (i ≠ j),  b_i = atanh m_i − Σ_j J_ij m_j;
* TAP (Kappen & Rodríguez 1998, Tanaka 1998): (C⁻¹)_ij = −J_ij − 2 J_ij² m_i m_j, solved
  for the root that tends to mean field as m_i m_j → 0,
  J_ij = (√(1 − 8 m_i m_j (C⁻¹)_ij) − 1) / (4 m_i m_j),
  b_i = atanh m_i − Σ_j J_ij m_j + m_i Σ_j J_ij² (1 − m_j²);
* Sessak & Monasson (2009), the small-correlation expansion resummed over loops and
  pairs: J_ij = −(C⁻¹)_ij + J_ij^pair − C_ij / ((1 − m_i²)(1 − m_j²) − C_ij²), where
  J^pair is the exact coupling of the two-spin model with the same m_i, m_j, C_ij
  (exact for N = 2); biases as in TAP;
* pseudo-likelihood (Besag 1975): maximise Σ_i (1/M) Σ_m log P(S_i^m | S_{\\i}^m), with
  P(S_i | S_{\\i}) = 1 / (1 + exp(−2 S_i h_i)), h_i = Σ_{j≠i} W_ij S_j + b_i, over an
  unconstrained (asymmetric) W with the penalty l2 Σ_{i≠j} W_ij²; this is one convex
  problem (N logistic regressions sharing nothing), solved jointly by L-BFGS, and the
  couplings are J = (W + Wᵀ)/2.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
from scipy.optimize import minimize

from statnn._validation import param_error


class Moments(NamedTuple):
    """Data means m (N,) and connected correlations C (N, N)."""

    mean: np.ndarray
    cov: np.ndarray


def moments(X: np.ndarray) -> Moments:
    """m_i = ⟨S_i⟩ and C_ij = ⟨S_i S_j⟩ − m_i m_j of ±1 data (M, N) (1/M normalisation)."""
    Xf = np.asarray(X, dtype=np.float64)
    m = Xf.mean(axis=0)
    C = Xf.T @ Xf / len(Xf) - np.outer(m, m)
    return Moments(m, 0.5 * (C + C.T))


def _inverse_cov(mom: Moments, caller: str) -> np.ndarray:
    try:
        inv = np.linalg.inv(mom.cov)
    except np.linalg.LinAlgError:
        inv = None
    if inv is None or not np.all(np.isfinite(inv)):
        raise param_error(
            "X",
            caller,
            "data whose correlation matrix C is invertible",
            "<a singular C>",
            hint="Some spins are (anti)correlated perfectly in the sample; use more samples "
            "or method='pseudolikelihood' with l2 > 0.",
        )
    return 0.5 * (inv + inv.T)


def _mf_bias(J: np.ndarray, m: np.ndarray) -> np.ndarray:
    return np.arctanh(m) - J @ m


def _tap_bias(J: np.ndarray, m: np.ndarray) -> np.ndarray:
    return np.arctanh(m) - J @ m + m * ((J**2) @ (1.0 - m**2))


def mean_field(mom: Moments, caller: str = "mean_field") -> tuple[np.ndarray, np.ndarray]:
    """Naive mean-field inversion J = −C⁻¹ off the diagonal; b_i = atanh m_i − Σ_j J_ij m_j."""
    J = -_inverse_cov(mom, caller)
    np.fill_diagonal(J, 0.0)
    return J, _mf_bias(J, mom.mean)


class TapResult(NamedTuple):
    """TAP couplings and biases; ``clipped`` counts pairs whose quadratic had no real root."""

    couplings: np.ndarray
    bias: np.ndarray
    clipped: int


def tap(mom: Moments, caller: str = "tap") -> TapResult:
    """TAP inversion (Kappen–Rodríguez / Tanaka); see the module docstring.

    Where 1 − 8 m_i m_j (C⁻¹)_ij < 0 the quadratic has no real root; the discriminant is
    then set to 0 (the real part of the root, J_ij = −1/(4 m_i m_j)) and counted.
    """
    inv = _inverse_cov(mom, caller)
    m = mom.mean
    mm = np.outer(m, m)
    disc = 1.0 - 8.0 * mm * inv
    clipped = disc < 0
    np.fill_diagonal(clipped, False)
    root = np.sqrt(np.maximum(disc, 0.0))
    small = np.abs(mm) < 1e-8
    with np.errstate(divide="ignore", invalid="ignore"):
        # (√(1 − 8x c) − 1)/(4x) written as −2c/(√(1 − 8x c) + 1): no cancellation at x → 0
        J = np.where(small, -inv, -2.0 * inv / (root + 1.0))
    J = np.where(clipped, -1.0 / (4.0 * np.where(small, 1.0, mm)), J)
    np.fill_diagonal(J, 0.0)
    J = 0.5 * (J + J.T)
    return TapResult(J, _tap_bias(J, m), int(clipped.sum()) // 2)


def pair_couplings(mom: Moments, caller: str = "sessak_monasson") -> np.ndarray:
    """Exact two-spin couplings J_ij^pair = ¼ log[p₊₊ p₋₋ / (p₊₋ p₋₊)] from m_i, m_j, C_ij.

    p_{s s'} = ((1 + s m_i)(1 + s' m_j) + s s' C_ij) / 4 is the pair's marginal.
    """
    m = mom.mean
    C = mom.cov
    a, c = np.add.outer(m, m), np.outer(m, m)
    d = np.subtract.outer(m, m)
    ppp = 1.0 + a + c + C
    pmm = 1.0 - a + c + C
    ppm = 1.0 + d - c - C
    pmp = 1.0 - d - c - C
    off = ~np.eye(len(m), dtype=bool)
    if np.any(np.minimum(np.minimum(ppp, pmm), np.minimum(ppm, pmp))[off] <= 0):
        raise param_error(
            "X",
            caller,
            "data in which every pair of spins takes all four joint values",
            "<a pair with an empty joint state>",
            hint="Use more samples or method='pseudolikelihood' with l2 > 0.",
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        J = 0.25 * np.log(ppp * pmm / (ppm * pmp))
    J[~off] = 0.0
    return J


def sessak_monasson(mom: Moments, caller: str = "sessak_monasson") -> tuple[np.ndarray, np.ndarray]:
    """Sessak–Monasson couplings (loop + pair resummation); TAP biases."""
    inv = _inverse_cov(mom, caller)
    m, C = mom.mean, mom.cov
    v = 1.0 - m**2
    denom = np.outer(v, v) - C**2
    np.fill_diagonal(denom, 1.0)  # the diagonal is not a coupling
    J = -inv + pair_couplings(mom, caller) - C / denom
    np.fill_diagonal(J, 0.0)
    J = 0.5 * (J + J.T)
    return J, _tap_bias(J, m)


# -- pseudo-likelihood ----------------------------------------------------------------------


def _blas_threads(flops: float):
    """One BLAS thread for products under ~10⁸ flops (waking threads costs more), else as is."""
    from contextlib import nullcontext

    if flops >= 1e8:
        return nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


def _log1pexp(x: np.ndarray) -> np.ndarray:
    """log(1 + eˣ), stable for large |x|."""
    return np.logaddexp(0.0, x)


def pseudo_log_likelihood(J: np.ndarray, b: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Per-sample pseudo-log-likelihood Σ_i log P(S_i | S_{\\i}) of rows of X (M, N).

    log P(S_i | S_{\\i}) = −log(1 + exp(−2 S_i h_i)), h_i = Σ_j J_ij S_j + b_i.
    """
    S = np.asarray(X, dtype=np.float64)
    H = S @ J.T + b
    return -_log1pexp(-2.0 * S * H).sum(axis=1)


@numba.njit(cache=True, nogil=True)
def _pl_terms(S, H, b, G):  # pragma: no cover - compiled
    """Σ log(1 + e^z) over samples and sites, z = −2 S (H + b); G ← −2 S σ(z) / M.

    One pass, one exp and one log1p per entry: log(1 + e^z) = max(z, 0) + log1p(e^{−|z|}),
    in float64 whatever the dtype of S, H and G (float32 for the products).
    Serial: a few M × N entries per call, where waking threads costs more than it saves.
    """
    M, n = S.shape
    rows = np.zeros(M)
    for m in range(M):
        acc = 0.0
        for i in range(n):
            s = np.float64(S[m, i])
            z = -2.0 * s * (np.float64(H[m, i]) + b[i])
            e = np.exp(-abs(z))
            acc += max(z, 0.0) + np.log1p(e)
            sig = 1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)
            G[m, i] = -2.0 * s * sig / M
        rows[m] = acc
    return rows.sum()


class PseudoLikelihoodFit(NamedTuple):
    """Asymmetric W (N, N), biases b, symmetrised J, L-BFGS iterations and objective trace."""

    W: np.ndarray
    bias: np.ndarray
    couplings: np.ndarray
    n_iter: int
    objective: list
    converged: bool


def pseudolikelihood(
    X: np.ndarray,
    l2: float = 0.0,
    *,
    tol: float = 1e-6,
    max_iter: int = 1000,
    W0: np.ndarray | None = None,
    b0: np.ndarray | None = None,
) -> PseudoLikelihoodFit:
    """Besag's pseudo-likelihood: one joint L-BFGS problem over (W, b), then J = (W + Wᵀ)/2.

    Minimises f(W, b) = (1/M) Σ_m Σ_i log(1 + exp(−2 S_i^m h_i^m)) + l2 Σ_{i≠j} W_ij²,
    h^m = W S^m + b, whose gradient is
    ∂f/∂W_ij = (1/M) Σ_m g_i^m S_j^m + 2 l2 W_ij,  ∂f/∂b_i = (1/M) Σ_m g_i^m,
    g_i^m = −2 S_i^m σ(−2 S_i^m h_i^m) (σ the logistic function): two matrix products per
    evaluation, done in float32 (the spins are exact, the sums carry ~10⁻⁷ relative error,
    far below any statistical error; the losses and the optimiser stay in float64).
    ``tol`` is L-BFGS's tolerance on the largest gradient component.
    """
    S = np.ascontiguousarray(X, dtype=np.float64)
    M, n = S.shape
    S32 = S.astype(np.float32)  # ±1 exactly; the two products run in float32
    off = ~np.eye(n, dtype=bool)
    W = np.zeros((n, n)) if W0 is None else np.array(W0, dtype=np.float64)
    b = np.zeros(n) if b0 is None else np.array(b0, dtype=np.float64)
    trace: list = []
    G = np.empty_like(S32)

    def fun(theta):
        Wt = theta[: n * n].reshape(n, n)
        bt = theta[n * n :]
        H = S32 @ Wt.T.astype(np.float32)
        loss = _pl_terms(S32, H, bt, G)  # G ← −2 S σ(−2 S h) / M, in place
        f = loss / M + l2 * np.sum(Wt[off] ** 2)
        gW = (G.T @ S32).astype(np.float64) + 2.0 * l2 * Wt
        gW[~off] = 0.0
        return f, np.concatenate([gW.ravel(), G.sum(axis=0, dtype=np.float64)])

    def record(intermediate_result):
        trace.append(float(intermediate_result.fun))

    np.fill_diagonal(W, 0.0)
    with _blas_threads(M * n * n):
        res = minimize(
            fun,
            np.concatenate([W.ravel(), b]),
            jac=True,
            method="L-BFGS-B",
            callback=record,
            options=dict(maxiter=max_iter, gtol=tol, ftol=0.0, maxcor=20),
        )
    W = res.x[: n * n].reshape(n, n).copy()
    np.fill_diagonal(W, 0.0)
    return PseudoLikelihoodFit(
        W=W,
        bias=res.x[n * n :].copy(),
        couplings=0.5 * (W + W.T),
        n_iter=int(res.nit),
        objective=trace,
        converged=bool(res.success),
    )
