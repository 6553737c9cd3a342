"""Inverse Ising: reconstruction error of SK couplings vs sample count, per method.

The 'inverse-ising' experiment (:func:`statnn.experiments.inverse_ising`), the same as
``statnn run inverse-ising``. Figure: ε = ||J - beta J0|| / ||beta J0|| vs the number of
samples M for pseudo-likelihood, PCD, exact likelihood, mean field, TAP and
Sessak-Monasson at several beta, and recall by a Hopfield network learned from noisy
examples of its patterns.

Usage::

    python experiments/inverse_ising.py --quick     # results/inverse-ising.png
    python experiments/inverse_ising.py             # full size (N = 64)
    python experiments/inverse_ising.py --out figs --seed 1 --backend numba
"""

import sys

from statnn.experiments import script_main

if __name__ == "__main__":
    sys.exit(script_main("inverse-ising"))
