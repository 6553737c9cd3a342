"""The fully connected Boltzmann machine: couplings and biases learned from ±1 data.

The model is the package's Boltzmann distribution at T = 1,

    P(S) = exp(½ Σ_{i≠j} J_ij S_i S_j + Σ_i b_i S_i) / Z = exp(−E(S)) / Z,

so the learned :class:`~statnn.core.network.Network` samples the data's distribution
under :func:`~statnn.dynamics.sampling.simulate` at T = 1. Data drawn at inverse
temperature β from couplings J⁰ give J ≈ β J⁰.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator

from statnn._validation import (
    check_choice,
    check_int,
    check_real,
    check_temperatures,
    param_error,
)
from statnn.core.network import Network
from statnn.learning import exact as _exact
from statnn.learning import inverse as _inverse
from statnn.learning.samples import ais_log_z, as_generator, check_sample_args, draw_samples

METHODS = ("pcd", "pseudolikelihood", "mean_field", "tap", "sessak_monasson", "exact")

#: Temperatures of the replica ladder with ``tempering=True``: geometric from 1 to 3.
DEFAULT_LADDER = tuple(np.round(np.geomspace(1.0, 3.0, 8), 6))


def check_binary(
    X, caller: str, *, estimator=None, reset: bool = True, min_samples: int = 1
) -> np.ndarray:
    """Data as an int8 (M, N) array of ±1; 0/1 data are mapped by S = 2x − 1.

    scikit-learn's validation runs first (2-D, finite, real, enough rows and columns; with
    ``estimator``, ``n_features_in_`` set or checked); then anything but ±1 or 0/1 values,
    or a mix of −1 and 0, is an error.
    """
    from sklearn.utils.validation import check_array, validate_data

    expected = "a 2-D array of ±1 spins (or 0/1 activities), one row per sample"
    kwargs = dict(dtype=np.float64, ensure_min_samples=min_samples, ensure_min_features=2)
    try:
        if estimator is None:
            arr = check_array(X, **kwargs)
        else:
            arr = validate_data(estimator, X, reset=reset, **kwargs)
    except (TypeError, ValueError) as err:
        if not reset and hasattr(estimator, "n_features_in_"):
            expected += f" with {estimator.n_features_in_} columns (as in fit)"
        got = f"<an array of shape {np.shape(X)}>" if hasattr(X, "shape") else X
        raise param_error("X", caller, expected, got, hint=str(err)) from err
    values = np.unique(arr)
    if np.all(np.isin(values, (-1.0, 1.0))):
        return arr.astype(np.int8)
    if np.all(np.isin(values, (0.0, 1.0))):
        return (2 * arr - 1).astype(np.int8)
    bad = values[~np.isin(values, (-1.0, 1.0))][:3]
    raise param_error(
        "X",
        caller,
        "an array of ±1 spins, or of 0/1 activities (mapped to S = 2x − 1)",
        f"<values {values.tolist() if len(values) <= 6 else bad.tolist()}>",
    )


class LogLikelihood(NamedTuple):
    """Mean log-likelihood per sample, its standard error (0 when exact) and how it was got."""

    value: float
    error: float
    method: str


class BoltzmannMachine(BaseEstimator):
    """Fully connected Boltzmann machine / inverse Ising estimator (scikit-learn conventions).

    Learns symmetric couplings J (zero diagonal) and biases b of
    P(S) ∝ exp(½ Σ_{i≠j} J_ij S_i S_j + Σ_i b_i S_i) from samples S ∈ {−1, +1}^N.

    Parameters
    ----------
    method : {'pseudolikelihood', 'pcd', 'exact', 'mean_field', 'tap', 'sessak_monasson'}
        - ``'pcd'``: gradient ascent on the log-likelihood, ∂L/∂J_ij = ⟨S_i S_j⟩_data −
          ⟨S_i S_j⟩_model, ∂L/∂b_i = ⟨S_i⟩_data − ⟨S_i⟩_model, the model moments from
          ``chains`` persistent chains advanced ``sweeps`` Glauber sweeps per update by the
          package's sampler (replica exchange over a temperature ladder with
          ``tempering``), estimated with the conditional expectations
          ⟨S_i S_j⟩ = ⟨S_i tanh h_j⟩ and ⟨S_i⟩ = ⟨tanh h_i⟩ (exact identities at T = 1 that
          cut the Monte Carlo noise); Polyak–Ruppert average of the iterates over the
          second half of the updates when ``average``;
        - ``'pseudolikelihood'``: Besag's pseudo-likelihood, one joint convex problem over
          asymmetric couplings W solved by L-BFGS, then J = (W + Wᵀ)/2;
        - ``'exact'``: the log-likelihood and its gradient by enumerating the 2^N states,
          maximised by L-BFGS (N ≤ 20);
        - ``'mean_field'``: J = −C⁻¹ off the diagonal (C the connected correlations);
        - ``'tap'``: TAP inversion (Kappen–Rodríguez, Tanaka);
        - ``'sessak_monasson'``: the loop-and-pair resummed small-correlation expansion.
        The formulas are in :mod:`statnn.learning.inverse` and on the docs page.
    l2 : float >= 0
        Penalty l2 Σ_{i≠j} J_ij² subtracted from the mean log-(pseudo-)likelihood per
        sample (likelihood methods; the closed forms take no penalty and need l2 = 0).
    lr : float > 0
        PCD step size.
    epochs : int >= 1
        PCD passes over the data.
    batch_size : int >= 1 or None
        PCD samples per update (None: the whole data set, one update per epoch).
    chains : int >= 1
        PCD persistent chains (per temperature of the ladder).
    sweeps : int >= 1
        PCD Monte Carlo sweeps per update.
    tempering : bool or array of temperatures
        PCD negative phase with replica exchange over a ladder whose first temperature is
        1 (True: 8 temperatures geometric from 1 to 3).
    average : bool
        PCD: return the average of the iterates over the second half of the updates.
    tol : float > 0
        L-BFGS tolerance on the largest gradient component (pseudolikelihood, exact).
    max_iter : int >= 1
        L-BFGS iterations at most.
    backend, device : str, optional
        Monte Carlo backend of the negative phase, sampling and AIS (None: package default).
    random_state : int, numpy Generator, SeedSequence or None
        Seeds the chains, mini-batches and samples.

    Attributes
    ----------
    couplings_ : ndarray (N, N)
        Learned J, symmetric with a zero diagonal.
    bias_ : ndarray (N,)
        Learned b.
    network_ : statnn.Network
        ``Network(couplings_, bias=bias_)``: use it with :func:`statnn.simulate` or
        :func:`statnn.recall` at T = 1.
    n_features_in_ : int
    n_iter_ : int
        L-BFGS iterations or PCD updates (0 for the closed forms).
    history_ : dict of lists
        Per iteration/epoch: ``objective`` (L-BFGS), ``log_likelihood`` (exact),
        ``moment_error`` (PCD, largest |data − model| moment of the last update),
        ``acceptance``, ``negative_phase_s`` and ``negative_phase_updates`` (PCD:
        seconds spent in the sampler and single-spin update attempts), ``clipped`` (TAP).

    Examples
    --------
    >>> import statnn as sn
    >>> truth = sn.sk(8, seed=0)
    >>> X = sn.datasets.boltzmann_samples(truth, 5000, T=2.0, random_state=0)
    >>> bm = sn.BoltzmannMachine(method="pseudolikelihood").fit(X)
    >>> bm.couplings_.shape, bool(abs(bm.score(X)) > 0)
    ((8, 8), True)
    """

    def __init__(
        self,
        method: str = "pseudolikelihood",
        *,
        l2: float = 0.0,
        lr: float = 0.1,
        epochs: int = 200,
        batch_size: int | None = None,
        chains: int = 100,
        sweeps: int = 1,
        tempering=False,
        average: bool = True,
        tol: float = 1e-6,
        max_iter: int = 1000,
        backend: str | None = None,
        device: str | None = None,
        random_state=None,
    ):
        self.method = method
        self.l2 = l2
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.chains = chains
        self.sweeps = sweeps
        self.tempering = tempering
        self.average = average
        self.tol = tol
        self.max_iter = max_iter
        self.backend = backend
        self.device = device
        self.random_state = random_state

    # -- checks ------------------------------------------------------------------------------
    def _check_params(self, caller: str) -> dict:
        p = dict(
            method=check_choice(self.method, "method", caller, METHODS),
            l2=check_real(self.l2, "l2", caller, minimum=0.0),
            lr=check_real(self.lr, "lr", caller, minimum=0.0, strict_minimum=True),
            epochs=check_int(self.epochs, "epochs", caller, minimum=1),
            chains=check_int(self.chains, "chains", caller, minimum=1),
            sweeps=check_int(self.sweeps, "sweeps", caller, minimum=1),
            tol=check_real(self.tol, "tol", caller, minimum=0.0, strict_minimum=True),
            max_iter=check_int(self.max_iter, "max_iter", caller, minimum=1),
        )
        p["batch_size"] = (
            None
            if self.batch_size is None
            else check_int(self.batch_size, "batch_size", caller, minimum=1)
        )
        if not isinstance(self.average, bool | np.bool_):
            raise param_error("average", caller, "a bool", self.average)
        if p["method"] in ("mean_field", "tap", "sessak_monasson") and p["l2"] != 0.0:
            raise param_error(
                "l2",
                caller,
                f"0 for method={p['method']!r} (a closed-form inversion takes no penalty)",
                self.l2,
                hint="Use method='pseudolikelihood', 'pcd' or 'exact' for a penalised fit.",
            )
        t = self.tempering
        if isinstance(t, bool | np.bool_):
            ladder = np.asarray(DEFAULT_LADDER) if t else np.array([1.0])
        else:
            ladder = check_temperatures(t, caller, "tempering")
            if len(ladder) < 2 or ladder[0] != 1.0 or np.any(np.diff(ladder) <= 0):
                raise param_error(
                    "tempering",
                    caller,
                    "a bool or strictly increasing temperatures starting at 1.0",
                    t,
                )
        p["ladder"] = ladder
        if self.backend is not None:
            from statnn.dynamics.backends import BACKENDS

            check_choice(self.backend, "backend", caller, BACKENDS)
        return p

    def _check_X(self, X, caller: str, *, fit: bool) -> np.ndarray:
        if fit:
            return check_binary(X, caller, estimator=self, reset=True, min_samples=2)
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "couplings_")
        return check_binary(X, caller, estimator=self, reset=False)

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, X, y=None):
        """Learn couplings and biases from ±1 (or 0/1) samples X of shape (M, N).

        Needs M >= 2 and no constant column (its bias would be infinite). ``y`` is ignored.
        """
        caller = "BoltzmannMachine.fit"
        p = self._check_params(caller)
        S = self._check_X(X, caller, fit=True)
        M, n = S.shape
        constant = np.flatnonzero(np.all(S == S[:1], axis=0))
        if len(constant):
            raise param_error(
                "X",
                caller,
                "data in which every spin takes both values",
                f"<constant column(s) {constant[:5].tolist()}>",
                hint="A spin that never flips has an infinite bias; drop that column.",
            )
        if p["method"] == "exact":
            _exact.check_exact_size(n, caller)
        rng = as_generator(self.random_state, caller)

        history: dict = {}
        method = p["method"]
        if method == "pseudolikelihood":
            res = _inverse.pseudolikelihood(S, p["l2"], tol=p["tol"], max_iter=p["max_iter"])
            J, b, n_iter = res.couplings, res.bias, res.n_iter
            history["objective"] = res.objective
        elif method == "exact":
            J, b, n_iter, history = self._fit_exact(S, p)
        elif method == "pcd":
            with _inverse._blas_threads(p["chains"] * len(p["ladder"]) * n * n):
                J, b, n_iter, history = self._fit_pcd(S, p, rng)
        else:
            mom = _inverse.moments(S)
            n_iter = 0
            if method == "mean_field":
                J, b = _inverse.mean_field(mom, caller)
            elif method == "tap":
                res = _inverse.tap(mom, caller)
                J, b = res.couplings, res.bias
                history["clipped"] = [res.clipped]
            else:
                J, b = _inverse.sessak_monasson(mom, caller)
        J = 0.5 * (J + J.T)
        np.fill_diagonal(J, 0.0)
        self.couplings_ = J
        self.bias_ = np.asarray(b, dtype=np.float64)
        self.network_ = Network(
            J,
            bias=self.bias_,
            name=f"Boltzmann machine ({method})",
            info={"model": "boltzmann_machine", "method": method, "samples": M},
        )
        self.n_iter_ = int(n_iter)
        self.history_ = history
        return self

    def _fit_exact(self, S, p):
        """L-BFGS on −L + l2 Σ_{i≠j} J_ij² with the exact gradient (module :mod:`.exact`)."""
        M, n = S.shape
        iu = np.triu_indices(n, 1)
        Sf = S.astype(np.float64)
        data_second = (Sf.T @ Sf / M)[iu]
        data_mean = Sf.mean(axis=0)
        l2 = p["l2"]
        trace: list = []

        def unpack(theta):
            J = np.zeros((n, n))
            J[iu] = theta[: len(iu[0])]
            return J + J.T, theta[len(iu[0]) :]

        def fun(theta):
            J, b = unpack(theta)
            stats = _exact.exact_stats(J, b)
            j = theta[: len(iu[0])]
            # −L = −Σ_{i<j} J_ij ⟨S_i S_j⟩_d − Σ_i b_i ⟨S_i⟩_d + log Z;  penalty 2 l2 Σ_{i<j} J²
            f = -(j @ data_second) - b @ data_mean + stats.log_z + 2.0 * l2 * (j @ j)
            g = np.concatenate(
                [-(data_second - stats.second[iu]) + 4.0 * l2 * j, -(data_mean - stats.mean)]
            )
            return f, g

        def record(intermediate_result):
            trace.append(-float(intermediate_result.fun))

        m = np.clip(data_mean, -0.999, 0.999)
        theta0 = np.concatenate([np.zeros(len(iu[0])), np.arctanh(m)])
        with _inverse._blas_threads(2.0**n * n * n):
            res = minimize(
                fun,
                theta0,
                jac=True,
                method="L-BFGS-B",
                callback=record,
                options=dict(maxiter=p["max_iter"], gtol=p["tol"], ftol=0.0, maxcor=20),
            )
        J, b = unpack(res.x)
        return J, b, res.nit, {"log_likelihood": trace}

    def _fit_pcd(self, S, p, rng):
        """Persistent contrastive divergence with the package's sampler as negative phase."""
        from statnn.dynamics.sampling import sampler
        from statnn.dynamics.tempering import ReplicaExchange

        M, n = S.shape
        Sf = S.astype(np.float64)
        ladder = p["ladder"]
        chains, sweeps, lr, l2 = p["chains"], p["sweeps"], p["lr"], p["l2"]
        batch = M if p["batch_size"] is None else min(p["batch_size"], M)
        n_batches = -(-M // batch)
        total = p["epochs"] * n_batches
        start_avg = total // 2 if self.average else total - 1
        J = np.zeros((n, n))
        b = np.arctanh(np.clip(Sf.mean(axis=0), -0.99, 0.99))  # independent spins
        J_sum, b_sum, n_sum = np.zeros((n, n)), np.zeros(n), 0
        spins = S[rng.integers(0, M, size=(len(ladder), chains))]  # chains start on data
        exchange = (
            ReplicaExchange(ladder, int(rng.integers(2**63)), "BoltzmannMachine.fit")
            if len(ladder) > 1
            else None
        )
        history = {
            k: []
            for k in ("moment_error", "acceptance", "negative_phase_s", "negative_phase_updates")
        }
        full = (Sf.T @ Sf / M, Sf.mean(axis=0))
        state = None
        t = 0
        for _ in range(p["epochs"]):
            order = rng.permutation(M) if batch < M else None
            seconds, accept = 0.0, []
            for k in range(n_batches):
                if order is None:
                    pos_second, pos_mean = full
                else:
                    Xb = Sf[order[k * batch : (k + 1) * batch]]
                    pos_second, pos_mean = Xb.T @ Xb / len(Xb), Xb.mean(axis=0)
                tic = time.perf_counter()
                net = Network(J, bias=b)
                s = sampler(net, ladder, chains=chains, backend=self.backend, device=self.device)
                if state is None:
                    state = s.init(init=spins, seed=int(rng.integers(2**63)))
                else:  # the persistent chains continue under the updated couplings
                    state = s.resume(state)
                state, info = s.step(state, sweeps)
                spins = s.spins(state)
                if exchange is not None:
                    state, spins, _ = exchange(s, state, spins, net.energy(spins))
                seconds += time.perf_counter() - tic
                accept.append(float(info.acceptance[0].mean()))
                # model moments with the conditional expectations E[S_j | rest] = tanh h_j:
                # ⟨S_i S_j⟩ = ⟨S_i tanh h_j⟩ (i ≠ j), ⟨S_i⟩ = ⟨tanh h_i⟩ — same mean, less noise
                neg = spins[0].astype(np.float64)
                th = np.tanh(neg @ J + b)
                cross = neg.T @ th / chains
                dJ = pos_second - 0.5 * (cross + cross.T)
                db = pos_mean - th.mean(axis=0)
                np.fill_diagonal(dJ, 0.0)
                J = J + lr * (dJ - 4.0 * l2 * J)
                b = b + lr * db
                if t >= start_avg:
                    J_sum += J
                    b_sum += b
                    n_sum += 1
                t += 1
            history["moment_error"].append(float(max(np.abs(dJ).max(), np.abs(db).max())))
            history["acceptance"].append(float(np.mean(accept)))
            history["negative_phase_s"].append(seconds)
            history["negative_phase_updates"].append(n_batches * sweeps * n * chains * len(ladder))
        if exchange is not None:
            history["swap_acceptance"] = exchange.acceptance().tolist()
        return J_sum / n_sum, b_sum / n_sum, total, history

    # -- using the model ---------------------------------------------------------------------
    def score(self, X, y=None) -> float:
        """Mean pseudo-log-likelihood per sample, (1/M) Σ_m Σ_i log P(S_i^m | S_{\\i}^m)."""
        S = self._check_X(X, "BoltzmannMachine.score", fit=False)
        return float(_inverse.pseudo_log_likelihood(self.couplings_, self.bias_, S).mean())

    def log_likelihood(
        self, X, *, ais_betas: int = 1000, ais_chains: int = 200, random_state=None
    ) -> LogLikelihood:
        """Mean log-likelihood per sample, (1/M) Σ_m [−E(S^m)] − log Z.

        log Z by enumeration for N ≤ 20 (error 0); above, by annealed importance sampling
        over ``ais_betas`` temperatures with ``ais_chains`` chains (:func:`.ais_log_z`),
        whose standard error is returned.
        """
        caller = "BoltzmannMachine.log_likelihood"
        S = self._check_X(X, caller, fit=False)
        ais_betas = check_int(ais_betas, "ais_betas", caller, minimum=1)
        ais_chains = check_int(ais_chains, "ais_chains", caller, minimum=2)
        rng = as_generator(random_state, caller)
        J, b = self.couplings_, self.bias_
        if self.n_features_in_ <= _exact.MAX_EXACT_N:
            return LogLikelihood(_exact.log_likelihood(J, b, S), 0.0, "exact")
        log_z = ais_log_z(
            self.network_,
            n_betas=ais_betas,
            chains=ais_chains,
            rng=rng,
            backend=self.backend,
            device=self.device,
        )
        mean_neg_energy = float(np.mean(-_exact.energies(J, b, S)))
        return LogLikelihood(mean_neg_energy - log_z.value, log_z.error, "ais")

    def sample(
        self,
        n: int,
        T: float = 1.0,
        *,
        method: str = "auto",
        burn_in: int = 1000,
        thin: int = 10,
        chains: int = 100,
        random_state=None,
    ) -> np.ndarray:
        """``n`` samples (n, N) int8 of the learned model at temperature T.

        See :func:`statnn.datasets.boltzmann_samples` (exact for N ≤ 20 by default).
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "couplings_")
        caller = "BoltzmannMachine.sample"
        args = check_sample_args(n, T, method, burn_in, thin, chains, caller)
        rng = as_generator(random_state, caller)
        return draw_samples(
            self.network_,
            **args,
            rng=rng,
            backend=self.backend,
            device=self.device,
            caller=caller,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
