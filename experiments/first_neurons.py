"""First neurons: km → miles by one linear neuron, apples vs oranges by a perceptron.

The 'first-neurons' experiment (:func:`statnn.experiments.first_neurons`), the same as
``statnn run first-neurons``. Figure: km to miles by one linear neuron (learned vs exact
0.621371) and the apples-vs-oranges perceptron decision line.

Usage::

    python experiments/first_neurons.py --quick     # under a minute: results/first-neurons.png
    python experiments/first_neurons.py             # full size
    python experiments/first_neurons.py --out figs --seed 1 --backend numba
"""

import sys

from statnn.experiments import script_main

if __name__ == "__main__":
    sys.exit(script_main("first-neurons"))
