"""Basins of attraction: final overlap vs the cue's initial overlap m₀, per rule and α.

The 'basins' experiment (:func:`statnn.experiments.basins`), the same as ``statnn run
basins``. Figure: final vs initial overlap for several loads and rules, with the AGS
retrieval overlap.

Usage::

    python experiments/basins.py --quick     # under a minute: results/basins.png
    python experiments/basins.py             # full size
    python experiments/basins.py --out figs --seed 1 --backend numba
"""

import sys

from statnn.experiments import script_main

if __name__ == "__main__":
    sys.exit(script_main("basins"))
