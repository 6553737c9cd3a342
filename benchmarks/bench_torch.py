"""Speed of the torch dynamics kernels (CPU or CUDA) against the numba backend, same run.

Run: ``.venv/bin/python benchmarks/bench_torch.py [--device cuda] [--case lattice|hopfield|dense|all]
[--L 1024] [--N 2000] [--P 200] [--chains 64] [--sweeps 5] [--block-size 64] [--threads N] [--no-numba]
[--records | --counts | --tempering | --recall]``

On a shared CPU, ``--threads 1`` avoids OpenMP threads spinning against other processes.

Cases (each timed through the kernel protocol, ``make_kernel`` → ``init`` → ``step``, after
one warm-up step that pays for compilation and first allocations):

* ``lattice`` — 2D Ising L × L, periodic, checkerboard Glauber at T = 2.269, one chain:
  site updates per ns (one update = one spin visited, flipped or not);
* ``hopfield`` — Hopfield network in pattern form (N neurons, P random patterns),
  random-sequential Glauber at T = 0.5 for ``chains`` chains: spin updates per ns;
* ``dense`` — dense SK couplings (N × N, float32), random-sequential Glauber at T = 0.5.

On CUDA each case times the eager/compiled torch kernels (``torch[cuda]``) and the
Triton kernels (``triton[cuda]``; lattices: ``triton8`` one byte per spin, ``tritonms``
32 spins per word). The targets, to be measured on the GPU machine:

    .venv/bin/python benchmarks/bench_torch.py --device cuda --case lattice --L 16384 --sweeps 20
        → ≥ 300 updates/ns
    .venv/bin/python benchmarks/bench_torch.py --device cuda --case hopfield --N 10000 --P 1000 \\
        --chains 1024 --sweeps 3
        → ≥ 20 updates/ns

Add ``--no-numba`` to skip the numba comparison (slow at the target sizes).

``--counts`` prints, for the eager torch path and the Triton path of each case, the kernel
launches per sweep, the host syncs per ``step`` and the bytes moved per site and sweep
(the figures to quote until a GPU measures time). Eager: the torch profiler counts the
leaf ATen operations that launch a kernel on CUDA (views and allocations excluded) and
the host syncs (``item``/``bool`` reads, device→host copies, pageable host→device copies),
and adds up their operand bytes. Triton: the launches are counted by construction (the
kernels are replaced by a counter, the torch operations around them still run and are
profiled), and the Triton kernels' bytes are the analytic figures of their docstrings.
Counting needs no GPU and runs at any size on the CPU.

``--records`` times the record loop against the raw kernel for each case: ``step`` (one
call of ``sweeps`` sweeps) and ``simulate(..., record_every=1)`` (energy, magnetization,
overlaps, q recorded after every sweep, on the device), with their ratio, and counts the
host reads of one ``simulate`` call (calls of ``Tensor.cpu/item/tolist/__bool__/__float__/
__int__``; ``numpy()`` of a CPU copy is not counted). Run it with ``PYTHONPATH`` pointing
at another checkout to count that version's ``simulate``.

``--tempering`` times parallel tempering on the torch backend: 16 temperatures (2.0 … 2.6)
× 8 chains of a 2D Ising 64², Metropolis checkerboard, 200 sweeps after 50 of burn-in,
exchanges after every sweep, end to end: plain ``simulate``, ``simulate(tempering=True)``
with the exchange in the device record loop, and the same tempering run through the
Python loop (``step`` + numpy + ``ReplicaExchange`` between calls, what the backend ran
before its device exchange; forced here by hiding ``TorchKernel.exchange_state``), with
the host reads of each.

``--recall`` times ``sn.recall`` of 16 cues (Hopfield, N × P from ``--N``/``--P``, random
and synchronous schedules) and ``sn.relax`` of 16 random states (Ising 64², checkerboard)
through the device loop (``TorchKernel.relax``: one small host read per block of sweeps,
half the sweeps run so far, at most 64) and through the loop over ``step`` (a host copy of
the spins per sweep), at T = 0 (cap 200 sweeps), at T = 0.3 (4 × ``--sweeps`` sweeps, overlaps averaged over the
last half) and both side by side; prints both times, their ratio and the host reads of each.
"""

