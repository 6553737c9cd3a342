"""The record block of the torch backend as a CUDA graph (``torch.cuda.CUDAGraph``).

One record block is ``every`` sweeps (``TorchKernel._advance``) and one measurement
(``TorchKernel._measure``): on CUDA that is hundreds to tens of thousands of kernel
launches, the same ones every block when the kernel is :attr:`~statnn.dynamics.torch.base.
TorchKernel.graph_safe`. :func:`record_with_graph` runs block 0 eagerly on a side stream
(the warm-up torch asks for: lazy initialisation, cuBLAS workspaces, ``torch.compile``),
captures block 1 into a graph, and replays it for blocks 1 … R − 1.

What makes the replay equal to the eager loop:

* every tensor the block reads or writes in place (spins, cache, flips, the record buffer)
  is allocated before capture and stays put; temporaries come from the graph's pool;
* the row of the record buffer is chosen on the device: the measurement writes a static
  row, ``index_copy_`` puts it at row ``r`` (a device counter) and ``r`` is incremented in
  the graph;
* random numbers: the kernel's ``torch.Generator`` is registered with the graph
  (``CUDAGraph.register_generator_state``), so each replay reads the generator's current
  Philox seed and offset and advances the offset by what the block consumed — as the
  eager calls do;
* nothing in the block reads a value back to the host (the kernels' contract), which
  capture would refuse anyway.

Where capture fails (an older torch without ``register_generator_state``, an operation
that is not capturable), the graph is dropped, the generator state restored, and the
eager loop continues from block 1 after one :class:`~statnn.dynamics.torch.triton_support.
FastPathWarning`; the kernel does not try again.
"""

from __future__ import annotations

import torch

from statnn.dynamics.torch.triton_support import announce_fallback


def record_with_graph(kernel, run, S, cache, gen, flips, buf, sweep, every) -> int:
    """Blocks 0 … R − 1 of ``kernel.record`` (block 0 eager, then graph replays).

    Returns the first block still to run eagerly: R when the graph ran them all, 1 when
    capture failed (block 0 is done either way).
    """
    R = buf.shape[0]
    side = torch.cuda.Stream(device=S.device)
    side.wait_stream(torch.cuda.current_stream(S.device))
    with torch.cuda.stream(side):  # block 0, also the warm-up before capture
        kernel._advance(run, S, cache, gen, sweep, every, flips)
        kernel._measure(run, S, cache, buf[0])
    torch.cuda.current_stream(S.device).wait_stream(side)
    if getattr(kernel, "_graph_failed", False):
        return 1
    row = torch.empty(buf.shape[1], dtype=buf.dtype, device=buf.device)
    r = torch.ones(1, dtype=torch.int64, device=buf.device)
    saved = gen.get_state()
    graph = torch.cuda.CUDAGraph()
    try:
        graph.register_generator_state(gen)
        with torch.cuda.graph(graph, capture_error_mode="thread_local"):
            kernel._advance(run, S, cache, gen, sweep + every, every, flips)
            kernel._measure(run, S, cache, row)
            buf.index_copy_(0, r, row[None])
            r.add_(1)
    except Exception as exc:  # capture refused: nothing ran; the eager loop takes over
        del graph
        gen.set_state(saved)
        kernel._graph_failed = True
        announce_fallback("CUDA graph capture of the record loop", f"{type(exc).__name__}: {exc}")
        return 1
    for _ in range(1, R):
        graph.replay()
    return R
