"""Memory estimates checked before large allocations, so that an N × N matrix that cannot
fit is refused with the bytes it needs and a cheaper alternative, not by the kernel's OOM
killer half-way through."""

from __future__ import annotations

import os

from statnn.errors import InsufficientMemoryError

#: Allocations below this many bytes are never checked.
CHECK_ABOVE = 256 * 2**20


def available_bytes() -> int | None:
    """Memory available to new allocations (Linux ``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def format_bytes(n: float) -> str:
    """``1.5 GB`` style (powers of 1000, as disks and ``free -h --si`` count)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError  # pragma: no cover


def check_allocation(nbytes: float, what: str, caller: str, alternative: str = "") -> None:
    """Refuse an allocation of ``nbytes`` that exceeds the available memory.

    Parameters
    ----------
    nbytes : float
        Estimated peak bytes of the work about to start (arrays and temporaries).
    what : str
        What is allocated, e.g. ``"the 100000 x 100000 float64 couplings"``.
    caller : str
        The public function the user called.
    alternative : str
        The cheaper way to do the same work, appended to the message.

    Raises
    ------
    InsufficientMemoryError
        When ``nbytes`` exceeds :func:`available_bytes`.
    """
    if nbytes < CHECK_ABOVE:
        return
    avail = available_bytes()
    if avail is None or nbytes <= avail:
        return
    message = (
        f"{caller} needs about {format_bytes(nbytes)} for {what}, but only "
        f"{format_bytes(avail)} of memory is available."
    )
    if alternative:
        message += f" {alternative}"
    raise InsufficientMemoryError(message)
