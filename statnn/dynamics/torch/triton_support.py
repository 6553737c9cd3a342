"""Which fast paths of the torch backend this machine can run, probed once per process.

Two toolchains are optional:

* **Triton** runs the fused kernels of :mod:`statnn.dynamics.torch.triton_lattice` and
  :mod:`statnn.dynamics.torch.triton_blocks`. It needs ``import triton`` (the ``statnn[gpu]``
  extra) and either a CUDA device or Triton's CPU interpreter (``TRITON_INTERPRET=1`` set
  before Triton is imported: slow, for tests on small systems).
* **torch.compile** (Inductor) fuses the eager kernels. On CUDA it generates Triton code
  (needs Triton); on the CPU it generates C++ (needs a C++ compiler).

When a path was asked for (or is the default) and its toolchain is missing, the kernel
falls back to the eager torch path and says so with one :class:`FastPathWarning` per
process and missing piece — an announced fallback, never a silent one.
"""

from __future__ import annotations

import functools
import os
import shutil
import warnings

import torch


class FastPathWarning(RuntimeWarning):
    """A fast path of the torch backend is unavailable; the eager path runs instead."""


_warned: set[str] = set()


def interpreting() -> bool:
    """Whether Triton runs in its CPU interpreter (``TRITON_INTERPRET=1``)."""
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


@functools.lru_cache(maxsize=1)
def _import_triton() -> str | None:
    try:
        import triton  # noqa: F401
        import triton.language  # noqa: F401
    except Exception as exc:  # ImportError, or a broken install raising anything else
        return f"Triton is not importable ({type(exc).__name__}: {exc}); install statnn[gpu]"
    return None


def triton_missing(device: torch.device) -> str | None:
    """None when the Triton kernels can run on ``device``, else what is missing."""
    missing = _import_triton()
    if missing is not None:
        return missing
    if device.type == "cuda":
        return None
    if interpreting():
        return None
    return "Triton kernels need a CUDA device (or TRITON_INTERPRET=1 for the CPU interpreter)"


@functools.lru_cache(maxsize=4)
def compile_missing(device_type: str) -> str | None:
    """None when ``torch.compile`` has its toolchain for ``device_type``, else what is missing."""
    if device_type == "cuda":
        missing = _import_triton()
        return None if missing is None else f"torch.compile on CUDA needs Triton: {missing}"
    try:
        from torch._inductor import config

        cxx = config.cpp.cxx[0] if isinstance(config.cpp.cxx, tuple) else config.cpp.cxx
    except Exception:  # an Inductor without this setting: try the usual names
        cxx = None
    for name in (cxx, "g++", "c++", "clang++"):
        if name and shutil.which(name):
            return None
    return "torch.compile on the CPU needs a C++ compiler (none of g++, c++, clang++ found)"


def announce_fallback(what: str, missing: str) -> None:
    """Warn once per process that ``what`` runs eagerly because ``missing``."""
    key = f"{what}: {missing}"
    if key in _warned:
        return
    _warned.add(key)
    warnings.warn(
        f"{what} is unavailable ({missing}); the eager torch path runs instead (same "
        "results, slower).",
        FastPathWarning,
        stacklevel=3,
    )
