"""The compiled lock-step record loop of the numba backend (parallel tempering, or chains
advanced one block at a time) against the same loop written in Python: a block of the
representation's records driver, then numpy bookkeeping and the compiled exchange, store
and replica-overlap pieces, called one at a time. Both draw the same numbers (the
per-chain streams and the exchange stream), so the records, the exchange state and the
final state must agree bit for bit, for every representation, at 1 and 2 threads.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
import scipy.sparse

import statnn as sn
import statnn.dynamics.numba.kernel as numba_cpu
from statnn.dynamics.backends import SamplerState
from statnn.dynamics.numba.measure import exchange, pair_sums, store
from statnn.dynamics.numba.multispin import packed_pair_sums


def python_record(kernel, state, betas, *, n_records, every, burn_in=0, exchange_state=None):
    """The lock-step branch of ``NumbaKernel.record`` as a Python loop over blocks."""
    n_T, chains = kernel.shape
    K = n_T * chains
    rep = kernel.rep
    native, cache, rng = kernel._copy(state)
    beta = kernel._betas(betas)
    done = int(state.sweep)
    P = rep.n_overlaps()
    pairs = chains // 2
    R = n_records
    energy = np.empty((K, R))
    ms = np.empty((K, R), dtype=np.int64)
    overlaps = np.empty((K, R, P))
    qsum = np.empty((n_T * pairs, R), dtype=np.int64)
    tempering = exchange_state is not None
    betas = np.asarray(betas, dtype=np.float64)
    who = np.arange(K, dtype=np.int64).reshape(n_T, chains)
    slot = np.repeat(np.arange(n_T, dtype=np.int64), chains)
    ex = None
    if tempering:
        ex = {name: np.copy(value) for name, value in exchange_state._asdict().items()}
        ex["parity"] = int(exchange_state.parity)
    singles = numba_cpu._units(n_T, chains, pairs_together=False)
    E1 = np.empty((K, 1))
    M1 = np.empty((K, 1), dtype=np.int64)
    O1 = np.empty((K, 1, P))
    Q1 = np.empty((0, 1), dtype=np.int64)
    table_rows = rep.prepare(betas)
    scratch = np.zeros(K, dtype=np.int64)
    by_slot = np.zeros(K, dtype=np.int64)
    columns = np.arange(K) % chains
    blocks = []
    if tempering and burn_in:
        full, part = divmod(burn_in, every)
        blocks += [(every, -1)] * full + ([(part, -1)] if part else [])
    elif burn_in:
        with numba_cpu.numba_threads.threads_for(K):
            rep.sweep(native, cache, beta, rng, burn_in, done, scratch)
        done += burn_in
    blocks += [(every, r) for r in range(R)]
    with numba_cpu.numba_threads.threads_for(K):
        for length, r in blocks:
            if r == 0 and tempering and burn_in:
                for counts in ("tried", "accepted", "trips"):
                    ex[counts][:] = 0
            scratch[:] = 0
            rep.records(
                native, cache, beta, rng, done, singles, 1, length, (E1, M1, O1, Q1, 0), scratch,
                (slot, table_rows),
            )  # fmt: skip
            done += length
            if r >= 0:
                by_slot[slot * chains + columns] += scratch
            if tempering:
                exchange(
                    E1[:, 0], beta, betas, who, slot, chains, ex["parity"], ex["rng"],
                    ex["tried"], ex["accepted"], ex["heading"], ex["trips"],
                )  # fmt: skip
                ex["parity"] = 1 - ex["parity"]
            if r >= 0:
                store(E1, M1, O1, energy, ms, overlaps, slot, chains, r)
                if pairs and rep.packed:
                    packed_pair_sums(native, who, qsum, r, kernel.net.n)
                elif pairs:
                    pair_sums(rep.flat(native), who, qsum, r)
    src = who.ravel()
    new = kernel._rows(SamplerState(native, rng, done, cache), src, rng=True)
    return new, kernel._finish(energy, ms, overlaps, qsum, by_slot, ex, src)


def _patterns(p, n, seed=0):
    return np.where(np.random.default_rng(seed).random((p, n)) < 0.5, -1, 1).astype(np.int8)


def _sparse_net():
    rng = np.random.default_rng(2)
    J = scipy.sparse.random(24, 24, density=0.2, random_state=rng)
    J = scipy.sparse.triu(J, 1)
    return sn.Network((J + J.T).tocsr(), bias=rng.normal(0.0, 0.2, size=24))


# (network, rule, schedule, backend options, expected representation)
CASES = {
    "multispin": (lambda: sn.ising((8, 8)), "metropolis", "checkerboard", {}, "lattice_multispin"),
    "multispin-glauber": (
        lambda: sn.ising((8, 8), field=0.1),
        "glauber",
        "checkerboard",
        {},
        "lattice_multispin",
    ),
    "lattice-checkerboard": (
        lambda: sn.ising((6, 6)),
        "glauber",
        "checkerboard",
        {"multispin": False},
        "lattice",
    ),
    "lattice-random": (lambda: sn.ising((5, 5), field=0.2), "metropolis", "random", {}, "lattice"),
    "dense-random": (lambda: sn.sk(16, seed=1), "glauber", "random", {}, "dense"),
    "dense-synchronous": (lambda: sn.sk(16, seed=2), "glauber", "synchronous", {}, "dense"),
    "patterns": (lambda: sn.hopfield(_patterns(3, 30)), "glauber", "sequential", {}, "patterns"),
    "sparse": (_sparse_net, "metropolis", "random", {}, "sparse"),
    "sparse-synchronous": (_sparse_net, "glauber", "synchronous", {}, "sparse"),
    "dense-memory": (
        lambda: sn.dense_memory(_patterns(3, 20, seed=4), degree=3),
        "glauber",
        "random",
        {},
        "dense_memory",
    ),
}


def _kernel(case, n_T, chains):
    make, rule, schedule, options, kind = CASES[case]
    net = make()
    kernel = numba_cpu.make_kernel(
        net, rule=rule, schedule=schedule, n_temps=n_T, chains=chains, **options
    )
    assert kernel.kind == kind
    spins = np.where(np.random.default_rng(7).random((n_T, chains, net.n)) < 0.5, -1, 1)
    return kernel, kernel.init(spins.astype(np.int8), np.random.SeedSequence(11))


def _assert_same(a, b):
    (state_a, rec_a), (state_b, rec_b) = a, b
    for name in ("spins", "rng", "cache"):
        x, y = getattr(state_a, name), getattr(state_b, name)
        if x is None:
            assert y is None, name
        else:
            np.testing.assert_array_equal(x, y, err_msg=name)
    assert state_a.sweep == state_b.sweep
    for name in rec_a._fields:
        x, y = getattr(rec_a, name), getattr(rec_b, name)
        if name == "exchange":
            if x is None:
                assert y is None
                continue
            assert x.parity == y.parity
            for field in ("rng", "heading", "trips", "tried", "accepted"):
                np.testing.assert_array_equal(getattr(x, field), getattr(y, field), err_msg=field)
        elif x is None:
            assert y is None, name
        else:
            np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.fixture(params=[1, 2], ids=["1-thread", "2-threads"])
def threads(request):
    wanted = min(request.param, numba.config.NUMBA_NUM_THREADS)
    before = numba_cpu.get_num_threads()
    numba_cpu.set_num_threads(wanted)
    yield wanted
    numba_cpu.set_num_threads(before)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize(
    "chains, burn_in, every",
    [(2, 7, 3), (3, 0, 1), (4, 6, 2)],
    ids=["pairs-burn-in-remainder", "odd-no-burn-in", "pairs-burn-in"],
)
def test_compiled_tempering_loop_equals_the_python_loop(case, chains, burn_in, every, threads):
    n_T = 3
    kernel, state = _kernel(case, n_T, chains)
    betas = np.array([1.0 / 1.5, 1.0 / 2.0, 1.0 / 2.6])
    ex = kernel.exchange_state(np.random.SeedSequence(3), 0)
    kwargs = dict(n_records=5, every=every, burn_in=burn_in)
    compiled = kernel.record(state, betas, exchange=ex, **kwargs)
    python = python_record(kernel, state, betas, exchange_state=ex, **kwargs)
    _assert_same(compiled, python)
    assert compiled[1].swap_tried.sum() > 0
    # continued from the returned exchange state: the second call equals too
    again = dict(n_records=3, every=every)
    compiled2 = kernel.record(compiled[0], betas, exchange=compiled[1].exchange, **again)
    python2 = python_record(kernel, python[0], betas, exchange_state=python[1].exchange, **again)
    _assert_same(compiled2, python2)


@pytest.mark.parametrize("case", ["multispin", "dense-random", "patterns", "sparse"])
def test_compiled_lockstep_without_tempering_equals_the_python_loop(case, threads):
    kernel, state = _kernel(case, 2, 3)
    betas = np.array([0.5, 0.4])
    kwargs = dict(n_records=4, every=2, burn_in=5)
    compiled = kernel.record(state, betas, lockstep=True, **kwargs)
    python = python_record(kernel, state, betas, **kwargs)
    _assert_same(compiled, python)


def test_compiled_lockstep_loop_with_split_multispin_blocks(monkeypatch, threads):
    """A multi-spin chain whose row blocks run in parallel (at 2 threads: fewer chains
    than threads, threshold forced to 0) records what the Python loop records."""
    monkeypatch.setattr(numba_cpu.Multispin, "split_min_words", 0)
    kernel = numba_cpu.make_kernel(
        sn.ising((40, 128)), rule="metropolis", schedule="checkerboard", n_temps=1, chains=1
    )
    assert kernel.rep._split(1) == (threads > 1)
    spins = np.where(np.random.default_rng(1).random((1, 1, kernel.net.n)) < 0.5, -1, 1)
    state = kernel.init(spins.astype(np.int8), np.random.SeedSequence(2))
    betas = np.array([0.4])
    kwargs = dict(n_records=3, every=2, burn_in=3)
    compiled = kernel.record(state, betas, lockstep=True, **kwargs)
    python = python_record(kernel, state, betas, **kwargs)
    _assert_same(compiled, python)


def test_the_cache_digest_covers_every_module_the_loop_compiles_in():
    """numba's disk cache checks only temper.py: every kernel module temper imports,
    directly or through another, must be in the digest that keys the loop's cache."""
    import ast
    import pathlib

    from statnn.dynamics.numba import temper

    here = pathlib.Path(temper.__file__).parent
    prefix = "statnn.dynamics.numba."
    seen, todo = set(), ["temper"]
    while todo:
        tree = ast.parse((here / f"{todo.pop()}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(prefix):
                name = node.module[len(prefix) :]
                if name not in seen:
                    seen.add(name)
                    todo.append(name)
    assert seen == set(temper.COMPILED_IN)
    assert temper.lockstep_records.py_func.__closure__[0].cell_contents == temper.sources_digest()
