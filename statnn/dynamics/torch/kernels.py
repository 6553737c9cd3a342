"""The torch backend: batched kernels on the CPU and on CUDA (``backend="torch"``).

All K = n_T · chains states form the batch dimension. The update of neuron i with local
field h_i = Σ_j J_ij S_j + b_i, inverse temperature β and uniform u ∈ [0, 1) is the one of
:mod:`statnn.dynamics.reference` (docs/conventions.md):

* Glauber: S_i ← +1 if u < 1/(1 + exp(−2β h_i)), else −1;
* Metropolis: flip if u < min(1, exp(−β ΔE)), ΔE = 2 S_i h_i;
* T = 0 (β = ∞), both rules: S_i ← sign h_i, a zero field keeps S_i.

Kernels (see ``docs/backends.md``):

* **Block-sequential** (schedules ``random``, ``sequential``, ``permuted``; every
  coupling representation): the sweep's site order is cut into blocks of B sites. Inside
  a block the B updates run one after another, exactly, from fields kept current by
  h_a ← h_a + J[idx_a, idx_b] ΔS_b after each update b (a B × B sub-matrix G); after the
  block every cached field is corrected with one product h ← h + ΔS_block · J[:, block]ᵀ
  (pattern form: overlaps m ← m + ΔS_block · ξ[:, block]ᵀ). The result is the plain
  sequential dynamics, update for update. The site order (and, for ``random``, the sites
  drawn with replacement) is drawn once per sweep and *shared by all chains* — that is
  what makes the correction a matrix product. Each chain still follows exact random-
  sequential dynamics with its own uniforms; given the shared order the chains are
  independent, so at stationarity their time averages are uncorrelated and errors
  across chains stay valid.
* **Synchronous**: one field product per sweep, all sites from the old state.
* **Checkerboard** (lattices): :mod:`statnn.dynamics.torch.lattice`.
* **Dense associative memories** (no coupling matrix): one neuron at a time for all states,
  from cached projections, :mod:`statnn.dynamics.torch.dense_memory`.

Random numbers come from one ``torch.Generator`` on the device, seeded from the
SeedSequence ``init`` receives: per sweep the order (``randint`` / ``randperm``), then the
uniforms (K, n) in column chunks. The same seed on the same device gives the same run;
different devices (or torch versions) give different streams, equal in distribution.
"""

from __future__ import annotations

import numpy as np

from statnn._device import resolve_device
from statnn._validation import param_error
from statnn.dynamics.torch.base import (
    FIELD_REFRESH_SWEEPS,
    TorchKernel,
    new_spins,
    torch_seed,
)
from statnn.dynamics.torch.blocks import BLOCK_SIZE, BlockKernel, SynchronousKernel, block_loop
from statnn.dynamics.torch.triton_support import (
    announce_fallback,
    compile_missing,
    triton_missing,
)

__all__ = [
    "BLOCK_SIZE",
    "OPTIONS",
    "FIELD_REFRESH_SWEEPS",
    "BlockKernel",
    "SynchronousKernel",
    "TorchKernel",
    "block_loop",
    "make_kernel",
    "new_spins",
    "resolve_device",
    "torch_seed",
]


#: This backend runs on a chosen device (``device="cpu"``, ``"cuda"``, ``"cuda:N"``).
DEVICES = True

#: The options ``backend_options=`` may hold for this backend, with their meaning.
OPTIONS = {
    "block_size": "int >= 1: sites per block of block-sequential updates (default 64; 128 for kernel='triton')",
    "compile": "bool: torch.compile the inner loops (default: on CUDA only)",
    "pattern_mode": "'float' or 'int8': arithmetic of pattern-form couplings "
    "(default 'int8' for the torch kernels on CUDA, else 'float')",
    "kernel": "'triton' or 'torch': fused Triton kernels or the torch ones "
    "(default 'triton' on CUDA when Triton is installed, else 'torch')",
    "multispin": "bool: with kernel='triton', 32 spins per word for checkerboard sweeps of "
    "lattices where it applies (default True)",
}


