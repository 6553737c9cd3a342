"""The ``statnn`` command.

Bad arguments and bad input print one line and exit with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import sys

from .errors import StatnnError
from .sweep_cli import add_sweep_command, run_sweep_command

EXAMPLES = """examples:
  statnn demo                 Hopfield recall vs AGS theory and a 2D Ising sweep vs Onsager
  statnn demo --quick         the same at laptop-in-a-hurry size
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line in one line, exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="statnn",
        description="Statistical mechanics of neural networks.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    demo = sub.add_parser(
        "demo",
        help="store and recall patterns; sweep a 2D Ising magnet",
        description="Hopfield recall from 10%%-corrupted cues at T = 0 and "
        "0.5 beside AGS theory, and a 2D Ising temperature sweep beside Onsager.",
    )
    demo.add_argument("--quick", action="store_true", help="smaller sizes (a few seconds)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--backend", default=None, help="numpy, numba or torch (default: numba)")
    add_sweep_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            from .demo import run_demo

            print(run_demo(seed=args.seed, backend=args.backend, quick=args.quick))
        elif args.command == "sweep":
            return run_sweep_command(args)
    except StatnnError as exc:
        print(f"statnn: error: {exc}", file=sys.stderr)
        return 2
    return 0
