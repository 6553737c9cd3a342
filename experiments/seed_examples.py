"""Deprecated name of ``experiments/first_neurons.py`` (the 'first-neurons' experiment).

Kept for one release so that old commands keep working; it warns and runs
``first-neurons``.
"""

import sys

from statnn.experiments import script_main

if __name__ == "__main__":
    sys.exit(script_main("seed-examples"))
