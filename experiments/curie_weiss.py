"""Curie–Weiss ferromagnet (J_ij = 1/N): ⟨|m|⟩ and E/N vs T beside m = tanh(βm).

The 'curie-weiss' experiment (:func:`statnn.experiments.curie_weiss`), the same as
``statnn run curie-weiss``. Figure: <|m|> and E/N vs T for two N against m = tanh(m/T)
and -m^2/2.

Usage::

    python experiments/curie_weiss.py --quick     # under a minute: results/curie-weiss.png
    python experiments/curie_weiss.py             # full size
    python experiments/curie_weiss.py --out figs --seed 1 --backend numba
"""

import sys

from statnn.experiments import script_main

if __name__ == "__main__":
    sys.exit(script_main("curie-weiss"))