def make_kernel(
    net,
    *,
    rule,
    schedule,
    n_temps,
    chains,
    device=None,
    block_size: int | None = None,
    compile: bool | None = None,
    pattern_mode: str | None = None,
    kernel: str | None = None,
    multispin: bool = True,
):
    """Build the torch kernel for ``net`` on ``device`` (None → ``"cpu"``).

    Parameters
    ----------
    block_size : int, optional
        B of block-sequential updates (default :data:`BLOCK_SIZE`).
    compile : bool, optional
        Compile the within-block loop and the lattice half-sweep with ``torch.compile``
        (default: on CUDA only, where it fuses B updates / a half-sweep into few kernels).
    pattern_mode : {"float", "int8"}, optional
        Exact arithmetic of pattern-form couplings (default "int8" for the torch kernels on
        CUDA, else "float": the Triton kernel reads overlaps with exact float32 products);
        see :class:`statnn.dynamics.torch.fields.PatternFields`.
    kernel : {"triton", "torch"}, optional
        "triton": the fused Triton kernels (:mod:`statnn.dynamics.torch.triton_lattice`,
        :mod:`statnn.dynamics.torch.triton_blocks`, :mod:`statnn.dynamics.torch.triton_sync`)
        for checkerboard, block-sequential and synchronous updates; "torch": the
        eager/compiled torch kernels. Default: "triton" on CUDA when
        Triton is installed, else "torch". When Triton (or, with ``compile``, the compiler
        toolchain) is missing, the eager path runs after one :class:`FastPathWarning`.
    multispin : bool
        With the Triton kernels, run checkerboard sweeps of periodic lattices with even
        sides, one bias value and rows that fill whole 32-bit words or fit in one
        (:func:`statnn.dynamics.torch.triton_multispin.multispin_applies`) with 32 spins per
        word (:mod:`statnn.dynamics.torch.triton_multispin`); other lattices, or False, use
        one byte per spin (:mod:`statnn.dynamics.torch.triton_lattice`).
    """
    caller = "the torch backend"
    dev = resolve_device(device)
    if compile is None:
        compile = dev.type == "cuda"
    if not isinstance(compile, bool | np.bool_):
        raise param_error("backend_options['compile']", caller, "a bool", compile)
    auto_pattern_mode = pattern_mode is None
    if pattern_mode is None:
        pattern_mode = "int8" if dev.type == "cuda" else "float"
    if pattern_mode not in ("float", "int8"):
        raise param_error(
            "backend_options['pattern_mode']", caller, "'float' or 'int8'", pattern_mode
        )
    if block_size is not None and (
        not isinstance(block_size, int | np.integer)
        or isinstance(block_size, bool)
        or block_size < 1
    ):
        raise param_error("backend_options['block_size']", caller, "an int >= 1", block_size)
    if not isinstance(multispin, bool | np.bool_):
        raise param_error("backend_options['multispin']", caller, "a bool", multispin)
    if kernel not in (None, "triton", "torch"):
        raise param_error("backend_options['kernel']", caller, "'triton' or 'torch'", kernel)
    if getattr(net.couplings, "kind", None) == "dense_memory":
        if kernel == "triton":
            raise param_error(
                "backend_options['kernel']", caller,
                "'torch' (or None) for a dense associative memory: it has no Triton kernel",
                kernel,
            )  # fmt: skip
        from statnn.dynamics.torch.dense_memory import DenseMemoryKernel

        return DenseMemoryKernel(
            net, rule=rule, schedule=schedule, n_temps=n_temps, chains=chains, device=dev
        )
    if kernel is None:
        kernel = "triton" if dev.type == "cuda" and triton_missing(dev) is None else "torch"
    if kernel == "triton":
        missing = triton_missing(dev)
        if missing is None:
            # the fused overlap read is exact float32 (IEEE tl.dot): float mode by default
            mode = "float" if auto_pattern_mode else pattern_mode
            return _triton_kernel(
                net, rule, schedule, n_temps, chains, dev, block_size, mode, bool(multispin)
            )
        announce_fallback("The Triton kernel", missing)
    if compile:
        missing = compile_missing(dev.type)
        if missing is not None:
            announce_fallback("torch.compile", missing)
            compile = False
    kw = dict(rule=rule, schedule=schedule, n_temps=n_temps, chains=chains, device=dev)
    if schedule == "checkerboard":
        from statnn.dynamics.torch.lattice import CheckerboardKernel  # lattice only

        return CheckerboardKernel(net, compile=compile, **kw)
    if schedule == "synchronous":
        return SynchronousKernel(net, pattern_mode=pattern_mode, **kw)
    block_size = BLOCK_SIZE if block_size is None else block_size
    return BlockKernel(net, block_size=block_size, compile=compile, pattern_mode=pattern_mode, **kw)


def _triton_kernel(net, rule, schedule, n_temps, chains, dev, block_size, pattern_mode, multispin):
    kw = dict(rule=rule, schedule=schedule, n_temps=n_temps, chains=chains, device=dev)
    if schedule == "checkerboard" and multispin:
        from statnn.dynamics.torch.triton_multispin import (
            TritonMultispinKernel,
            multispin_applies,
        )

        lat = net.lattice
        if multispin_applies(lat.shape, lat.periodic, net.uniform_bias is not None):
            return TritonMultispinKernel(net, **kw)
    if schedule == "checkerboard":
        from statnn.dynamics.torch.triton_lattice import TritonCheckerboardKernel

        return TritonCheckerboardKernel(net, **kw)
    if schedule == "synchronous":
        from statnn.dynamics.torch.triton_sync import TritonSynchronousKernel

        return TritonSynchronousKernel(net, pattern_mode=pattern_mode, **kw)
    from statnn.dynamics.torch.triton_blocks import TRITON_BLOCK_SIZE, TritonBlockKernel

    B = TRITON_BLOCK_SIZE if block_size is None else block_size
    return TritonBlockKernel(net, block_size=B, pattern_mode=pattern_mode, **kw)