from __future__ import annotations

import argparse
import importlib
import time

import numpy as np

import statnn as sn


def _time_kernel(module, net, schedule, n_temps, chains, T, sweeps, **kw):
    """Seconds per sweep of ``module.make_kernel(...)`` after a warm-up sweep."""
    kernel = module.make_kernel(
        net, rule="glauber", schedule=schedule, n_temps=n_temps, chains=chains, **kw
    )
    rng = np.random.default_rng(0)
    spins = (2 * rng.integers(0, 2, size=(n_temps, chains, net.n), dtype=np.int8) - 1).astype(
        np.int8
    )
    state = kernel.init(spins, np.random.SeedSequence(0))
    betas = np.full(n_temps, 1.0 / T)
    state, _ = kernel.step(state, betas, 1)  # warm-up: compilation, buffers
    t0 = time.perf_counter()
    state, _ = kernel.step(state, betas, sweeps)  # returns numpy flips: synchronises
    return (time.perf_counter() - t0) / sweeps


#: ATen operations that launch no kernel (metadata, views, allocation).
_NO_LAUNCH = {
    "aten::view", "aten::reshape", "aten::_reshape_alias", "aten::as_strided", "aten::slice",
    "aten::select", "aten::narrow", "aten::expand", "aten::t", "aten::transpose",
    "aten::unsqueeze", "aten::squeeze", "aten::permute", "aten::empty", "aten::empty_like",
    "aten::empty_strided", "aten::resize_", "aten::detach", "aten::alias", "aten::lift_fresh",
    "aten::result_type", "aten::_unsafe_view", "aten::contiguous", "aten::flatten",
    "aten::unbind", "aten::split", "aten::chunk", "aten::to", "aten::_to_copy",
    "aten::numpy_T", "aten::set_", "aten::is_nonzero", "aten::item", "aten::_local_scalar_dense",
    "aten::pin_memory", "aten::_pin_memory", "aten::is_pinned", "aten::resolve_conj",
    "aten::resolve_neg", "aten::conj", "aten::_conj", "aten::_neg_view", "aten::zeros",
    "aten::zeros_like", "aten::clone", "aten::scalar_tensor",
}  # fmt: skip
_SYNCS = {"aten::_local_scalar_dense"}


def _leaf_events(prof):
    """All ATen events, and the launching ones: an operation that launches a kernel itself
    (not in ``_NO_LAUNCH``) and has no launching operation below it."""
    events = [e for e in prof.events() if e.name.startswith("aten::")]
    below = {}

    def launches_below(e):
        if id(e) not in below:
            below[id(e)] = any(
                (c.name.startswith("aten::") and c.name not in _NO_LAUNCH) or launches_below(c)
                for c in e.cpu_children
            )
        return below[id(e)]

    return events, [e for e in events if e.name not in _NO_LAUNCH and not launches_below(e)]


def _operand_bytes(event):
    """Bytes of the tensor inputs plus one output the size of the largest (elementwise ops)."""
    size = {
        "float": 4, "double": 8, "int": 4, "long int": 8, "signed char": 1, "bool": 1,
        "c10::Half": 2, "c10::BFloat16": 2, "unsigned char": 1, "short int": 2,
    }  # fmt: skip
    shapes, dtypes = event.input_shapes, event.input_dtypes
    if event.name == "aten::index_select" and len(shapes) == 3 and dtypes[0] in size:
        # a gather reads (and writes) only the selected slices, not the whole source
        concrete = getattr(event, "concrete_inputs", None) or [None, None]
        dim = concrete[1] if isinstance(concrete[1], int) else 0
        out = int(np.prod(shapes[0])) // max(shapes[0][dim], 1) * int(np.prod(shapes[2]))
        return 2 * out * size[dtypes[0]] + int(np.prod(shapes[2])) * 8
    sizes = [
        int(np.prod(shape)) * size[dtype]
        for shape, dtype in zip(shapes, dtypes, strict=False)
        if shape and dtype in size
    ]
    return sum(sizes) + max(sizes, default=0)


