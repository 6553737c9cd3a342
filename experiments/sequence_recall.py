"""Overlap trace m_nu(t) of a sequence memory: synchronous, and asynchronous with delayed synapses.

The 'sequence-recall' experiment (:func:`statnn.experiments.sequences.sequence_recall`),
the same as ``statnn run sequence-recall``. Figure: m_nu(t) for every pattern at several
T, with the mean-field trace dashed, then one asynchronous run with delayed synapses and
the time between transitions against the delay.

Usage::

    python experiments/sequence_recall.py --quick     # under a minute: results/sequence-recall.png
    python experiments/sequence_recall.py             # full size
    python experiments/sequence_recall.py --out figs --seed 1 --backend numba
"""

import sys

from statnn.experiments import script_main

if __name__ == "__main__":
    sys.exit(script_main("sequence-recall"))
