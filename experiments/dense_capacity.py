"""Retrieval of dense associative memories vs load P / P_max for n = 2, 3, 4 and exp.

The 'dense-capacity' experiment (:func:`statnn.experiments.dense.dense_capacity_study`), the
same as ``statnn run dense-capacity``. Figure: per model, the retrieval rate from noisy
cues at each T and the fraction of stored patterns that are fixed points vs P / P_max,
with the signal-to-noise fixed-point fraction (1 - eps)^N dashed.

Usage::

    python experiments/dense_capacity.py --quick     # under a minute: results/dense-capacity.png
    python experiments/dense_capacity.py             # full size
    python experiments/dense_capacity.py --out figs --seed 1 --backend numba
"""

import sys

from statnn.experiments import script_main

if __name__ == "__main__":
    sys.exit(script_main("dense-capacity"))
