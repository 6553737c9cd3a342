"""Fraction of random dichotomies a perceptron learns vs α = P/N, beside Cover.

The 'perceptron-capacity' experiment (:func:`statnn.experiments.perceptron_capacity`),
the same as ``statnn run perceptron-capacity``. Figure: fraction of random dichotomies
learned vs alpha = P/N for several N, against Cover's C(P, N)/2^P.

Usage::

    python experiments/perceptron_capacity.py --quick     # under a minute: results/perceptron-capacity.png
    python experiments/perceptron_capacity.py             # full size
    python experiments/perceptron_capacity.py --out figs --seed 1 --backend numba
"""

import sys

from statnn.experiments import script_main

if __name__ == "__main__":
    sys.exit(script_main("perceptron-capacity"))
