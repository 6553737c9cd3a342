"""Two toy examples: km → miles by one linear neuron, apples vs oranges.

The 'seed-examples' experiment (:func:`statnn.experiments.seed_examples`), the same as
``statnn run seed-examples``. Figure: km to miles by one linear neuron (learned vs exact
0.621371) and the apples-vs-oranges perceptron decision line.

Usage::

    python experiments/seed_examples.py --quick     # under a minute: results/seed-examples.png
    python experiments/seed_examples.py             # full size
    python experiments/seed_examples.py --out figs --seed 1 --backend numba
"""

import sys

from statnn.experiments import script_main

if __name__ == "__main__":
    sys.exit(script_main("seed-examples"))
