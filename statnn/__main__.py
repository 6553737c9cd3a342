"""``python -m statnn``: the command line."""

import sys

from statnn.cli import console_main

sys.exit(console_main())
