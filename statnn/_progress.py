"""The one progress bar of the package: tqdm on stderr, shown only where someone watches.

Every progress bar (``simulate(progress=...)``, the experiments of ``statnn run``, the
points of a sweep) goes through :func:`progress_bar`, so they all follow one rule:
``enabled=None`` shows the bar only when stderr is a terminal (a log file or a pipe gets
no carriage-return noise); ``True`` or ``False`` forces it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any


def progress_bar(
    iterable: Iterable | None = None,
    *,
    enabled: bool | None = None,
    desc: str = "",
    total: int | None = None,
    initial: int = 0,
    unit: str = "it",
    leave: bool = True,
) -> Any:
    """A tqdm bar on stderr, or a silent stand-in when it is not shown.

    Parameters
    ----------
    iterable : iterable, optional
        What to iterate over; None for a bar advanced by hand with ``update(n)``.
    enabled : bool, optional
        True: always show it; False: never; None: only when stderr is a terminal.
    desc, total, initial, unit, leave
        As in :class:`tqdm.tqdm` (``initial``: steps already done, e.g. reused points).

    Returns
    -------
    iterable or tqdm.tqdm
        ``iterable`` itself when the bar is not shown and an iterable was given
        (no tqdm import); otherwise a tqdm object (disabled when not shown), which has
        ``update`` and ``close`` either way.
    """
    shown = sys.stderr.isatty() if enabled is None else bool(enabled)
    if not shown and iterable is not None:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(
        iterable,
        desc=desc,
        total=total,
        initial=initial,
        unit=unit,
        leave=leave,
        file=sys.stderr,
        disable=not shown,
    )
