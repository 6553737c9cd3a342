"""XOR (the perceptron fails, an MLP solves it) and training curves on the 8×8 digits.

The 'xor-digits' experiment (:func:`statnn.experiments.xor_digits`), the same as
``statnn run xor-digits``. Figure: XOR decision maps of a perceptron and an MLP; loss
and accuracy per epoch on the 8x8 digits.

Usage::

    python experiments/xor_digits.py --quick     # under a minute: results/xor-digits.png
    python experiments/xor_digits.py             # full size
    python experiments/xor_digits.py --out figs --seed 1 --backend numba
"""

import sys

from statnn.experiments import script_main

if __name__ == "__main__":
    sys.exit(script_main("xor-digits"))