def count_step(kernel, state, betas, sweeps, triton: bool):
    """(launches per sweep, host syncs per step, operand bytes per site and sweep) of one step."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        kernel.step(state, betas, sweeps)
    events, leaves = _leaf_events(prof)
    launches = [e for e in leaves if e.name not in _NO_LAUNCH]
    # copy_ between devices, or from pageable host memory, synchronises; on the CPU every
    # copy is host to host, so count the known ones: β in, flips out (the .cpu() read).
    syncs = sum(e.name in _SYNCS for e in events)
    syncs += 1  # the flips' device→host read at the end of step (β comes from pinned memory)
    n_sites = kernel.K * kernel.n * sweeps
    moved = sum(_operand_bytes(e) for e in launches)
    return len(launches) / sweeps, syncs, moved / n_sites


def _counts(case, net, schedule, n_temps, chains, T, sweeps, block_size):
    import statnn.dynamics.torch.kernels as tk
    from statnn.dynamics.torch import triton_common

    rng = np.random.default_rng(0)
    spins = np.where(rng.random((n_temps, chains, net.n)) < 0.5, 1, -1).astype(np.int8)
    betas = np.full(n_temps, 1.0 / T)
    variants = [("torch", {}), ("triton", {"multispin": False})]
    if case == "lattice":
        variants.append(("triton", {"multispin": True}))
    for name, extra in variants:
        counted = [0]
        real = triton_common.launch
        if name == "triton":  # counted, not run (init's packing included: it is not timed)
            triton_common.launch = lambda *a, c=counted, **k: c.__setitem__(0, c[0] + 1)
        try:
            kernel = tk.make_kernel(
                net, rule="glauber", schedule=schedule, n_temps=n_temps, chains=chains,
                kernel=name, compile=False, block_size=block_size, **extra,
            )  # fmt: skip
            state = kernel.init(spins, np.random.SeedSequence(0))
            counted[0] = 0
            launches, syncs, moved = count_step(kernel, state, betas, sweeps, name == "triton")
        finally:
            triton_common.launch = real
        if name == "triton":
            launches += counted[0] / sweeps
            moved += getattr(kernel, "bytes_per_site", 0.0)
            moved += getattr(kernel, "bytes_per_site_step", 0.0) / sweeps
        print(
            f"  counts {name:7s} {launches:9.1f} launches/sweep {syncs:3d} host syncs/step "
            f"{moved:9.3f} B/site/sweep ({type(kernel).__name__}, {kernel.K} states, "
            f"N = {net.n}, {sweeps} sweeps per step)"
        )
    if case == "lattice":
        from statnn.dynamics.torch.triton_multispin import TritonMultispinKernel as M

        L = 16384  # worked out, not counted: the figures do not depend on the size
        print(
            f"  worked out at L = {L}: multispin 2 launches/sweep + 1 per step (decoding), "
            f"{M.bytes_per_site:.3f} B/site/sweep + {M.bytes_per_site_step + 0.25:.3f} B/site "
            f"per step (copy of the words and decoding); {L * L // 64} words of 32 spins per colour, {L * L // 64 // 256} programs "
            "of 256 words per half-sweep"
        )


_READS = ("item", "cpu", "tolist", "__bool__", "__float__", "__int__")


def count_host_reads(fn):
    """(result of fn(), host reads during it): counted calls of the tensor methods that
    read device values back to the host."""
    import torch

    counts = [0]
    saved = {name: getattr(torch.Tensor, name) for name in _READS}

    def counting(original):
        def wrapper(self, *a, **k):
            counts[0] += 1
            return original(self, *a, **k)

        return wrapper

    try:
        for name, original in saved.items():
            setattr(torch.Tensor, name, counting(original))
        out = fn()
    finally:
        for name, original in saved.items():
            setattr(torch.Tensor, name, original)
    return out, counts[0]


def _records(args, net, schedule, chains, T):
    """Raw ``step`` against ``simulate(record_every=1)`` on the torch backend, same run."""
    import warnings

    opts = {"kernel": "torch"} if args.block_size is None else {
        "kernel": "torch", "block_size": args.block_size}  # fmt: skip
    kw = dict(schedule=schedule, backend="torch", device=args.device, backend_options=opts)
    s = sn.sampler(net, T=T, chains=chains, **kw)
    state = s.init("random", seed=0)
    sweeps = args.sweeps
    s.step(state, 1)  # warm-up

    def sim(n):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sn.simulate(
                net, T=T, sweeps=n, burn_in=0, chains=chains, seed=0, record_every=1, **kw
            )

    sim(1)
    t_step = t_sim = np.inf
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        s.step(state, sweeps)
        t_step = min(t_step, time.perf_counter() - t0)
        t0 = time.perf_counter()
        sim(sweeps)
        t_sim = min(t_sim, time.perf_counter() - t0)
    _, reads_short = count_host_reads(lambda: sim(2))
    _, reads_long = count_host_reads(lambda: sim(sweeps))
    updates = sweeps * net.n * chains
    print(
        f"  step {updates / t_step:10.4g} updates/s   simulate(record_every=1) "
        f"{updates / t_sim:10.4g} updates/s   ratio {t_step / t_sim:5.2f}   host reads per "
        f"simulate: {reads_short} (2 records), {reads_long} ({sweeps} records)"
    )


def _backends(args, lattice=False):
    import statnn.dynamics.torch.kernels as tk

    kw = dict(device=args.device, block_size=args.block_size)
    yield f"torch[{args.device}]", tk, dict(kw, kernel="torch")
    if args.device.startswith("cuda"):  # the Triton kernels (the CPU interpreter is for tests)
        if lattice:  # one byte per spin, and 32 spins per word
            yield f"triton8[{args.device}]", tk, dict(kw, kernel="triton", multispin=False)
            yield f"tritonms[{args.device}]", tk, dict(kw, kernel="triton", multispin=True)
        else:
            yield f"triton[{args.device}]", tk, dict(kw, kernel="triton")
    if not args.no_numba:
        try:
            yield "numba", importlib.import_module("statnn.dynamics.numba.kernel"), {}
        except ImportError as exc:
            print(f"  (numba backend unavailable: {exc})")


def case_lattice(args):
    net = sn.ising((args.L, args.L))
    print(f"lattice: 2D Ising {args.L}×{args.L}, checkerboard Glauber, T = 2.269, 1 chain")
    if args.counts:
        _counts("lattice", net, "checkerboard", 1, 1, 2.269, args.sweeps, None)
        return
    if args.records:
        _records(args, net, "checkerboard", 1, 2.269)
        return
    for name, module, kw in _backends(args, lattice=True):
        kw = {k: v for k, v in kw.items() if k != "block_size"}
        per_sweep = _time_kernel(module, net, "checkerboard", 1, 1, 2.269, args.sweeps, **kw)
        rate = net.n / per_sweep / 1e9
        print(f"  {name:12s} {per_sweep * 1e3:10.3f} ms/sweep {rate:10.4f} updates/ns")


def case_hopfield(args):
    rng = np.random.default_rng(1)
    patterns = np.where(rng.random((args.P, args.N)) < 0.5, 1, -1).astype(np.int8)
    net = sn.hopfield(patterns)
    print(
        f"hopfield: N = {args.N}, P = {args.P} (pattern form), {args.chains} chains, "
        "random-sequential Glauber, T = 0.5"
    )
    _report_block(args, net)


def case_dense(args):
    rng = np.random.default_rng(2)
    J = rng.normal(size=(args.N, args.N)).astype(np.float32)
    J = (J + J.T) / np.float32(2 * np.sqrt(args.N))
    np.fill_diagonal(J, 0.0)
    net = sn.Network(J)
    print(f"dense: SK N = {args.N} float32, {args.chains} chains, random-sequential Glauber")
    _report_block(args, net)


def _report_block(args, net):
    if args.counts:
        _counts("block", net, "random", 1, args.chains, 0.5, 1, args.block_size)
        return
    if args.records:
        _records(args, net, "random", args.chains, 0.5)
        return
    for name, module, kw in _backends(args):
        if name == "numba":
            kw = {}
        per_sweep = _time_kernel(module, net, "random", 1, args.chains, 0.5, args.sweeps, **kw)
        updates = net.n * args.chains / per_sweep
        print(
            f"  {name:12s} {per_sweep * 1e3:10.3f} ms/sweep {updates:12.4g} updates/s "
            f"{updates / 1e9:10.4f} updates/ns"
        )


CASES = {"lattice": case_lattice, "hopfield": case_hopfield, "dense": case_dense}


def tempering(args):
    """Plain simulate, tempering in the device loop and tempering in the Python loop."""
    import warnings

    from statnn.dynamics.torch.base import TorchKernel

    net = sn.ising((64, 64))
    kw = dict(T=np.linspace(2.0, 2.6, 16), chains=8, sweeps=200, burn_in=50, seed=0,
              dynamics="metropolis", schedule="checkerboard", backend="torch",
              device=args.device, backend_options={"kernel": "torch"})  # fmt: skip

    def run(tempering):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence warnings of the short runs
            return sn.simulate(net, tempering=tempering, **kw)

    hidden = TorchKernel.exchange_state

    def python_loop():  # has_record_loop: no exchange in the loop → the Python loop
        del TorchKernel.exchange_state
        try:
            return run(True)
        finally:
            TorchKernel.exchange_state = hidden

    paths = {"plain": lambda: run(False), "device": lambda: run(True), "python": python_loop}
    times = dict.fromkeys(paths, np.inf)
    print("tempering: Ising 64², 16 T × 8 chains, Metropolis checkerboard, 200 + 50 sweeps")
    for fn in paths.values():
        fn()  # warm-up
    for _ in range(args.repeats):  # the paths in turn: a load change hits all of them
        for name, fn in paths.items():
            t0 = time.perf_counter()
            fn()
            times[name] = min(times[name], time.perf_counter() - t0)
    reads = {name: count_host_reads(fn)[1] for name, fn in paths.items()}
    plain, device, python = times["plain"], times["device"], times["python"]
    reads_plain, reads_device, reads_python = reads["plain"], reads["device"], reads["python"]
    print(f"  plain simulate             {plain:8.3f} s   host reads {reads_plain}")
    print(f"  tempering, device loop     {device:8.3f} s   host reads {reads_device}   "
          f"overhead {100 * (device / plain - 1):+5.1f} %")  # fmt: skip
    print(f"  tempering, Python loop     {python:8.3f} s   host reads {reads_python}   "
          f"overhead {100 * (python / plain - 1):+5.1f} %   device loop {python / device:5.2f}× faster")  # fmt: skip


def recall_paths(args):
    """``sn.recall`` / ``sn.relax`` through the device loop (``TorchKernel.relax``) against
    the loop over ``Sampler.step`` with a host copy of the spins per sweep (forced by
    switching ``TorchKernel.relaxes`` off), same run, alternating; host reads of each."""
    from statnn.dynamics.torch.base import TorchKernel

    rng = np.random.default_rng(0)
    xi = np.where(rng.random((args.P, args.N)) < 0.5, -1, 1).astype(np.int8)
    hop = sn.hopfield(xi)
    lattice = sn.ising((64, 64))
    starts = rng.choice(np.array([-1, 1], dtype=np.int8), (16, lattice.n))
    cases = [
        # name, run(**kw) for the network, schedule
        (f"pattern N={args.N} P={args.P}, 16 cues", "random",
         lambda **kw: sn.recall(hop, xi, noise=0.2, cue=np.arange(16), seed=0, **kw)),
        (f"pattern N={args.N} P={args.P}, 16 cues", "synchronous",
         lambda **kw: sn.recall(hop, xi, noise=0.2, cue=np.arange(16), seed=0, **kw)),
        ("Ising 64², 16 random states", "checkerboard",
         lambda **kw: sn.relax(lattice, starts, seed=0, **kw)),
    ]  # fmt: skip
    runs = {
        "T=0": dict(T=0.0, sweeps=200),
        "avg": dict(T=0.3, sweeps=4 * args.sweeps, average=2 * args.sweeps),
        "mixed": dict(T=[0.0, 0.3], sweeps=4 * args.sweeps, average=args.sweeps),
    }
    compiled = TorchKernel.relaxes
    stepped = property(lambda self: False)
    print(f"recall: device loop vs step loop, best of {args.repeats}")
    for name, schedule, run in cases:
        for label, extra in runs.items():
            kw = dict(schedule=schedule, backend="torch", device=args.device, **extra)
            paths = {"device": lambda kw=kw, run=run: run(**kw)}

            def step_loop(kw=kw, run=run):
                TorchKernel.relaxes = stepped
                try:
                    return run(**kw)
                finally:
                    TorchKernel.relaxes = compiled

            paths["steps"] = step_loop
            times = dict.fromkeys(paths, np.inf)
            for fn in paths.values():
                out = fn()  # warm-up
            for _ in range(args.repeats):  # the paths in turn: a load change hits both
                for key, fn in paths.items():
                    t0 = time.perf_counter()
                    fn()
                    times[key] = min(times[key], time.perf_counter() - t0)
            reads = {key: count_host_reads(fn)[1] for key, fn in paths.items()}
            print(
                f"  {name:34s} {schedule:12s} {label:5s} sweeps ≤ {np.max(out.sweeps):4d}  "
                f"device {times['device']:8.3f} s  steps {times['steps']:8.3f} s  "
                f"steps/device {times['steps'] / times['device']:5.2f}  "
                f"host reads device {reads['device']:4d}  steps {reads['steps']:4d}",
                flush=True,
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--case", default="all", choices=[*CASES, "all"])
    parser.add_argument("--L", type=int, default=1024)
    parser.add_argument("--N", type=int, default=2000)
    parser.add_argument("--P", type=int, default=200)
    parser.add_argument("--chains", type=int, default=64)
    parser.add_argument("--sweeps", type=int, default=5)
    parser.add_argument("--block-size", type=int, default=None)
    parser.add_argument("--no-numba", action="store_true")
    parser.add_argument(
        "--counts", action="store_true",
        help="count launches/sweep, host syncs/step, bytes/site/sweep (eager vs Triton), no timing",
    )  # fmt: skip
    parser.add_argument(
        "--records", action="store_true",
        help="step vs simulate(record_every=1) on the torch backend, host reads per simulate",
    )  # fmt: skip
    parser.add_argument(
        "--tempering", action="store_true",
        help="simulate vs simulate(tempering=True) on the torch backend (device and Python loop)",
    )  # fmt: skip
    parser.add_argument(
        "--recall", action="store_true",
        help="recall/relax through the device loop vs the step loop, host reads of each",
    )  # fmt: skip
    parser.add_argument(
        "--repeats", type=int, default=3, help="--records, --tempering, --recall: best of"
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args(argv)
    if args.counts and not args.device.startswith("cuda"):
        import os  # counting on the CPU: build the Triton kernels with the interpreter

        os.environ["TRITON_INTERPRET"] = "1"  # (their launches are only counted, not run)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    print(f"torch {torch.__version__}, device {args.device}, {torch.get_num_threads()} CPU threads")
    if args.device.startswith("cuda") and torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name(torch.device(args.device))}")
    if args.tempering:
        tempering(args)
        return
    if args.recall:
        recall_paths(args)
        return
    for name, case in CASES.items():
        if args.case in (name, "all"):
            case(args)


if __name__ == "__main__":
    main()
