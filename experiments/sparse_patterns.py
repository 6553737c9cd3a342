"""Retrieval of biased (low-activity) patterns vs load with the optimal threshold, and α_c(a).

The 'sparse-patterns' experiment (:func:`statnn.experiments.sparse.sparse_patterns`), the
same as ``statnn run sparse-patterns``. Figure: the final covariance overlap vs load for a
few pattern means a with the replica-symmetric m(α) dashed (and the same couplings without
threshold, dotted), and the capacity α_c(a) with the measured capacities as points.

Usage::

    python experiments/sparse_patterns.py --quick     # under a minute: results/sparse-patterns.png
    python experiments/sparse_patterns.py             # full size
    python experiments/sparse_patterns.py --out figs --seed 1 --backend numba
"""

import sys

from statnn.experiments import script_main

if __name__ == "__main__":
    sys.exit(script_main("sparse-patterns"))
