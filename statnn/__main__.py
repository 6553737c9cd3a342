"""``python -m statnn``: the command line."""

import sys

from statnn.cli import main

sys.exit(main())
