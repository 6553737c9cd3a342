"""Learning couplings from data: the Boltzmann machine and the inverse Ising problem.

* :class:`BoltzmannMachine` — a scikit-learn estimator fitting J and b of
  P(S) ∝ exp(½ Σ J_ij S_i S_j + Σ b_i S_i) by persistent contrastive divergence (the
  package's sampler as negative phase), pseudo-likelihood, exact enumeration, or the
  mean-field, TAP and Sessak–Monasson inversions (:mod:`.inverse`);
* :mod:`.exact` — log Z, moments, log-likelihood and its gradient by enumeration (N ≤ 20);
* :mod:`.samples` — exact or Monte Carlo samples, and annealed importance sampling of log Z.

This layer sits above :mod:`statnn.dynamics` (it drives the sampler) beside
:mod:`statnn.memory` and :mod:`statnn.nn`; it loads scikit-learn, so ``import statnn``
reaches it lazily.
"""

from statnn.learning.boltzmann import METHODS, BoltzmannMachine, LogLikelihood
from statnn.learning.inverse import Moments, moments, pseudo_log_likelihood

__all__ = [
    "METHODS",
    "BoltzmannMachine",
    "LogLikelihood",
    "Moments",
    "moments",
    "pseudo_log_likelihood",
]
