"""SK spin glass: energy and replica overlap q vs T with parallel tempering.

The 'sk-glass' experiment (:func:`statnn.experiments.sk_glass`), the same as ``statnn
run sk-glass``. Figure: energy, <|q|> and the Binder parameter g vs T with parallel
tempering, against the replica-symmetric solution.

Usage::

    python experiments/sk_glass.py --quick     # under a minute: results/sk-glass.png
    python experiments/sk_glass.py             # full size
    python experiments/sk_glass.py --out figs --seed 1 --backend numba
"""

import sys

from statnn.experiments import script_main

if __name__ == "__main__":
    sys.exit(script_main("sk-glass"))
