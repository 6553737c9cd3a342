"""2D Ising model: E, |M|, C, χ and the Binder cumulant vs T for several sizes L.

The 'ising-2d' experiment (:func:`statnn.experiments.ising_2d`), the same as ``statnn
run ising-2d``. Figure: E, |M|, C, chi and the Binder cumulant vs T for several L,
Onsager's exact curves, the Binder crossing near T_c = 2.269.

Usage::

    python experiments/ising_2d.py --quick     # under a minute: results/ising-2d.png
    python experiments/ising_2d.py             # full size
    python experiments/ising_2d.py --out figs --seed 1 --backend numba
"""

import sys

from statnn.experiments import script_main

if __name__ == "__main__":
    sys.exit(script_main("ising-2d"))
