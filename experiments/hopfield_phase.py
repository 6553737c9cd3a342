"""The Hopfield (T, α) phase diagram from simulation, beside the AGS phase boundaries.

The 'hopfield-phase' experiment (:func:`statnn.experiments.hopfield_phase_diagram`), the
same as ``statnn run hopfield-phase``. Figure: mean overlap on the (alpha, T) plane from
a retrieval start, with T_g = 1 + sqrt(alpha), T_M(alpha) (alpha_c line) and the global-
minimum line.

Usage::

    python experiments/hopfield_phase.py --quick     # under a minute: results/hopfield-phase.png
    python experiments/hopfield_phase.py             # full size
    python experiments/hopfield_phase.py --out figs --seed 1 --backend numba
"""

import sys

from statnn.experiments import script_main

if __name__ == "__main__":
    sys.exit(script_main("hopfield-phase"))
