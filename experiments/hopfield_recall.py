"""Final overlap with the cued pattern vs load α = P/N at several T, per learning rule.

The 'hopfield-recall' experiment (:func:`statnn.experiments.hopfield_recall`), the same
as ``statnn run hopfield-recall``. Figure: final overlap vs load alpha at several T, one
panel per learning rule, with the AGS curve m(alpha, T) and alpha_c = 0.138.

Usage::

    python experiments/hopfield_recall.py --quick     # under a minute: results/hopfield-recall.png
    python experiments/hopfield_recall.py             # full size
    python experiments/hopfield_recall.py --out figs --seed 1 --backend numba
"""

import sys

from statnn.experiments import script_main

if __name__ == "__main__":
    sys.exit(script_main("hopfield-recall"))
